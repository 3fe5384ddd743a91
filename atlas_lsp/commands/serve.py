"""`atlas-lsp` with no mode flag: the language server, on stdio or on a TCP port.

Standard output is the protocol channel on stdio, so logging goes to standard error or to
`--log-file`.
"""

from __future__ import annotations

import argparse
import logging

from atlas_lsp import __version__

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("language server")
    group.add_argument(
        "--tcp", metavar="HOST:PORT", type=_address, help="serve one client on a TCP port instead of stdio"
    )
    group.add_argument("--log-file", metavar="FILE", help="write the server's log here instead of to standard error")


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        filename=args.log_file,
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # pygls logs every message it sends and receives at INFO: only worth reading when asked for.
    logging.getLogger("pygls").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    # Imported here: the CLI loads this module for its flags in every mode, and lsprotocol's types
    # take a second to import that the headless modes need not pay.
    from atlas_lsp.server import create_server

    server = create_server()
    if args.tcp:
        host, port = args.tcp
        logger.info("atlas-lsp %s serving on %s:%d", __version__, host, port)
        server.start_tcp(host, port)
    else:
        logger.info("atlas-lsp %s serving on stdio", __version__)
        server.start_io()
    return 0


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)
