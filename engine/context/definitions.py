"""What one Python module defines and imports, read from its syntax tree.

Definitions are module-level functions, classes (nested ones too), methods and module-level names
bound by a simple assignment. Each keeps its exact source and the names it uses, which is all that
retrieval needs: nothing here imports or runs the workspace's code.
"""

from __future__ import annotations

import ast
import textwrap
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

DefinitionKind = Literal["function", "class", "method", "constant"]
FunctionNode = (ast.FunctionDef, ast.AsyncFunctionDef)
TryNode = (ast.Try, getattr(ast, "TryStar", ast.Try))  # `try: ... except* ...` is Python 3.11+
HeaderNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class Definition:
    module: str
    path: str
    """Relative to the workspace root, in POSIX form."""
    qualname: str
    kind: DefinitionKind
    signature: str
    """The `def`/`class` header as written (dedented, up to its colon), or an assignment's first line."""
    docstring: str
    source: str
    """The exact lines, decorators included; a constant's include the string literal documenting it."""
    line: int
    """1-based line where `source` starts."""
    uses: frozenset[str]
    """Every name it reads and every attribute name it touches (`self.x.normalize()` uses x and normalize)."""
    references: tuple[str, ...]
    """The names and the attribute chains rooted at a name it uses, dotted as written (`u.helper`),
    in source order (the first ones are what the code is about); not the names it binds itself."""

    @property
    def name(self) -> str:
        return self.qualname.rpartition(".")[2]

    @property
    def class_qualname(self) -> str | None:
        """The class a method belongs to."""
        return self.qualname.rpartition(".")[0] if self.kind == "method" else None


@dataclass(frozen=True)
class ModuleInfo:
    name: str
    path: str
    is_package: bool
    lines: int
    imports: dict[str, str] = field(default_factory=dict)
    """Each name an import binds, mapped to the dotted name it stands for."""
    star_imports: tuple[str, ...] = ()
    definitions: dict[str, Definition] = field(default_factory=dict)
    """By qualname."""


def module_name(relative_path: PurePosixPath, src_layout: bool) -> str:
    """`pkg/mod.py` -> `pkg.mod`, `pkg/__init__.py` -> `pkg`; with a `src` layout `src/pkg/mod.py` -> `pkg.mod`.

    A workspace-root `__init__.py` has no dotted name of its own and is named `__init__`.
    """
    parts = list(relative_path.with_suffix("").parts)
    if src_layout and len(parts) > 1 and parts[0] == "src":
        parts = parts[1:]
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def parse_module(text: str, name: str, path: str, is_package: bool) -> ModuleInfo:
    """Raises SyntaxError (or ValueError, for null bytes) when the text is not Python."""
    with warnings.catch_warnings():  # invalid escapes in the workspace's code are its own business
        warnings.simplefilter("ignore")
        tree = ast.parse(text)
    lines = text.split("\n")
    package = name if is_package else name.rpartition(".")[0]
    imports, star_imports = _imports(tree, package)
    reader = _DefinitionReader(name, path, lines)
    definitions = {definition.qualname: definition for definition in reader.read(tree.body)}
    line_count = len(lines) - (lines[-1] == "")  # a final newline ends the last line, it starts none
    return ModuleInfo(name, path, is_package, line_count, imports, star_imports, definitions)


ENCLOSING_CLASS_NAMES = frozenset({"self", "cls"})


def names_used(node: ast.AST) -> tuple[list[str], frozenset[str]]:
    """The references (names and name-rooted attribute chains, in source order) and all names used.

    A name the code binds itself (a parameter, a local variable, a loop or exception variable) is
    used but not a reference: `def total(items)` does not refer to a module-level `items`. `self`
    and `cls` stay references: they stand for the enclosing class.
    """
    local = bound_names(node)
    positioned: dict[str, tuple[int, int]] = {}
    uses: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):  # not the names it assigns
            uses.add(child.id)
            if child.id not in local:
                positioned.setdefault(child.id, (child.lineno, child.col_offset))
        elif isinstance(child, ast.Attribute):
            uses.add(child.attr)
            chain = _dotted(child)
            if chain is not None and chain.partition(".")[0] not in local:
                positioned.setdefault(chain, (child.lineno, child.col_offset))
    return sorted(positioned, key=positioned.__getitem__), frozenset(uses)


