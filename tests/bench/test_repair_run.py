"""A repair run's rows: the answer put into the file as the editor would, judged on the hidden check after,
with the public check run before and after (a scripted engine; the real sandbox)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from atlas_lsp.bench.repair_run import repair_and_judge, same_code
from atlas_lsp.bench.repair_tasks import RepairProblem, load_repair_tasks
from atlas_lsp.bench.report import summarize
from engine.task import Answer, Evidence, Example, Task
from sandbox.executor import Sandbox
from sandbox.limits import Limits

FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "repair" / "humanevalpack_rows.jsonl"
ADD_ONE_FIXED = "def add_one(x):\n    return x + 1\n"


class ScriptedEngine:
    """Repairs with a given answer, and keeps what it was asked."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.asked: list[tuple[Task, str]] = []

    async def repair(self, task: Task, code: str, failing: tuple[Example, ...] = ()) -> Answer:
        self.asked.append((task, code))
        return Answer(self.answer, 0.7, Evidence(candidates=2, examples_total=1, examples_passed=1))

    async def rewrite(self, task: Task, code: str) -> Answer:
        self.asked.append((task, code))
        return Answer(self.answer, 0.0, Evidence(candidates=1, examples_total=0, examples_passed=0))


@pytest.fixture(scope="module")
def judge() -> Iterator[Sandbox]:
    with Sandbox(Limits(wall_seconds=6.0), jobs=2) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def add_one() -> RepairProblem:
    return load_repair_tasks(FIXTURE).problems[0]


async def test_a_correct_function_is_fixed_and_passes_the_public_check_the_buggy_one_failed(
    add_one: RepairProblem, judge: Sandbox
) -> None:
    engine = ScriptedEngine(ADD_ONE_FIXED)
    row = await repair_and_judge(add_one, engine, judge, "pipeline")  # type: ignore[arg-type]
    assert (row["passed"], row["verdict"], row["unchanged"]) == (True, "passed", False)
    assert (row["public_before"], row["public_after"], row["broke_public"]) == (False, True, False)


async def test_the_answer_goes_into_the_file_as_the_editor_puts_it_keeping_the_docstring(
    add_one: RepairProblem, judge: Sandbox
) -> None:
    engine = ScriptedEngine(ADD_ONE_FIXED)
    row = await repair_and_judge(add_one, engine, judge, "pipeline")  # type: ignore[arg-type]
    assert row["repaired_file"] == add_one.task.buggy_function.replace("x - 1", "x + 1")


async def test_the_engine_sees_the_buggy_function_and_the_public_asserts_but_not_the_hidden_check(
    add_one: RepairProblem, judge: Sandbox
) -> None:
    engine = ScriptedEngine(ADD_ONE_FIXED)
    await repair_and_judge(add_one, engine, judge, "pipeline")  # type: ignore[arg-type]
    ((task, code),) = engine.asked
    assert "return x - 1" in code
    assert task.examples == (Example("[1]", "2"),)
    seen = task.statement + task.context + code + "".join(e.input + e.output for e in task.examples)
    hidden_only = set(add_one.hidden.test.split("\n")) - set(add_one.task.example_test.split("\n"))
    assert not [line for line in hidden_only if line.strip() and line.strip() in seen]


async def test_an_answer_that_returns_the_bug_is_counted_unchanged_and_not_fixed(
    add_one: RepairProblem, judge: Sandbox
) -> None:
    engine = ScriptedEngine("def add_one(x):\n    # still wrong\n    return x - 1\n")
    row = await repair_and_judge(add_one, engine, judge, "single")  # type: ignore[arg-type]
    assert (row["passed"], row["verdict"], row["unchanged"]) == (False, "wrong_answer", True)


async def test_an_answer_the_editor_cannot_use_is_not_fixed_and_says_why(
    add_one: RepairProblem, judge: Sandbox
) -> None:
    engine = ScriptedEngine("def something_else():\n    return 2\n")
    row = await repair_and_judge(add_one, engine, judge, "pipeline")  # type: ignore[arg-type]
    assert (row["passed"], row["verdict"], row["unchanged"]) == (False, "unusable", True)
    assert "does not define add_one()" in row["verdict_detail"]


async def test_the_summary_counts_unchanged_answers_broken_public_checks_and_verdicts(
    add_one: RepairProblem, judge: Sandbox
) -> None:
    fixed = await repair_and_judge(add_one, ScriptedEngine(ADD_ONE_FIXED), judge, "pipeline")  # type: ignore[arg-type]
    same = await repair_and_judge(add_one, ScriptedEngine("def add_one(x):\n    return x - 1\n"), judge, "pipeline")  # type: ignore[arg-type]
    summary = summarize([fixed, same | {"question_id": "again"}], {"task": "repair"})
    assert (summary["passed"], summary["unchanged"], summary["broke_public"]) == (1, 1, 0)
    assert summary["by_verdict"] == {"passed": 1, "wrong_answer": 1}


def test_same_code_ignores_layout_and_comments() -> None:
    assert same_code("def f(x):\n    return x+1\n", "def f(x):  # one more\n    return (x + 1)\n")
    assert not same_code("def f(x):\n    return x + 1\n", "def f(x):\n    return x - 1\n")
