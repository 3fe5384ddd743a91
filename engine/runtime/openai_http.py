"""The HTTP backend: any OpenAI-compatible server (llama-server, vLLM, llama-cpp-python's server).

Every request opens its own connection and closes it when done (`Connection: close`). That keeps
cancellation exact: cancelling a generation closes that request's socket, which is how the server
learns to stop decoding it. It also leaves nothing bound to an event loop between calls. A TCP
connect costs microseconds next to a generation.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio
import numpy as np
from anyio.abc import ByteStream
from anyio.streams.buffered import BufferedByteReceiveStream

from engine.config import RuntimeConfig
from engine.runtime.base import FinishReason, Generation, Message, RuntimeFailure, SamplingParams, TokenCallback

# Bounds on what a misbehaving server can make us buffer before a body starts.
_MAX_HEAD_BYTES = 64 * 1024
_MAX_CHUNK_SIZE_LINE = 1024

# What breaks an exchange midway; anything else raised inside a request block is the caller's own.
_TRANSPORT_ERRORS = (OSError, anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError)

_EMBEDDING_PROBE = "def probe():\n    return 1\n"

_START_A_SERVER = (
    "check the URL; if no server runs there, start an OpenAI-compatible one, for example "
    "`llama-server -m model.gguf --embeddings --port 8080` or "
    "`python -m llama_cpp.server --model model.gguf --embedding true --interrupt_requests false --port 8080`, "
    "or set `model` to `small` or `default` to run the model inside atlas-lsp instead."
)


class HTTPStatusFailure(RuntimeFailure):
    """The server answered with an HTTP error status."""

    def __init__(self, message: str, status: int, detail: str) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class _MalformedReply(Exception):
    """The bytes that came back are not the HTTP/1.1 this client speaks."""


class OpenAIRuntime:
    """A chat model served over HTTP by an OpenAI-compatible server."""

    def __init__(self, server: _Server, model_id: str, embedding_model: str, embedding_dim: int) -> None:
        self._server = server
        self._model_id = model_id
        self._embedding_model = embedding_model
        self._embedding_dim = embedding_dim

    @classmethod
    async def open(cls, config: RuntimeConfig) -> OpenAIRuntime:
        """Check the server answers, pick the model, and learn the embedding size by embedding a probe."""
        server = _Server.from_config(config)
        listing = await server.get_json("/v1/models")
        entries = listing.get("data", []) if isinstance(listing, dict) else []
        listed = [entry["id"] for entry in entries if isinstance(entry, dict) and "id" in entry]
        if config.served_model is not None and listed and config.served_model not in listed:
            raise RuntimeFailure(
                f"The server at {server.url} does not serve `{config.served_model}`; it lists {', '.join(listed)}.\n"
                "Fix: set `served_model` to one of those names."
            )
        model_id = config.served_model or (listed[0] if listed else None)
        if model_id is None:
            raise RuntimeFailure(
                f"The server at {server.url} lists no models at /v1/models.\n"
                "Fix: set `served_model` to the name the server expects in requests."
            )
        embedding_model = config.embedding_model or model_id
        try:
            probe = await _embed(server, embedding_model, _EMBEDDING_PROBE)
        except HTTPStatusFailure as failure:
            raise RuntimeFailure(
                f"The server at {server.url} cannot embed text with `{embedding_model}` "
                f"(HTTP {failure.status}: {failure.detail}).\n"
                "atlas-lsp needs embeddings for the Lens (finding related code).\n"
                "Fix: enable embeddings on the server (llama-server `--embeddings`, "
                "`python -m llama_cpp.server --embedding true`), or point `embedding_model` at an "
                "embedding model the server hosts."
            ) from failure
        return cls(server, model_id, embedding_model, len(probe))

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def embedding_dim(self) -> int:
        return self._embedding_dim

    @property
    def backend(self) -> str:
        return f"OpenAI-compatible server at {self._server.url}"

    async def generate(
        self, messages: Sequence[Message], params: SamplingParams, on_token: TokenCallback | None = None
    ) -> Generation:
        return await self._complete(messages, params, _for_sequence(on_token, 0))

    async def generate_many(
        self,
        messages: Sequence[Message],
        params: Sequence[SamplingParams],
        on_token: TokenCallback | None = None,
    ) -> list[Generation]:
        # Sent concurrently so a batching server (llama-server --parallel, vLLM) decodes them together.
        results: dict[int, Generation] = {}
        failures: list[RuntimeFailure] = []

        async def complete(index: int, sampling: SamplingParams) -> None:
            try:
                results[index] = await self._complete(messages, sampling, _for_sequence(on_token, index))
            except RuntimeFailure as failure:
                # Report the failure itself, not an exception group around it; the others are moot.
                failures.append(failure)
                task_group.cancel_scope.cancel()

        async with anyio.create_task_group() as task_group:
            for index, sampling in enumerate(params):
                task_group.start_soon(complete, index, sampling)
        if failures:
            raise failures[0]
        return [results[index] for index in range(len(params))]

    async def embed(self, text: str) -> np.ndarray:
        return await _embed(self._server, self._embedding_model, text)

    async def aclose(self) -> None:
        """Nothing to release: no connection outlives its request."""

    async def _complete(
        self, messages: Sequence[Message], params: SamplingParams, on_text: Callable[[str], None] | None
    ) -> Generation:
        request: dict[str, Any] = {
            "model": self._model_id,
            "messages": [{"role": message.role, "content": message.content} for message in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
            "temperature": params.temperature,
            "top_p": params.top_p,
            "top_k": params.top_k,  # not OpenAI's, but llama-server, vLLM and llama-cpp-python honour it
            "max_tokens": params.max_tokens,
            "seed": params.seed,
        }
        if params.stop:
            request["stop"] = list(params.stop)
        pieces: list[str] = []
        finish: str | None = None
        usage: dict[str, Any] | None = None
        async with self._server.request("POST", "/v1/chat/completions", request) as response:
            while (line := await response.read_line()) is not None:
                if not line.startswith("data:"):
                    continue  # SSE comments (keep-alive pings) and event names
                data = line[len("data:") :].strip()
                if data == "[DONE]":
                    break
                try:
                    event = json.loads(data)
                except ValueError as error:
                    raise RuntimeFailure(
                        f"The server at {self._server.url} streamed an event that is not JSON: {data[:200]!r}.\n"
                        "Fix: check that the URL points at an OpenAI-compatible server."
                    ) from error
                if "error" in event:
                    raise RuntimeFailure(
                        f"The server at {self._server.url} failed mid-generation: {_describe_error(event)}.\n"
                        "Fix: see the server's log."
                    )
                usage = event.get("usage") or usage
                for choice in event.get("choices") or []:
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        pieces.append(text)
                        if on_text is not None:
                            on_text(text)
                    finish = choice.get("finish_reason") or finish
        if finish is None:
            raise RuntimeFailure(
                f"The server at {self._server.url} ended a generation without saying why it finished.\n"
                "Fix: if it is `python -m llama_cpp.server`, start it with `--interrupt_requests false`: "
                "by default it cuts a stream short whenever another request arrives."
            )
        if usage is not None:
            prompt_tokens, completion_tokens = int(usage["prompt_tokens"]), int(usage["completion_tokens"])
        else:
            # Servers that ignore `stream_options` report no usage; they send about one chunk per token.
            prompt_tokens, completion_tokens = 0, len(pieces)
        return Generation("".join(pieces), prompt_tokens, completion_tokens, _finish_reason(finish))


def _for_sequence(on_token: TokenCallback | None, index: int) -> Callable[[str], None] | None:
    if on_token is None:
        return None
    return lambda text: on_token(index, text)


def _finish_reason(reason: str) -> FinishReason:
    # Servers name the end of a sequence variously ("stop", "eos", "stop_sequence"); only a cap matters.
    return "length" if reason == "length" else "stop"


async def _embed(server: _Server, model: str, text: str) -> np.ndarray:
    reply = await server.post_json("/v1/embeddings", {"model": model, "input": text, "encoding_format": "float"})
    try:
        vector = np.asarray(reply["data"][0]["embedding"], dtype=np.float32)
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise RuntimeFailure(
            f"The server at {server.url} sent an embedding reply without a vector ({error!r}).\n"
            "Fix: check that `embedding_model` names an embedding-capable model."
        ) from error
    if vector.ndim == 2:
        # Servers without pooling (llama-cpp-python, llama-server --pooling none) send one vector per token.
        vector = vector.mean(axis=0)
    if vector.ndim != 1 or vector.size == 0:
        raise RuntimeFailure(
            f"The server at {server.url} sent an embedding of shape {vector.shape}.\n"
            "Fix: check that `embedding_model` names an embedding-capable model."
        )
    return vector


def _describe_error(reply: Any) -> str:
    """The human part of an error body: OpenAI and llama-server nest it, FastAPI calls it `detail`."""
    if isinstance(reply, dict):
        error = reply.get("error")
        if isinstance(error, dict) and "message" in error:
            return str(error["message"])
        for key in ("error", "detail", "message"):
            if reply.get(key):
                return str(reply[key])
    return str(reply)[:500]


@dataclass(frozen=True)
class _Server:
    url: str
    host: str
    port: int
    tls: bool
    path_prefix: str
    host_header: str
    api_key: str | None = field(repr=False)
    timeout: float

    @classmethod
    def from_config(cls, config: RuntimeConfig) -> _Server:
        parts = urlsplit(config.model)
        if not parts.hostname:
            raise RuntimeFailure(f"`{config.model}` is not a server URL.\nFix: write it as http://host:port.")
        tls = parts.scheme == "https"
        # Users often paste the OpenAI client's base URL, which ends in /v1; requests add it themselves.
        prefix = parts.path.rstrip("/").removesuffix("/v1")
        return cls(
            url=config.model,
            host=parts.hostname,
            port=parts.port or (443 if tls else 80),
            tls=tls,
            path_prefix=prefix,
            host_header=parts.netloc.rpartition("@")[2],
            api_key=config.api_key,
            timeout=config.request_timeout,
        )

    async def get_json(self, path: str) -> Any:
        async with self.request("GET", path, None) as response:
            return await self._json_body(response, path)

    async def post_json(self, path: str, body: Any) -> Any:
        async with self.request("POST", path, body) as response:
            return await self._json_body(response, path)

    async def _json_body(self, response: _Response, path: str) -> Any:
        body = await response.read_all()
        try:
            return json.loads(body)
        except ValueError as error:
            raise RuntimeFailure(
                f"The server at {self.url} answered {path} with something other than JSON: {body[:200]!r}.\n"
                "Fix: check that the URL points at an OpenAI-compatible server."
            ) from error

    @asynccontextmanager
    async def request(self, method: str, path: str, body: Any) -> AsyncIterator[_Response]:
        """One HTTP/1.1 exchange; the response is open to read inside the block, then closed."""
        payload = b"" if body is None else json.dumps(body).encode()
        head = [
            f"{method} {self.path_prefix}{path} HTTP/1.1",
            f"Host: {self.host_header}",
            "Accept: application/json, text/event-stream",
            "Connection: close",
            "User-Agent: atlas-lsp",
        ]
        if body is not None:
            head += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        if self.api_key:
            head.append(f"Authorization: Bearer {self.api_key}")
        try:
            with anyio.fail_after(self.timeout):
                async with await self._connect() as stream:
                    await stream.send("\r\n".join(head).encode() + b"\r\n\r\n" + payload)
                    response = await _Response.read_head(stream)
                    if response.status >= 400:
                        raise self._status_failure(method, path, response.status, await response.read_all())
                    yield response
        except TimeoutError as error:
            raise RuntimeFailure(
                f"The server at {self.url} did not finish {method} {path} within {self.timeout:g} s.\n"
                "Fix: check that the server is not overloaded, or raise `request_timeout`."
            ) from error
        except (*_TRANSPORT_ERRORS, _MalformedReply) as error:
            raise RuntimeFailure(
                f"The exchange with the server at {self.url} broke during {method} {path} ({error!r}).\n"
                "Fix: see the server's log; it may have crashed or been restarted."
            ) from error

    async def _connect(self) -> ByteStream:
        try:
            if self.tls:
                # Servers often close without a TLS close_notify; that is still the end of the body.
                return await anyio.connect_tcp(self.host, self.port, tls=True, tls_standard_compatible=False)
            return await anyio.connect_tcp(self.host, self.port)
        except OSError as error:
            reason = error.__cause__ or error
            raise RuntimeFailure(
                f"Could not connect to the model server at {self.url} ({reason}).\nFix: {_START_A_SERVER}"
            ) from error

    def _status_failure(self, method: str, path: str, status: int, body: bytes) -> HTTPStatusFailure:
        try:
            detail = _describe_error(json.loads(body))
        except ValueError:
            detail = body[:500].decode("utf-8", errors="replace")
        if status in (401, 403):
            fix = "set `api_key` to the key the server was started with."
        elif status == 404:
            fix = (
                "check that `model` is the server's base URL (for example http://127.0.0.1:8080) and that "
                "`served_model` / `embedding_model` name models it lists at /v1/models."
            )
        else:
            fix = "see the server's log for the cause."
        return HTTPStatusFailure(
            f"The server at {self.url} answered {method} {path} with HTTP {status}: {detail}\nFix: {fix}",
            status,
            detail,
        )


class _Response:
    """A response body read as it arrives: by Content-Length, chunked transfer coding, or until close."""

    def __init__(self, status: int, headers: dict[str, str], reader: BufferedByteReceiveStream) -> None:
        self.status = status
        self._reader = reader
        self._chunked = headers.get("transfer-encoding", "").lower().endswith("chunked")
        length = headers.get("content-length")
        self._remaining = int(length) if length is not None and not self._chunked else None
        self._ended = False
        self._unfinished_line = b""

    @classmethod
    async def read_head(cls, stream: ByteStream) -> _Response:
        reader = BufferedByteReceiveStream(stream)
        head = (await reader.receive_until(b"\r\n\r\n", _MAX_HEAD_BYTES)).decode("latin-1")
        status_line, *header_lines = head.split("\r\n")
        version, _, rest = status_line.partition(" ")
        status = rest[:3]
        if not version.startswith("HTTP/") or not status.isdigit():
            raise _MalformedReply(f"status line {status_line[:100]!r}")
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return cls(int(status), headers, reader)

    async def read_chunk(self) -> bytes:
        """The next piece of the body as it arrives; b"" once all of it has been read."""
        if self._ended:
            return b""
        if self._chunked:
            size_line = await self._reader.receive_until(b"\r\n", _MAX_CHUNK_SIZE_LINE)
            try:
                size = int(size_line.split(b";")[0], 16)
            except ValueError:
                raise _MalformedReply(f"chunk size {size_line[:100]!r}") from None
            if size == 0:
                self._ended = True
                return b""
            data = await self._reader.receive_exactly(size)
            await self._reader.receive_exactly(2)  # the CRLF closing every chunk
            return data
        if self._remaining == 0:
            self._ended = True
            return b""
        try:
            data = await self._reader.receive(65536 if self._remaining is None else self._remaining)
        except anyio.EndOfStream:
            if self._remaining is not None:
                raise
            self._ended = True
            return b""
        if self._remaining is not None:
            self._remaining -= len(data)
        return data

    async def read_all(self) -> bytes:
        pieces = []
        while chunk := await self.read_chunk():
            pieces.append(chunk)
        return b"".join(pieces)

    async def read_line(self) -> str | None:
        """The next line of the body without its line break; None at the end."""
        while b"\n" not in self._unfinished_line:
            chunk = await self.read_chunk()
            if not chunk:
                rest, self._unfinished_line = self._unfinished_line, b""
                return rest.decode() if rest else None
            self._unfinished_line += chunk
        # UTF-8 never puts a newline byte inside a character, so splitting bytes first is safe.
        line, self._unfinished_line = self._unfinished_line.split(b"\n", 1)
        return line.rstrip(b"\r").decode()
