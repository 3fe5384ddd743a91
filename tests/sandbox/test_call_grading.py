"""HumanEval+/MBPP+ style call tests graded like evalplus: ==, else element-wise with atol for floats;
as sets or on presence alone where evalplus grades a problem so."""

from __future__ import annotations

from sandbox import Sandbox, TestCase, TestKind, Verdict, compare_call, encode_value
from sandbox.testcases import CallMatch


def call_test(arguments: list, expected: object, atol: float = 0.0, match: CallMatch = "equal") -> TestCase:
    return TestCase(TestKind.CALL, encode_value(arguments), encode_value(expected), atol, match)


async def verdict_of(sandbox: Sandbox, body: str, test: TestCase) -> Verdict:
    code = f"def candidate(*args):\n    return {body}\n"
    result = await sandbox.run(code, [test], entry_point="candidate")
    return result.tests[0].verdict


async def test_float_within_the_default_tolerance_passes(sandbox: Sandbox) -> None:
    assert await verdict_of(sandbox, "args[0] + args[1]", call_test([0.1, 0.2], 0.3)) is Verdict.PASSED


async def test_float_outside_the_default_tolerance_fails(sandbox: Sandbox) -> None:
    assert await verdict_of(sandbox, "args[0] + 0.001", call_test([0.3], 0.3)) is Verdict.WRONG_ANSWER


async def test_a_problem_tolerance_widens_the_comparison(sandbox: Sandbox) -> None:
    assert await verdict_of(sandbox, "args[0] + 0.001", call_test([0.3], 0.3, atol=0.01)) is Verdict.PASSED


async def test_list_of_floats_is_compared_element_wise(sandbox: Sandbox) -> None:
    test = call_test([1.0], [1 / 3, 2 / 3])
    assert await verdict_of(sandbox, "[args[0] / 3, 2 * args[0] / 3 + 1e-9]", test) is Verdict.PASSED


async def test_returned_tuple_matches_an_expected_tuple(sandbox: Sandbox) -> None:
    assert await verdict_of(sandbox, "(1, 'a')", call_test([], (1, "a"))) is Verdict.PASSED


async def test_returned_list_does_not_match_an_expected_tuple(sandbox: Sandbox) -> None:
    assert await verdict_of(sandbox, "[1, 'a']", call_test([], (1, "a"))) is Verdict.WRONG_ANSWER


async def test_set_matches_regardless_of_order(sandbox: Sandbox) -> None:
    assert await verdict_of(sandbox, "set(args[0])", call_test([[3, 1, 2]], {1, 2, 3})) is Verdict.PASSED


async def test_integers_are_compared_exactly(sandbox: Sandbox) -> None:
    assert await verdict_of(sandbox, "args[0] + 1", call_test([10**20], 10**20)) is Verdict.WRONG_ANSWER


def test_tolerance_is_absolute_plus_relative() -> None:
    assert compare_call(1e9 + 50, 1e9, atol=1e-6).matched  # 1e-7 * 1e9 = 100
    assert not compare_call(1e9 + 150, 1e9, atol=1e-6).matched


def test_a_tolerance_does_not_bridge_two_types() -> None:
    assert not compare_call((1.0, 2.0), [1.0, 2.0 + 1e-9]).matched
    assert not compare_call(2, 2.0000001).matched
    assert compare_call(2, 2.0).matched  # equal values pass before any tolerance


def test_nan_matches_nan_under_a_tolerance() -> None:
    assert compare_call([float("nan")], [float("nan")]).matched


def test_shapes_must_match_under_a_tolerance() -> None:
    assert not compare_call([1.0, 1.0], [1.0], atol=0.1).matched


async def test_a_tuple_argument_reaches_the_function_as_a_tuple(sandbox: Sandbox) -> None:
    test = call_test([(1, 2), {"a": (3,)}], ["tuple", "tuple"])
    assert await verdict_of(sandbox, "[type(args[0]).__name__, type(args[1]['a']).__name__]", test) is Verdict.PASSED


async def test_a_plain_json_list_of_arguments_is_still_read(sandbox: Sandbox) -> None:
    test = TestCase(TestKind.CALL, "[1, [2, 3]]", encode_value(6))
    assert await verdict_of(sandbox, "args[0] + sum(args[1])", test) is Verdict.PASSED


async def test_as_sets_ignores_order_and_container_type(sandbox: Sandbox) -> None:
    test = call_test([], (4, 5), match="as_sets")
    assert await verdict_of(sandbox, "[5, 4, 4]", test) is Verdict.PASSED


async def test_as_sets_fails_on_a_missing_item(sandbox: Sandbox) -> None:
    assert await verdict_of(sandbox, "[5]", call_test([], (4, 5), match="as_sets")) is Verdict.WRONG_ANSWER


async def test_as_sets_fails_on_an_answer_that_is_not_a_collection(sandbox: Sandbox) -> None:
    assert await verdict_of(sandbox, "5", call_test([], (5,), match="as_sets")) is Verdict.WRONG_ANSWER


async def test_not_none_passes_any_value_where_the_reference_returned_something(sandbox: Sandbox) -> None:
    assert await verdict_of(sandbox, "'matched'", call_test([], True, match="not_none")) is Verdict.PASSED


async def test_not_none_fails_a_value_where_the_reference_returned_none(sandbox: Sandbox) -> None:
    assert await verdict_of(sandbox, "'matched'", call_test([], None, match="not_none")) is Verdict.WRONG_ANSWER


async def test_not_none_holds_a_returned_bool_to_the_reference(sandbox: Sandbox) -> None:
    assert await verdict_of(sandbox, "False", call_test([], True, match="not_none")) is Verdict.WRONG_ANSWER
