"""A benchmark never scores the Lens on problems it was trained on."""

from __future__ import annotations

from atlas_lsp.bench.runner import BenchProblem
from atlas_lsp.commands.bench import lens_seen_problems
from engine.task import Task
from sandbox.testcases import TestCase, TestKind


def problem(task_id: str, title: str = "") -> BenchProblem:
    return BenchProblem(
        task=Task(task_id=task_id, kind="call", statement="double x", entry_point="f"),
        difficulty="easy",
        platform="test",
        contest_date="",
        hidden_tests=(TestCase(TestKind.CALL, "[2]", "4"),),
        judge="full",
        title=title,
    )


def test_a_problem_the_lens_trained_on_is_named_by_its_title() -> None:
    problems = [problem("3243", "shortest-distance-after-road-addition-queries-i"), problem("3244", "other")]
    assert lens_seen_problems(problems, {"shortest-distance-after-road-addition-queries-i"}) == [
        "shortest-distance-after-road-addition-queries-i"
    ]


def test_the_same_number_in_another_dataset_is_not_taken_for_a_seen_problem() -> None:
    assert lens_seen_problems([problem("3243", "a-titled-problem")], {"3243"}) == []


def test_a_problem_without_a_title_is_named_by_its_id() -> None:
    assert lens_seen_problems([problem("Mbpp/2"), problem("Mbpp/3")], {"Mbpp/3", "Mbpp/9"}) == ["Mbpp/3"]
