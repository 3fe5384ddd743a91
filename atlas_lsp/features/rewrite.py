"""Turning the engine's answer into an edit of the user's file.

The answer replaces the function from its `def` line to its end (decorators stay), indented as the
original (a method stays a method). What the answer brings besides the function goes where it can
be found: new imports after the file's imports, new helpers just above the module-level statement
holding the function. Anything the file already defines, and test code the model may add
(`if __name__ == "__main__":`, bare calls, asserts), is left out. For a problem file the answer
becomes the program below the docstring.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass

from atlas_lsp.features.targets import Target
from atlas_lsp.functions import FunctionSite, ModuleProblem, ModuleSource, split_lines
from engine.extract import defined_names, is_docstring, node_start


class UnusableAnswer(Exception):
    """The answer cannot be put into the file; the message says why, for the user."""


@dataclass(frozen=True)
class Replacement:
    """Lines `start_line` up to (not including) `end_line` become `text` (whole lines, each ending
    with a newline); `start_line == end_line` inserts."""

    start_line: int
    end_line: int
    text: str


@dataclass(frozen=True)
class Rewrite:
    replacements: tuple[Replacement, ...]
    """In file order, never overlapping."""

    def apply(self, text: str) -> str:
        newline = _newline_of(text)
        lines = [line + newline for line in split_lines(text)]
        if lines and not text.endswith(("\n", "\r")):
            appends = any(replacement.start_line == len(lines) for replacement in self.replacements)
            if not appends:  # the last line keeps having no line break unless text goes after it
                lines[-1] = lines[-1][: -len(newline)]
        for replacement in reversed(self.replacements):
            new_lines = replacement.text.replace("\n", newline)
            lines[replacement.start_line : replacement.end_line] = [new_lines]
        return "".join(lines)


def rewrite(module: ModuleSource, target: Target, answer_code: str) -> Rewrite:
    if isinstance(target, ModuleProblem):
        return _rewrite_program(module, target, answer_code)
    return _rewrite_function(module, target, answer_code)


def _rewrite_program(module: ModuleSource, problem: ModuleProblem, answer_code: str) -> Rewrite:
    code = textwrap.dedent(answer_code).strip("\n")
    tree = _parse(code)
    if tree.body and is_docstring(tree.body[0]):
        # The model repeated the statement: the file already has it.
        code = "\n".join(code.split("\n")[tree.body[0].end_lineno :]).strip("\n")
    end = len(split_lines(module.text))
    return Rewrite((Replacement(problem.body_line, end, f"\n{code}\n"),))


def _rewrite_function(module: ModuleSource, site: FunctionSite, answer_code: str) -> Rewrite:
    code = textwrap.dedent(answer_code)
    tree = _parse(code)
    lines = code.split("\n")
    function = next(
        (
            node
            for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == site.name
        ),
        None,
    )
    if function is None:
        raise UnusableAnswer(f"the answer does not define {site.name}()")
    function_text = _with_docstring_kept(function, lines, site)
    imports, helpers = _additions(module, tree, function, lines)

    replacements = []
    if imports:
        replacements.append(Replacement(_import_line(module), _import_line(module), "".join(imports)))
    if helpers:
        replacements.append(Replacement(site.statement_line, site.statement_line, "\n\n\n".join(helpers) + "\n\n\n"))
    replacements.append(Replacement(site.def_line, site.end_line + 1, _indented(function_text, site.indent)))
    return Rewrite(_merged(replacements))


def _parse(code: str) -> ast.Module:
    try:
        return ast.parse(code)
    except SyntaxError as error:
        raise UnusableAnswer(f"the answer is not valid Python (line {error.lineno}: {error.msg})") from None


def _with_docstring_kept(function: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str], site: FunctionSite) -> str:
    """The function's text from its `def` line; the original docstring is put back if the model dropped it."""
    text = lines[function.lineno - 1 : function.end_lineno]
    first = function.body[0]
    if site.docstring is None or ast.get_docstring(function) is not None or first.lineno == function.lineno:
        return "\n".join(text) + "\n"
    body_indent = lines[first.lineno - 1][: first.col_offset]
    docstring = [body_indent + line if line else line for line in _docstring_lines(site)]
    header_length = first.lineno - function.lineno
    return "\n".join([*text[:header_length], *docstring, *text[header_length:]]) + "\n"


def _docstring_lines(site: FunctionSite) -> list[str]:
    """The original docstring statement, dedented to column 0."""
    tree = ast.parse(site.source)
    function = tree.body[0]
    assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
    docstring = function.body[0]
    source_lines = site.source.split("\n")[docstring.lineno - 1 : docstring.end_lineno]
    return textwrap.dedent("\n".join(source_lines)).split("\n")


def _additions(
    module: ModuleSource, tree: ast.Module, function: ast.stmt, lines: list[str]
) -> tuple[list[str], list[str]]:
    """New imports and new helper definitions of the answer, each as source text."""
    known_imports = {" ".join(line.split()) for line in module.imports}
    imports, helpers = [], []
    for node in tree.body:
        if node is function:
            continue
        text = "\n".join(lines[node_start(node) : node.end_lineno])
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if " ".join(text.split()) not in known_imports:
                imports.append(text + "\n")
        elif defined_names(node) and not (defined_names(node) & module.definitions.keys()):
            helpers.append(text)
    return imports, helpers


def _import_line(module: ModuleSource) -> int:
    """Where new imports go: after the file's last module-level import, else after its docstring."""
    tree = ast.parse(module.text)
    imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    if imports:
        return imports[-1].end_lineno or 0
    if tree.body and is_docstring(tree.body[0]):
        return tree.body[0].end_lineno or 0
    return 0


def _indented(text: str, indent: str) -> str:
    return "".join(indent + line if line.strip() else line for line in text.splitlines(keepends=True))


def _merged(replacements: list[Replacement]) -> tuple[Replacement, ...]:
    """One replacement per starting line: an insertion where a replacement begins joins its text."""
    ordered = sorted(replacements, key=lambda replacement: (replacement.start_line, replacement.end_line))
    merged: list[Replacement] = []
    for replacement in ordered:
        if merged and merged[-1].start_line == merged[-1].end_line == replacement.start_line:
            previous = merged.pop()
            replacement = Replacement(replacement.start_line, replacement.end_line, previous.text + replacement.text)
        merged.append(replacement)
    return tuple(merged)


def _newline_of(text: str) -> str:
    for newline in ("\r\n", "\r", "\n"):
        if newline in text:
            return newline
    return "\n"
