"""Putting the engine's answer into the file."""

from __future__ import annotations

import textwrap

import pytest

from atlas_lsp.features.rewrite import UnusableAnswer, rewrite
from atlas_lsp.features.targets import target_named
from atlas_lsp.functions import parse_module


def rewritten(source: str, target: str, answer: str) -> str:
    source, answer = textwrap.dedent(source), textwrap.dedent(answer)
    module = parse_module(source)
    return rewrite(module, target_named(module, target), answer).apply(source)


def test_answer_replaces_the_function_and_nothing_else() -> None:
    result = rewritten(
        """\
        def before():
            return 0


        def add(a, b):
            ...


        def after():
            return 2
        """,
        "add",
        "def add(a, b):\n    return a + b\n",
    )
    assert result == textwrap.dedent(
        """\
        def before():
            return 0


        def add(a, b):
            return a + b


        def after():
            return 2
        """
    )


def test_method_answer_is_indented_like_the_method() -> None:
    result = rewritten(
        """\
        class Box:
            def area(self):
                ...
        """,
        "Box.area",
        "def area(self):\n    return self.w * self.h\n",
    )
    assert result == "class Box:\n    def area(self):\n        return self.w * self.h\n"


def test_decorators_stay_and_the_answers_own_are_dropped() -> None:
    result = rewritten(
        """\
        import functools


        @functools.cache
        def fib(n):
            ...
        """,
        "fib",
        "@functools.lru_cache\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
    )
    assert "@functools.cache\ndef fib(n):\n    return n if n < 2" in result
    assert "lru_cache" not in result


def test_dropped_docstring_is_put_back() -> None:
    result = rewritten(
        '''\
        def add(a, b):
            """Return the sum.

            >>> add(1, 2)
            3
            """
            ...
        ''',
        "add",
        "def add(a, b):\n    return a + b\n",
    )
    assert result == 'def add(a, b):\n    """Return the sum.\n\n    >>> add(1, 2)\n    3\n    """\n    return a + b\n'


def test_new_imports_go_after_the_existing_imports() -> None:
    result = rewritten(
        """\
        import math


        def gcd_all(xs):
            ...
        """,
        "gcd_all",
        "import math\nfrom functools import reduce\n\ndef gcd_all(xs):\n    return reduce(math.gcd, xs)\n",
    )
    assert result.startswith("import math\nfrom functools import reduce\n\n\ndef gcd_all(xs):\n")
    assert result.count("import math") == 1


def test_new_helpers_go_above_the_class_of_a_method() -> None:
    result = rewritten(
        """\
        class Stats:
            def spread(self, xs):
                ...
        """,
        "Stats.spread",
        "def _width(xs):\n    return max(xs) - min(xs)\n\ndef spread(self, xs):\n    return _width(xs)\n",
    )
    assert result.startswith("def _width(xs):\n    return max(xs) - min(xs)\n\n\nclass Stats:\n")
    assert "        return _width(xs)\n" in result


def test_definitions_the_file_already_has_are_not_repeated() -> None:
    result = rewritten(
        """\
        def helper(x):
            return x


        def f(x):
            return helper(x) + 1
        """,
        "f",
        "def helper(x):\n    return x\n\ndef f(x):\n    return helper(x) + 2\n",
    )
    assert result.count("def helper") == 1
    assert "return helper(x) + 2" in result


def test_test_code_in_the_answer_is_left_out() -> None:
    result = rewritten(
        "def f():\n    ...\n",
        "f",
        "def f():\n    return 1\n\nprint(f())\nassert f() == 1\nif __name__ == '__main__':\n    f()\n",
    )
    assert result == "def f():\n    return 1\n"


def test_answer_without_the_function_is_unusable() -> None:
    with pytest.raises(UnusableAnswer, match="does not define f"):
        rewritten("def f():\n    ...\n", "f", "def g():\n    return 1\n")


def test_answer_that_does_not_parse_is_unusable() -> None:
    with pytest.raises(UnusableAnswer, match="not valid Python"):
        rewritten("def f():\n    ...\n", "f", "def f(:\n")


def test_problem_answer_becomes_the_program_below_the_docstring() -> None:
    result = rewritten('"""Print input doubled to the output."""\n...\n', "<module>", "print(2 * int(input()))\n")
    assert result == '"""Print input doubled to the output."""\n\nprint(2 * int(input()))\n'


def test_problem_answer_repeating_the_statement_is_not_doubled() -> None:
    result = rewritten('"""Echo the input to the output."""\n', "<module>", '"""Echo."""\nprint(input())\n')
    assert result == '"""Echo the input to the output."""\n\nprint(input())\n'


def test_windows_line_endings_are_kept() -> None:
    source = "def f():\r\n    ...\r\n\r\n\r\ndef g():\r\n    return 2\r\n"
    module = parse_module(source)
    result = rewrite(module, target_named(module, "f"), "def f():\n    return 1\n").apply(source)
    assert result == "def f():\r\n    return 1\r\n\r\n\r\ndef g():\r\n    return 2\r\n"


def test_file_without_final_newline_is_rewritten_to_its_end() -> None:
    assert rewritten("def f():\n    ...", "f", "def f():\n    return 1\n") == "def f():\n    return 1\n"
