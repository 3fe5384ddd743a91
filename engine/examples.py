"""Public examples written in Python: doctests and `assert` lines, read one way for the editor and the bench.

A function's docstring may show calls with their results as doctests (`>>> f(2)` then `4`, as
HumanEval does) or as `assert f(2) == 4` lines (as MBPP does); a test file shows asserts. Each
call with literal positional arguments and a literal expected value becomes an `Example` encoded as
the sandbox reads a call test: `input` the JSON list of arguments, `output` the expected value, both
in the sandbox's type-preserving encoding (plain JSON for numbers, strings, lists; tagged for tuples,
sets, dicts, bytes, complex numbers). Other shapes (keyword arguments, variables, wrapped calls such
as `set(f(x)) == {1}`, tolerances) cannot become exact call tests and are left out.
"""

from __future__ import annotations

import ast
import doctest
import textwrap
from dataclasses import dataclass

from engine.task import Example
from sandbox import encode_value

_LITERAL_ERRORS = (ValueError, SyntaxError, TypeError, MemoryError, RecursionError)


@dataclass(frozen=True)
class ShownExamples:
    """The examples a text shows, and how many of the examples it shows could not be read as call tests."""

    examples: tuple[Example, ...]
    unread: int


def docstring_examples(text: str, function_name: str) -> ShownExamples:
    """The doctests and `assert` lines of a docstring (or of a prompt holding one) that call `function_name`."""
    doctests, unread_doctests = _doctests(text, function_name)
    asserts, unread_asserts = _assert_lines(text, function_name)
    unique = {example.input: example for example in (*doctests, *asserts)}
    return ShownExamples(tuple(unique.values()), unread_doctests + unread_asserts)


def prompt_examples(prompt: str, function_name: str) -> ShownExamples:
    """The examples of a prompt that holds the function's signature and docstring (HumanEval) or a module
    docstring (MBPP): those of the docstrings, read as the editor reads a function's docstring."""
    try:
        tree = ast.parse(prompt)
    except SyntaxError:
        return docstring_examples(prompt, function_name)
    functions = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function_name
    ]
    docstrings = [ast.get_docstring(node) for node in (*functions, tree)]
    return docstring_examples("\n\n".join(text for text in docstrings if text), function_name)


def examples_in_test_file(test_source: str, function_name: str) -> tuple[Example, ...]:
    """The `assert function_name(literals) == literal` statements of a test (in either order, the function
    called by name or as `module.function_name`); other asserts are skipped."""
    try:
        tree = ast.parse(textwrap.dedent(test_source))
    except SyntaxError:
        return ()
    found = [_assert_example(node, function_name) for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    return tuple(example for example in found if example is not None)


def _doctests(text: str, function_name: str) -> tuple[list[Example], int]:
    try:
        examples = doctest.DocTestParser().get_examples(text)
    except ValueError:  # malformed doctest indentation
        return [], 0
    found, unread = [], 0
    for example in examples:
        try:
            call = ast.parse(example.source.strip(), mode="eval").body
            want = ast.parse(example.want.strip(), mode="eval").body
        except SyntaxError:
            unread += function_name in example.source
            continue
        read = _call_example(call, want, function_name)
        if read is None:
            unread += _mentions(call, function_name)
        else:
            found.append(read)
    return found, unread


def _assert_lines(text: str, function_name: str) -> tuple[list[Example], int]:
    """`assert` lines of a docstring, each read on its own: inside a docstring they are text, not statements."""
    found, unread = [], 0
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("assert ") or function_name not in stripped:
            continue
        try:
            (statement,) = ast.parse(stripped).body
        except (SyntaxError, ValueError):
            unread += 1
            continue
        read = _assert_example(statement, function_name) if isinstance(statement, ast.Assert) else None
        if read is None:
            unread += 1
        else:
            found.append(read)
    return found, unread


def _assert_example(node: ast.Assert, function_name: str) -> Example | None:
    compare = node.test
    if not isinstance(compare, ast.Compare) or len(compare.ops) != 1 or not isinstance(compare.ops[0], ast.Eq):
        return None
    left, right = compare.left, compare.comparators[0]
    return _call_example(left, right, function_name) or _call_example(right, left, function_name)


def _mentions(expression: ast.expr, function_name: str) -> bool:
    return any(isinstance(node, ast.Name) and node.id == function_name for node in ast.walk(expression))


def _call_example(call: ast.expr, want: ast.expr, function_name: str) -> Example | None:
    arguments = _literal_call(call, function_name)
    if arguments is None:
        return None
    try:
        expected = ast.literal_eval(want)
    except _LITERAL_ERRORS:
        return None
    return Example(encode_value(arguments), encode_value(expected))


def _literal_call(expression: ast.expr, function_name: str) -> list[object] | None:
    if not isinstance(expression, ast.Call) or expression.keywords:
        return None
    called = expression.func
    name = called.id if isinstance(called, ast.Name) else called.attr if isinstance(called, ast.Attribute) else None
    if name != function_name:
        return None
    arguments = []
    for argument in expression.args:
        if isinstance(argument, ast.Starred):
            return None
        try:
            arguments.append(ast.literal_eval(argument))
        except _LITERAL_ERRORS:
            return None
    return arguments
