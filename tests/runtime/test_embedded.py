"""The embedded llama.cpp backend, on the real small model."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import llama_cpp
import numpy as np
import pytest

from engine.config import EmbeddedSettings
from engine.models import ModelError
from engine.runtime.base import Message, RuntimeFailure, SamplingParams
from engine.runtime.embedded import EmbeddedRuntime

pytestmark = pytest.mark.model

ASK_FOR_CODE = [Message("user", "Write a Python function is_even(n) that returns True when n is even.")]
ASK_FOR_ESSAY = [Message("user", "Write a long essay about the history of computing, in detail.")]


async def test_generation_returns_text_and_token_counts(runtime: EmbeddedRuntime) -> None:
    generation = await runtime.generate(ASK_FOR_CODE, SamplingParams(max_tokens=64))
    assert "def is_even" in generation.text
    assert generation.prompt_tokens > 10
    assert 0 < generation.completion_tokens <= 64


async def test_stop_string_ends_generation_and_is_not_returned(runtime: EmbeddedRuntime) -> None:
    generation = await runtime.generate(ASK_FOR_CODE, SamplingParams(max_tokens=64, stop=("def",)))
    assert generation.finish_reason == "stop"
    assert "def" not in generation.text


async def test_max_tokens_caps_the_completion(runtime: EmbeddedRuntime) -> None:
    generation = await runtime.generate(ASK_FOR_ESSAY, SamplingParams(max_tokens=5))
    assert generation.finish_reason == "length"
    assert generation.completion_tokens == 5


async def test_token_callback_sees_the_whole_text(runtime: EmbeddedRuntime) -> None:
    pieces: list[str] = []
    generation = await runtime.generate(
        ASK_FOR_CODE, SamplingParams(max_tokens=24), lambda _, text: pieces.append(text)
    )
    assert "".join(pieces) == generation.text


ANSWER_START = "```python\ndef is_even(n):\n"


async def test_the_model_continues_the_start_of_its_answer(runtime: EmbeddedRuntime) -> None:
    generation = await runtime.generate(
        [*ASK_FOR_CODE, Message("assistant", ANSWER_START)], SamplingParams(max_tokens=16)
    )
    assert generation.text.startswith("    ")  # the function's body, not a new reply


async def test_cancelling_stops_generation_within_a_second(runtime: EmbeddedRuntime) -> None:
    token_times: list[float] = []

    async def generate_long() -> None:
        await runtime.generate(
            ASK_FOR_ESSAY, SamplingParams(max_tokens=2000), lambda *_: token_times.append(time.monotonic())
        )

    with anyio.fail_after(120):
        async with anyio.create_task_group() as group:
            group.start_soon(generate_long)
            while len(token_times) < 3:
                await anyio.sleep(0.02)
            group.cancel_scope.cancel()
    cancelled_at = time.monotonic()
    await anyio.sleep(1.5)
    assert max(token_times) < cancelled_at + 1.0


async def test_embeddings_have_the_model_hidden_size(runtime: EmbeddedRuntime) -> None:
    vector = await runtime.embed("def add(a, b):\n    return a + b\n")
    assert vector.shape == (896,) and vector.dtype == np.float32
    assert runtime.embedding_dim == 896


async def test_embeddings_differ_for_different_code(runtime: EmbeddedRuntime) -> None:
    first = await runtime.embed("def add(a, b):\n    return a + b\n")
    second = await runtime.embed("import sys\nprint(sys.stdin.read()[::-1])\n")
    again = await runtime.embed("def add(a, b):\n    return a + b\n")
    assert not np.allclose(first, second)
    np.testing.assert_allclose(first, again, rtol=1e-4, atol=1e-4)


async def test_a_request_larger_than_the_context_is_refused(runtime: EmbeddedRuntime) -> None:
    with pytest.raises(RuntimeFailure, match="context"):
        await runtime.generate(ASK_FOR_CODE, SamplingParams(max_tokens=100_000))


def test_a_truncated_model_file_gives_a_clear_error(small_model_file: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.gguf"
    with small_model_file.open("rb") as source:
        truncated.write_bytes(source.read(1_000_000))
    with pytest.raises(ModelError, match="could not load"):
        EmbeddedRuntime(truncated, EmbeddedSettings(), "truncated")


def test_the_backend_names_the_llama_cpp_build_and_its_cpu_kernels(runtime: EmbeddedRuntime) -> None:
    assert f"llama-cpp-python {llama_cpp.__version__}" in runtime.backend
    assert "CPU :" in runtime.backend
