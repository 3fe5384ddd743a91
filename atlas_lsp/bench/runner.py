"""Run problems through the engine, judge each fixed answer on the hidden tests, write as we go.

The engine receives a `Task` (statement, starter code, public examples). The hidden tests stay in
this module and reach only the sandbox's judge, after the answer is final. Every finished problem is
appended to results.jsonl at once, so a crash or Ctrl-C loses at most the problems in flight, and
`--resume` skips the ones already there. A problem whose solving raises an unexpected error is
reported and left without a row (a rerun with `--resume` tries it again); the others go on.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import anyio

from atlas_lsp.bench.collect import CollectSettings, record_exploration
from atlas_lsp.terminal import innermost
from engine.runtime.base import RuntimeFailure
from engine.service import Engine
from engine.task import Answer, Task
from lens.records import LensRecord, append_records, recorded_problems
from sandbox.executor import Sandbox
from sandbox.testcases import TestCase

JudgeKind = Literal["full", "public-only"]
RESULTS_FILE = "results.jsonl"


class _Named(Protocol):
    @property
    def task_id(self) -> str: ...


class Problem(Protocol):
    """What the runner needs of a problem: the id its row is written under."""

    @property
    def task(self) -> _Named: ...


P = TypeVar("P", bound=Problem)
Attempted = tuple[dict[str, Any], list[LensRecord]]
"""A finished problem's result row, and the records of its candidates (none unless recording)."""


class UnreadableResults(ValueError):
    """A results file with a damaged row that no crash of the writer explains."""


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
    examples_unread: int = 0
    """Examples the statement shows that could not be read as tests: the problem runs without them."""


@dataclass(frozen=True)
class RunSettings:
    out: Path
    jobs: int
    resume: bool
    records: CollectSettings | None = None
    """Where to record every candidate of every problem, labelled once judged (for the replay and the Lens)."""


@dataclass(frozen=True)
class ProblemError:
    """A problem whose solving or judging raised: no row is written, so --resume tries it again."""

    question_id: str
    error: str


def read_results(run_dir: Path) -> list[dict[str, Any]]:
    """The rows of `run_dir`/results.jsonl, the latest per problem.

    Each row is written with its newline in one write, so text after the last newline is a row a crash
    cut off: it is left out and its problem redone. Any other damaged line raises UnreadableResults.
    """
    path = run_dir / RESULTS_FILE
    if not path.exists():
        return []
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").rpartition("\n")[0].split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            row["question_id"]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise UnreadableResults(
                f"{path}, line {number}: not a result row ({type(error).__name__}: {error}); delete that line "
                "and run again with --resume to redo its problem"
            ) from None
        rows.append(row)
    return list({row["question_id"]: row for row in rows}.values())


async def run_problems(
    problems: Sequence[P],
    attempt: Callable[[P], Awaitable[Attempted]],
    settings: RunSettings,
    on_done: Callable[[dict[str, Any]], None],
) -> list[ProblemError]:
    """`attempt` each problem not done yet (`settings.jobs` at a time), writing its row as it finishes."""
    settings.out.mkdir(parents=True, exist_ok=True)
    results_path = settings.out / RESULTS_FILE
    if not settings.resume:
        results_path.unlink(missing_ok=True)
    _cut_unfinished_row(results_path)
    done = {row["question_id"] for row in read_results(settings.out)} if settings.resume else set()
    pending = [p for p in problems if p.task.task_id not in done]
    records_to = settings.records
    recorded = recorded_problems(records_to.out) if records_to else set()
    # Process CPU time is shared by the problems in flight: a session's total is its last reading minus its first.
    session = f"{int(time.time())}-{os.getpid()}"
    errors: list[ProblemError] = []
    limiter = anyio.CapacityLimiter(max(1, settings.jobs))

    async def one(problem: P) -> None:
        async with limiter:
            try:
                row, records = await attempt(problem)
            except Exception as error:
                if _model_failed(error):
                    raise  # the model is gone: every other problem would fail the same way
                # A fault of this problem's own must not cancel the others.
                cause = innermost(error)
                errors.append(ProblemError(problem.task.task_id, f"{type(cause).__name__}: {cause}"))
                return
        # No await between the judge's verdict and the writes: a stop (cancellation) cannot come between.
        # Records go first: a crash between the two writes redoes the problem, which then records nothing new.
        if records_to and records and records[0].problem not in recorded:
            append_records(records_to.out, records)
            recorded.add(records[0].problem)
        with results_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({**row, "session": session}) + "\n")
            handle.flush()
        on_done(row)

    async with anyio.create_task_group() as group:
        for problem in pending:
            group.start_soon(one, problem)
    return errors


