"""Prompt-lookup guesses in the embedded decoder (real small model): a reply that copies its prompt takes
guessed tokens, and every sequence writes what it writes without them.

Two runtimes alike but for guessing, given the same calls in the same order: a sampled token can also
change with where a runtime's earlier prompts left their KV cells (the sums round differently), which
has nothing to do with guessing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import anyio
import pytest

from engine.config import EmbeddedSettings
from engine.runtime.base import Message, SamplingParams
from engine.runtime.embedded import EmbeddedRuntime

pytestmark = pytest.mark.model

COPY_THIS_CODE = [
    Message(
        "user",
        "Repeat this function exactly, in one ```python block:\n```python\n"
        "def area(width: float, height: float) -> float:\n"
        '    """Return the area of a width by height rectangle.\n\n'
        "    >>> area(2, 3)\n    6\n"
        '    """\n'
        "    return width * height\n```",
    )
]
SETTINGS = EmbeddedSettings(context_tokens=4096, max_sequences=2)


def open_runtime(path: Path, settings: EmbeddedSettings) -> Iterator[EmbeddedRuntime]:
    runtime = EmbeddedRuntime(path, settings, "small")
    yield runtime
    anyio.run(runtime.aclose)


@pytest.fixture(scope="module")
def guessing(small_model_file: Path) -> Iterator[EmbeddedRuntime]:
    yield from open_runtime(small_model_file, SETTINGS)


@pytest.fixture(scope="module")
def unguessing(small_model_file: Path) -> Iterator[EmbeddedRuntime]:
    yield from open_runtime(small_model_file, replace(SETTINGS, guessed_tokens=0))


async def test_a_reply_that_copies_its_prompt_keeps_guessed_tokens(
    guessing: EmbeddedRuntime, unguessing: EmbeddedRuntime
) -> None:
    replies = [
        await runtime.generate(COPY_THIS_CODE, SamplingParams(max_tokens=80)) for runtime in (guessing, unguessing)
    ]
    assert "return width * height" in replies[0].text
    assert guessing.stats.guessed_tokens_kept >= 20
    assert guessing.stats.decode_steps < unguessing.stats.decode_steps
    assert unguessing.stats.guessed_tokens_fed == 0


async def test_guessed_tokens_leave_the_greedy_reply_unchanged(
    guessing: EmbeddedRuntime, unguessing: EmbeddedRuntime
) -> None:
    guessed, unguessed = [
        await runtime.generate(COPY_THIS_CODE, SamplingParams(max_tokens=80)) for runtime in (guessing, unguessing)
    ]
    assert guessed.text == unguessed.text


async def test_guessed_tokens_leave_each_seed_s_sample_unchanged(
    guessing: EmbeddedRuntime, unguessing: EmbeddedRuntime
) -> None:
    params = [SamplingParams(max_tokens=80, temperature=0.7, seed=seed) for seed in (1, 2)]
    guessed, unguessed = [await runtime.generate_many(COPY_THIS_CODE, params) for runtime in (guessing, unguessing)]
    assert [g.text for g in guessed] == [g.text for g in unguessed]


async def test_guessed_tokens_never_reach_past_max_tokens(guessing: EmbeddedRuntime) -> None:
    replies = await guessing.generate_many(COPY_THIS_CODE, [SamplingParams(max_tokens=cap) for cap in (5, 30)])
    assert [r.completion_tokens for r in replies] == [5, 30]
