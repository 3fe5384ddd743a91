"""Reading functions, stubs and problem statements from source text."""

from __future__ import annotations

import ast
import textwrap

import pytest

from atlas_lsp.functions import is_stub_body, parse_module, parse_samples


def body_of(source: str) -> list[ast.stmt]:
    function = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(function, ast.FunctionDef)
    return function.body


@pytest.mark.parametrize(
    "body",
    [
        "    ...",
        "    pass",
        "    raise NotImplementedError",
        "    raise NotImplementedError('later')",
        '    """Only a docstring."""',
        '    """Docstring."""\n    ...',
    ],
)
def test_stub_bodies_are_recognised(body: str) -> None:
    assert is_stub_body(body_of(f"def f():\n{body}\n"))


@pytest.mark.parametrize(
    "body",
    [
        "    return 1",
        "    pass\n    return 1",
        "    raise ValueError",
        '    """Docstring."""\n    return 1',
        "    'not a docstring once code precedes it'\n    x = 1",
    ],
)
def test_written_bodies_are_not_stubs(body: str) -> None:
    assert not is_stub_body(body_of(f"def f():\n{body}\n"))


def test_function_at_cursor_is_the_innermost_one() -> None:
    module = parse_module(
        textwrap.dedent(
            """\
            class Shape:
                def area(self):
                    return 0

            def outer():
                return 1
            """
        )
    )
    assert module.function_at(2).qualified_name == "Shape.area"
    assert module.function_at(5).qualified_name == "outer"
    assert module.function_at(3) is None


def test_method_keeps_its_indentation_and_knows_it_is_a_method() -> None:
    module = parse_module("class Shape:\n    def area(self):\n        ...\n")
    (site,) = module.functions
    assert site.indent == "    "
    assert site.is_method
    assert site.source == "def area(self):\n    ...\n"


def test_functions_inside_functions_are_not_targets() -> None:
    module = parse_module("def outer():\n    def inner():\n        ...\n    return inner\n")
    assert [site.qualified_name for site in module.functions] == ["outer"]


def test_starter_code_is_signature_and_docstring_without_the_stub() -> None:
    module = parse_module('def add(a, b):\n    """Sum."""\n    ...\n')
    assert module.functions[0].starter_code == 'def add(a, b):\n    """Sum."""\n'


def test_starter_code_of_multiline_signature_keeps_every_line() -> None:
    module = parse_module("def add(\n    a,\n    b,\n):\n    pass\n")
    assert module.functions[0].starter_code == "def add(\n    a,\n    b,\n):\n"


def test_decorators_are_not_part_of_the_function_source() -> None:
    module = parse_module("import functools\n\n@functools.cache\ndef f(n):\n    return n\n")
    (site,) = module.functions
    assert site.def_line == 3
    assert site.statement_line == 2
    assert site.source.startswith("def f(n):")


def test_helpers_are_found_through_each_other() -> None:
    module = parse_module(
        textwrap.dedent(
            """\
            SCALE = 10
            UNUSED = 1

            def scale(x):
                return x * SCALE

            def total(xs):
                return sum(scale(x) for x in xs)
            """
        )
    )
    helpers = module.helpers_of(module.function_named("total"))
    assert helpers == ["SCALE = 10\n", "def scale(x):\n    return x * SCALE\n"]


def test_module_docstring_with_input_and_output_is_a_problem() -> None:
    module = parse_module('"""Read n from the input and output n squared."""\n')
    assert module.problem is not None
    assert module.problem.is_stub
    assert module.problem.body_line == 1


def test_module_docstring_without_input_and_output_is_no_problem() -> None:
    assert parse_module('"""Helpers for strings."""\n').problem is None


def test_sample_input_and_output_blocks_are_paired() -> None:
    statement = textwrap.dedent(
        """\
        Sum the numbers.

        Input
        The first line holds n, the second n numbers.

        Sample Input 1
        3
        1 2 3

        Sample Output 1
        6

        Sample Input 2
        1
        5
        Sample Output 2
        5
        """
    )
    assert parse_samples(statement) == (("3\n1 2 3\n", "6\n"), ("1\n5\n", "5\n"))


def test_input_colon_blocks_are_samples_when_no_sample_headings_exist() -> None:
    statement = "Double it.\n\nInput:\n4\nOutput:\n8\n"
    assert parse_samples(statement) == (("4\n", "8\n"),)


def test_input_and_output_on_the_heading_line_are_read() -> None:
    assert parse_samples("Input: 4\nOutput: 8") == (("4\n", "8\n"),)


def test_section_titles_without_colon_are_not_samples() -> None:
    assert parse_samples("Input\nThe first line holds n.\n\nOutput\nPrint n.\n") == ()
