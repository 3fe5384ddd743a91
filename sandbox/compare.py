"""Comparing a program's answer with the expected one, exactly as the reference harnesses do.

STDIN follows LiveCodeBench's `grade_stdio`: strip both outputs, split on newlines, strip each line; the
line counts must match; a line matches when equal as text, or when both lines parse as whitespace-separated
`decimal.Decimal` tokens and the lists are equal. That is exact Decimal equality: `1.50` matches `1.5`,
`0.333333` does not match `0.3333333`. There is no other tolerance.

FUNCTIONAL follows LiveCodeBench's `grade_call_based`: a returned tuple becomes a list (only at the top
level), then Python `==` against `json.loads(expected)`. Python equality means `True` matches `true` and
also `1`, and `2` matches `2.0`: LiveCodeBench's semantics, kept on purpose.

CALL follows evalplus: `returned == expected`; if that fails and a tolerance applies, the values are
compared element-wise with |returned - expected| <= atol + 1e-7 * |expected| (NaN equals NaN). A tolerance
applies when the test's atol is non-zero, or when the expected value is a float or a list/tuple of floats
(atol then defaults to 1e-6). Unlike numpy, shapes must match exactly (no broadcasting). A few MBPP+
problems are graded otherwise by evalplus, and a test says so in its `match`: `as_sets` (set(returned) ==
set(expected)) and `not_none` (only whether a value was returned counts: the reference's answer stands
for True unless it is None or False, and a returned bool must equal that).

The comparison runs in the parent on decoded plain values, so candidate code never takes part in it, and
the detail never quotes the expected answer.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeGuard

from sandbox.results import Verdict
from sandbox.testcases import TestCase, TestKind
from sandbox.worker import decode_value

EVALPLUS_DEFAULT_ATOL = 1e-6
EVALPLUS_RTOL = 1e-7


@dataclass(frozen=True)
class Comparison:
    matched: bool
    detail: str = ""


def compare_stdout(actual: str, expected: str) -> Comparison:
    actual_lines = _stripped_lines(actual)
    expected_lines = _stripped_lines(expected)
    if len(actual_lines) != len(expected_lines):
        return Comparison(False, f"output has {len(actual_lines)} lines, expected {len(expected_lines)}")
    for number, (actual_line, expected_line) in enumerate(zip(actual_lines, expected_lines, strict=True), start=1):
        if actual_line == expected_line:
            continue
        actual_numbers = _decimals(actual_line)
        expected_numbers = _decimals(expected_line)
        if actual_numbers is None or expected_numbers is None or not _decimals_equal(actual_numbers, expected_numbers):
            return Comparison(False, f"line {number} of {len(expected_lines)} differs")
    return Comparison(True)


def _stripped_lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]


def _decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(token) for token in line.split()]
    except Exception:  # decimal.InvalidOperation and anything else Decimal refuses
        return None


def _decimals_equal(actual: list[Decimal], expected: list[Decimal]) -> bool:
    try:
        return actual == expected
    except ArithmeticError:  # a signalling NaN refuses comparison
        return False


def compare_functional(returned: object, expected_json: str) -> Comparison:
    expected = json.loads(expected_json)
    prediction = list(returned) if isinstance(returned, tuple) else returned
    if prediction == expected:
        return Comparison(True)
    return Comparison(False, f"returned {_type_name(prediction)} differs from the expected {_type_name(expected)}")


def compare_call(returned: object, expected: object, atol: float = 0.0) -> Comparison:
    if returned == expected:
        return Comparison(True)
    if atol == 0 and _is_floats(expected):
        atol = EVALPLUS_DEFAULT_ATOL
    # evalplus asks for the same type before it compares under a tolerance: (1.0,) is not close to [1.0].
    if atol != 0 and type(returned) is type(expected) and _all_close(returned, expected, atol):
        return Comparison(True)
    tolerance = f" (atol {atol})" if atol else ""
    return Comparison(
        False, f"returned {_type_name(returned)} differs from the expected {_type_name(expected)}{tolerance}"
    )


def compare_as_sets(returned: object, expected: object) -> Comparison:
    try:
        matched = set(returned) == set(expected)  # type: ignore[call-overload]
    except TypeError:  # not iterable, or unhashable items
        matched = False
    return Comparison(True) if matched else Comparison(False, "returned items differ from the expected ones")


def compare_not_none(returned: object, expected: object) -> Comparison:
    # The expected value is the reference's own answer (often a regex match or None): only its presence counts.
    present = expected if isinstance(expected, bool) else expected is not None
    matched = returned == present if isinstance(returned, bool) else present == (returned is not None)
    if matched:
        return Comparison(True)
    return Comparison(
        False, "returned None where a value was expected" if present else "returned a value where None was expected"
    )


def _is_floats(value: object) -> bool:
    if isinstance(value, float):
        return True
    return isinstance(value, (list, tuple)) and all(isinstance(item, float) for item in value)


def _all_close(actual: object, expected: object, atol: float) -> bool:
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        return len(actual) == len(expected) and all(
            _all_close(a, e, atol) for a, e in zip(actual, expected, strict=True)
        )
    if not (_is_number(actual) and _is_number(expected)):
        return False
    if math.isnan(actual) or math.isnan(expected):
        return math.isnan(actual) and math.isnan(expected)
    if math.isinf(actual) or math.isinf(expected):
        return actual == expected
    return abs(actual - expected) <= atol + EVALPLUS_RTOL * abs(expected)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float))


def _type_name(value: object) -> str:
    return type(value).__name__


def grade_answer(test: TestCase, stdout: str, returned: str | None) -> tuple[Verdict, str]:
    """Verdict for a test whose program finished normally."""
    if test.expected is None:
        return Verdict.RAN, ""
    if test.kind is TestKind.STDIN:
        comparison = compare_stdout(stdout, test.expected)
    else:
        if returned is None:
            return Verdict.RUNTIME_ERROR, "no return value"
        try:
            value = decode_value(returned)
        except ValueError as error:
            return Verdict.RUNTIME_ERROR, f"unreadable return value: {error}"
        if test.kind is TestKind.FUNCTIONAL:
            comparison = compare_functional(value, test.expected)
        else:
            comparison = _compare_call_test(test, value)
    return (Verdict.PASSED, "") if comparison.matched else (Verdict.WRONG_ANSWER, comparison.detail)


def _compare_call_test(test: TestCase, returned: object) -> Comparison:
    assert test.expected is not None
    expected = decode_value(test.expected)
    if test.match == "as_sets":
        return compare_as_sets(returned, expected)
    if test.match == "not_none":
        return compare_not_none(returned, expected)
    return compare_call(returned, expected, test.atol)
