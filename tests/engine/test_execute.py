"""Which repairs the engine keeps (everything the original passed, plus the case it was repaired on), and
examples run in the sandbox with the comparison they carry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.execute import CaseOutcome, Execution, Executor
from engine.task import Example, Task
from sandbox import Limits, Sandbox, encode_value

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


@pytest.fixture
def executor() -> Iterator[Executor]:
    with Sandbox(Limits(wall_seconds=6.0), jobs=2) as sandbox:
        yield Executor(sandbox)


def call_task(example: Example) -> Task:
    return Task("t", "call", "", entry_point="f", examples=(example,))


async def test_an_example_compared_as_sets_passes_the_same_items_in_another_order(executor: Executor) -> None:
    example = Example(encode_value([[3, 4, 5]]), encode_value({4, 5}), match="as_sets")
    execution = await executor.run(call_task(example), "def f(a):\n    return [5, 4]\n", ())
    assert execution.passes_examples


async def test_an_example_with_a_tolerance_passes_a_float_within_it(executor: Executor) -> None:
    # 0.5 off: beyond the default float tolerance, within the example's.
    example = Example(encode_value([10]), encode_value(4188.79), atol=4.19)
    execution = await executor.run(call_task(example), "def f(r):\n    return 4188.29\n", ())
    assert execution.passes_examples


def test_an_example_left_unrun_after_a_hang_is_not_reported_as_a_failure() -> None:
    hung = Execution(
        examples=(
            CaseOutcome("timeout", None, "time limit", "over the wall-time limit"),
            CaseOutcome("not_run", None, "not run", "not run: an earlier test timed out"),
        ),
        tests=(),
    )
    two_examples = Task("t", "stdin", "", examples=(Example("1\n", "1\n"), Example("2\n", "2\n")))
    assert [failure.input for failure in hung.failures(two_examples)] == ["1\n"]
    assert hung.examples_passed == 0
