"""Repair tasks in HumanEvalPack's layout: the loader's per-row errors, the solver's view, the judge's verdicts,
and the committed development set (its canonical bodies pass, its bugs fail), on a few rows."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from atlas_lsp.bench.mutations import BUG_KINDS, mutants
from atlas_lsp.bench.repair_judge import CheckOutcome, judge_answer, run_check
from atlas_lsp.bench.repair_tasks import RepairProblem, RepairTask, load_repair_tasks
from engine.task import Example
from sandbox.executor import Sandbox
from sandbox.limits import Limits

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "repair" / "humanevalpack_rows.jsonl"
DEV_SET = ROOT / "benchmarks" / "data" / "mbpp_plus_fix.jsonl.gz"
SHORT = Limits(wall_seconds=1.0)


@pytest.fixture(scope="module")
def judge() -> Iterator[Sandbox]:
    with Sandbox(Limits(wall_seconds=6.0), jobs=2) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def fixture_tasks() -> dict[str, RepairProblem]:
    return {problem.task.task_id: problem for problem in load_repair_tasks(FIXTURE).problems}


def test_bad_rows_are_reported_one_by_one_naming_the_row_and_the_field_and_the_rest_load() -> None:
    loaded = load_repair_tasks(FIXTURE)
    assert [problem.task.task_id for problem in loaded.problems] == ["Fixture/0", "Fixture/1"]
    errors = [(error.line, error.task_id, error.field) for error in loaded.row_errors]
    assert errors == [
        (3, "Fixture/2", "test"),
        (4, "Fixture/3", "buggy_solution"),
        (5, None, None),
        (6, "Fixture/5", "entry_point"),
        (7, "Fixture/0", "task_id"),
        (8, "Fixture/7", "test"),
    ]
    messages = [str(error) for error in loaded.row_errors]
    assert messages[0] == "line 3 (Fixture/2): field `test`: missing"
    assert "does not parse" in messages[1]
    assert messages[2].startswith("line 5: not JSON")


def test_ids_and_limit_choose_rows() -> None:
    assert [p.task.task_id for p in load_repair_tasks(FIXTURE, ids={"Fixture/1"}).problems] == ["Fixture/1"]
    assert len(load_repair_tasks(FIXTURE, limit=1).problems) == 1


def test_the_solver_sees_the_buggy_function_with_its_docstring_and_the_public_check_only(
    fixture_tasks: dict[str, RepairProblem],
) -> None:
    assert {field.name for field in dataclasses.fields(RepairTask)} == {
        "task_id",
        "entry_point",
        "buggy_function",
        "example_test",
    }
    task = fixture_tasks["Fixture/0"].task
    assert task.buggy_function.startswith('def add_one(x):\n    """Return x plus one.')
    assert task.buggy_function.endswith("    return x - 1\n")
    assert "add_one(5)" not in task.buggy_function + task.example_test  # a hidden assert


def test_public_examples_are_read_from_the_check_whatever_its_parameter_is_called(
    fixture_tasks: dict[str, RepairProblem],
) -> None:
    assert fixture_tasks["Fixture/0"].task.examples == (Example("[1]", "2"),)  # def check(add_one)
    assert fixture_tasks["Fixture/1"].task.examples == (Example("[[1, 2, 3]]", "2"),)  # def check(candidate)


def test_the_editor_view_is_the_task_and_program_the_editors_repair_builds(
    fixture_tasks: dict[str, RepairProblem],
) -> None:
    task, program = fixture_tasks["Fixture/0"].task.editor_view()
    assert (task.task_id, task.kind, task.entry_point) == ("Fixture/0", "call", "add_one")
    assert task.examples == (Example("[1]", "2"),)  # the doctest and the public check's assert, once
    assert program == fixture_tasks["Fixture/0"].task.buggy_function


