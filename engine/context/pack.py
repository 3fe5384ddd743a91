"""Definitions rendered for a prompt and packed, closest first, under a token budget.

Tokens are estimated as ceil(characters / 3): code tokenizes at about 3 to 4 characters a token,
so the estimate errs on the side of staying under the budget without loading a tokenizer.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from engine.context.definitions import Definition, FunctionNode, HeaderNode, header_text

Reason = Literal["enclosing class", "referenced", "test", "caller", "imported", "related"]
CHARACTERS_PER_TOKEN = 3
MAX_FIELD_LINES = 2
"""Class-body statements up to this long are kept in a class's outline (dataclass fields, constants)."""


def estimate_tokens(text: str) -> int:
    return -(-len(text) // CHARACTERS_PER_TOKEN)


@dataclass(frozen=True)
class Candidate:
    definition: Definition
    reason: Reason
    outline_only: bool = False
    """Render only the signature and docstring (a class holding the target, whose source would repeat it)."""


@dataclass(frozen=True)
class ContextItem:
    reason: Reason
    definition: Definition
    text: str
    """`# <path>:<line> (<reason>)` and then the source, or the outline when the source did not fit."""
    tokens: int
    """The estimate for `text` and the blank line that separates it from the next item."""
    outlined: bool


def pack(candidates: Iterable[Candidate], budget_tokens: int) -> list[ContextItem]:
    """Each candidate whole if it fits, else its outline if that fits, else nothing; in the given order."""
    items: list[ContextItem] = []
    remaining = budget_tokens
    whole_classes: set[tuple[str, str]] = set()
    for candidate in candidates:
        if remaining <= 0:
            break  # candidates are computed lazily: the later kinds cost nothing once the budget is spent
        definition = candidate.definition
        if definition.class_qualname and (definition.module, definition.class_qualname) in whole_classes:
            continue  # the method is already there, inside its class
        for outlined in (True,) if candidate.outline_only else (False, True):
            text = render(definition, candidate.reason, outlined)
            tokens = estimate_tokens(text + "\n")
            if tokens <= remaining:
                items.append(ContextItem(candidate.reason, definition, text, tokens, outlined))
                remaining -= tokens
                if definition.kind == "class" and not outlined:
                    whole_classes.add((definition.module, definition.qualname))
                break
    return items


def render(definition: Definition, reason: Reason, outlined: bool) -> str:
    body = outline(definition) if outlined else textwrap.dedent(definition.source)
    return f"# {definition.path}:{definition.line} ({reason})\n{body.rstrip()}\n"


def outline(definition: Definition) -> str:
    """The signature and docstring; for a class, also its short fields and its methods' signatures."""
    if definition.kind == "constant":
        return "\n".join([definition.signature, *_docstring_lines(definition.docstring, "")])
    source = textwrap.dedent(definition.source)
    try:
        node = ast.parse(source).body[0]
    except (SyntaxError, IndexError):  # a method holding a string less indented than its code
        node = None
    if not isinstance(node, (*FunctionNode, ast.ClassDef)):
        return "\n".join([definition.signature, *_docstring_lines(definition.docstring, "    "), "    ..."])
    lines = source.split("\n")
    rendered = _signature_lines(node, lines, "")
    rendered += _docstring_lines(definition.docstring, "    ")
    if isinstance(node, ast.ClassDef):
        rendered += _class_body_outline(node, lines)
    else:
        rendered.append("    ...")
    return "\n".join(rendered)


def _class_body_outline(node: ast.ClassDef, lines: list[str]) -> list[str]:
    rendered: list[str] = []
    for position, statement in enumerate(node.body):
        if position == 0 and ast.get_docstring(node) is not None:
            continue
        if isinstance(statement, (*FunctionNode, ast.ClassDef)):
            signature = _signature_lines(statement, lines, "    ")
            first_line = (ast.get_docstring(statement) or "").strip().split("\n")[0]
            if first_line:
                rendered += [*signature, *_docstring_lines(first_line, "        ")]
            else:
                rendered += [*signature[:-1], signature[-1] + " ..."]
        elif (statement.end_lineno or statement.lineno) - statement.lineno < MAX_FIELD_LINES:
            written = "\n".join(lines[statement.lineno - 1 : statement.end_lineno])
            rendered += ["    " + line for line in textwrap.dedent(written).split("\n")]
    return rendered


def _signature_lines(node: HeaderNode, lines: list[str], indent: str) -> list[str]:
    decorators = [
        textwrap.dedent("\n".join(lines[decorator.lineno - 1 : decorator.end_lineno])).strip()
        for decorator in node.decorator_list
    ]
    return [indent + line for line in "\n".join([*decorators, header_text(node, lines)]).split("\n")]


def _docstring_lines(docstring: str, indent: str) -> list[str]:
    if not docstring:
        return []
    quoted = '"""' + docstring.replace('"""', r"\"\"\"") + '"""'
    return [indent + line if line else "" for line in quoted.split("\n")]
