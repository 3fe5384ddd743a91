"""What a task tells the stages about itself."""

from __future__ import annotations

from engine.task import Task

DOCSTRING = '    """Twice x.\n\n    >>> f(2)\n    4\n    """\n'


def task(starter_code: str, entry_point: str = "f") -> Task:
    return Task("t", "call", "Twice x.", starter_code, entry_point)


def test_below_a_docstring_the_body_starts_at_the_docstrings_indentation() -> None:
    assert task("def f(x):\n" + DOCSTRING).function_body_start == "def f(x):\n" + DOCSTRING + "    "


def test_below_a_bare_signature_the_body_starts_one_level_in() -> None:
    assert task("    def f(self, x):\n").function_body_start == "    def f(self, x):\n        "


def test_a_decorated_async_function_starts_its_body_too() -> None:
    assert task("@cache\nasync def f(x):\n").function_body_start == "@cache\nasync def f(x):\n    "


def test_a_docstring_alone_starts_no_body() -> None:
    assert task('"""\nWrite a function f.\nassert f(2) == 4\n"""\n').function_body_start == ""


def test_a_starter_defining_another_function_starts_no_body_of_the_entry_point() -> None:
    assert task("def g(x):\n").function_body_start == ""
