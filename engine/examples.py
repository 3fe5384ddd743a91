"""Public examples written in Python: doctests and `assert` lines, read one way for the editor and the bench.

A function's docstring may show calls with their results as doctests (`>>> f(2)` then `4`, as
HumanEval does) or as `assert f(2) == 4` lines (as MBPP does); a test file shows asserts. Each
call with literal positional arguments and a literal expected value becomes an `Example` encoded as
the sandbox reads a call test: `input` the JSON list of arguments, `output` the expected value, both
in the sandbox's type-preserving encoding (plain JSON for numbers, strings, lists; tagged for tuples,
sets, dicts, bytes, complex numbers). An assert may also wrap the call as MBPP's do, and the example
keeps the comparison the assert makes:

- `set(f(x)) == set([1, 2])` or `== {1, 2}` (either side): the expected set, compared as sets;
- `math.isclose(f(x), 4.19, rel_tol=R, abs_tol=A)` (or `isclose` imported bare, the number first or
  second): the number, equal within max(A, R * |number|), math.isclose's tolerance about the number;
- `assert f(x)` / `assert not f(x)`: True / False, compared as evalplus grades MBPP's predicates
  (`not_none`): a returned bool must equal it, and any other value stands for True unless it is None,
  so a predicate returning `re.search(...)` passes as Python's assert lets it (but so does a falsy
  value such as 0 or [], which the assert would refuse: the sandbox has no truthiness rule).

Other shapes (keyword arguments, variables, other wrappers) cannot become call tests and are left out;
`ShownExamples.unread` counts those a docstring shows.
"""

from __future__ import annotations

import ast
import doctest
import textwrap
from dataclasses import dataclass
from typing import TypeGuard

from engine.task import Example
from sandbox import encode_value
from sandbox.testcases import CallMatch

_LITERAL_ERRORS = (ValueError, SyntaxError, TypeError, MemoryError, RecursionError)
# What math.isclose uses when a tolerance is not given.
_ISCLOSE_DEFAULTS = {"rel_tol": 1e-09, "abs_tol": 0.0}


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
    """The asserts of a test that call `function_name` (by name or as `module.function_name`) with literals,
    in the shapes the module docstring lists; other asserts are skipped."""
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
    test = node.test
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _example(test.operand, function_name, False, match="not_none")
    if isinstance(test, ast.Compare):
        if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
            return None
        left, right = test.left, test.comparators[0]
        return (
            _call_example(left, right, function_name)
            or _call_example(right, left, function_name)
            or _set_example(left, right, function_name)
            or _set_example(right, left, function_name)
        )
    return _example(test, function_name, True, match="not_none") or _isclose_example(test, function_name)


def _mentions(expression: ast.expr, function_name: str) -> bool:
    return any(isinstance(node, ast.Name) and node.id == function_name for node in ast.walk(expression))


def _call_example(call: ast.expr, want: ast.expr, function_name: str) -> Example | None:
    """`f(args) == value`, or a doctest's call and the value it shows."""
    try:
        expected = ast.literal_eval(want)
    except _LITERAL_ERRORS:
        return None
    return _example(call, function_name, expected)


def _set_example(wrapped: ast.expr, want: ast.expr, function_name: str) -> Example | None:
    """`set(f(args)) == set(literal)` or `== {literal, ...}`: the returned items held to the expected ones as sets."""
    if not _calls(wrapped, "set") or len(wrapped.args) != 1 or wrapped.keywords:
        return None
    if isinstance(want, ast.Set):
        items: ast.expr = want
    elif _calls(want, "set") and len(want.args) == 1 and not want.keywords:
        items = want.args[0]
    else:
        return None
    try:
        expected = set(ast.literal_eval(items))
    except _LITERAL_ERRORS:  # TypeError too: items that are not iterable or not hashable
        return None
    return _example(wrapped.args[0], function_name, expected, match="as_sets")


def _isclose_example(test: ast.expr, function_name: str) -> Example | None:
    """`math.isclose(f(args), number, rel_tol=R, abs_tol=A)`, the call and the number in either order."""
    if not _calls(test, "math.isclose", "isclose") or len(test.args) != 2:
        return None
    tolerances = dict(_ISCLOSE_DEFAULTS)
    for keyword in test.keywords:
        tolerance = _number(keyword.value)
        if keyword.arg not in tolerances or tolerance is None or tolerance < 0:
            return None
        tolerances[keyword.arg] = tolerance
    first, second = test.args
    return _close_example(first, second, tolerances, function_name) or _close_example(
        second, first, tolerances, function_name
    )


def _close_example(call: ast.expr, want: ast.expr, tolerances: dict[str, float], function_name: str) -> Example | None:
    expected = _number(want)
    if expected is None:
        return None
    # math.isclose scales rel_tol by the larger of both values; the sandbox's atol is fixed, so it is scaled
    # by the expected number, the one known before the call runs.
    atol = max(tolerances["abs_tol"], tolerances["rel_tol"] * abs(expected))
    return _example(call, function_name, expected, atol=atol)


def _number(expression: ast.expr) -> float | None:
    """A literal int or float as a float, as math.isclose reads it."""
    try:
        value = ast.literal_eval(expression)
        return float(value) if isinstance(value, (int, float)) else None
    except (*_LITERAL_ERRORS, OverflowError):  # OverflowError: an int too large for a float
        return None


def _calls(expression: ast.expr, *names: str) -> TypeGuard[ast.Call]:
    """A call of one of `names` as the source writes it (`set`, `math.isclose`)."""
    return isinstance(expression, ast.Call) and ast.unparse(expression.func) in names


def _example(
    call: ast.expr, function_name: str, expected: object, *, atol: float = 0.0, match: CallMatch = "equal"
) -> Example | None:
    """The example when `call` calls `function_name` with literal arguments."""
    arguments = _literal_call(call, function_name)
    if arguments is None:
        return None
    return Example(encode_value(arguments), encode_value(expected), atol, match)


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
