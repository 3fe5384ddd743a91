"""PR-CoT repair: concrete execution feedback, an analysis from two angles, and a rewrite."""

from __future__ import annotations

from dataclasses import dataclass

from engine.calls import TaskCalls
from engine.runtime.base import SamplingParams
from engine.stages.generate import Candidate, statement_of, write_candidates
from engine.task import Task

SHOWN_CHARS = 600


@dataclass(frozen=True)
class Failure:
    """One public example (or user test) a program fails, as the program's user would see it."""

    input: str
    expected: str
    actual: str
    error: str = ""


def feedback_text(calls: TaskCalls, failure: Failure) -> str:
    if failure.error:
        return calls.prompts.render("repair.feedback_error", input=clip(failure.input), error=clip(failure.error))
    return calls.prompts.render(
        "repair.feedback_failed",
        input=clip(failure.input),
        actual=clip(failure.actual),
        expected=clip(failure.expected),
    )


async def propose_repairs(
    calls: TaskCalls,
    task: Task,
    code: str,
    failure: Failure,
    count: int,
    round_index: int,
    seed: int,
    max_tokens: int,
) -> list[Candidate]:
    params = [
        SamplingParams(temperature=0.0 if i == 0 else 0.7, max_tokens=max_tokens, seed=seed + 1000 * round_index + i)
        for i in range(count)
    ]
    return await write_candidates(
        calls,
        task,
        "repair",
        "repair.analysis",
        params,
        f"repair:{round_index}",
        statement=statement_of(calls.prompts, task),
        code=code,
        feedback=feedback_text(calls, failure),
    )


def clip(text: str) -> str:
    """`text`, cut after SHOWN_CHARS: a prompt shows enough of a long output to judge it."""
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "\n... (cut)"
