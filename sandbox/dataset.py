"""Reading LiveCodeBench `code_generation_lite` rows (one JSON object per line).

The rule this module's types enforce: code that builds a solver's input takes only `Problem` objects,
which carry what the statement shows (title, content, starter code, public examples) and nothing else.
Hidden tests are in `Dataset.hidden_tests`, keyed by question id; only the judge reads them, and only
after the answer is fixed.

`private_test_cases` is either plain JSON or, in the official release, base64 of zlib of a pickled JSON
string. The pickle is read with an unpickler that refuses every global, so a hostile row can only fail to
load. A malformed row becomes a `RowError` naming its line, question id and field; the other rows load.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import pickle
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sandbox.testcases import TestCase, TestKind

TEXT_FIELDS = ("question_title", "question_content", "platform", "difficulty", "contest_date", "starter_code")
JUDGE_MARKERS = ("full", "public-only")


@dataclass(frozen=True)
class Problem:
    """What a solver may see: the statement, its starter code and the public examples."""

    question_id: str
    title: str
    content: str
    platform: str
    difficulty: str
    contest_id: str
    contest_date: str
    starter_code: str
    public_tests: tuple[TestCase, ...]
    # The method LeetCode answers define (`metadata.func_name`); None for stdin problems.
    func_name: str | None
    # The row's `judge` marker: "full", "public-only", or "" when the row has none.
    judge: str
    # Why `public_test_cases` could not be read ("" when it could): the problem is then solved without examples.
    public_tests_unread: str = ""


@dataclass(frozen=True)
class RowError:
    line: int
    question_id: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}"
        if self.question_id is not None:
            where += f" (question {self.question_id})"
        if self.field is not None:
            where += f", field {self.field}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Dataset:
    source: str
    problems: tuple[Problem, ...]
    # question_id -> private tests. For the judge only; never hand these to a solver.
    hidden_tests: Mapping[str, tuple[TestCase, ...]]
    row_errors: tuple[RowError, ...]


class DatasetError(Exception):
    """The dataset file cannot be read at all."""


class _RowProblem(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


class _NoGlobalsUnpickler(pickle.Unpickler):
    """Accepts only plain data: any class or function reference in the stream is refused."""

    def find_class(self, module: str, name: str) -> object:
        raise pickle.UnpicklingError(f"refused global {module}.{name}")


def load_dataset(path: str | Path) -> Dataset:
    try:
        with open(path, encoding="utf-8") as handle:
            return parse_rows(handle, source=str(path))
    except (OSError, UnicodeDecodeError) as error:
        raise DatasetError(f"cannot read dataset {path}: {error}") from error


def parse_rows(lines: Iterable[str], *, source: str = "<rows>") -> Dataset:
    problems: list[Problem] = []
    hidden: dict[str, tuple[TestCase, ...]] = {}
    errors: list[RowError] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        question_id = None
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise _RowProblem(None, f"a row must be a JSON object, got {type(row).__name__}")
            question_id = _question_id(row)
            if question_id in hidden:
                raise _RowProblem("question_id", "duplicate question id")
            problem, hidden_tests = _parse_row(row, question_id)
        except json.JSONDecodeError as error:
            errors.append(RowError(number, None, None, f"not valid JSON ({error})"))
            continue
        except _RowProblem as problem_error:
            errors.append(RowError(number, question_id, problem_error.field, str(problem_error)))
            continue
        problems.append(problem)
        hidden[question_id] = hidden_tests
    return Dataset(source, tuple(problems), MappingProxyType(hidden), tuple(errors))


def _question_id(row: dict[str, Any]) -> str:
    value = row.get("question_id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise _RowProblem("question_id", "missing or not a non-empty string")
    return value


def _parse_row(row: dict[str, Any], question_id: str) -> tuple[Problem, tuple[TestCase, ...]]:
    texts = {}
    for name in TEXT_FIELDS:
        value = row.get(name)
        if not isinstance(value, str):
            raise _RowProblem(name, "missing or not a string")
        texts[name] = value
    contest_id = row.get("contest_id", "")
    if not isinstance(contest_id, str):
        raise _RowProblem("contest_id", "not a string")
    judge = row.get("judge", "")
    if judge not in ("", *JUDGE_MARKERS):
        raise _RowProblem("judge", f"must be one of {JUDGE_MARKERS}, got {judge!r}")
    func_name = _func_name(row.get("metadata", "{}"))
    try:
        public = _tests(
            _plain_json_tests(row.get("public_test_cases"), "public_test_cases"), "public_test_cases", func_name
        )
        public_unread = ""
    except _RowProblem as unreadable:
        public, public_unread = (), str(unreadable)
    private_value = row.get("private_test_cases", "[]")
    private = _tests(_decode_private_tests(private_value), "private_test_cases", func_name)
    problem = Problem(
        question_id=question_id,
        title=texts["question_title"],
        content=texts["question_content"],
        platform=texts["platform"],
        difficulty=texts["difficulty"],
        contest_id=contest_id,
        contest_date=texts["contest_date"],
        starter_code=texts["starter_code"],
        public_tests=public,
        func_name=func_name,
        judge=judge,
        public_tests_unread=public_unread,
    )
    return problem, private


def _func_name(metadata: object) -> str | None:
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata) if metadata.strip() else {}
        except json.JSONDecodeError as error:
            raise _RowProblem("metadata", f"not valid JSON ({error})") from None
    if not isinstance(metadata, dict):
        raise _RowProblem("metadata", "must be a JSON object")
    func_name = metadata.get("func_name")
    if func_name is not None and (not isinstance(func_name, str) or not func_name.isidentifier()):
        raise _RowProblem("metadata", f"func_name must be an identifier, got {func_name!r}")
    return func_name


def _plain_json_tests(value: object, field: str) -> object:
    if isinstance(value, list):
        return value
    if not isinstance(value, str):
        raise _RowProblem(field, "missing or not a JSON string")
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise _RowProblem(field, f"not valid JSON ({error})") from None


def _decode_private_tests(value: object) -> object:
    """Plain JSON, or the official encoding: base64 -> zlib -> pickle (a str) -> JSON."""
    if isinstance(value, list):
        return value
    if not isinstance(value, str):
        raise _RowProblem("private_test_cases", "not a string")
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        pass
    field = "private_test_cases"
    try:
        compressed = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _RowProblem(field, "neither JSON nor base64") from None
    try:
        pickled = zlib.decompress(compressed)
    except zlib.error as error:
        raise _RowProblem(field, f"base64 but not zlib data ({error})") from None
    try:
        text = _NoGlobalsUnpickler(io.BytesIO(pickled)).load()
    except pickle.UnpicklingError as error:
        raise _RowProblem(field, f"unsafe or corrupt pickle ({error})") from None
    except Exception as error:  # truncated streams raise EOFError, ValueError, ...
        raise _RowProblem(field, f"corrupt pickle ({type(error).__name__}: {error})") from None
    if not isinstance(text, str):
        raise _RowProblem(field, f"the pickle must hold a JSON string, got {type(text).__name__}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise _RowProblem(field, f"the unpickled text is not JSON ({error})") from None


def _tests(items: object, field: str, func_name: str | None) -> tuple[TestCase, ...]:
    if not isinstance(items, list):
        raise _RowProblem(field, "must be a list of tests")
    tests = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise _RowProblem(field, f"test {index} is not an object")
        test_input, expected, kind = item.get("input"), item.get("output"), item.get("testtype")
        if not isinstance(test_input, str) or not isinstance(expected, str):
            raise _RowProblem(field, f"test {index} needs string 'input' and 'output'")
        if kind not in (TestKind.STDIN.value, TestKind.FUNCTIONAL.value):
            raise _RowProblem(field, f"test {index} has testtype {kind!r}, expected 'stdin' or 'functional'")
        if kind == TestKind.FUNCTIONAL.value:
            if func_name is None:
                raise _RowProblem("metadata", "functional tests need metadata.func_name")
            _check_functional_json(test_input, expected, field, index)
        tests.append(TestCase(TestKind(kind), test_input, expected))
    return tuple(tests)


def _check_functional_json(test_input: str, expected: str, field: str, index: int) -> None:
    # Checked here so that a broken test reads as a dataset error, not as every solution failing.
    try:
        for line in test_input.split("\n"):
            json.loads(line)
    except json.JSONDecodeError as error:
        raise _RowProblem(field, f"test {index}: an argument line is not JSON ({error})") from None
    try:
        json.loads(expected)
    except json.JSONDecodeError as error:
        raise _RowProblem(field, f"test {index}: the output is not JSON ({error})") from None
