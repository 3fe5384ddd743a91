"""results.jsonl: written a row per finished problem, read back whole after a crash, CPU time counted once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import FakeSandbox

from atlas_lsp.bench.report import run_cpu_seconds
from atlas_lsp.bench.runner import (
    RESULTS_FILE,
    BenchProblem,
    RunSettings,
    UnreadableResults,
    read_results,
    run_problems,
    solving,
)
from engine.pipeline import Exploration
from engine.runtime.base import RuntimeFailure
from engine.task import Answer, Evidence, Task
from sandbox.testcases import TestCase, TestKind

DOUBLE = "def f(x):\n    return 2 * x\n"


class ScriptedEngine:
    """Answers every task with DOUBLE, except the tasks named in `raising`, which raise what is given."""

    def __init__(self, raising: frozenset[str] = frozenset(), error: Exception | None = None) -> None:
        self.raising = raising
        self.error = error or KeyError("a fault of this problem only")
        self.solved: list[str] = []

    async def solve_exploring(self, task: Task) -> tuple[Answer, Exploration]:
        if task.task_id in self.raising:
            raise self.error
        self.solved.append(task.task_id)
        return Answer(DOUBLE, 0.5, Evidence(candidates=1, examples_total=0, examples_passed=0)), Exploration(
            (), (), False
        )


def problem(task_id: str) -> BenchProblem:
    return BenchProblem(
        task=Task(task_id=task_id, kind="call", statement="double x", entry_point="f"),
        difficulty="easy",
        platform="test",
        contest_date="",
        hidden_tests=(TestCase(TestKind.CALL, "[2]", "4"),),
        judge="full",
    )


async def run(out: Path, ids: list[str], engine: ScriptedEngine, resume: bool = True):
    return await run_problems(
        [problem(i) for i in ids], solving(engine, FakeSandbox()), RunSettings(out, 1, resume), lambda row: None
    )


def row(question_id: str, **fields: object) -> str:
    return json.dumps({"question_id": question_id, **fields}) + "\n"


def test_a_row_cut_by_a_crash_is_left_out(tmp_path: Path) -> None:
    (tmp_path / RESULTS_FILE).write_text(row("a") + row("b")[:-10])
    assert [r["question_id"] for r in read_results(tmp_path)] == ["a"]


def test_a_damaged_row_before_the_last_is_an_error_naming_its_line(tmp_path: Path) -> None:
    (tmp_path / RESULTS_FILE).write_text(row("a") + "{damaged\n" + row("b"))
    with pytest.raises(UnreadableResults, match="line 2"):
        read_results(tmp_path)


async def test_resume_cuts_off_the_crashed_row_and_redoes_its_problem(tmp_path: Path) -> None:
    (tmp_path / RESULTS_FILE).write_text(row("a", passed=True) + row("b")[:-10])
    engine = ScriptedEngine()
    await run(tmp_path, ["a", "b", "c"], engine)
    assert engine.solved == ["b", "c"]
    assert [r["question_id"] for r in read_results(tmp_path)] == ["a", "b", "c"]


async def test_a_problem_that_raises_is_reported_and_the_others_still_get_results(tmp_path: Path) -> None:
    errors = await run(tmp_path, ["a", "b", "c"], ScriptedEngine(raising=frozenset({"b"})), resume=False)
    assert [(e.question_id, e.error.split(":")[0]) for e in errors] == [("b", "KeyError")]
    assert [(r["question_id"], r["passed"]) for r in read_results(tmp_path)] == [("a", True), ("c", True)]


async def test_a_model_failure_inside_the_engines_task_groups_still_ends_the_run(tmp_path: Path) -> None:
    grouped = ExceptionGroup("unhandled errors in a TaskGroup", [RuntimeFailure("the model server is gone")])
    with pytest.raises(ExceptionGroup) as raised:
        await run(tmp_path, ["a", "b"], ScriptedEngine(raising=frozenset({"a", "b"}), error=grouped), resume=False)
    assert raised.group_contains(RuntimeFailure)


def session_row(session: str, cpu_at_start: float, cpu_at_finish: float) -> dict:
    return {"session": session, "cpu_at_start": cpu_at_start, "cpu_at_finish": cpu_at_finish}


def older_row(cpu_seconds: float, started_at: float, finished_at: float) -> dict:
    """A row from before sessions: the process's CPU time while it ran, and its wall-clock span."""
    return {"cpu_seconds": cpu_seconds, "started_at": started_at, "finished_at": finished_at}


def test_problems_in_flight_together_share_their_session_cpu_time_once() -> None:
    # Two overlapping problems in one session, then a resumed session: 30 + 5 CPU seconds in all.
    rows = [session_row("s1", 10.0, 30.0), session_row("s1", 12.0, 40.0), session_row("s2", 1.0, 6.0)]
    assert run_cpu_seconds(rows) == pytest.approx(35.0)


def test_older_rows_that_overlapped_have_no_cpu_total() -> None:
    assert run_cpu_seconds([older_row(50.0, 0.0, 100.0), older_row(50.0, 10.0, 90.0)]) is None


def test_older_rows_one_after_another_add_up() -> None:
    assert run_cpu_seconds([older_row(50.0, 0.0, 100.0), older_row(20.0, 100.0, 130.0)]) == pytest.approx(70.0)
