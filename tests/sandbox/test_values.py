"""The type-preserving encoding of values that travel into (arguments) and out of (return values) the sandbox."""

from __future__ import annotations

import math

import pytest

from sandbox import OpaqueValue, decode_value, encode_value


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -(10**30),
        2.5,
        "text",
        [1, [2, "x"]],
        (1, 2),
        {1, 2},
        frozenset({3}),
        {(1, 2): [3], "k": None},
        b"\x00\xff",
        1 - 2j,
    ],
)
def test_value_survives_the_round_trip_with_its_type(value) -> None:
    decoded = decode_value(encode_value(value))
    assert decoded == value
    assert type(decoded) is type(value)


def test_bool_stays_distinct_from_int() -> None:
    assert decode_value(encode_value([True, 1])) == [True, 1]
    assert [type(item) for item in decode_value(encode_value([True, 1]))] == [bool, int]


def test_nan_and_infinity_survive() -> None:
    nan, infinity = decode_value(encode_value([float("nan"), float("inf")]))
    assert math.isnan(nan) and infinity == float("inf")


def test_unknown_object_becomes_an_opaque_value_equal_to_nothing_else() -> None:
    class Point:
        def __repr__(self) -> str:
            return "Point(1, 2)"

    decoded = decode_value(encode_value(Point()))
    assert decoded == OpaqueValue(
        "test_unknown_object_becomes_an_opaque_value_equal_to_nothing_else.<locals>.Point", "Point(1, 2)"
    )
    assert decoded != "Point(1, 2)"


def test_subclass_of_a_builtin_is_stored_as_the_builtin() -> None:
    class Loud(int):
        def __eq__(self, other):
            return True

        __hash__ = int.__hash__

    assert type(decode_value(encode_value(Loud(3)))) is int


def test_malformed_text_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        decode_value('{"no-such-tag": 1}')
