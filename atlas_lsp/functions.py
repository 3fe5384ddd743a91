"""Reading a Python file the way the code actions see it: its functions, stubs, doctests and problems.

Everything here works on source text with `ast` alone, so the server, the headless commands and
the unit tests share it without an editor or a model. Line numbers are 0-based, as in LSP.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from inspect import cleandoc

from engine.context.definitions import is_placeholder
from engine.examples import docstring_examples
from engine.extract import is_docstring, node_start
from engine.task import Example

MODULE_TARGET = "<module>"
"""The name a module-docstring problem goes by where a function would have its qualified name."""


@dataclass(frozen=True)
class FunctionSite:
    """A function (or method) in a file, with what the code actions need to know about it."""

    name: str
    qualified_name: str
    def_line: int
    """The `def` line; decorators above it are left alone by edits."""
    end_line: int
    """The last line of the body (inclusive)."""
    indent: str
    statement_line: int
    """First line of the module-level statement holding the function (its class, for a method)."""
    is_method: bool
    is_stub: bool
    docstring: str | None
    source: str
    """The function from its `def` line on, with its indentation removed."""
    starter_code: str
    """The signature and docstring, with its indentation removed: what a solver starts from."""
    doctests: tuple[Example, ...]
    """The calls its docstring shows with their results (doctests and `assert` lines)."""
    referenced_names: frozenset[str]


@dataclass(frozen=True)
class ModuleProblem:
    """A file whose module docstring states a competitive-programming problem (a stdin program)."""

    statement: str
    body_line: int
    """The first line after the docstring: the program occupies the file from here on."""
    is_stub: bool
    samples: tuple[tuple[str, str], ...]
    """(standard input, expected standard output) pairs shown in the statement."""
    program: str
    """The file as it stands: the docstring and the program below it."""

    @property
    def qualified_name(self) -> str:
        return MODULE_TARGET


@dataclass(frozen=True)
class ModuleSource:
    """A parsed file: its functions, its imports, its top-level definitions and maybe a problem."""

    text: str
    functions: tuple[FunctionSite, ...]
    imports: tuple[str, ...]
    definitions: dict[str, str]
    """Source of each module-level function, class and assignment, by the name it defines."""
    problem: ModuleProblem | None

    def function_at(self, line: int) -> FunctionSite | None:
        """The innermost function whose lines, from `def` to its end, contain `line`."""
        containing = [site for site in self.functions if site.def_line <= line <= site.end_line]
        return max(containing, key=lambda site: site.def_line, default=None)

    def function_named(self, qualified_name: str) -> FunctionSite | None:
        return next((site for site in self.functions if site.qualified_name == qualified_name), None)

    def helpers_of(self, site: FunctionSite) -> list[str]:
        """Source of the module-level definitions `site` uses, directly or through each other, in file order."""
        wanted: set[str] = set()
        pending = [name for name in site.referenced_names if name != site.name]
        while pending:
            name = pending.pop()
            if name in wanted or name not in self.definitions or name == site.name:
                continue
            wanted.add(name)
            pending.extend(_names_used(ast.parse(self.definitions[name])))
        return list(dict.fromkeys(source for name, source in self.definitions.items() if name in wanted))


def parse_module(text: str) -> ModuleSource:
    """Parse a file. Raises SyntaxError when it does not parse: nothing can be offered then."""
    tree = ast.parse(text)
    lines = split_lines(text)
    functions = tuple(_functions(tree, lines))
    imports = tuple(
        ast.get_source_segment(text, node) or "" for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
    )
    return ModuleSource(text, functions, imports, _definitions(tree, lines), _problem(tree, text))


def split_lines(text: str) -> list[str]:
    """Lines without their ends, broken where both Python and LSP break them (not at form feeds)."""
    lines = _LINE_BREAK.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def is_stub_body(body: list[ast.stmt]) -> bool:
    """A body that only holds a docstring, `...`, `pass` or `raise NotImplementedError`."""
    statements = body[1:] if body and is_docstring(body[0]) else body
    if not statements:
        return True
    if len(statements) > 1:
        return False
    return is_placeholder(statements[0])


def problem_file(statement: str) -> str:
    """A problem file holding `statement` as its module docstring, with no program yet."""
    escaped = statement.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return f'"""\n{escaped}\n"""\n'


def parse_samples(statement: str) -> tuple[tuple[str, str], ...]:
    """Pairs of sample input and output from a problem statement.

    "Sample Input [n]" / "Sample Output [n]" headings win when present; otherwise "Input:" /
    "Output:" (with the colon, so that Codeforces-style section titles "Input" and "Output" are not
    mistaken for samples). A block runs until the next heading or the first blank line after it.
    """
    lines = cleandoc(statement).splitlines()
    for heading in (_SAMPLE_HEADING, _COLON_HEADING):
        blocks = list(_blocks(lines, heading))
        if blocks:
            inputs = [text for kind, text in blocks if kind == "input"]
            outputs = [text for kind, text in blocks if kind == "output"]
            # Both end with a line break, as a program reads and prints them (and as LiveCodeBench stores them).
            return tuple((given + "\n", expected + "\n") for given, expected in zip(inputs, outputs, strict=False))
    return ()


_SAMPLE_HEADING = re.compile(r"^\s*sample\s+(input|output)\b\s*#?\s*\d*\s*:?\s*(.*)$", re.IGNORECASE)
_COLON_HEADING = re.compile(r"^\s*(input|output)\s*:\s*(.*)$", re.IGNORECASE)


def _blocks(lines: list[str], heading: re.Pattern[str]) -> Iterator[tuple[str, str]]:
    kind: str | None = None
    content: list[str] = []
    for line in [*lines, ""]:
        match = heading.match(line)
        if match:
            if kind and content:
                yield kind, "\n".join(content)
            kind, content = match.group(1).lower(), [match.group(2)] if match.group(2).strip() else []
        elif kind and not line.strip():
            if content:
                yield kind, "\n".join(content)
                kind, content = None, []
        elif kind:
            content.append(line.rstrip())


def _functions(tree: ast.Module, lines: list[str]) -> Iterator[FunctionSite]:
    """Module-level functions and methods of (nested) classes; functions inside functions are not
    targets, since nothing outside them can call them."""

    def visit(body: list[ast.stmt], prefix: str, statement_line: int | None) -> Iterator[FunctionSite]:
        for node in body:
            top = node_start(node) if statement_line is None else statement_line
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield _site(node, lines, prefix, top, is_method=statement_line is not None)
            elif isinstance(node, ast.ClassDef):
                yield from visit(node.body, f"{prefix}{node.name}.", top)

    return visit(tree.body, "", None)


def _site(
    node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str], prefix: str, statement_line: int, is_method: bool
) -> FunctionSite:
    def_line, end_line = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    indent = lines[def_line][: node.col_offset]
    docstring = ast.get_docstring(node)
    starter_end = (node.body[0].end_lineno or 1) - 1 if is_docstring(node.body[0]) else node.body[0].lineno - 2
    if node.body[0].lineno - 1 == def_line:  # a one-line function: the header is the line up to its body
        starter = lines[def_line][node.col_offset : node.body[0].col_offset].rstrip()
    else:
        starter = _dedent(lines[def_line : starter_end + 1], indent)
    return FunctionSite(
        name=node.name,
        qualified_name=prefix + node.name,
        def_line=def_line,
        end_line=end_line,
        indent=indent,
        statement_line=statement_line,
        is_method=is_method,
        is_stub=is_stub_body(node.body),
        docstring=docstring,
        source=_dedent(lines[def_line : end_line + 1], indent),
        starter_code=starter,
        doctests=docstring_examples(docstring, node.name).examples if docstring else (),
        referenced_names=frozenset(_names_used(node)),
    )


def _dedent(lines: list[str], indent: str) -> str:
    return "".join((line[len(indent) :] if line.startswith(indent) else line) + "\n" for line in lines)


def _names_used(node: ast.AST) -> set[str]:
    return {name.id for name in ast.walk(node) if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Load)}


def _definitions(tree: ast.Module, lines: list[str]) -> dict[str, str]:
    definitions: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [target.id for target in targets if isinstance(target, ast.Name)]
        else:
            continue
        segment = "".join(line + "\n" for line in lines[node_start(node) : node.end_lineno])
        for name in names:
            definitions[name] = segment
    return definitions


def _problem(tree: ast.Module, text: str) -> ModuleProblem | None:
    """A module docstring that talks about input and output is taken for a problem statement."""
    if not tree.body or not is_docstring(tree.body[0]):
        return None
    statement = ast.get_docstring(tree, clean=True) or ""
    lowered = statement.lower()
    if "input" not in lowered or "output" not in lowered:
        return None
    return ModuleProblem(
        statement=statement,
        body_line=tree.body[0].end_lineno or 1,
        is_stub=is_stub_body(tree.body),
        samples=parse_samples(statement),
        program=text,
    )