def _model_failed(error: Exception) -> bool:
    """A RuntimeFailure, alone or inside the exception groups of the engine's concurrent stages."""
    if isinstance(error, BaseExceptionGroup):
        return error.subgroup(RuntimeFailure) is not None
    return isinstance(error, RuntimeFailure)


def _cut_unfinished_row(path: Path) -> None:
    """Cut off a row a crash left without its newline, so the next row starts on a line of its own."""
    if not path.exists():
        return
    content = path.read_bytes()
    if content and not content.endswith(b"\n"):
        os.truncate(path, content.rfind(b"\n") + 1)


def solving(
    engine: Engine, judge: Sandbox, records_to: CollectSettings | None = None
) -> Callable[[BenchProblem], Awaitable[Attempted]]:
    """The attempt of a solve run: `solve_and_judge` with this engine and judge."""

    async def attempt(problem: BenchProblem) -> Attempted:
        return await solve_and_judge(problem, engine, judge, records_to)

    return attempt


async def solve_and_judge(
    problem: BenchProblem, engine: Engine, judge: Sandbox, records_to: CollectSettings | None = None
) -> tuple[dict[str, Any], list[LensRecord]]:
    """The problem's result row, and with `records_to` the records of its candidates."""
    clock = Clock.start()
    answer, exploration = await engine.solve_exploring(problem.task)
    clock = clock.stop()
    # The answer is fixed: only now are the hidden tests read, by the judge alone.
    result = await judge.run(
        answer.code, problem.hidden_tests, entry_point=problem.task.entry_point, stop_at_first_failure=True
    )
    records = []
    if records_to:
        records = await record_exploration(problem, exploration, engine, judge, records_to)
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
        "examples_unread": problem.examples_unread,
        **answer_fields(answer, clock),
    }, records


@dataclass(frozen=True)
class Clock:
    """When an answer was asked for and when it came: wall time, and the process's CPU time so far."""

    started_at: float
    started: float
    cpu_at_start: float
    finished_at: float = 0.0
    seconds: float = 0.0
    cpu_at_finish: float = 0.0

    @classmethod
    def start(cls) -> Clock:
        return cls(time.time(), time.monotonic(), _process_cpu_seconds())

    def stop(self) -> Clock:
        return Clock(
            self.started_at,
            self.started,
            self.cpu_at_start,
            time.time(),
            time.monotonic() - self.started,
            _process_cpu_seconds(),
        )


def answer_fields(answer: Answer, clock: Clock) -> dict[str, Any]:
    """The part of a result row every task shares: the answer, its evidence, its cost and its timing."""
    return {
        "answer": answer.code,
        "confidence": answer.confidence,
        "evidence": {
            "candidates": answer.evidence.candidates,
            "examples_passed": answer.evidence.examples_passed,
            "examples_total": answer.evidence.examples_total,
            "cluster_size": answer.evidence.cluster_size,
            "energy": answer.evidence.energy,
            "repaired": answer.evidence.repaired,
            "origin": answer.evidence.origin,
        },
        "stages": {name: usage.__dict__ for name, usage in answer.usage.items()},
        "tokens_in": answer.tokens_in,
        "tokens_out": answer.tokens_out,
        "seconds": round(clock.seconds, 2),
        # Wall-clock bounds: with --jobs > 1 problems overlap, and the union of these spans is the run's busy time.
        "started_at": round(clock.started_at, 2),
        "finished_at": round(clock.finished_at, 2),
        # The process's CPU time so far: problems in flight together share it, so only a session's
        # first and last readings make a total (report.run_cpu_seconds).
        "cpu_at_start": round(clock.cpu_at_start, 2),
        "cpu_at_finish": round(clock.cpu_at_finish, 2),
    }


def _process_cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
