"""Run problems through the engine, judge each fixed answer on the hidden tests, write as we go.

The engine receives a `Task` (statement, starter code, public examples). The hidden tests stay in
this module and reach only the sandbox's judge, after the answer is final. Every finished problem is
appended to results.jsonl at once, so a crash or Ctrl-C loses at most the problems in flight, and
`--resume` skips the ones already there.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import anyio

from engine.service import Engine
from engine.task import Task
from sandbox.executor import Sandbox
from sandbox.testcases import TestCase

JudgeKind = Literal["full", "public-only"]


@dataclass(frozen=True)
class BenchProblem:
    task: Task
    difficulty: str
    platform: str
    contest_date: str
    hidden_tests: tuple[TestCase, ...]
    judge: JudgeKind
    title: str = ""
    """The dataset's title (a slug for LeetCode problems, which joins the same problem across datasets)."""


@dataclass(frozen=True)
class RunSettings:
    out: Path
    jobs: int
    resume: bool


def completed_ids(out: Path) -> set[str]:
    path = out / "results.jsonl"
    if not path.exists():
        return set()
    done = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            done.add(json.loads(line)["question_id"])
        except (json.JSONDecodeError, KeyError):  # a line cut by a crash: the problem is redone
            continue
    return done


async def run_problems(
    problems: Sequence[BenchProblem],
    engine: Engine,
    judge: Sandbox,
    settings: RunSettings,
    on_done: Callable[[dict[str, Any]], None],
) -> None:
    settings.out.mkdir(parents=True, exist_ok=True)
    results_path = settings.out / "results.jsonl"
    if not settings.resume:
        results_path.unlink(missing_ok=True)
    skip = completed_ids(settings.out) if settings.resume else set()
    pending = [p for p in problems if p.task.task_id not in skip]
    write_lock = anyio.Lock()
    limiter = anyio.CapacityLimiter(max(1, settings.jobs))

    async def one(problem: BenchProblem) -> None:
        async with limiter:
            row = await solve_and_judge(problem, engine, judge)
        async with write_lock:
            with results_path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")
                handle.flush()
            on_done(row)

    async with anyio.create_task_group() as group:
        for problem in pending:
            group.start_soon(one, problem)


async def solve_and_judge(problem: BenchProblem, engine: Engine, judge: Sandbox) -> dict[str, Any]:
    started_at, started, cpu_started = time.time(), time.monotonic(), _cpu_seconds()
    answer = await engine.solve(problem.task)
    seconds = time.monotonic() - started
    finished_at = time.time()
    cpu_seconds = _cpu_seconds() - cpu_started
    # The answer is fixed: only now are the hidden tests read, by the judge alone.
    result = await judge.run(
        answer.code, problem.hidden_tests, entry_point=problem.task.entry_point, stop_at_first_failure=True
    )
    return {
        "question_id": problem.task.task_id,
        "difficulty": problem.difficulty,
        "platform": problem.platform,
        "contest_date": problem.contest_date,
        "judge": problem.judge,
        "kind": problem.task.kind,
        "passed": result.passed,
        "verdict": result.verdict.value,
        "tests_passed": result.tests_passed,
        "tests_total": len(problem.hidden_tests),
        "answer": answer.code,
        "confidence": answer.confidence,
        "evidence": {
            "candidates": answer.evidence.candidates,
            "examples_passed": answer.evidence.examples_passed,
            "examples_total": answer.evidence.examples_total,
            "cluster_size": answer.evidence.cluster_size,
            "energy": answer.evidence.energy,
            "repaired": answer.evidence.repaired,
        },
        "stages": {name: usage.__dict__ for name, usage in answer.usage.items()},
        "tokens_in": answer.tokens_in,
        "tokens_out": answer.tokens_out,
        "seconds": round(seconds, 2),
        # Wall-clock bounds: with --jobs > 1 problems overlap, and the union of these spans is the run's busy time.
        "started_at": round(started_at, 2),
        "finished_at": round(finished_at, 2),
        # Process-wide CPU time while this problem ran; with --jobs > 1 concurrent problems share it.
        "cpu_seconds": round(cpu_seconds, 2),
    }


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
