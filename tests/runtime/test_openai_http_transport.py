"""The HTTP backend's transport against scripted servers: retries, errors, streaming, cancellation."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import httpx
import pytest
from anyio.abc import SocketAttribute, SocketStream
from anyio.streams.buffered import BufferedByteReceiveStream

from engine.config import RuntimeConfig
from engine.runtime import openai_http
from engine.runtime.base import Message, RuntimeFailure, SamplingParams
from engine.runtime.openai_http import HTTPStatusFailure, OpenAIRuntime

URL = "http://model-server.test:8080"
COMPLETIONS = "/v1/chat/completions"
ASK = [Message("user", "Write is_even(n).")]
PARAMS = SamplingParams(max_tokens=8)

Chat = Callable[[httpx.Request], Awaitable[httpx.Response]]


def _events(*texts: str) -> list[bytes]:
    """An SSE completion stream: one event per piece of text, then the finish, usage and [DONE]."""
    events = [{"choices": [{"delta": {"content": text}, "finish_reason": None}]} for text in texts]
    events.append({"choices": [{"delta": {}, "finish_reason": "stop"}]})
    events.append({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": len(texts)}})
    return [f"data: {json.dumps(event)}\n\n".encode() for event in events] + [b"data: [DONE]\n\n"]


class _Body(httpx.AsyncByteStream):
    """A response body sent piece by piece, then `after` (raise, or wait forever); records its close."""

    def __init__(self, pieces: list[bytes], after: Callable[[], Awaitable[None]] | None = None) -> None:
        self._pieces = pieces
        self._after = after
        self.closed = anyio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece
        if self._after is not None:
            await self._after()

    async def aclose(self) -> None:
        self.closed.set()


def _streaming(body: _Body) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=body)


async def _open(chat: Chat) -> OpenAIRuntime:
    """A runtime on a scripted server that lists one model, embeds anything, and answers chats with `chat`."""

    async def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": "served"}]})
        if request.url.path == "/v1/embeddings":
            return httpx.Response(200, json={"data": [{"embedding": [0.5, 0.25]}]})
        return await chat(request)

    return await OpenAIRuntime.open(RuntimeConfig(model=URL), transport=httpx.MockTransport(handle))


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openai_http, "_RETRY_DELAYS", (0.0, 0.0))


async def test_a_503_is_sent_again_and_the_next_answer_is_used() -> None:
    calls = 0

    async def chat(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx.Response(503, headers={"retry-after": "0"}, json={"error": "loading model"})
        return _streaming(_Body(_events("ok")))

    generation = await (await _open(chat)).generate(ASK, PARAMS)
    assert (generation.text, calls) == ("ok", 2)


@pytest.mark.usefixtures("no_backoff")
async def test_a_failed_connection_is_tried_again() -> None:
    calls = 0

    async def chat(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return _streaming(_Body(_events("ok")))

    generation = await (await _open(chat)).generate(ASK, PARAMS)
    assert (generation.text, calls) == ("ok", 2)


async def test_a_429_asking_for_a_long_wait_is_reported_at_once() -> None:
    calls = 0

    async def chat(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(429, headers={"retry-after": "3600"}, json={"error": "rate limited"})

    with pytest.raises(HTTPStatusFailure) as failure:
        await (await _open(chat)).generate(ASK, PARAMS)
    assert (failure.value.status, calls) == (429, 1)


async def test_a_stream_that_breaks_after_it_started_is_not_sent_again() -> None:
    calls = 0

    async def reset() -> None:
        raise httpx.ReadError("connection reset by peer")

    async def chat(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return _streaming(_Body(_events("def")[:1], after=reset))

    with pytest.raises(RuntimeFailure, match=f"The exchange with the server at {URL} broke during POST {COMPLETIONS}"):
        await (await _open(chat)).generate(ASK, PARAMS)
    assert calls == 1


async def test_an_http_error_status_names_the_url_and_the_servers_detail() -> None:
    async def chat(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": {"message": "the prompt exceeds the context (4096 tokens)"}})

    with pytest.raises(HTTPStatusFailure) as failure:
        await (await _open(chat)).generate(ASK, PARAMS)
    assert (failure.value.status, failure.value.detail) == (400, "the prompt exceeds the context (4096 tokens)")
    assert f"The server at {URL} answered POST {COMPLETIONS} with HTTP 400: the prompt exceeds" in str(failure.value)


@pytest.mark.usefixtures("no_backoff")
async def test_a_url_where_nothing_listens_names_the_url_and_how_to_start_a_server() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"  # bound, not listening: connections are refused
        with pytest.raises(RuntimeFailure) as failure:
            await OpenAIRuntime.open(RuntimeConfig(model=url))
    assert f"Could not connect to the model server at {url}" in str(failure.value)
    assert "if no server runs there, start an OpenAI-compatible one" in str(failure.value)


async def test_streaming_assembles_the_text_and_passes_each_piece_to_the_callback() -> None:
    async def chat(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content)["stream"] is True
        # Events split across reads, one of them inside a multi-byte character.
        whole = b"".join(_events("def is_even(n):", "\n    return n % 2 == 0", " # é"))
        return _streaming(_Body([whole[i : i + 7] for i in range(0, len(whole), 7)]))

    pieces: list[tuple[int, str]] = []
    generation = await (await _open(chat)).generate(ASK, PARAMS, lambda index, text: pieces.append((index, text)))
    assert generation.text == "def is_even(n):\n    return n % 2 == 0 # é"
    assert pieces == [(0, "def is_even(n):"), (0, "\n    return n % 2 == 0"), (0, " # é")]
    assert (generation.prompt_tokens, generation.completion_tokens, generation.finish_reason) == (5, 3, "stop")


async def test_cancelling_mid_stream_closes_the_response() -> None:
    body = _Body(_events("def")[:1], after=anyio.sleep_forever)

    async def chat(request: httpx.Request) -> httpx.Response:
        return _streaming(body)

    runtime = await _open(chat)
    first_token = anyio.Event()
    with anyio.fail_after(5):
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(runtime.generate, ASK, PARAMS, lambda *_: first_token.set())
            await first_token.wait()
            task_group.cancel_scope.cancel()
    assert body.closed.is_set()


async def _serve(client: SocketStream, disconnected: anyio.Event) -> None:
    """Answer each request on the connection; a chat gets one token, then nothing until the client leaves."""
    reader = BufferedByteReceiveStream(client)
    while True:
        head = (await reader.receive_until(b"\r\n\r\n", 65536)).decode().lower()
        length = next((int(line[15:]) for line in head.split("\r\n") if line.startswith("content-length:")), 0)
        await reader.receive_exactly(length)
        path = head.split(" ")[1]
        if path == COMPLETIONS:
            event = _events("def")[0]
            await client.send(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            await client.send(b"%x\r\n%s\r\n" % (len(event), event))
            with pytest.raises(anyio.EndOfStream):
                await reader.receive()  # nothing more comes until the client closes the connection
            disconnected.set()
            return
        reply = json.dumps({"data": [{"id": "served"}]} if path == "/v1/models" else {"data": [{"embedding": [1.0]}]})
        await client.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(reply), reply.encode()))


async def test_cancelling_mid_stream_closes_the_connection_so_the_server_stops() -> None:
    disconnected = anyio.Event()
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    url = f"http://127.0.0.1:{listener.extra(SocketAttribute.local_port)}"
    with anyio.fail_after(5):
        async with anyio.create_task_group() as server:
            server.start_soon(listener.serve, lambda client: _serve(client, disconnected))
            runtime = await OpenAIRuntime.open(RuntimeConfig(model=url))
            first_token = anyio.Event()
            async with anyio.create_task_group() as task_group:
                task_group.start_soon(runtime.generate, ASK, PARAMS, lambda *_: first_token.set())
                await first_token.wait()
                task_group.cancel_scope.cancel()
            await disconnected.wait()
            await runtime.aclose()
            server.cancel_scope.cancel()
