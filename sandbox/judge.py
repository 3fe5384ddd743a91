"""Grading given solutions against a dataset's tests (the `atlas-lsp --judge` mode).

The judge knows nothing about models: it takes programs that are already fixed and reports how they fare.
What it writes never quotes a hidden test: for a failure on a hidden test only the test's position, the
verdict and the time are kept, because a program's own output or traceback can echo its input.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import anyio

from sandbox.dataset import Dataset, Problem
from sandbox.executor import Sandbox
from sandbox.results import ProgramResult, TestResult, Verdict
from sandbox.testcases import TestCase

PUBLIC_AND_HIDDEN = "public+hidden"
PUBLIC = "public"
NO_TESTS = "none"
PUBLIC_DETAIL_CHARS = 500


class SolutionsFileError(Exception):
    """The solutions file cannot be read or has a malformed line."""


def read_solutions(path: str | Path) -> Mapping[str, tuple[str, ...]]:
    """question_id -> programs, from JSONL lines holding `code` (one program) or `solutions` (a list)."""
    programs: dict[str, tuple[str, ...]] = {}
    try:
        with open(path, encoding="utf-8") as handle:
            lines = list(handle)
    except (OSError, UnicodeDecodeError) as error:
        raise SolutionsFileError(f"cannot read solutions {path}: {error}") from error
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise SolutionsFileError(f"{where}: not valid JSON ({error})") from None
        if not isinstance(row, dict):
            raise SolutionsFileError(f"{where}: expected a JSON object")
        question_id = row.get("question_id")
        if isinstance(question_id, int) and not isinstance(question_id, bool):
            question_id = str(question_id)
        if not isinstance(question_id, str) or not question_id:
            raise SolutionsFileError(f"{where}: missing question_id")
        if "code" in row:
            codes = [row["code"]]
        elif "solutions" in row:
            codes = row["solutions"]
        else:
            raise SolutionsFileError(f"{where} (question {question_id}): needs `code` or `solutions`")
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            raise SolutionsFileError(f"{where} (question {question_id}): programs must be strings")
        if question_id in programs:
            raise SolutionsFileError(f"{where}: question {question_id} appears twice")
        programs[question_id] = tuple(codes)
    return MappingProxyType(programs)


@dataclass(frozen=True)
class TestSelection:
    """Which tests grade a problem, and why."""

    __test__ = False  # not a pytest test class, despite the name

    tests: tuple[TestCase, ...]
    public_count: int
    name: str  # PUBLIC_AND_HIDDEN, PUBLIC or NO_TESTS
    reason: str  # why hidden tests are not used, "" when they are


def select_tests(problem: Problem, hidden: Sequence[TestCase], public_only: bool) -> TestSelection:
    public = problem.public_tests
    if public_only:
        reason = "--public-only"
    elif problem.judge == "public-only":
        reason = "the dataset marks the problem public-only"
    elif not hidden:
        reason = "the dataset has no hidden tests for it"
    else:
        return TestSelection((*public, *hidden), len(public), PUBLIC_AND_HIDDEN, "")
    name = PUBLIC if public else NO_TESTS
    return TestSelection(public, len(public), name, reason)


@dataclass(frozen=True)
class ProblemGrade:
    problem: Problem
    selection: TestSelection
    solutions: tuple[ProgramResult, ...]

    @property
    def passed(self) -> bool:
        """The given solutions are known-correct references, so one passing program is enough."""
        return any(solution.passed for solution in self.solutions)


@dataclass(frozen=True)
class JudgeReport:
    grades: tuple[ProblemGrade, ...]
    # Solutions whose question id is not in the dataset.
    unknown_question_ids: tuple[str, ...]
    seconds: float


async def judge(
    dataset: Dataset,
    solutions: Mapping[str, Sequence[str]],
    sandbox: Sandbox,
    *,
    public_only: bool = False,
    limit: int | None = None,
    on_graded: Callable[[ProblemGrade], None] | None = None,
) -> JudgeReport:
    """Grade every solution of every problem that has solutions, in dataset order, `limit` problems at most.

    Programs run concurrently up to the sandbox's job count. Each stops at its first failing test, as
    LiveCodeBench does.
    """
    started = time.monotonic()
    known = {problem.question_id for problem in dataset.problems}
    chosen = [problem for problem in dataset.problems if solutions.get(problem.question_id)]
    if limit is not None:
        chosen = chosen[:limit]
    grades: dict[str, ProblemGrade] = {}

    async def grade(problem: Problem) -> None:
        selection = select_tests(problem, dataset.hidden_tests.get(problem.question_id, ()), public_only)
        results = await _run_all(sandbox, problem, selection, solutions[problem.question_id])
        grades[problem.question_id] = ProblemGrade(problem, selection, results)
        if on_graded is not None:
            on_graded(grades[problem.question_id])

    async with anyio.create_task_group() as task_group:
        for problem in chosen:
            task_group.start_soon(grade, problem)
    return JudgeReport(
        tuple(grades[problem.question_id] for problem in chosen),
        tuple(sorted(question_id for question_id in solutions if question_id not in known)),
        time.monotonic() - started,
    )


async def _run_all(
    sandbox: Sandbox, problem: Problem, selection: TestSelection, codes: Sequence[str]
) -> tuple[ProgramResult, ...]:
    results: list[ProgramResult] = [ProgramResult(())] * len(codes)

    async def run(index: int, code: str) -> None:
        results[index] = await sandbox.run(
            code, selection.tests, entry_point=problem.func_name, stop_at_first_failure=True
        )

    async with anyio.create_task_group() as task_group:
        for index, code in enumerate(codes):
            task_group.start_soon(run, index, code)
    return tuple(results)


def summarize(
    report: JudgeReport, *, dataset: str, solutions: str, per_test_wall_seconds: float, isolation: str
) -> dict[str, Any]:
    grades = report.grades
    selections = Counter(grade.selection.name for grade in grades)
    reasons = Counter(grade.selection.reason for grade in grades if grade.selection.reason)
    by_platform: dict[str, dict[str, int]] = {}
    for grade in grades:
        row = by_platform.setdefault(grade.problem.platform, {"problems": 0, "passed": 0})
        row["problems"] += 1
        row["passed"] += grade.passed
    programs = [solution for grade in grades for solution in grade.solutions]
    return {
        "dataset": dataset,
        "solutions_file": solutions,
        "problems": len(grades),
        "passed": sum(grade.passed for grade in grades),
        "solutions": len(programs),
        "solutions_passed": sum(program.passed for program in programs),
        "tests_run": sum(program.tests_run for program in programs),
        "tests_passed": sum(program.tests_passed for program in programs),
        "test_set": next(iter(selections)) if len(selections) == 1 else "mixed",
        "test_sets": dict(selections),
        "test_set_reasons": dict(reasons),
        "untestable": [grade.problem.question_id for grade in grades if grade.selection.name == NO_TESTS],
        "failed": [grade.problem.question_id for grade in grades if not grade.passed],
        "by_platform": by_platform,
        "unknown_question_ids": list(report.unknown_question_ids),
        "per_test_wall_seconds": per_test_wall_seconds,
        "isolation": isolation,
        "wall_seconds": round(report.seconds, 3),
    }


def result_row(grade: ProblemGrade) -> dict[str, Any]:
    """One results.jsonl line. Details of hidden tests are withheld (see the module docstring)."""
    return {
        "question_id": grade.problem.question_id,
        "platform": grade.problem.platform,
        "difficulty": grade.problem.difficulty,
        "passed": grade.passed,
        "test_set": grade.selection.name,
        "test_set_reason": grade.selection.reason,
        "tests": len(grade.selection.tests),
        "public_tests": grade.selection.public_count,
        "solutions": [_solution_row(result, grade.selection.public_count) for result in grade.solutions],
    }


def _solution_row(result: ProgramResult, public_count: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "passed": result.passed,
        "verdict": result.verdict.value,
        "tests_run": result.tests_run,
        "tests_passed": result.tests_passed,
        "seconds": round(sum(test.seconds for test in result.tests), 4),
        "max_seconds": round(max((test.seconds for test in result.tests), default=0.0), 4),
    }
    failure = next(((index, test) for index, test in enumerate(result.tests) if _failed(test)), None)
    if failure is not None:
        index, test = failure
        row["first_failure"] = _failure_row(index, test, public=index < public_count)
    return row


def _failed(test: TestResult) -> bool:
    return test.verdict not in (Verdict.PASSED, Verdict.RAN, Verdict.NOT_RUN)


def _failure_row(index: int, test: TestResult, *, public: bool) -> dict[str, Any]:
    row = {"test": index, "public": public, "verdict": test.verdict.value, "seconds": round(test.seconds, 4)}
    if public:
        row["detail"] = test.detail
        row["stderr_tail"] = test.stderr_tail[-PUBLIC_DETAIL_CHARS:]
    return row
