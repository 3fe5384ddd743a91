"""LeetCode (functional) tests graded like LiveCodeBench: the return value against the JSON of the answer.

Each program runs in the real sandbox, so these cover the whole path: the call, the type-preserving
encoding of the return value, and the comparison in the parent.
"""

from __future__ import annotations

import pytest

from sandbox import Sandbox, TestCase, TestKind, Verdict


def returning(expression: str, parameters: str = "self") -> str:
    return f"class Solution:\n    def answer({parameters}):\n        return {expression}\n"


async def verdict_of(sandbox: Sandbox, code: str, expected: str, arguments: str = "") -> Verdict:
    result = await sandbox.run(code, [TestCase(TestKind.FUNCTIONAL, arguments, expected)], entry_point="answer")
    return result.tests[0].verdict


async def grade_returning(sandbox: Sandbox, expression: str, expected: str) -> Verdict:
    return await verdict_of(sandbox, returning(expression, "self, unused"), expected, arguments="0")


async def test_bool_true_matches_json_true(sandbox: Sandbox) -> None:
    assert await grade_returning(sandbox, "3 > 2", "true") is Verdict.PASSED


async def test_bool_false_does_not_match_json_true(sandbox: Sandbox) -> None:
    assert await grade_returning(sandbox, "3 < 2", "true") is Verdict.WRONG_ANSWER


async def test_bool_matches_an_equal_integer_as_python_equality_says(sandbox: Sandbox) -> None:
    # LiveCodeBench compares with Python ==, where True == 1; kept on purpose.
    assert await grade_returning(sandbox, "True", "1") is Verdict.PASSED


async def test_string_matches_its_json_quoted_form(sandbox: Sandbox) -> None:
    assert await grade_returning(sandbox, "'abc'", '"abc"') is Verdict.PASSED


async def test_string_does_not_match_another_string(sandbox: Sandbox) -> None:
    assert await grade_returning(sandbox, "'abc'", '"abd"') is Verdict.WRONG_ANSWER


async def test_answer_that_is_not_json_is_refused_before_running(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="malformed"):
        await grade_returning(sandbox, "'abc'", "abc")


async def test_float_matches_the_same_float(sandbox: Sandbox) -> None:
    assert await grade_returning(sandbox, "5 / 2", "2.5") is Verdict.PASSED


async def test_float_with_any_difference_is_a_wrong_answer(sandbox: Sandbox) -> None:
    assert await grade_returning(sandbox, "2.5000001", "2.5") is Verdict.WRONG_ANSWER


async def test_integer_valued_float_matches_the_integer(sandbox: Sandbox) -> None:
    assert await grade_returning(sandbox, "4.0", "4") is Verdict.PASSED


async def test_nested_list_matches_nested_json_array(sandbox: Sandbox) -> None:
    assert await grade_returning(sandbox, "[[1, 2], [], [3]]", "[[1, 2], [], [3]]") is Verdict.PASSED


async def test_nested_list_in_another_order_is_a_wrong_answer(sandbox: Sandbox) -> None:
    assert await grade_returning(sandbox, "[[3], [1, 2]]", "[[1, 2], [3]]") is Verdict.WRONG_ANSWER


async def test_none_matches_json_null(sandbox: Sandbox) -> None:
    assert await grade_returning(sandbox, "None", "null") is Verdict.PASSED


async def test_returned_tuple_counts_as_a_list(sandbox: Sandbox) -> None:
    assert await grade_returning(sandbox, "(1, 2)", "[1, 2]") is Verdict.PASSED


async def test_tuple_nested_in_a_list_stays_a_tuple_as_in_livecodebench(sandbox: Sandbox) -> None:
    assert await grade_returning(sandbox, "[(1, 2)]", "[[1, 2]]") is Verdict.WRONG_ANSWER


async def test_arguments_are_json_values_one_per_line(sandbox: Sandbox) -> None:
    code = returning("sum(numbers) * factor + len(word)", "self, numbers, factor, word")
    assert await verdict_of(sandbox, code, "17", arguments='[1, 2, 3]\n2\n"abcde"') is Verdict.PASSED


async def test_function_without_solution_class_is_taken_from_the_module(sandbox: Sandbox) -> None:
    code = "def answer(a, b):\n    return a * b\n"
    assert await verdict_of(sandbox, code, "42", arguments="6\n7") is Verdict.PASSED


async def test_preamble_names_are_available_without_imports(sandbox: Sandbox) -> None:
    code = returning("list(accumulate(nums)) + [gcd(12, 18), pow(2, 10, 1000)]", "self, nums: List[int]")
    assert await verdict_of(sandbox, code, "[1, 3, 6, 6, 24]", arguments="[1, 2, 3]") is Verdict.PASSED


async def test_missing_method_is_a_runtime_error(sandbox: Sandbox) -> None:
    code = "class Solution:\n    def other(self):\n        return 1\n"
    assert await verdict_of(sandbox, code, "1") is Verdict.RUNTIME_ERROR


async def test_returned_value_is_available_type_preserved(sandbox: Sandbox) -> None:
    code = returning("{(1, 2): {3}, 'k': [None, 1.5]}")
    result = await sandbox.run(code, [TestCase(TestKind.FUNCTIONAL, "", None)], entry_point="answer")
    assert result.tests[0].verdict is Verdict.RAN
    assert result.tests[0].returned_value() == {(1, 2): {3}, "k": [None, 1.5]}


async def test_object_with_a_lying_eq_does_not_pass(sandbox: Sandbox) -> None:
    code = (
        "class Anything:\n    def __eq__(self, other):\n        return True\n"
        "class Solution:\n    def answer(self):\n        return Anything()\n"
    )
    assert await verdict_of(sandbox, code, "[1, 2, 3]") is Verdict.WRONG_ANSWER
