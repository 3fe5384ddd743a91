"""Repair tasks in HumanEvalPack's Python layout (the public HumanEvalFix format).

A row holds `task_id`, `prompt` (imports, signature and docstring), `declaration` (the prompt without
its docstring: everything before the body), `buggy_solution` (the body with the bug), `entry_point`,
`example_test` (public: `def check(...)` with a few asserts, then its call) and `test` (hidden: the
same shape, more asserts); `canonical_solution` (the correct body) is optional, and any other field
(`bug_kind` in the project's own set) is kept for reports only.

What a solver may read is `RepairTask`: the buggy function with its docstring (`prompt` +
`buggy_solution`, as the user's file would hold it) and the public check (as the user's own failing
test would be). `test` and `canonical_solution` sit in `HiddenCheck`, which only the judge
(`atlas_lsp.bench.repair_judge`) reads, after the answer is fixed. The split mirrors `BenchProblem`
(task for the engine, hidden tests for the judge).

A row missing a field, or whose code does not parse, is reported on its own (`RowError`: the line, the
task, the field) and the other rows load.
"""

from __future__ import annotations

import ast
import dataclasses
import gzip
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.examples import examples_in_test_file
from engine.task import Example, Task
from sandbox.dataset import DatasetError

if TYPE_CHECKING:
    from atlas_lsp.functions import FunctionSite, ModuleSource

REQUIRED_FIELDS = ("task_id", "prompt", "declaration", "buggy_solution", "entry_point", "example_test", "test")
OPTIONAL_FIELDS = ("canonical_solution", "bug_kind", "bug_type")
CHECK_FUNCTION = "check"


@dataclass(frozen=True)
class RepairTask:
    """The solver's view of a task: nothing here comes from the hidden test or the correct body."""

    task_id: str
    entry_point: str
    buggy_function: str
    """`prompt` + `buggy_solution`: imports, signature, docstring and the body with the bug."""
    example_test: str
    """The public check: `def check(...)` with its asserts, then its call."""

    @property
    def examples(self) -> tuple[Example, ...]:
        """The public check's literal asserts as call examples, read as the editor reads a test file
        (engine/examples.py, which lists the shapes it reads); asserts of other shapes are left out."""
        called = check_parameter(self.example_test) or self.entry_point
        return examples_in_test_file(self.example_test, called)

    def editor_view(self) -> tuple[Task, str]:
        """The engine `Task` and the program the editor's Repair builds for this function in a file whose
        test file holds `example_test` (atlas_lsp/features/targets.py): the same path, so the bench measures
        what the editor does."""
        # Imported here: the editor's modules are not needed to read or judge tasks.
        from atlas_lsp.context import FunctionContext
        from atlas_lsp.features.targets import build_task, program_of

        module, site = self._function_in_file()
        task = build_task(module, site, f"{self.entry_point}.py", FunctionContext(test_examples=self.examples))
        # The editor names a task after its file; results name it after the row.
        return dataclasses.replace(task, task_id=self.task_id), program_of(module, site)

    def edited(self, answer_code: str) -> str:
        """The file after the editor's Repair puts `answer_code` in place of the function
        (atlas_lsp/features/rewrite.py); raises UnusableAnswer, with the editor's reason, when it cannot."""
        from atlas_lsp.features.rewrite import rewrite

        module, site = self._function_in_file()
        return rewrite(module, site, answer_code).apply(self.buggy_function)

    def _function_in_file(self) -> tuple[ModuleSource, FunctionSite]:
        """The buggy function's file as the editor parses it, and the function in it."""
        from atlas_lsp.functions import parse_module

        module = parse_module(self.buggy_function)
        site = module.function_named(self.entry_point)
        if site is None:  # the loader checked the function is there
            raise ValueError(f"{self.task_id}: no function `{self.entry_point}`")
        return module, site


@dataclass(frozen=True)
class HiddenCheck:
    """The judge's half of a task: never handed to a solver."""

    test: str
    """The hidden check: `def check(...)` with its asserts, then (usually) its call."""
    reference: str | None = None
    """`prompt` + `canonical_solution` when the row has one: only to validate the judge."""


@dataclass(frozen=True)
class RepairProblem:
    task: RepairTask
    hidden: HiddenCheck
    bug_kind: str = ""
    """The bug's kind when the row says it (`bug_kind` here, `bug_type` in HumanEvalFix): for per-kind
    reports only."""
    line: int = 0
    """The row's line in its file."""


@dataclass(frozen=True)
class RowError:
    """A row that cannot become a task, and why: its line, its task id when it has one, the field at fault."""

    line: int
    task_id: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        task = f" ({self.task_id})" if self.task_id else ""
        field = f" field `{self.field}`:" if self.field else ""
        return f"line {self.line}{task}:{field} {self.message}"


