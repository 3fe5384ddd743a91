"""Which repairs the engine keeps: everything the original passed, plus the case it was repaired on."""

from __future__ import annotations

from engine.execute import CaseOutcome, Execution
from engine.task import Example, Task

TASK = Task(
    "t",
    "stdin",
    "Print the sum.",
    examples=(Example("1 2\n", "3\n"), Example("2 2\n", "4\n"), Example("5 5\n", "10\n")),
)


def execution(*verdicts: str) -> Execution:
    return Execution(examples=tuple(CaseOutcome(verdict, None, "", "") for verdict in verdicts), tests=())  # type: ignore[arg-type]


ORIGINAL = execution("passed", "failed", "failed")


def test_a_repair_that_fixes_its_case_and_keeps_the_rest_is_kept() -> None:
    assert execution("passed", "passed", "failed").improves_on(ORIGINAL, TASK, "2 2\n")


def test_a_repair_that_fixes_another_case_but_not_its_own_is_not_kept() -> None:
    assert not execution("passed", "failed", "passed").improves_on(ORIGINAL, TASK, "2 2\n")


def test_a_repair_that_breaks_a_case_the_original_passed_is_not_kept() -> None:
    assert not execution("failed", "passed", "passed").improves_on(ORIGINAL, TASK, "2 2\n")
