"""Repair from concrete execution feedback: first a direct fix, then PR-CoT (an analysis from two angles,
and a rewrite)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from engine.calls import TaskCalls
from engine.candidates import Candidate, Failure, clip, statement_of
from engine.runtime.base import SamplingParams
from engine.stages import Sampling
from engine.stages.generate import write_candidates
from engine.task import Task


def feedback_text(calls: TaskCalls, failures: Sequence[Failure]) -> str:
    """Each failing example as the user's test run shows it, one after another: one failure reads exactly
    as it did when only the first was shown."""
    return "\n\n".join(_failure_text(calls, failure) for failure in failures)


def _failure_text(calls: TaskCalls, failure: Failure) -> str:
    if failure.error:
        return calls.prompts.render("repair.feedback_error", input=clip(failure.input), error=clip(failure.error))
    return calls.prompts.render(
        "repair.feedback_failed",
        input=clip(failure.input),
        actual=clip(failure.actual),
        expected=clip(failure.expected),
    )


async def direct_fixes(
    calls: TaskCalls,
    task: Task,
    code: str,
    failures: Sequence[Failure],
    params: Sequence[SamplingParams],
    origin: str,
) -> list[Candidate]:
    """The program rewritten from its failures alone, without an analysis first: one short completion per
    `params`. With no failure (nothing was run) it is rewritten from its code and the problem alone."""
    feedback = {"feedback": feedback_text(calls, failures)} if failures else {}
    return await write_candidates(
        calls,
        task,
        "repair",
        "repair.direct" if failures else "repair.unchecked",
        params,
        origin,
        statement=statement_of(calls.prompts, task),
        code=code,
        **feedback,
    )


async def propose_repairs(
    calls: TaskCalls,
    task: Task,
    code: str,
    failures: Sequence[Failure],
    count: int,
    round_index: int,
    seed: int,
    max_tokens: int,
    sampling: Sampling,
) -> list[Candidate]:
    # Each round draws fresh seeds; its first proposal is the greedy one.
    params = [sampling.params(seed + 1000 * round_index, max_tokens, i) for i in range(count)]
    params[0] = replace(params[0], temperature=0.0)
    return await write_candidates(
        calls,
        task,
        "repair",
        "repair.analysis",
        params,
        f"repair:{round_index}",
        statement=statement_of(calls.prompts, task),
        code=code,
        feedback=feedback_text(calls, failures),
    )