@dataclass(frozen=True)
class LoadedRepairTasks:
    problems: tuple[RepairProblem, ...]
    row_errors: tuple[RowError, ...]


class _RowRejected(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def load_repair_tasks(path: Path, ids: set[str] | None = None, limit: int | None = None) -> LoadedRepairTasks:
    """The readable rows of a HumanEvalPack-layout file (.jsonl or .jsonl.gz) in `ids` (all by default),
    up to `limit` of them, and an error per row that cannot become a task."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise DatasetError(f"cannot read {path}: {error}") from None
    problems: list[RepairProblem] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or (limit is not None and len(problems) >= limit):
            continue
        task_id = None
        try:
            row = _json_object(line)
            task_id = row.get("task_id") if isinstance(row.get("task_id"), str) else None
            if ids is not None and task_id not in ids:
                continue
            problem = read_repair_row(row, number)
            if problem.task.task_id in seen:
                raise _RowRejected("task_id", "repeats a task id of an earlier row")
        except _RowRejected as rejected:
            errors.append(RowError(number, task_id, rejected.field, rejected.message))
            continue
        seen.add(problem.task.task_id)
        problems.append(problem)
    return LoadedRepairTasks(tuple(problems), tuple(errors))


def read_repair_row(row: dict[str, Any], line: int = 0) -> RepairProblem:
    """One row as a problem; raises _RowRejected naming the field at fault."""
    missing = [name for name in REQUIRED_FIELDS if name not in row]
    if missing:
        names = ", ".join(f"`{name}`" for name in missing)
        raise _RowRejected(missing[0], f"missing ({names} absent)" if len(missing) > 1 else "missing")
    for name in (*REQUIRED_FIELDS, *OPTIONAL_FIELDS):
        if name in row and row[name] is not None and not isinstance(row[name], str):
            raise _RowRejected(name, f"must be a string, not {type(row[name]).__name__}")
    entry_point = row["entry_point"]
    if not entry_point.isidentifier():
        raise _RowRejected("entry_point", f"{entry_point!r} is not a function name")
    if not row["task_id"]:
        raise _RowRejected("task_id", "is empty")
    buggy_function = row["prompt"] + row["buggy_solution"]
    _check_defines(buggy_function, entry_point, "buggy_solution", "prompt + buggy_solution")
    for name in ("example_test", "test"):
        _check_test(row[name], name)
    reference = None
    if row.get("canonical_solution") is not None:
        reference = row["prompt"] + row["canonical_solution"]
        _check_defines(reference, entry_point, "canonical_solution", "prompt + canonical_solution")
    return RepairProblem(
        RepairTask(row["task_id"], entry_point, buggy_function, row["example_test"]),
        HiddenCheck(row["test"], reference),
        # HumanEvalFix names its bugs' kinds `bug_type` ("operator misuse", "missing logic", ...).
        bug_kind=row.get("bug_kind") or row.get("bug_type") or "",
        line=line,
    )


def check_parameter(test_source: str) -> str | None:
    """The parameter of the test's `def check(...)`: `candidate` in HumanEval, the function's own name in
    HumanEvalPack. None when there is no such function."""
    try:
        tree = ast.parse(test_source)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == CHECK_FUNCTION and node.args.args:
            return node.args.args[0].arg
    return None


def calls_check(test_source: str) -> bool:
    """Whether the test calls `check(...)` at module level (HumanEvalPack's tests do; HumanEval's leave it
    to the harness)."""
    tree = ast.parse(test_source)
    return any(
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == CHECK_FUNCTION
        for node in tree.body
    )


def _json_object(line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise _RowRejected(None, f"not JSON ({error})") from None
    if not isinstance(row, dict):
        raise _RowRejected(None, f"not a JSON object but a {type(row).__name__}")
    return row


def _check_defines(source: str, entry_point: str, field: str, what: str) -> None:
    tree = _parsed(source, field, what)
    defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if entry_point not in defined:
        raise _RowRejected("entry_point", f"{what} defines no function `{entry_point}` at module level")


def _check_test(source: str, field: str) -> None:
    _parsed(source, field, field)
    if check_parameter(source) is None:
        raise _RowRejected(field, f"has no `def {CHECK_FUNCTION}(candidate)` function")


def _parsed(source: str, field: str, what: str) -> ast.Module:
    try:
        with warnings.catch_warnings():
            # Datasets' code has `"\d"`-style escapes, which parse (with a warning) and run as they are.
            warnings.simplefilter("ignore", (DeprecationWarning, SyntaxWarning))
            return ast.parse(source)
    except SyntaxError as error:
        raise _RowRejected(field, f"{what} does not parse (line {error.lineno}: {error.msg})") from None
    except ValueError as error:  # NUL bytes
        raise _RowRejected(field, f"{what} does not parse ({error})") from None
