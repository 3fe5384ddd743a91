"""An OpenAI-compatible model server that answers every chat request with one fixed reply.

It lets the real atlas-lsp run a whole job over stdio in a second or two, without loading a model: set the
`model` setting to its URL. It serves what `engine.runtime.openai_http` asks of a server: the model
list, embeddings (for the probe at open) and streamed chat completions; every other path is 404, so the
runtime takes it for a plain OpenAI server.

In a test: `with fake_model_server(reply) as url: ...`. From another program (the Neovim client's tests):
`python -m tests.fake_model_server REPLY` prints the URL on its first line and serves until its
standard input closes.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL_ID = "fake-model"
ADD_REPLY = "```python\ndef add(a, b):\n    return a + b\n```"
"""A right answer to tests/fixtures/lsp/add.py."""


def _handler(reply: str, connections: set[socket.socket]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the runtime's pooled client expects

        def setup(self) -> None:
            super().setup()
            connections.add(self.connection)

        def do_GET(self) -> None:
            if self.path == "/v1/models":
                self._send_json({"object": "list", "data": [{"id": MODEL_ID, "object": "model"}]})
            else:
                self._send_json({"error": {"message": f"no {self.path}"}}, status=404)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if self.path == "/v1/embeddings":
                self._send_json({"data": [{"embedding": [0.5, 0.5, 0.5, 0.5], "index": 0}]})
            elif self.path == "/v1/chat/completions" and body.get("stream"):
                self._stream_reply()
            else:
                self._send_json({"error": {"message": f"no {self.path}"}}, status=404)

        def _stream_reply(self) -> None:
            events = [
                {"choices": [{"index": 0, "delta": {"content": reply}, "finish_reason": None}]},
                {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
                {"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 10}},
            ]
            stream = "".join(f"data: {json.dumps(event)}\n\n" for event in events) + "data: [DONE]\n\n"
            self._send(stream.encode(), "text/event-stream")

        def _send_json(self, value: Any, status: int = 200) -> None:
            self._send(json.dumps(value).encode(), "application/json", status)

        def _send(self, body: bytes, content_type: str, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a test's output is no place for an access log

    return Handler


@contextmanager
def fake_model_server(reply: str = ADD_REPLY) -> Iterator[str]:
    """A server on a free loopback port, running in a thread; yields its URL. On exit it also closes the
    connections clients keep alive, as a server process that stops does."""
    connections: set[socket.socket] = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(reply, connections))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        thread.join()


if __name__ == "__main__":
    with fake_model_server(sys.argv[1] if len(sys.argv) > 1 else ADD_REPLY) as url:
        print(url, flush=True)
        sys.stdin.read()  # the parent closes it (or exits) when it is done with the server
