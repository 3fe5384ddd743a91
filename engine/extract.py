"""Turning a model's reply into a program."""

from __future__ import annotations

import ast
import re

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