def bound_names(node: ast.AST) -> set[str]:
    """The names `node` binds itself: parameters, assigned and deleted names, exception variables (not
    those it declares global or nonlocal, nor `self` and `cls`)."""
    bound: set[str] = set()
    declared_outside: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.arg):
            bound.add(child.arg)
        elif isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
            bound.add(child.id)
        elif isinstance(child, ast.ExceptHandler) and child.name:
            bound.add(child.name)
        elif isinstance(child, (ast.Global, ast.Nonlocal)):
            declared_outside.update(child.names)
    return bound - declared_outside - ENCLOSING_CLASS_NAMES


def is_placeholder(statement: ast.stmt) -> bool:
    """`pass`, `...` or `raise NotImplementedError`: what stands in a function still to be written."""
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return statement.value.value is Ellipsis
    if isinstance(statement, ast.Raise) and statement.exc is not None:
        raised = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
        return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"
    return False


def header_text(node: HeaderNode, lines: list[str]) -> str:
    """The `def`/`class` header as written, dedented, ending at its colon."""
    end_line, end_column = _header_end(node, lines)
    header = lines[node.lineno - 1 : end_line]
    header[-1] = header[-1][:end_column]
    return textwrap.dedent("\n".join(header)).strip()


def _header_end(node: HeaderNode, lines: list[str]) -> tuple[int, int]:
    # The colon that ends a header is the first one after the header's last expression: between them
    # there can only be brackets, commas, whitespace and comments.
    parts: list[ast.expr | ast.arg | None] = list(getattr(node, "type_params", ()))
    if isinstance(node, ast.ClassDef):
        parts += [*node.bases, *(keyword.value for keyword in node.keywords)]
    else:
        arguments = node.args
        parts += [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, *arguments.defaults]
        parts += [*arguments.kw_defaults, arguments.vararg, arguments.kwarg, node.returns]
    # Parsed nodes always carry their end; the fallback only satisfies the optional fields' type.
    ends = [
        (part.end_lineno or part.lineno, part.end_col_offset or part.col_offset) for part in parts if part is not None
    ]
    line, byte_column = max(ends, default=(node.lineno, node.col_offset))
    for number in range(line, node.body[0].lineno + 1):
        text = lines[number - 1]
        start = len(text.encode()[:byte_column].decode(errors="ignore")) if number == line else 0
        colon = text.find(":", start)
        comment = text.find("#", start)
        if colon >= 0 and (comment < 0 or colon < comment):
            return number, colon + 1
    return node.lineno, len(lines[node.lineno - 1])


def _dotted(node: ast.Attribute) -> str | None:
    parts = [node.attr]
    value = node.value
    while isinstance(value, ast.Attribute):
        parts.append(value.attr)
        value = value.value
    if not isinstance(value, ast.Name):
        return None
    parts.append(value.id)
    return ".".join(reversed(parts))


def _imports(tree: ast.Module, package: str) -> tuple[dict[str, str], tuple[str, ...]]:
    # Imports inside functions count too (deferred imports are common); a module-level binding wins.
    module_level = set(map(id, _flatten_blocks(tree.body)))
    ordered = sorted(
        (node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))),
        key=lambda node: (id(node) not in module_level, node.lineno),
    )
    imports: dict[str, str] = {}
    star_imports: list[str] = []
    for node in ordered:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    imports.setdefault(alias.asname, alias.name)
                else:  # `import a.b` binds `a`, and `a.b.f` is then read through it
                    top = alias.name.partition(".")[0]
                    imports.setdefault(top, top)
            continue
        source = _absolute_module(node.module, node.level, package)
        if source is None:
            continue
        for alias in node.names:
            if alias.name == "*":
                star_imports.append(source)
            else:
                imports.setdefault(alias.asname or alias.name, f"{source}.{alias.name}" if source else alias.name)
    return imports, tuple(star_imports)