async def test_the_reference_passes_and_the_bug_is_a_wrong_answer_at_its_assert(
    fixture_tasks: dict[str, RepairProblem], judge: Sandbox
) -> None:
    problem = fixture_tasks["Fixture/0"]
    assert problem.hidden.reference is not None
    assert (await judge_answer(problem, problem.hidden.reference, judge)).passed
    verdict = await judge_answer(problem, problem.task.buggy_function, judge)
    assert (verdict.outcome, verdict.line, verdict.error) == (CheckOutcome.WRONG_ANSWER, 2, "AssertionError")
    assert verdict.describe(problem.hidden.test) == "wrong_answer at line 2: assert add_one(0) == 1 (AssertionError)"


async def test_a_test_that_leaves_the_call_to_the_harness_is_called(
    fixture_tasks: dict[str, RepairProblem], judge: Sandbox
) -> None:
    problem = fixture_tasks["Fixture/1"]
    assert (await judge_answer(problem, problem.hidden.reference or "", judge)).passed
    verdict = await judge_answer(problem, problem.task.buggy_function, judge)
    assert verdict.outcome is CheckOutcome.ERROR  # [7][1]: the bug's IndexError, raised by the function
    assert verdict.line == 2 and verdict.error.startswith("IndexError")


async def test_an_error_a_timeout_and_an_early_exit_are_not_passes(
    fixture_tasks: dict[str, RepairProblem], judge: Sandbox
) -> None:
    problem = fixture_tasks["Fixture/0"]
    error = await judge_answer(problem, "def add_one(x):\n    return x + '1'\n", judge)
    assert (error.outcome, error.line) == (CheckOutcome.ERROR, 2) and error.error.startswith("TypeError")
    loop = await judge_answer(problem, "def add_one(x):\n    while True:\n        pass\n", judge, SHORT)
    assert loop.outcome is CheckOutcome.TIMEOUT
    exits = await judge_answer(problem, "import sys\nsys.exit(0)\ndef add_one(x):\n    return x + 1\n", judge)
    assert exits.outcome is CheckOutcome.ERROR and not exits.passed


def test_mutants_change_one_place_and_keep_the_rest_of_the_text() -> None:
    source = "def f(xs, n):\n    # keep me\n    if n < 0:\n        return []\n    return [x * 2 for x in xs[:n] if x]\n"
    found = {mutant.description: mutant for mutant in mutants(source, "f")}
    assert found["line 3: `n < 0` became `n <= 0`"].source == source.replace("n < 0", "n <= 0")
    assert found["line 5: `x * 2` became `x + 2`"].source == source.replace("x * 2", "x + 2")
    assert found["line 5: the slice's upper bound `n` became `n + 1`"].source == source.replace("[:n]", "[:n + 1]")
    assert found["line 5: the filter `if x` was dropped"].source == source.replace(" if x]", "]")
    assert found["line 3: the case `if n < 0:` was dropped"].source == source.replace(
        "    if n < 0:\n        return []\n", ""
    )
    assert {mutant.kind for mutant in found.values()} >= {"operator", "comparison", "off_by_one", "missing_case"}
    assert all(mutant.source.count("# keep me") == 1 for mutant in found.values())


def test_the_committed_development_set_loads_whole_with_every_bug_kind() -> None:
    loaded = load_repair_tasks(DEV_SET)
    assert loaded.row_errors == ()
    assert len(loaded.problems) >= 200
    assert {problem.bug_kind for problem in loaded.problems} == set(BUG_KINDS)
    for problem in loaded.problems:
        assert problem.hidden.reference != problem.task.buggy_function
        assert problem.task.buggy_function.startswith(problem.hidden.reference.split('"""')[0])  # same declaration


async def test_on_one_task_per_bug_kind_the_canonical_passes_and_the_bug_fails_both_checks(judge: Sandbox) -> None:
    first_of_kind: dict[str, RepairProblem] = {}
    for problem in load_repair_tasks(DEV_SET).problems:
        first_of_kind.setdefault(problem.bug_kind, problem)
    for kind, problem in first_of_kind.items():
        task, reference = problem.task, problem.hidden.reference or ""
        assert (await judge_answer(problem, reference, judge)).passed, kind
        assert (await run_check(reference, task.example_test, task.entry_point, judge)).passed, kind
        assert not (await judge_answer(problem, task.buggy_function, judge)).passed, kind
        assert not (await run_check(task.buggy_function, task.example_test, task.entry_point, judge)).passed, kind
