"""`atlas-lsp` with no mode flag: the language server, on stdio or on a TCP port.

Standard output is the protocol channel on stdio, so logging goes to standard error or to
`--log-file`; `python -m atlas_lsp.commands.serve` runs the same server without the CLI around it.
"""

from __future__ import annotations

import argparse
import logging
import sys

from atlas_lsp.server import create_server


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("language server")
    group.add_argument("--tcp", metavar="HOST:PORT", type=_address, help="serve one client on a TCP port instead of stdio")
    group.add_argument("--log-file", metavar="FILE", help="write the server's log here instead of to standard error")


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        filename=args.log_file,
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # pygls logs every message it sends and receives at INFO: only worth reading when asked for.
    logging.getLogger("pygls").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    server = create_server()
    if args.tcp:
        host, port = args.tcp
        server.start_tcp(host, port)
    else:
        server.start_io()
    return 0


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atlas_lsp.commands.serve", description="The atlas language server.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
