"""Parsing and validating the tests the model writes."""

from engine.stages.self_tests import parse_assertions, parse_stdin_inputs, signature_parameters
from engine.task import Example, Task

LEETCODE = Task(
    task_id="t",
    kind="functional",
    statement="",
    starter_code="class Solution:\n    def maxSum(self, nums: List[int], k: int) -> int:\n        ",
    entry_point="maxSum",
)


def test_parameters_come_from_the_starter_code_without_self() -> None:
    assert signature_parameters(LEETCODE.starter_code, "maxSum") == ["nums", "k"]


def test_assertions_become_json_lines_with_predictions() -> None:
    tests = parse_assertions("```python\nassert maxSum([1, 2], 3) == 4\n```", LEETCODE)
    assert [(t.input, t.predicted) for t in tests] == [("[1, 2]\n3", 4)]


def test_keyword_arguments_are_put_in_parameter_order() -> None:
    (test,) = parse_assertions("assert Solution().maxSum(k=2, nums=[5])", LEETCODE)
    assert test.input == "[5]\n2" and not test.has_prediction


def test_calls_with_the_wrong_arity_are_dropped() -> None:
    assert parse_assertions("assert maxSum([1]) == 1\nassert maxSum([1], 2, 3) == 1", LEETCODE) == []


def test_non_literal_arguments_are_dropped() -> None:
    assert parse_assertions("assert maxSum(list(range(5)), 2) == 1", LEETCODE) == []


def test_plain_functions_take_a_json_list_of_arguments() -> None:
    task = Task(task_id="f", kind="call", statement="", starter_code="def add(a, b):\n    ...", entry_point="add")
    (test,) = parse_assertions("assert add(2, 3) == 5", task)
    assert test.input == "[2, 3]" and test.predicted == 5


def test_without_a_signature_the_examples_give_the_number_of_arguments() -> None:
    statement = "Write a function to add two numbers.\nassert add(2, 3) == 5"
    task = Task("m", "call", statement, statement, "add", examples=(Example("[2, 3]", "5"),))
    tests = parse_assertions("assert add(1, 1) == 2\nassert add(1) == 1", task)
    assert [(t.input, t.predicted) for t in tests] == [("[1, 1]", 2)]


def test_stdin_inputs_are_read_from_text_blocks() -> None:
    tests = parse_stdin_inputs("```text\n3\n1 2 3\n```\nand\n```\n1\n5\n```")
    assert [t.input for t in tests] == ["3\n1 2 3\n", "1\n5\n"]
