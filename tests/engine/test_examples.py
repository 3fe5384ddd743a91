"""Public examples in Python source: doctests and assert lines, read one way for the editor and the bench."""

from __future__ import annotations

import json

import pytest

from engine.examples import docstring_examples, examples_in_test_file, prompt_examples
from engine.task import Example
from sandbox import decode_value


def doctests_of(docstring: str, function_name: str) -> tuple[Example, ...]:
    return docstring_examples(docstring, function_name).examples


def test_doctest_becomes_json_arguments_and_expected_value() -> None:
    (doctest,) = doctests_of(">>> add(2, 3)\n5\n", "add")
    assert json.loads(doctest.input) == [2, 3]
    assert decode_value(doctest.output) == 5


def test_doctest_expected_tuple_keeps_its_type() -> None:
    (doctest,) = doctests_of(">>> pair(1)\n(1, 2)\n", "pair")
    assert decode_value(doctest.output) == (1, 2)


def test_doctest_tuple_and_complex_arguments_keep_their_types() -> None:
    (doctest,) = doctests_of(">>> add((1,), 2j)\n(1, 2j)\n", "add")
    assert decode_value(doctest.input) == [(1,), 2j]
    assert decode_value(doctest.output) == (1, 2j)


def test_doctest_expected_dict_survives_encoding() -> None:
    (doctest,) = doctests_of(">>> counts('aab')\n{'a': 2, 'b': 1}\n", "counts")
    assert decode_value(doctest.output) == {"a": 2, "b": 1}


@pytest.mark.parametrize(
    "example",
    [
        ">>> add(x, 3)\n5\n",  # a variable, not a literal
        ">>> add(a=2, b=3)\n5\n",  # keyword arguments
        ">>> other(2, 3)\n5\n",  # another function
        ">>> add(*[2, 3])\n5\n",  # unpacking
        ">>> add(2, 3)\n<object at 0x1>\n",  # an output that is not a literal
    ],
)
def test_doctests_that_cannot_become_call_tests_are_skipped(example: str) -> None:
    assert doctests_of(example, "add") == ()


def test_test_assert_becomes_a_call_example() -> None:
    test = "def test_slug():\n    assert slugify('A b', '-') == 'a-b'\n"
    (example,) = examples_in_test_file(test, "slugify")
    assert json.loads(example.input) == ["A b", "-"]
    assert decode_value(example.output) == "a-b"


def test_test_assert_may_call_through_the_module_and_put_the_value_first() -> None:
    test = "def test_slug():\n    assert 'a-b' == text.slugify('A b')\n"
    (example,) = examples_in_test_file(test, "slugify")
    assert json.loads(example.input) == ["A b"]


@pytest.mark.parametrize(
    "statement",
    [
        "assert slugify(name) == 'a'",  # a variable argument
        "assert slugify('a') != 'b'",  # not an equality
        "assert other('a') == 'a'",  # another function
        "assert sorted(slugify('a')) == ['a']",  # a wrapper other than set
    ],
)
def test_test_asserts_that_cannot_become_call_examples_are_skipped(statement: str) -> None:
    assert examples_in_test_file(f"def test_it():\n    {statement}\n", "slugify") == ()


def test_an_assert_line_in_a_docstring_is_an_example_as_in_mbpp() -> None:
    shown = docstring_examples("Add them.\nassert add(2, 3) == 5\n", "add")
    assert shown.examples == (Example("[2, 3]", "5"),) and shown.unread == 0


def test_a_docstring_may_show_doctests_and_assert_lines_together() -> None:
    shown = docstring_examples(">>> add(1, 1)\n2\n\nassert add(2, 3) == 5\n", "add")
    assert [json.loads(e.input) for e in shown.examples] == [[1, 1], [2, 3]]


def test_an_example_shown_twice_is_one_example() -> None:
    shown = docstring_examples(">>> add(2, 3)\n5\n\nassert add(2, 3) == 5\n", "add")
    assert len(shown.examples) == 1


