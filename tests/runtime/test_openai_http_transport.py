"""The HTTP backend against scripted servers: retries, errors, streaming, cancellation, and what it
uses of each kind of server (prompt caching, the context size, token counts)."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

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
Route = Callable[[httpx.Request], httpx.Response]


def _events(*texts: str, usage: bool = True) -> list[bytes]:
    """An SSE completion stream: one event per piece of text, then the finish, usage (unless `usage` is
    false, as llama-cpp-python's server streams) and [DONE]."""
    events: list[dict[str, object]] = [
        {"choices": [{"delta": {"content": text}, "finish_reason": None}]} for text in texts
    ]
    events.append({"choices": [{"delta": {}, "finish_reason": "stop"}]})
    if usage:
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


async def _open(chat: Chat, routes: Mapping[str, Route] | None = None, seen: list[str] | None = None) -> OpenAIRuntime:
    """A runtime on a scripted server: `routes` answer their paths; otherwise it lists one model, embeds
    anything, answers chats with `chat`, and has no other endpoint (404, as llama-cpp-python's server
    answers /props). `seen` collects the path of each request, in order."""

    async def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if seen is not None:
            seen.append(path)
        if routes and path in routes:
            return routes[path](request)
        if path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": "served"}]})
        if path == "/v1/embeddings":
            return httpx.Response(200, json={"data": [{"embedding": [0.5, 0.25]}]})
        if path == COMPLETIONS:
            return await chat(request)
        return httpx.Response(404, json={"detail": "Not Found"})

    return await OpenAIRuntime.open(RuntimeConfig(model=URL), transport=httpx.MockTransport(handle))


def _llama_server(n_ctx: int, prompt_tokens: int = 3) -> dict[str, Route]:
    """llama-server's own endpoints: /props with a context of `n_ctx`, and a tokenizer that finds
    `prompt_tokens` in the prompt its chat template makes."""
    return {
        "/props": lambda request: httpx.Response(200, json={"default_generation_settings": {"n_ctx": n_ctx}}),
        "/apply-template": lambda request: httpx.Response(200, json={"prompt": "<|im_start|>user\n..."}),
        "/tokenize": lambda request: httpx.Response(200, json={"tokens": list(range(prompt_tokens))}),
    }


def _vllm(max_model_len: int, prompt_tokens: int) -> dict[str, Route]:
    """vLLM's listing, which names the model's context, and its chat tokenizer."""
    return {
        "/v1/models": lambda request: httpx.Response(
            200, json={"data": [{"id": "served", "max_model_len": max_model_len}]}
        ),
        "/tokenize": lambda request: httpx.Response(
            200, json={"count": prompt_tokens, "max_model_len": max_model_len, "tokens": [0] * prompt_tokens}
        ),
    }


async def _answer_ok(request: httpx.Request) -> httpx.Response:
    return _streaming(_Body(_events("ok")))


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


async def test_a_stream_closed_before_its_end_says_the_server_may_have_stopped() -> None:
    async def chat(request: httpx.Request) -> httpx.Response:
        return _streaming(_Body(_events("def")[:1]))

    with pytest.raises(RuntimeFailure, match="closed its stream mid-generation") as failure:
        await (await _open(chat)).generate(ASK, PARAMS)
    assert "may have stopped, crashed or restarted" in str(failure.value)


async def test_a_stream_ended_without_a_finish_reason_names_llama_cpp_servers_interruptions() -> None:
    async def chat(request: httpx.Request) -> httpx.Response:
        return _streaming(_Body([*_events("def")[:1], b"data: [DONE]\n\n"]))

    with pytest.raises(RuntimeFailure, match="--interrupt_requests false"):
        await (await _open(chat)).generate(ASK, PARAMS)


async def test_a_server_that_embeds_nothing_still_chats_and_says_why_it_cannot_embed() -> None:
    def no_embeddings(request: httpx.Request) -> httpx.Response:
        return httpx.Response(501, json={"error": {"message": "This server does not support embeddings."}})

    async def chat(request: httpx.Request) -> httpx.Response:
        return _streaming(_Body(_events("def")))

    runtime = await _open(chat, routes={"/v1/embeddings": no_embeddings})
    assert (await runtime.generate(ASK, PARAMS)).text == "def"
    assert runtime.embedding_dim is None
    with pytest.raises(RuntimeFailure, match="cannot embed text .* so the Lens stays off"):
        await runtime.embed("def f(): pass")


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


async def test_llama_server_is_asked_to_cache_the_prompt_in_every_chat_request() -> None:
    bodies: list[dict[str, object]] = []

    async def chat(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return _streaming(_Body(_events("ok")))

    await (await _open(chat, _llama_server(n_ctx=4096))).generate_many(ASK, [PARAMS, PARAMS])
    assert [body["cache_prompt"] for body in bodies] == [True, True]


async def test_servers_other_than_llama_server_are_not_sent_cache_prompt() -> None:
    bodies: list[dict[str, object]] = []

    async def chat(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return _streaming(_Body(_events("ok")))

    await (await _open(chat)).generate(ASK, PARAMS)
    assert "cache_prompt" not in bodies[0]


ANSWER_START = [*ASK, Message("assistant", "```python\ndef is_even(n):\n    ")]


async def _first_request(routes: dict[str, Route] | None, messages: list[Message]) -> tuple[OpenAIRuntime, dict]:
    bodies: list[dict[str, object]] = []

    async def chat(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return _streaming(_Body(_events("return n % 2 == 0")))

    runtime = await _open(chat, routes)
    await runtime.generate(messages, PARAMS)
    return runtime, bodies[0]


async def test_vllm_is_asked_to_continue_a_started_answer() -> None:
    runtime, body = await _first_request(_vllm(max_model_len=4096, prompt_tokens=3), ANSWER_START)
    assert runtime.continues_answers
    assert (body["continue_final_message"], body["add_generation_prompt"]) == (True, False)


async def test_vllm_starts_a_new_reply_as_usual_when_no_answer_was_started() -> None:
    _, body = await _first_request(_vllm(max_model_len=4096, prompt_tokens=3), ASK)
    assert "continue_final_message" not in body and "add_generation_prompt" not in body


async def test_llama_server_continues_a_started_answer_by_itself() -> None:
    runtime, body = await _first_request(_llama_server(n_ctx=4096), ANSWER_START)
    assert runtime.continues_answers
    assert body["messages"][-1] == {"role": "assistant", "content": ANSWER_START[-1].content}


async def test_a_server_of_unknown_kind_is_not_trusted_to_continue_an_answer() -> None:
    runtime, _ = await _first_request(None, ASK)
    assert not runtime.continues_answers


async def test_the_context_size_is_read_from_llama_servers_props() -> None:
    runtime = await _open(_answer_ok, _llama_server(n_ctx=4096))
    assert runtime.context_tokens == 4096


async def test_the_context_size_is_read_from_vllms_model_listing() -> None:
    runtime = await _open(_answer_ok, _vllm(max_model_len=32768, prompt_tokens=3))
    assert runtime.context_tokens == 32768


async def test_a_server_that_does_not_report_its_context_leaves_it_unknown() -> None:
    runtime = await _open(_answer_ok)
    assert runtime.context_tokens is None


async def test_with_an_unknown_context_any_request_is_sent() -> None:
    generation = await (await _open(_answer_ok)).generate(ASK, SamplingParams(max_tokens=10**6))
    assert generation.text == "ok"


async def test_a_request_the_context_cannot_hold_is_refused_with_the_sizes_and_the_fix() -> None:
    seen: list[str] = []
    runtime = await _open(_answer_ok, _llama_server(n_ctx=300, prompt_tokens=200), seen)
    with pytest.raises(RuntimeFailure) as failure:
        await runtime.generate(ASK, SamplingParams(max_tokens=200))
    assert str(failure.value) == (
        f"The server at {URL} holds 300 tokens per request, but this one needs 400: a prompt of 200 and up to "
        "200 for the completion.\n"
        "Fix: give the server a larger context (llama-server: `-c`, which its `--parallel` slots share; "
        "vLLM: `--max-model-len`), or lower the completion cap (`maxTokens`)."
    )
    assert COMPLETIONS not in seen


async def test_a_prompt_that_surely_fits_is_sent_without_being_counted() -> None:
    seen: list[str] = []
    runtime = await _open(_answer_ok, _llama_server(n_ctx=4096), seen)
    await runtime.generate(ASK, PARAMS)
    assert "/tokenize" not in seen and "/apply-template" not in seen


async def test_a_prompt_that_fits_once_counted_is_sent() -> None:
    seen: list[str] = []
    runtime = await _open(_answer_ok, _llama_server(n_ctx=300, prompt_tokens=50), seen)
    generation = await runtime.generate(ASK, SamplingParams(max_tokens=200))
    assert generation.text == "ok"
    assert seen[-3:] == ["/apply-template", "/tokenize", COMPLETIONS]


async def test_the_largest_max_tokens_of_the_samples_is_the_one_checked() -> None:
    runtime = await _open(_answer_ok, _llama_server(n_ctx=300, prompt_tokens=50))
    with pytest.raises(RuntimeFailure, match="needs 350: a prompt of 50 and up to 300"):
        await runtime.generate_many(ASK, [SamplingParams(max_tokens=8), SamplingParams(max_tokens=300)])


async def test_vllm_counts_the_prompt_at_its_tokenize_endpoint() -> None:
    bodies: list[dict[str, object]] = []
    routes = _vllm(max_model_len=300, prompt_tokens=250)
    tokenize = routes["/tokenize"]

    def count(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return tokenize(request)

    runtime = await _open(_answer_ok, {**routes, "/tokenize": count})
    with pytest.raises(RuntimeFailure, match="needs 350: a prompt of 250 and up to 100"):
        await runtime.generate(ASK, SamplingParams(max_tokens=100))
    assert bodies == [
        {"model": "served", "messages": [{"role": "user", "content": ASK[0].content}], "add_generation_prompt": True}
    ]


def _counting_server(count: int) -> dict[str, Route]:
    """llama-cpp-python's token counter, which counts the text it is given."""
    return {"/extras/tokenize/count": lambda request: httpx.Response(200, json={"count": count})}


async def _answer_without_usage(request: httpx.Request) -> httpx.Response:
    return _streaming(_Body(_events("def", " f", "():", usage=False)))


async def test_prompt_tokens_are_counted_by_the_server_when_its_stream_reports_no_usage() -> None:
    generation = await (await _open(_answer_without_usage, _counting_server(42))).generate(ASK, PARAMS)
    assert (generation.prompt_tokens, generation.completion_tokens) == (42, 3)


async def test_the_prompt_is_counted_once_after_the_completions_are_done() -> None:
    seen: list[str] = []
    runtime = await _open(_answer_without_usage, _counting_server(42), seen)
    generations = await runtime.generate_many(ASK, [PARAMS, PARAMS])
    assert [generation.prompt_tokens for generation in generations] == [42, 42]
    assert seen[-3:] == [COMPLETIONS, COMPLETIONS, "/extras/tokenize/count"]


async def test_prompt_tokens_are_zero_from_a_server_that_neither_reports_nor_counts_them() -> None:
    generation = await (await _open(_answer_without_usage)).generate(ASK, PARAMS)
    assert generation.prompt_tokens == 0
