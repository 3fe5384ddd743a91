"""The HTTP backend: any OpenAI-compatible server (llama-server, vLLM, llama-cpp-python's server).

The transport is httpx: one `AsyncClient` per runtime (and per event loop, as its pooled connections
belong to the loop that opened them), so requests reuse connections, and proxies and TLS settings
come from the environment like any other HTTP client's.

Cancellation closes the request's connection. A streamed response that is closed before its end
cannot be reused, so httpx closes its socket, and a closed socket is the only way an HTTP server
learns to stop decoding a generation nobody will read; otherwise a server that decodes one request
at a time would keep the next waiting behind it. The close is shielded from the cancellation it
answers.

A request is sent again (twice at most, after 0.5 s then 1 s) only while the server has not
started on it: the connection failed, or the server answered 429 or 503 (after its `Retry-After`
if that is short). Once a completion streams, a failure is reported, never retried: the tokens
already passed to the callback cannot be taken back.

What a server offers beyond the OpenAI API is learned once, at open (`_ServerTraits`):

- llama-server answers GET /props: its context per request (`default_generation_settings.n_ctx`, one
  slot's share of `-c`) and an exact prompt count (POST /apply-template, then /tokenize). Each chat
  request carries `cache_prompt`, so a slot reuses the KV cells of the prompt prefix it already holds
  (the default in recent builds, not in older ones); only llama-server is sent it, as vLLM logs a
  warning for every request carrying a field it does not know.
- vLLM lists `max_model_len` with each model, and counts a chat prompt at POST /tokenize.
- llama-cpp-python's server exposes no context size; POST /extras/tokenize/count counts the text of the
  messages (not its chat template's few tokens), which stands in for `prompt_tokens`: it reports no
  usage when streaming.

Where the context and an exact count are both known, a request whose prompt plus max_tokens exceeds
the context is refused before it is sent, as the embedded decoder refuses it. The servers would not
say: llama-server stops the completion when the context is full (reported as a `length` finish, as if
max_tokens had been reached) or, with context shift on, discards the older half of the context, the
prompt's start included; llama-cpp-python's server lowers max_tokens to what fits. Refusing, rather
than lowering max_tokens here, keeps one contract for every backend, and a context too small for the
engine's token cap is a setting to fix once (the message says which), not something to absorb quietly
on every long prompt.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import anyio
import httpx
import numpy as np
from anyio.lowlevel import RunVar

from engine.config import RuntimeConfig
from engine.runtime.base import FinishReason, Generation, Message, RuntimeFailure, SamplingParams, TokenCallback

# Waits before the second and third attempts of a request the server did not start on.
_RETRY_DELAYS = (0.5, 1.0)
_RETRY_STATUSES = frozenset({429, 503})
# The longest `Retry-After` (seconds) worth waiting for; a server asking for more gets its error reported.
_MAX_RETRY_AFTER = 5.0

_EMBEDDING_PROBE = "def probe():\n    return 1\n"

# When even a pessimistic size of the prompt fits, it is not counted. Each token of a byte-level BPE or a
# SentencePiece vocabulary covers at least one byte of text, so the messages' UTF-8 bytes bound their
# tokens; this allows for the chat template's markers and any system prompt the template adds.
_TEMPLATE_ALLOWANCE = 256

_START_A_SERVER = (
    "check the URL; if no server runs there, start an OpenAI-compatible one, for example "
    "`llama-server -m model.gguf --port 8080` or "
    "`python -m llama_cpp.server --model model.gguf --embedding true --interrupt_requests false --port 8080`, "
    "or set `model` to `small` or `default` to run the model inside atlas-lsp instead."
)


class HTTPStatusFailure(RuntimeFailure):
    """The server answered with an HTTP error status."""

    def __init__(self, message: str, status: int, detail: str) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


_PromptCounter = Callable[[Sequence[Message]], Awaitable[int]]


@dataclass(frozen=True)
class _ServerTraits:
    """What a server offers beyond the OpenAI API (see the module's docstring)."""

    context_tokens: int | None = None
    """Prompt plus completion tokens one request may hold; None when the server does not say."""
    count_prompt: _PromptCounter | None = None
    """A prompt's tokens as the server counts them; None when it has no tokenizer endpoint. Where the
    context is known the count is exact (the prompt the chat template makes); elsewhere it may cover the
    messages' text only."""
    chat_fields: Mapping[str, Any] = field(default_factory=dict)
    """Fields added to every chat request, for the one server that reads them."""
    continuation_fields: Mapping[str, Any] | None = None
    """Fields that make the server continue a last assistant message instead of starting a new reply;
    None when it cannot (llama-cpp-python's server starts a new one)."""


class OpenAIRuntime:
    """A chat model served over HTTP by an OpenAI-compatible server."""

    def __init__(
        self,
        server: _Server,
        model_id: str,
        embedding_model: str,
        embeddings: int | str,
        traits: _ServerTraits,
    ) -> None:
        """`embeddings`: the dimension of the server's embeddings, or why it serves none (with the fix)."""
        self._server = server
        self._model_id = model_id
        self._embedding_model = embedding_model
        self._embeddings = embeddings
        self._traits = traits

    @classmethod
    async def open(cls, config: RuntimeConfig, transport: httpx.AsyncBaseTransport | None = None) -> OpenAIRuntime:
        """Check the server answers, pick the model, learn the embedding size by embedding a probe (or
        that the server embeds nothing, which leaves only the Lens off), and learn what the server offers
        beyond the OpenAI API (`_ServerTraits`).

        `transport` replaces httpx's network transport (tests pass an `httpx.MockTransport`).
        """
        server = _Server(config, transport)
        listing = await server.get_json("/v1/models")
        entries = listing.get("data", []) if isinstance(listing, dict) else []
        listed = [entry["id"] for entry in entries if isinstance(entry, dict) and "id" in entry]
        if config.served_model is not None and listed and config.served_model not in listed:
            raise RuntimeFailure(
                f"The server at {server.url} does not serve `{config.served_model}`; it lists {', '.join(listed)}.\n"
                "Fix: set `servedModel` (editor setting) to one of those names."
            )
        model_id = config.served_model or (listed[0] if listed else None)
        if model_id is None:
            raise RuntimeFailure(
                f"The server at {server.url} lists no models at /v1/models.\n"
                "Fix: set `servedModel` (editor setting) to the name the server expects in requests."
            )
        embedding_model = config.embedding_model or model_id
        embeddings: int | str
        try:
            embeddings = len(await _embed(server, embedding_model, _EMBEDDING_PROBE))
        except HTTPStatusFailure as failure:
            # llama-server serves chat or embeddings per process, and vLLM a generative model without
            # them: only the Lens reads embeddings, so the server is still of use.
            embeddings = (
                f"The server at {server.url} cannot embed text with `{embedding_model}` "
                f"(HTTP {failure.status}: {failure.detail}), so the Lens stays off.\n"
                "Fix, only to use a Lens: serve chat and embeddings from one URL (`python -m llama_cpp.server "
                "--embedding true`), or set `embedding_model` to an embedding model this server hosts."
            )
        entry = next((entry for entry in entries if isinstance(entry, dict) and entry.get("id") == model_id), {})
        return cls(server, model_id, embedding_model, embeddings, await _learn_traits(server, model_id, entry))

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def embedding_dim(self) -> int | None:
        return self._embeddings if isinstance(self._embeddings, int) else None

    @property
    def embeddings_missing(self) -> str | None:
        """Why the server embeds nothing, with the fix; None when it embeds."""
        return self._embeddings if isinstance(self._embeddings, str) else None

    @property
    def backend(self) -> str:
        return f"OpenAI-compatible server at {self._server.url}"

    @property
    def continues_answers(self) -> bool:
        return self._traits.continuation_fields is not None

    @property
    def context_tokens(self) -> int | None:
        """Prompt plus completion tokens the server holds for one request; None when it does not say."""
        return self._traits.context_tokens

    async def generate(
        self, messages: Sequence[Message], params: SamplingParams, on_token: TokenCallback | None = None
    ) -> Generation:
        (generation,) = await self.generate_many(messages, [params], on_token)
        return generation

    async def generate_many(
        self,
        messages: Sequence[Message],
        params: Sequence[SamplingParams],
        on_token: TokenCallback | None = None,
    ) -> list[Generation]:
        if not params:
            return []
        await self._refuse_what_cannot_fit(messages, max(sampling.max_tokens for sampling in params))
        # One request per sample, not one with `n`: each sample keeps its own seed (docs/engine.md, "What the
        # runtime uses of each server").
        # Sent concurrently so a batching server (llama-server --parallel, vLLM) decodes them together.
        results: dict[int, tuple[Generation, bool]] = {}
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
        generations = [results[index] for index in range(len(params))]
        if all(reported for _, reported in generations):
            return [generation for generation, _ in generations]
        # Counted once the completions are done, never beside them: llama-cpp-python's server (by default)
        # cuts a stream short when another request arrives.
        prompt_tokens = await self._traits.count_prompt(messages) if self._traits.count_prompt else 0
        return [
            generation if reported else replace(generation, prompt_tokens=prompt_tokens)
            for generation, reported in generations
        ]

    async def embed(self, text: str) -> np.ndarray:
        if isinstance(self._embeddings, str):
            raise RuntimeFailure(self._embeddings)
        return await _embed(self._server, self._embedding_model, text)

    async def aclose(self) -> None:
        """Close the pooled connections of the current event loop."""
        await self._server.aclose()

    async def _refuse_what_cannot_fit(self, messages: Sequence[Message], max_tokens: int) -> None:
        """Raise when the prompt and `max_tokens` exceed the server's context, if it says both sizes."""
        context, count_prompt = self._traits.context_tokens, self._traits.count_prompt
        if context is None or count_prompt is None:
            return  # the server's own limits apply, silent or not
        if _most_prompt_tokens(messages) + max_tokens <= context:
            return
        prompt_tokens = await count_prompt(messages)
        if prompt_tokens + max_tokens > context:
            raise RuntimeFailure(
                f"The server at {self._server.url} holds {context} tokens per request, but this one needs "
                f"{prompt_tokens + max_tokens}: a prompt of {prompt_tokens} and up to {max_tokens} for the "
                "completion.\n"
                "Fix: give the server a larger context (llama-server: `-c`, which its `--parallel` slots share; "
                "vLLM: `--max-model-len`), or lower the completion cap (`maxTokens`)."
            )

    async def _complete(
        self, messages: Sequence[Message], params: SamplingParams, on_text: Callable[[str], None] | None
    ) -> tuple[Generation, bool]:
        """The completion, and whether the server reported its usage (else `prompt_tokens` is 0 for now)."""
        continuation = self._traits.continuation_fields if messages[-1].role == "assistant" else None
        request: dict[str, Any] = {
            **self._traits.chat_fields,
            **(continuation or {}),
            "model": self._model_id,
            "messages": _wire_messages(messages),
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
        done = False
        async with self._server.request("POST", "/v1/chat/completions", request) as response:
            async for line in response.aiter_lines():
                if done or not line.startswith("data:"):
                    continue  # past the end; SSE comments (keep-alive pings) and event names
                data = line[len("data:") :].strip()
                if data == "[DONE]":
                    # Read on to the end of the body, as OpenAI's own client does: a connection is
                    # reused only once its response has been read whole.
                    done = True
                    continue
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
        if finish is None and not done:
            raise RuntimeFailure(
                f"The server at {self._server.url} closed its stream mid-generation, before its end.\n"
                "Fix: the server may have stopped, crashed or restarted: see its log, then try again."
            )
        if finish is None:
            raise RuntimeFailure(
                f"The server at {self._server.url} ended a generation without saying why it finished.\n"
                "Fix: if it is `python -m llama_cpp.server`, start it with `--interrupt_requests false`: "
                "by default it cuts a stream short whenever another request arrives."
            )
        text = "".join(pieces)
        if usage is None:
            # Servers that ignore `stream_options` report no usage; they send about one chunk per token.
            return Generation(text, 0, len(pieces), _finish_reason(finish)), False
        generation = Generation(
            text, int(usage["prompt_tokens"]), int(usage["completion_tokens"]), _finish_reason(finish)
        )
        return generation, True


def _wire_messages(messages: Sequence[Message]) -> list[dict[str, str]]:
    return [{"role": message.role, "content": message.content} for message in messages]


def _most_prompt_tokens(messages: Sequence[Message]) -> int:
    """More tokens than the prompt of these messages can take (see `_TEMPLATE_ALLOWANCE`)."""
    return sum(len(message.content.encode()) for message in messages) + _TEMPLATE_ALLOWANCE


async def _learn_traits(server: _Server, model_id: str, entry: Mapping[str, Any]) -> _ServerTraits:
    """Tell vLLM (its listing names each model's context), llama-server (it answers /props) and
    llama-cpp-python's server (it counts tokens at /extras/tokenize/count) apart; any other server has
    only the OpenAI API."""
    max_model_len = entry.get("max_model_len")
    if isinstance(max_model_len, int):
        return _ServerTraits(
            max_model_len,
            partial(_count_with_vllm, server, model_id),
            continuation_fields={"continue_final_message": True, "add_generation_prompt": False},
        )
    props = await _unless_absent(server.get_json("/props"))
    settings = props.get("default_generation_settings") if isinstance(props, dict) else None
    if isinstance(settings, dict):
        n_ctx = settings.get("n_ctx")
        return _ServerTraits(
            n_ctx if isinstance(n_ctx, int) and n_ctx > 0 else None,
            partial(_count_with_llama_server, server),
            chat_fields={"cache_prompt": True},
            # It continues a last assistant message by itself ("assistant prefill", on unless started
            # with --no-prefill-assistant).
            continuation_fields={},
        )
    counted = await _unless_absent(
        server.post_json("/extras/tokenize/count", {"model": model_id, "input": _EMBEDDING_PROBE})
    )
    if isinstance(counted, dict) and isinstance(counted.get("count"), int):
        return _ServerTraits(count_prompt=partial(_count_text_with_llama_cpp_python, server, model_id))
    return _ServerTraits()


async def _unless_absent(reply: Awaitable[Any]) -> Any:
    """The server's JSON answer to an endpoint it may not have, or None."""
    try:
        return await reply
    except RuntimeFailure:
        return None  # a 404, or a web page that is not JSON


async def _count_with_llama_server(server: _Server, messages: Sequence[Message]) -> int:
    rendered = await server.post_json("/apply-template", {"messages": _wire_messages(messages)})
    prompt = _reply_field(server, "/apply-template", rendered, "prompt")
    # `add_special`: the BOS token a completion's prompt gets, for models that have one.
    tokenized = await server.post_json("/tokenize", {"content": prompt, "add_special": True})
    return len(_reply_field(server, "/tokenize", tokenized, "tokens"))


async def _count_with_vllm(server: _Server, model_id: str, messages: Sequence[Message]) -> int:
    reply = await server.post_json(
        "/tokenize", {"model": model_id, "messages": _wire_messages(messages), "add_generation_prompt": True}
    )
    return int(_reply_field(server, "/tokenize", reply, "count"))


async def _count_text_with_llama_cpp_python(server: _Server, model_id: str, messages: Sequence[Message]) -> int:
    text = "\n".join(message.content for message in messages)
    reply = await server.post_json("/extras/tokenize/count", {"model": model_id, "input": text})
    return int(_reply_field(server, "/extras/tokenize/count", reply, "count"))


def _reply_field(server: _Server, path: str, reply: Any, key: str) -> Any:
    if not isinstance(reply, dict) or key not in reply:
        raise RuntimeFailure(
            f"The server at {server.url} answered {path} without `{key}`: {str(reply)[:200]}.\n"
            "Fix: see the server's log; its version may answer differently from the one atlas-lsp knows."
        )
    return reply[key]


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


def _retry_wait(response: httpx.Response, backoff: float) -> float | None:
    """How long to wait before sending again, or None to take this answer as final."""
    if response.status_code not in _RETRY_STATUSES:
        return None
    try:
        asked = float(response.headers.get("retry-after", ""))
    except ValueError:
        return backoff  # absent, or an HTTP date: our own backoff will do
    # A server that asks for longer is down for a while; its error, said at once, is more use than a wait.
    return max(asked, 0.0) if asked <= _MAX_RETRY_AFTER else None


class _Server:
    """The server's address and the HTTP client that talks to it."""

    def __init__(self, config: RuntimeConfig, transport: httpx.AsyncBaseTransport | None) -> None:
        parts = urlsplit(config.model)
        if not parts.hostname:
            raise RuntimeFailure(f"`{config.model}` is not a server URL.\nFix: write it as http://host:port.")
        # Users often paste the OpenAI client's base URL, which ends in /v1; requests add it themselves.
        prefix = parts.path.rstrip("/").removesuffix("/v1")
        self.url = config.model
        self.timeout = config.request_timeout
        self._base = urlunsplit((parts.scheme, parts.netloc, prefix, "", ""))
        self._headers = {"User-Agent": "atlas-lsp", "Accept": "application/json, text/event-stream"}
        if config.api_key:
            self._headers["Authorization"] = f"Bearer {config.api_key}"
        self._transport = transport
        self._clients: RunVar[httpx.AsyncClient | None] = RunVar(f"HTTP client for {self.url}", None)

    def _client(self) -> httpx.AsyncClient:
        """This event loop's client: its pooled connections belong to the loop that opened them."""
        client = self._clients.get()
        if client is None:
            # `timeout=None`: `request` sets one deadline for the whole exchange, where httpx's timeouts
            # bound each read alone (a stream trickling one token a minute would never time out).
            # Proxies and TLS settings come from the environment (`trust_env`, httpx's default).
            client = httpx.AsyncClient(headers=self._headers, timeout=None, transport=self._transport)
            self._clients.set(client)
        return client

    async def aclose(self) -> None:
        client = self._clients.get()
        if client is not None:
            self._clients.set(None)
            await client.aclose()

    async def get_json(self, path: str) -> Any:
        async with self.request("GET", path, None) as response:
            return await self._json_body(response, path)

    async def post_json(self, path: str, body: Any) -> Any:
        async with self.request("POST", path, body) as response:
            return await self._json_body(response, path)

    async def _json_body(self, response: httpx.Response, path: str) -> Any:
        body = await response.aread()
        try:
            return json.loads(body)
        except ValueError as error:
            raise RuntimeFailure(
                f"The server at {self.url} answered {path} with something other than JSON: {body[:200]!r}.\n"
                "Fix: check that the URL points at an OpenAI-compatible server."
            ) from error

    @asynccontextmanager
    async def request(self, method: str, path: str, body: Any) -> AsyncIterator[httpx.Response]:
        """One exchange; the response is open to read inside the block, then closed."""
        client = self._client()
        request = client.build_request(method, self._base + path, json=body)
        try:
            with anyio.fail_after(self.timeout):
                response = await self._send(client, request)
                try:
                    if response.status_code >= 400:
                        raise self._status_failure(method, path, response.status_code, await response.aread())
                    yield response
                finally:
                    # Shielded: when the caller is cancelled mid-stream this close is what must still run.
                    with anyio.CancelScope(shield=True):
                        await response.aclose()
        except TimeoutError as error:
            raise RuntimeFailure(
                f"The server at {self.url} did not finish {method} {path} within {self.timeout:g} s.\n"
                "Fix: check that the server is not overloaded, or raise the `requestTimeout` setting."
            ) from error
        except httpx.ConnectError as error:
            raise RuntimeFailure(
                f"Could not connect to the model server at {self.url} ({error}).\nFix: {_START_A_SERVER}"
            ) from error
        except httpx.RequestError as error:
            raise RuntimeFailure(
                f"The exchange with the server at {self.url} broke during {method} {path} ({error!r}).\n"
                "Fix: see the server's log; it may have crashed or been restarted."
            ) from error

    async def _send(self, client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
        """Send until the server takes the request; only what it never started on is sent again.

        That is a connection that failed (nothing reached the server) and 429 or 503 (the server
        said to come back). Once a response is returned its body is the caller's, never retried.
        """
        for backoff in _RETRY_DELAYS:
            try:
                response = await client.send(request, stream=True)
            except httpx.ConnectError:
                wait = backoff
            else:
                retry_wait = _retry_wait(response, backoff)
                if retry_wait is None:
                    return response
                await response.aclose()
                wait = retry_wait
            await anyio.sleep(wait)
        return await client.send(request, stream=True)

    def _status_failure(self, method: str, path: str, status: int, body: bytes) -> HTTPStatusFailure:
        try:
            detail = _describe_error(json.loads(body))
        except ValueError:
            detail = body[:500].decode("utf-8", errors="replace")
        if status in (401, 403):
            fix = "set the `apiKey` setting (or ATLAS_API_KEY) to the key the server was started with."
        elif status == 404:
            fix = (
                "check that `model` is the server's base URL (for example http://127.0.0.1:8080) and that "
                "`servedModel` names a model it lists at /v1/models."
            )
        else:
            fix = "see the server's log for the cause."
        return HTTPStatusFailure(
            f"The server at {self.url} answered {method} {path} with HTTP {status}: {detail}\nFix: {fix}",
            status,
            detail,
        )
