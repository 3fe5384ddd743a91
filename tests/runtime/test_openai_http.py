"""The HTTP backend against a real OpenAI-compatible server: llama-cpp-python's, on the small model."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import numpy as np
import pytest

from benchmarks.llama_server import SERVED_MODEL, free_port, running_server, server_command
from engine.config import RuntimeConfig
from engine.runtime.base import Message, RuntimeFailure, SamplingParams
from engine.runtime.openai_http import OpenAIRuntime

pytestmark = pytest.mark.model

ASK_FOR_CODE = [Message("user", "Write a Python function is_even(n) that returns True when n is even.")]
ASK_FOR_ESSAY = [Message("user", "Write a long essay about the history of computing, in detail.")]


@pytest.fixture(scope="module")
def server_url(small_model_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's server with one model that both chats and embeds.

    `--embedding true` keeps generation working and returns per-token vectors (no pooling), which
    the client mean-pools. Two config-file entries for the same file would instead reload the
    model at every switch between chat and embeddings. `--interrupt_requests false` keeps it from
    cutting a stream short when another request queues behind it (generate_many sends several).
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with running_server(server_command(small_model_file, port, threads=2, context_tokens=2048), url, log):
        yield url


@pytest.fixture(scope="module")
def runtime(server_url: str) -> OpenAIRuntime:
    # Opened synchronously: the runtime keeps one HTTP client per event loop, so each test's loop gets its own.
    return anyio.run(OpenAIRuntime.open, RuntimeConfig(model=server_url))


def test_the_model_is_the_first_the_server_lists(runtime: OpenAIRuntime) -> None:
    assert runtime.model_id == SERVED_MODEL


def test_llama_cpp_pythons_server_does_not_report_its_context_size(runtime: OpenAIRuntime) -> None:
    assert runtime.context_tokens is None


async def test_prompt_tokens_are_counted_though_the_server_streams_no_usage(runtime: OpenAIRuntime) -> None:
    generation = await runtime.generate(ASK_FOR_CODE, SamplingParams(max_tokens=1))
    assert generation.prompt_tokens > 0


async def test_generation_returns_text_and_token_counts(runtime: OpenAIRuntime) -> None:
    generation = await runtime.generate(ASK_FOR_CODE, SamplingParams(max_tokens=16))
    assert generation.text.strip()
    assert 0 < generation.completion_tokens <= 16


async def test_token_callback_sees_the_whole_text(runtime: OpenAIRuntime) -> None:
    pieces: list[tuple[int, str]] = []
    generation = await runtime.generate(
        ASK_FOR_CODE, SamplingParams(max_tokens=12), lambda index, text: pieces.append((index, text))
    )
    assert "".join(text for _, text in pieces) == generation.text
    assert {index for index, _ in pieces} == {0}


async def test_stop_string_ends_generation_and_is_not_returned(runtime: OpenAIRuntime) -> None:
    generation = await runtime.generate(ASK_FOR_CODE, SamplingParams(max_tokens=32, stop=("def",)))
    assert generation.finish_reason == "stop"
    assert "def" not in generation.text


async def test_max_tokens_caps_the_completion(runtime: OpenAIRuntime) -> None:
    generation = await runtime.generate(ASK_FOR_ESSAY, SamplingParams(max_tokens=8))
    assert generation.finish_reason == "length"
    assert 0 < generation.completion_tokens <= 8


async def test_cancelling_returns_control_within_a_second(runtime: OpenAIRuntime) -> None:
    first_token = anyio.Event()
    essay = SamplingParams(max_tokens=2000)
    async with anyio.create_task_group() as task_group:
        task_group.start_soon(runtime.generate, ASK_FOR_ESSAY, essay, lambda *_: first_token.set())
        await first_token.wait()
        cancelled_at = time.monotonic()
        task_group.cancel_scope.cancel()
    assert time.monotonic() - cancelled_at < 1.0


async def test_cancelling_frees_the_server_for_the_next_request(runtime: OpenAIRuntime) -> None:
    with anyio.move_on_after(1.0):
        await runtime.generate(ASK_FOR_ESSAY, SamplingParams(max_tokens=2000))
    cancelled_at = time.monotonic()
    # llama-cpp-python's server decodes one request at a time: had it kept writing the 2000-token
    # essay, this would wait minutes behind it.
    await runtime.generate(ASK_FOR_CODE, SamplingParams(max_tokens=1))
    assert time.monotonic() - cancelled_at < 20.0


async def test_generate_many_returns_one_generation_per_params_in_order(runtime: OpenAIRuntime) -> None:
    caps = [2, 16]
    generations = await runtime.generate_many(ASK_FOR_ESSAY, [SamplingParams(max_tokens=cap) for cap in caps])
    assert [g.finish_reason for g in generations] == ["length", "length"]
    assert generations[0].completion_tokens <= 2 < generations[1].completion_tokens <= 16


async def test_generate_many_reports_tokens_with_their_sequence_index(runtime: OpenAIRuntime) -> None:
    indices: set[int] = set()
    await runtime.generate_many(ASK_FOR_CODE, [SamplingParams(max_tokens=4)] * 3, lambda index, _: indices.add(index))
    assert indices == {0, 1, 2}


async def test_embeddings_have_the_model_hidden_size(runtime: OpenAIRuntime) -> None:
    vector = await runtime.embed("def add(a, b):\n    return a + b\n")
    assert vector.shape == (896,) and vector.dtype == np.float32
    assert runtime.embedding_dim == 896


async def test_embeddings_differ_for_different_code(runtime: OpenAIRuntime) -> None:
    first = await runtime.embed("def add(a, b):\n    return a + b\n")
    second = await runtime.embed("import sys\nprint(sys.stdin.read()[::-1])\n")
    again = await runtime.embed("def add(a, b):\n    return a + b\n")
    assert not np.allclose(first, second)
    np.testing.assert_allclose(first, again, rtol=1e-4, atol=1e-4)


async def test_a_served_model_the_server_does_not_list_is_refused(server_url: str) -> None:
    with pytest.raises(RuntimeFailure, match=f"does not serve `missing`; it lists {SERVED_MODEL}"):
        await OpenAIRuntime.open(RuntimeConfig(model=server_url, served_model="missing"))


async def test_a_url_where_nothing_listens_names_the_url_and_how_to_start_a_server() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RuntimeFailure) as failure:
        await OpenAIRuntime.open(RuntimeConfig(model=url))
    assert url in str(failure.value)
    assert "if no server runs there, start an OpenAI-compatible one" in str(failure.value)
