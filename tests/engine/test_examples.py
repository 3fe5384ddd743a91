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
        "assert slugify('a')",  # no expected value
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
        "assert set(common((1, 2), (2, 3))) == set((2,))",  # a wrapped call
        "assert math.isclose(common(1), 2.0, rel_tol=0.001)",  # a tolerance
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