@pytest.mark.parametrize(
    "line",
    [
        "assert sorted(common((1, 2), (2, 3))) == [2]",  # a wrapper other than set
        "assert set(common(x)) == {1}",  # a variable argument in a wrapped call
        "assert set(common(1)) == set(y)",  # a variable expected set
        "assert set(common(1)) == [1]",  # a list, which never equals a set
        "assert set(common(1)) == set([[1]])",  # unhashable items
        "assert math.isclose(common(1), 2.0, rtol=0.001)",  # a keyword math.isclose does not take
        "assert math.isclose(common(1), 2.0, rel_tol=-0.1)",  # a tolerance math.isclose refuses
        "assert math.isclose(common(1), 'a', rel_tol=0.1)",  # not a number
        "assert numpy.isclose(common(1), 2.0)",  # another isclose, with other tolerances
        "assert not common(x)",  # a variable argument in a negated call
        "assert common(1) == 2 +",  # not Python
    ],
)
def test_an_assert_line_that_cannot_be_read_is_counted_as_unread(line: str) -> None:
    shown = docstring_examples(f"Find it.\n{line}\n", "common")
    assert (shown.examples, shown.unread) == ((), 1)


def test_a_doctest_of_the_function_that_cannot_be_read_is_counted_as_unread() -> None:
    assert docstring_examples(">>> add(x, 3)\n5\n>>> x = 1\n", "add").unread == 1


def test_a_prompt_holding_the_function_reads_its_docstring_as_the_editor_does() -> None:
    prompt = 'def add(x, y):\n    """Add.\n\n    >>> add(2, 3)\n    5\n    """\n'
    assert prompt_examples(prompt, "add").examples == (Example("[2, 3]", "5"),)


def test_a_prompt_that_is_a_module_docstring_reads_its_assert_lines() -> None:
    prompt = '"""\nAdd.\nassert add(2, 3) == 5\n"""\n'
    assert prompt_examples(prompt, "add").examples == (Example("[2, 3]", "5"),)


def test_a_set_of_the_call_equal_to_a_set_of_a_literal_is_compared_as_sets() -> None:
    (example,) = doctests_of("assert set(common((3, 4), (4, 3))) == set((4, 3))", "common")
    assert decode_value(example.input) == [(3, 4), (4, 3)]
    assert (decode_value(example.output), example.match) == ({3, 4}, "as_sets")


def test_a_set_display_before_the_set_of_the_call_is_the_expected_set() -> None:
    (example,) = doctests_of("assert {100, 90} == set(largest([10, 90, 100], 2))", "largest")
    assert (decode_value(example.output), example.match) == ({90, 100}, "as_sets")


def test_a_set_comparison_that_is_read_is_not_counted_as_unread() -> None:
    assert docstring_examples("assert set(common((1, 2), (2,))) == set([2])", "common").unread == 0


def test_isclose_with_rel_tol_is_equality_within_rel_tol_times_the_expected_number() -> None:
    (example,) = doctests_of("assert math.isclose(volume(10), 4000.0, rel_tol=0.001)", "volume")
    assert (decode_value(example.output), example.atol, example.match) == (4000.0, 4.0, "equal")


def test_isclose_takes_abs_tol_when_it_is_larger_than_the_scaled_rel_tol() -> None:
    (example,) = doctests_of("assert math.isclose(ratio([0, 1]), 0.5, rel_tol=0.001, abs_tol=0.01)", "ratio")
    assert example.atol == 0.01


def test_isclose_imported_bare_may_put_the_number_first() -> None:
    (example,) = doctests_of("assert isclose(2.0, volume(1), abs_tol=0.5)", "volume")
    assert (decode_value(example.input), decode_value(example.output), example.atol) == ([1], 2.0, 0.5)


def test_an_integer_expected_by_isclose_is_read_as_a_float_as_isclose_reads_it() -> None:
    (example,) = doctests_of("assert math.isclose(volume(1), 2, rel_tol=0.1)", "volume")
    assert decode_value(example.output) == 2.0 and isinstance(decode_value(example.output), float)


def test_an_assert_of_the_call_alone_expects_true_graded_on_presence() -> None:
    (example,) = doctests_of("assert is_even(10)", "is_even")
    assert (decode_value(example.output), example.match) == (True, "not_none")


def test_an_assert_of_the_negated_call_expects_false_graded_on_presence() -> None:
    (example,) = doctests_of("assert not is_square(10)", "is_square")
    assert (decode_value(example.output), example.match) == (False, "not_none")


def test_a_test_file_reads_wrapped_asserts_as_a_docstring_does() -> None:
    asserts = [
        "assert set(candidate((1, 2), (2,))) == {2}",
        "assert math.isclose(candidate(1), 2.0, rel_tol=0.1)",
        "assert not candidate(0)",
    ]
    test = "def check(candidate):\n" + "".join(f"    {line}\n" for line in asserts)
    assert examples_in_test_file(test, "candidate") == doctests_of("\n".join(asserts), "candidate")