def _absolute_module(module: str | None, level: int, package: str) -> str | None:
    """The module a `from` import reads; None when a relative import climbs above the workspace."""
    if level == 0:
        return module or ""
    base = package.split(".") if package else []
    if level - 1 > len(base):
        return None
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([module] if module else [])])


class _DefinitionReader:
    def __init__(self, module: str, path: str, lines: list[str]) -> None:
        self.module = module
        self.path = path
        self.lines = lines

    def read(self, body: list[ast.stmt]) -> Iterator[Definition]:
        statements = list(_flatten_blocks(body))
        for position, statement in enumerate(statements):
            if isinstance(statement, FunctionNode):
                yield self._with_header(statement, statement.name, "function")
            elif isinstance(statement, ast.ClassDef):
                yield from self._class(statement, "")
            elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
                following = statements[position + 1] if position + 1 < len(statements) else None
                yield from self._constants(statement, following)

    def _class(self, node: ast.ClassDef, prefix: str) -> Iterator[Definition]:
        qualname = prefix + node.name
        yield self._with_header(node, qualname, "class")
        for statement in _flatten_blocks(node.body):
            if isinstance(statement, FunctionNode):
                yield self._with_header(statement, qualname + "." + statement.name, "method")
            elif isinstance(statement, ast.ClassDef):
                yield from self._class(statement, qualname + ".")

    def _with_header(self, node: HeaderNode, qualname: str, kind: DefinitionKind) -> Definition:
        return self._definition(node, qualname, kind, header_text(node, self.lines), ast.get_docstring(node) or "")

    def _constants(self, node: ast.Assign | ast.AnnAssign, following: ast.stmt | None) -> Iterator[Definition]:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if isinstance(node, ast.AnnAssign) and node.value is None:
            return
        docstring, end_line = "", node.end_lineno
        if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
            if isinstance(following.value.value, str):  # the attribute-docstring convention
                docstring, end_line = textwrap.dedent(following.value.value).strip(), following.end_lineno
        first_line = self.lines[node.lineno - 1].strip()
        signature = first_line if node.end_lineno == node.lineno else first_line + " ..."
        for target in targets:
            if isinstance(target, ast.Name):
                yield self._definition(node, target.id, "constant", signature, docstring, end_line)

    def _definition(
        self,
        node: ast.stmt,
        qualname: str,
        kind: DefinitionKind,
        signature: str,
        docstring: str,
        end_line: int | None = None,
    ) -> Definition:
        decorators = getattr(node, "decorator_list", ())
        first_line = min([node.lineno, *(decorator.lineno for decorator in decorators)])
        source = "\n".join(self.lines[first_line - 1 : end_line or node.end_lineno])
        references, uses = names_used(node)
        return Definition(
            module=self.module,
            path=self.path,
            qualname=qualname,
            kind=kind,
            signature=signature,
            docstring=docstring,
            source=source,
            line=first_line,
            uses=uses,
            references=tuple(references),
        )


def _flatten_blocks(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a body, looking into `if`/`try`/`with` blocks (`if TYPE_CHECKING:`, fallback imports)."""
    for statement in body:
        if isinstance(statement, ast.If):
            yield from _flatten_blocks(statement.body)
            yield from _flatten_blocks(statement.orelse)
        elif isinstance(statement, TryNode):
            yield from _flatten_blocks(statement.body)
            for handler in statement.handlers:
                yield from _flatten_blocks(handler.body)
            yield from _flatten_blocks(statement.orelse)
            yield from _flatten_blocks(statement.finalbody)
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            yield from _flatten_blocks(statement.body)
        else:
            yield statement
