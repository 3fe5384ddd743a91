"""S*-style tie-break: when the two best clusters are close, the model judges them on an input where they differ.

Two clusters differ, by construction, on some generated input; the first one where both ran is
the distinguishing input, so no extra generation is needed to find it. The model sees the problem,
that input and the two outputs, and says which is right. It judges twice, with the outputs in
both orders, because small models favour whichever answer they read first; only a verdict that
holds in both orders overturns the cluster ranking.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import anyio

from engine.calls import TaskCalls
from engine.candidates import clip, statement_of
from engine.execute import Execution
from engine.runtime.base import SamplingParams
from engine.task import Task
from sandbox.worker import decode_value

CLOSE_RATIO = 0.5
"""A runner-up cluster with at least this fraction of the leader's support is worth a judgement."""
JUDGE_TOKENS = 384
_VERDICT = re.compile(r"answer\W*\s*\**\s*([AB])\b", re.IGNORECASE)


@dataclass(frozen=True)
class Duel:
    """The question put to the model: one input, the leader's output and the challenger's."""

    input: str
    leader_output: str
    challenger_output: str


def is_close(leader_support: float, challenger_support: float) -> bool:
    return challenger_support > 0 and challenger_support >= CLOSE_RATIO * leader_support


def duel_of(task: Task, inputs: list[str], leader: Execution, challenger: Execution) -> Duel | None:
    """The first generated input on which both ran and printed or returned different things."""
    for encoded, mine, theirs in zip(inputs, leader.tests, challenger.tests, strict=False):
        if mine.output is not None and theirs.output is not None and mine.output != theirs.output:
            return Duel(_shown_input(task, encoded), clip(mine.shown), clip(theirs.shown))
    return None


async def challenger_wins(calls: TaskCalls, task: Task, duel: Duel, seed: int) -> bool:
    """True only when the model prefers the challenger's output in both orders of presentation."""
    verdicts: dict[str, str | None] = {}

    async def judge(order: str, first: str, second: str) -> None:
        params = [SamplingParams(temperature=0.0, max_tokens=JUDGE_TOKENS, seed=seed)]
        (reply,) = await calls.ask(
            "tie_break",
            "tie_break.judge",
            params,
            statement=statement_of(calls.prompts, task),
            input=duel.input,
            first=first,
            second=second,
        )
        verdicts[order] = verdict_of(reply.text)

    async with anyio.create_task_group() as group:
        group.start_soon(judge, "leader_first", duel.leader_output, duel.challenger_output)
        group.start_soon(judge, "challenger_first", duel.challenger_output, duel.leader_output)
    calls.trace("tie_break", input=duel.input, verdicts=verdicts)
    return verdicts["leader_first"] == "B" and verdicts["challenger_first"] == "A"


def verdict_of(text: str) -> str | None:
    """The last `Answer: A` / `Answer: B` in a judgement, or None when it names neither."""
    found = _VERDICT.findall(text)
    return found[-1].upper() if found else None


def _shown_input(task: Task, encoded: str) -> str:
    if task.kind == "stdin":
        return encoded
    try:
        arguments = (
            decode_value(encoded) if task.kind == "call" else [json.loads(line) for line in encoded.splitlines()]
        )
    except ValueError:
        return encoded
    if not isinstance(arguments, list):
        return encoded
    return f"{task.entry_point}({', '.join(repr(a) for a in arguments)})"
