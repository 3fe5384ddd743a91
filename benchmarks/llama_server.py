"""llama-cpp-python's OpenAI-compatible server, as the benchmarks that need one start it.

One model that both chats and embeds, requests never interrupted by the next one queuing; the HTTP
backend's tests (tests/runtime/test_openai_http.py) run the same server.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

SERVED_MODEL = "small"
"""The alias the server lists; the client takes the first model listed, whatever its name."""
STARTUP_SECONDS = 300.0
"""Loading the model on a machine another benchmark keeps busy can take far longer than on an idle one."""
STOP_SECONDS = 10.0


class ServerFailure(RuntimeError):
    """The server exited or never answered; the message holds the end of its log."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_command(
    model_file: Path, port: int, threads: int, context_tokens: int, extra_flags: Sequence[str] = ()
) -> list[str]:
    """The HTTP backend tests' server on `model_file`, plus `extra_flags`."""
    return [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model_file),
        "--model_alias", SERVED_MODEL,
        # OpenAIRuntime.open embeds a probe and refuses a server that cannot embed.
        "--embedding", "true",
        "--n_ctx", str(context_tokens),
        "--n_threads", str(threads),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--interrupt_requests", "false",
        "--verbose", "false",
        *extra_flags,
    ]  # fmt: skip


@contextlib.contextmanager
def running_server(command: Sequence[str], url: str, log: Path) -> Iterator[float]:
    """The server started and answering /v1/models; yields the seconds that took, stops it on exit."""
    started = time.monotonic()
    server = start_server(command, url, log)
    try:
        yield time.monotonic() - started
    finally:
        stop_server(server)


def start_server(command: Sequence[str], url: str, log: Path) -> subprocess.Popen[bytes]:
    """The server started (its output appended to `log`) once it answers /v1/models."""
    with log.open("ab") as log_file:
        server = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        _wait_until_ready(url, server, log)
    except BaseException:
        stop_server(server)
        raise
    return server


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def wait_until_answering(url: str, seconds: float = STARTUP_SECONDS) -> bool:
    """Whether the server at `url` answers /v1/models within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/v1/models", timeout=1):
                return True
        except OSError:
            time.sleep(0.25)
    return False


def _wait_until_ready(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ServerFailure(f"llama_cpp.server exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/v1/models", timeout=1):
                return
        except OSError:
            time.sleep(0.25)
    raise ServerFailure(f"llama_cpp.server did not answer within {STARTUP_SECONDS:g} s:\n{log.read_text()[-3000:]}")
