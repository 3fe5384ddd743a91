"""What a task tells the stages about itself."""

from __future__ import annotations

from engine.task import Task

DOCSTRING = '    """Twice x.\n\n    >>> f(2)\n    4\n    """\n'


def task(starter_code: str, entry_point: str = "f") -> Task:
    return Task("t", "call", "Twice x.", starter_code, entry_point)


def test_a_starter_that_opens_with_the_functions_def_line_is_its_header() -> None:
    assert task("def f(x):\n" + DOCSTRING).function_header == "def f(x):\n" + DOCSTRING


def test_a_decorated_or_async_function_has_a_header_too() -> None:
    assert task("@cache\nasync def f(x):\n").function_header == "@cache\nasync def f(x):\n"


def test_a_docstring_alone_is_no_header() -> None:
    assert task('"""\nWrite a function f.\nassert f(2) == 4\n"""\n').function_header == ""


def test_a_starter_defining_another_function_is_no_header_of_the_entry_point() -> None:
    assert task("def g(x):\n").function_header == ""
