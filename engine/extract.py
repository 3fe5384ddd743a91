"""Turning a model's reply into a program."""

from __future__ import annotations

import ast
import builtins
import functools
import importlib
import re
import types
from collections.abc import Callable, Sequence

from engine.context.definitions import bound_names

FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL | re.IGNORECASE)


def extract_code(reply: str) -> str:
    """The last fenced code block, as LiveCodeBench takes it; the whole reply if there is no fence.

    A block cut off by max_tokens (no closing fence) still counts: it may be complete code.
    """
    blocks = [block for block in FENCE.findall(reply) if block.strip()]
    code = blocks[-1] if blocks else reply
    return code.strip("\n") + "\n"


def keep_definitions(code: str) -> str:
    """Drop module-level statements that only exercise the code (prints, asserts, a __main__ block).

    Function answers are imported, not run: a stray `print(f(2, 3))` would print on import in the
    user's project. Code that does not parse is returned unchanged; the sandbox reports its error.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    lines = code.splitlines(keepends=True)
    drop = [node for node in tree.body if _exercises_code(node)]
    for node in reversed(drop):
        del lines[node.lineno - 1 : node.end_lineno]
    return "".join(lines).rstrip("\n") + "\n"


def _exercises_code(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Expr, ast.Assert)):
        return not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
    if isinstance(node, ast.If):
        test = node.test
        return isinstance(test, ast.Compare) and getattr(test.left, "id", None) == "__name__"
    return False


SELF_IMPORTED_MODULES = frozenset(
    {
        "array", "bisect", "calendar", "cmath", "collections", "copy", "datetime", "decimal", "enum",
        "fractions", "functools", "heapq", "itertools", "json", "math", "operator", "queue", "random",
        "re", "statistics", "string", "sys", "textwrap", "time", "typing", "unicodedata",
    }
)  # fmt: skip
"""Standard-library modules a program may use without importing them: the engine adds the import. Only
modules whose import has no side effect (not `this` or `antigravity`) and that solutions commonly use."""

NAME_SOURCE_MODULES = ("collections", "itertools", "functools", "heapq", "bisect", "math", "string", "typing")
"""Where a bare name a program never imports comes from (`Counter`, `reduce`, `sqrt`, `List`): the first of
these modules that exports it."""


def add_missing_imports(code: str, offered: Sequence[str] = (), defined: str = "") -> str:
    """`code` with the imports it uses but does not write. A reply started inside a function cannot write
    an import above it, and the sandbox runs the candidate alone, so `math.sqrt` there fails with a
    NameError the file's own `import math` would have prevented.

    Names come first from `offered` (the import lines of the user's file, in its words), then from the
    standard library. Names bound at the top of `defined` (the user's helpers) are never imported over.
    Code that does not parse, or that imports `*`, is returned unchanged."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    if any(alias.name == "*" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names):
        return code  # any name may come from the star import
    missing = _unbound_names(tree) - _names_at_top_of(defined, defined_names)
    added: list[str] = []
    for line in offered:
        bound = _names_at_top_of(line, imported_names)
        if bound & missing:
            added.append(line)
            missing -= bound
    exporters = _name_exporters()
    for name in sorted(missing):
        if name in SELF_IMPORTED_MODULES:
            added.append(f"import {name}")
        elif len(name) > 1 and name in exporters:
            added.append(f"from {exporters[name]} import {name}")
    if not added:
        return code
    lines = code.splitlines(keepends=True)
    at = _first_plain_statement_line(tree)
    return "".join([*lines[:at], *(line + "\n" for line in added), *lines[at:]])


def _unbound_names(tree: ast.Module) -> set[str]:
    """Names the code reads but binds nowhere (any scope counts: a guess that never adds a wrong import)."""
    read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    statements = [node for node in ast.walk(tree) if isinstance(node, ast.stmt)]
    defined = {name for node in statements for name in defined_names(node) | imported_names(node)}
    return read - defined - bound_names(tree) - set(dir(builtins))


def _names_at_top_of(source: str, names: Callable[[ast.stmt], set[str]]) -> set[str]:
    """What `names` reads from each module-level statement of `source`; nothing if it does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {name for node in tree.body for name in names(node)}


def defined_names(node: ast.stmt) -> set[str]:
    """The names a module-level statement defines: a function, a class, or assigned names."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {target.id for target in targets if isinstance(target, ast.Name)}
    return set()


def imported_names(node: ast.stmt) -> set[str]:
    """The names an import statement binds (none for any other statement, or for `import *`)."""
    if not isinstance(node, (ast.Import, ast.ImportFrom)):
        return set()
    return {(alias.asname or alias.name).split(".")[0] for alias in node.names if alias.name != "*"}


@functools.cache
def _name_exporters() -> dict[str, str]:
    exporters: dict[str, str] = {}
    for module_name in reversed(NAME_SOURCE_MODULES):
        module = importlib.import_module(module_name)
        public = getattr(module, "__all__", None) or [name for name in vars(module) if not name.startswith("_")]
        # Without `__all__`, a module's names include the modules it imports: those are not its exports.
        exporters.update(
            (name, module_name) for name in public if not isinstance(getattr(module, name), types.ModuleType)
        )
    return exporters


def _first_plain_statement_line(tree: ast.Module) -> int:
    """The 0-based line of the first statement that is not the module docstring or a `__future__` import:
    imports go there."""
    for index, node in enumerate(tree.body):
        docstring = index == 0 and is_docstring(node)
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (docstring or future):
            return node_start(node)
    return (tree.body[-1].end_lineno or 0) if tree.body else 0


def node_start(node: ast.stmt) -> int:
    """0-based first line of a statement, its decorators included."""
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(decorator.lineno for decorator in decorators)]) - 1


def is_docstring(node: ast.stmt) -> bool:
    """A statement that is a string alone: a docstring when it opens a module, class or function."""
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
