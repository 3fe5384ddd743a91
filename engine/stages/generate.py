"""Candidate programs: greedy, plain samples, and one per plan."""

from __future__ import annotations

import time
from collections.abc import Sequence

from engine.calls import TaskCalls
from engine.candidates import Candidate, statement_of
from engine.extract import add_missing_imports, extract_code, keep_definitions
from engine.runtime.base import SamplingParams
from engine.stages import Sampling
from engine.task import Task


def program_of(task: Task, reply: str) -> str:
    """The candidate program in a reply, with the imports it uses but does not write; function answers keep
    only their definitions."""
    code = extract_code(reply)
    program = code if task.kind == "stdin" else keep_definitions(code)
    return add_missing_imports(program, task.imports, task.context)


def solve_fields(calls: TaskCalls, task: Task) -> dict[str, str]:
    return {
        "statement": statement_of(calls.prompts, task),
        "starter_code": task.starter_code,
        "body_start": body_reply_start(task),
    }


def body_reply_start(task: Task) -> str:
    """Where a reply that writes only the function's body starts (prompt sets that start one): one space
    short of the body's indentation, since the model's tokens for a word carry the space before it and a
    reply started at the full indentation came back one space too deep. Empty, so the model writes the
    whole function, when no space would be left (a body indented by one space: started at the line's
    start, the model wrote four spaces; v4's first attempt was a syntax error on 13 of the 56 such MBPP+
    editor stubs) or when the body is indented with tabs."""
    start = task.function_body_start
    indentation = start[start.rfind("\n") + 1 :]
    if len(indentation) < 2 or indentation.strip(" "):
        return ""
    return start.removesuffix(" ")


async def write_candidates(
    calls: TaskCalls,
    task: Task,
    stage: str,
    prompt_key: str,
    params: Sequence[SamplingParams],
    origin: str,
    **fields: str,
) -> list[Candidate]:
    """One candidate per entry of `params`, from one call of the prompt `prompt_key`."""
    started = time.monotonic()
    generations = await calls.ask(stage, prompt_key, params, **fields)
    share = (time.monotonic() - started) / max(1, len(generations))
    candidates = [
        Candidate(program_of(task, g.text), origin, g.completion_tokens, round(share, 3)) for g in generations
    ]
    for candidate in candidates:
        calls.trace("candidate", origin=candidate.origin, code=candidate.code)
    return candidates


async def greedy_candidate(calls: TaskCalls, task: Task, max_tokens: int) -> Candidate:
    params = [SamplingParams(max_tokens=max_tokens)]
    (candidate,) = await write_candidates(
        calls, task, "generate", f"solve.{task.kind}", params, "greedy", **solve_fields(calls, task)
    )
    return candidate


async def sampled_candidates(
    calls: TaskCalls, task: Task, count: int, temperature: float, max_tokens: int, seed: int
) -> list[Candidate]:
    if count <= 0:
        return []
    params = [SamplingParams(temperature=temperature, max_tokens=max_tokens, seed=seed + i) for i in range(count)]
    return await write_candidates(
        calls, task, "generate", f"solve.{task.kind}", params, "sample", **solve_fields(calls, task)
    )


async def planned_candidate(
    calls: TaskCalls, task: Task, plan: str, index: int, max_tokens: int, seed: int, sampling: Sampling
) -> Candidate:
    params = [sampling.params(seed, max_tokens, index)]
    (candidate,) = await write_candidates(
        calls,
        task,
        "generate",
        f"solve_with_plan.{task.kind}",
        params,
        f"plan:{index}",
        plan=plan,
        **solve_fields(calls, task),
    )
    return candidate
