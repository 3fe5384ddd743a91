"""Several sequences, and several requests, decoded in one running batch (real small model)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import anyio
import pytest

from engine.config import EmbeddedSettings
from engine.runtime.base import Generation, Message, SamplingParams
from engine.runtime.embedded import EmbeddedRuntime

pytestmark = pytest.mark.model

ASK_FOR_CODE = [Message("user", "Write a Python function that reverses a string.")]
COUNT_TO_TWENTY = [Message("user", "Count from 1 to 20, separated by commas. Reply with the numbers only.")]
OTHER_TASK = [Message("user", "Write a Python function that sums a list of integers.")]
GREEDY = SamplingParams(max_tokens=40)


async def test_batched_greedy_sequences_equal_the_unbatched_greedy_output(runtime: EmbeddedRuntime) -> None:
    # A reply with no near tie between two tokens: the CPU kernels for a batch and for one sequence (AVX-512
    # builds) round differently, which may flip a tie such as "Here's a simple..." / "Here's a Python...".
    alone = await runtime.generate(COUNT_TO_TWENTY, GREEDY)
    batched = await runtime.generate_many(COUNT_TO_TWENTY, [GREEDY] * 4)
    assert "7,8,9" in alone.text.replace(" ", "")
    assert [g.text for g in batched] == [alone.text] * 4


async def test_each_sequence_keeps_its_own_max_tokens(runtime: EmbeddedRuntime) -> None:
    caps = [3, 9, 17]
    generations = await runtime.generate_many(ASK_FOR_CODE, [replace(GREEDY, max_tokens=cap) for cap in caps])
    assert [g.completion_tokens for g in generations] == caps
    assert all(g.finish_reason == "length" for g in generations)


async def test_each_sequence_keeps_its_own_stop_strings(runtime: EmbeddedRuntime) -> None:
    plain, stopped = await runtime.generate_many(ASK_FOR_CODE, [GREEDY, replace(GREEDY, stop=("def",))])
    assert "def" in plain.text
    assert stopped.finish_reason == "stop" and "def" not in stopped.text


async def test_different_seeds_give_different_samples(runtime: EmbeddedRuntime) -> None:
    params = [SamplingParams(max_tokens=40, temperature=1.0, seed=seed) for seed in range(4)]
    generations = await runtime.generate_many(ASK_FOR_CODE, params)
    assert len({g.text for g in generations}) > 1


async def test_two_concurrent_jobs_share_decode_steps(runtime: EmbeddedRuntime) -> None:
    results: dict[str, list[Generation]] = {}

    async def job(name: str, messages: list[Message]) -> None:
        results[name] = await runtime.generate_many(messages, [GREEDY] * 2)

    async with anyio.create_task_group() as jobs:
        jobs.start_soon(job, "first", ASK_FOR_CODE)
        jobs.start_soon(job, "second", OTHER_TASK)
    assert runtime.stats.most_requests_in_one_step >= 2
    assert all(len(generations) == 2 and generations[0].text for generations in results.values())


async def test_cancelling_a_batch_stops_all_its_sequences(runtime: EmbeddedRuntime) -> None:
    steps_before = runtime.stats.decode_steps
    with anyio.move_on_after(0.5):
        await runtime.generate_many(ASK_FOR_CODE, [replace(GREEDY, max_tokens=1500)] * 4)
    await runtime.generate(ASK_FOR_CODE, replace(GREEDY, max_tokens=1))
    # A batch left running would have taken up to 1500 more steps.
    assert runtime.stats.decode_steps - steps_before < 200


async def test_a_prompt_sharing_a_cached_start_skips_that_prefill(runtime: EmbeddedRuntime) -> None:
    statement = "Given an array of integers, return the length of its longest strictly increasing run. " * 4
    first = [Message("user", statement + "Describe an algorithm.")]
    second = [Message("user", statement + "Write the Python code.")]
    await runtime.generate(first, replace(GREEDY, max_tokens=2))
    reused_before = runtime.stats.prompt_tokens_reused
    await runtime.generate(second, replace(GREEDY, max_tokens=2))
    assert runtime.stats.prompt_tokens_reused - reused_before >= runtime.count_tokens(statement) - 4


async def test_a_cached_prompt_gives_the_same_greedy_output(runtime: EmbeddedRuntime) -> None:
    long_prompt = [
        Message("user", "Explain what this does, then rewrite it:\n" + "x = [i * i for i in range(10)]\n" * 12)
    ]
    fresh = await runtime.generate(long_prompt, GREEDY)
    cached = await runtime.generate(long_prompt, GREEDY)
    assert cached.text == fresh.text


@pytest.fixture(scope="module")
def one_sequence_runtime(small_model_file) -> Iterator[EmbeddedRuntime]:
    """Batching turned off: one sequence decodes at a time (`--disable batching`)."""
    runtime = EmbeddedRuntime(small_model_file, EmbeddedSettings(context_tokens=4096, max_sequences=1), "small")
    yield runtime
    anyio.run(runtime.aclose)


async def test_without_batching_k_samples_are_decoded_one_after_another(one_sequence_runtime: EmbeddedRuntime) -> None:
    generations = await one_sequence_runtime.generate_many(ASK_FOR_CODE, [GREEDY] * 3)
    alone = await one_sequence_runtime.generate(ASK_FOR_CODE, GREEDY)
    assert [g.text for g in generations] == [alone.text] * 3
    assert one_sequence_runtime.stats.most_sequences_in_one_step == 1


async def test_without_batching_later_samples_reuse_the_cached_prompt(one_sequence_runtime: EmbeddedRuntime) -> None:
    statement = [Message("user", "Given a list of words, return the longest one that is a palindrome. " * 4)]
    reused_before = one_sequence_runtime.stats.prompt_tokens_reused
    await one_sequence_runtime.generate_many(statement, [replace(GREEDY, max_tokens=2)] * 2)
    assert (
        one_sequence_runtime.stats.prompt_tokens_reused - reused_before
        >= one_sequence_runtime.count_tokens(statement[0].content) - 4
    )
