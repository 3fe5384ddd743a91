"""The workspace code a prompt about one function should show, closest first.

In order: the class holding the function (outline only), what the function references (resolved
through its file's imports, one level deep), the tests that use it, its callers, and the definitions
BM25 finds for its name, parameters and docstring, those its file imports first (a stub references
nothing yet, and what its module imports is what its author meant it to use). Each definition comes
at most once, and never the function itself. A called method brings its class first: `Registry.add`
and `self.add` are read as the references `Registry` (or `self`, the enclosing class) and then
`Registry.add`.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from engine.context.definitions import Definition, is_placeholder, names_used
from engine.context.index import WorkspaceIndex
from engine.context.pack import Candidate, ContextItem, Reason, estimate_tokens, pack
from engine.context.search import words

RELATED_MATCHES = 10
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


@dataclass(frozen=True)
class ContextRequest:
    path: Path
    """The file holding the function."""
    qualname: str
    source: str
    """The function's current text, possibly a stub; it need not be saved or even parse."""
    docstring: str = ""


@dataclass(frozen=True)
class WorkspaceContext:
    text: str
    items: tuple[ContextItem, ...]
    tokens: int


def gather_context(index: WorkspaceIndex, request: ContextRequest, budget_tokens: int) -> WorkspaceContext:
    items = pack(_candidates(index, request), budget_tokens)
    text = "\n".join(item.text for item in items)
    return WorkspaceContext(text, tuple(items), estimate_tokens(text))


@dataclass(frozen=True)
class _Target:
    module: str | None
    qualname: str
    references: list[str]
    """In source order."""
    parameters: list[str]
    docstring: str

    @property
    def enclosing_class(self) -> str | None:
        return self.qualname.rpartition(".")[0] or None

    def is_inside(self, definition: Definition) -> bool:
        return definition.module == self.module and self.qualname.startswith(definition.qualname + ".")


def _candidates(index: WorkspaceIndex, request: ContextRequest) -> Iterator[Candidate]:
    target = _read_target(index, request)
    seen = {(target.module, target.qualname)}

    def first_time(definitions: list[Definition] | tuple[Definition, ...]) -> Iterator[Definition]:
        for definition in definitions:
            key = (definition.module, definition.qualname)
            if key not in seen:
                seen.add(key)
                yield definition

    def candidate(definition: Definition, reason: Reason) -> Candidate:
        return Candidate(definition, reason, outline_only=target.is_inside(definition))

    if target.module is not None and target.enclosing_class:
        enclosing = index.definition(target.module, target.enclosing_class)
        for definition in first_time([enclosing] if enclosing else []):
            yield candidate(definition, "enclosing class")
    yield from (candidate(definition, "referenced") for definition in first_time(list(_referenced(index, target))))
    tests, callers = index.tests_of(request.path, request.qualname), index.callers_of(request.path, request.qualname)
    yield from (candidate(definition, "test") for definition in first_time(tests))
    yield from (candidate(definition, "caller") for definition in first_time(callers))
    query = words(" ".join([target.qualname.rpartition(".")[2], *target.parameters, target.docstring]))
    related = [match for match in index.search().top(query, 2 * RELATED_MATCHES + len(seen)) if not _is_stub(match)]
    imported = _imported_by_module(index, target)
    related.sort(key=lambda definition: (definition.module, definition.qualname) not in imported)
    for definition in islice(first_time(related), RELATED_MATCHES):
        yield candidate(definition, "imported" if (definition.module, definition.qualname) in imported else "related")


def _referenced(index: WorkspaceIndex, target: _Target) -> Iterator[Definition]:
    if target.module is None:
        return
    for reference in target.references:
        found = index.resolve(target.module, reference, target.enclosing_class)
        if found is not None:
            yield found


def _imported_by_module(index: WorkspaceIndex, target: _Target) -> set[tuple[str, str]]:
    module = index.module(target.module) if target.module is not None else None
    if module is None:
        return set()
    found = (index.resolve(module.name, name) for name in module.imports)
    return {(definition.module, definition.qualname) for definition in found if definition is not None}


def _read_target(index: WorkspaceIndex, request: ContextRequest) -> _Target:
    module = index.module_name_of(request.path)
    docstring = request.docstring
    try:
        node = ast.parse(textwrap.dedent(request.source))
    except SyntaxError:  # mid-edit: fall back on the indexed version, or on the words it contains
        indexed = index.definition(module, request.qualname) if module else None
        references = list(indexed.references) if indexed else IDENTIFIER.findall(request.source)
        return _Target(module, request.qualname, references, [], docstring or (indexed.docstring if indexed else ""))
    references, _ = names_used(node)
    parameters = [argument.arg for argument in ast.walk(node) if isinstance(argument, ast.arg)]
    function = node.body[0] if node.body and isinstance(node.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)) else None
    if not docstring and function is not None:
        docstring = ast.get_docstring(function) or ""
    return _Target(module, request.qualname, references, parameters, docstring)


def _is_stub(definition: Definition) -> bool:
    """A function still to be written (only a docstring and `...`, `pass` or `raise NotImplementedError`).

    Stubs match their siblings' docstrings best of all, yet show no code worth the tokens.
    """
    if definition.kind not in ("function", "method"):
        return False
    try:
        function = ast.parse(textwrap.dedent(definition.source)).body[0]
    except (SyntaxError, IndexError):
        return False
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    body = function.body[1:] if ast.get_docstring(function) is not None else function.body
    return all(is_placeholder(statement) for statement in body)
