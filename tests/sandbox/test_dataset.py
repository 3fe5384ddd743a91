"""Reading LiveCodeBench rows: public fields for solvers, hidden tests apart, malformed rows reported."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import pickle
import zlib
from pathlib import Path

import pytest

from sandbox import TestCase, TestKind
from sandbox.dataset import DatasetError, Problem, load_dataset

FIXTURE = Path(__file__).parent.parent / "fixtures" / "sandbox" / "lcb_rows.jsonl"
LCB_V5 = Path("/work/shared/data/lcb_v5.jsonl")


def fixture_rows() -> list[dict]:
    rows = []
    for line in FIXTURE.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def official_encoding(tests: list[dict]) -> str:
    """How LiveCodeBench ships private tests: base64 of zlib of a pickled JSON string."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()


class RunsAShellCommand:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def test_public_fields_are_read_from_a_row() -> None:
    problem = load_dataset(FIXTURE).problems[0]
    assert (problem.question_id, problem.title, problem.platform, problem.difficulty) == (
        "fx_sum",
        "Sum",
        "atcoder",
        "easy",
    )
    assert problem.content == "Print A+B."
    assert problem.contest_date == "2024-01-01T00:00:00"
    assert problem.public_tests == (TestCase(TestKind.STDIN, "1 2\n", "3\n"),)


def test_problem_holds_only_what_the_statement_shows() -> None:
    field_names = {field.name for field in dataclasses.fields(Problem)}
    assert not any("private" in name or "hidden" in name for name in field_names)


def test_hidden_tests_are_kept_in_a_separate_mapping() -> None:
    dataset = load_dataset(FIXTURE)
    assert dataset.hidden_tests["fx_sum"] == (
        TestCase(TestKind.STDIN, "10 20\n", "30\n"),
        TestCase(TestKind.STDIN, "-5 5\n", "0\n"),
    )


def test_functional_problem_carries_its_function_name() -> None:
    problem = next(problem for problem in load_dataset(FIXTURE).problems if problem.platform == "leetcode")
    assert problem.func_name == "isEven"
    assert problem.public_tests == (TestCase(TestKind.FUNCTIONAL, "4", "true"),)


def test_judge_marker_is_kept() -> None:
    markers = {problem.question_id: problem.judge for problem in load_dataset(FIXTURE).problems}
    assert markers == {"fx_sum": "full", "9001": "full", "fx_echo": "public-only", "fx_bad_testtype": "full"}


def test_compressed_private_tests_are_decoded(tmp_path: Path) -> None:
    row = dict(
        fixture_rows()[0],
        private_test_cases=official_encoding([{"input": "2 2\n", "output": "4\n", "testtype": "stdin"}]),
    )
    dataset = load_dataset(write_rows(tmp_path / "rows.jsonl", [row]))
    assert dataset.row_errors == ()
    assert dataset.hidden_tests["fx_sum"] == (TestCase(TestKind.STDIN, "2 2\n", "4\n"),)


def test_pickle_naming_a_global_is_refused_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "the-pickle-ran"
    hostile = base64.b64encode(zlib.compress(pickle.dumps(RunsAShellCommand(f"touch {marker}")))).decode()
    row = dict(fixture_rows()[0], private_test_cases=hostile)
    dataset = load_dataset(write_rows(tmp_path / "rows.jsonl", [row]))
    assert not marker.exists()
    assert dataset.problems == ()
    (error,) = dataset.row_errors
    assert (error.line, error.question_id, error.field) == (1, "fx_sum", "private_test_cases")
    assert "refused global" in error.message


def test_pickle_holding_something_other_than_text_is_refused(tmp_path: Path) -> None:
    not_text = base64.b64encode(zlib.compress(pickle.dumps([1, 2, 3]))).decode()
    dataset = load_dataset(write_rows(tmp_path / "rows.jsonl", [dict(fixture_rows()[0], private_test_cases=not_text)]))
    assert "must hold a JSON string" in dataset.row_errors[0].message


def test_malformed_rows_are_reported_with_line_question_and_field() -> None:
    errors = {(error.line, error.question_id, error.field) for error in load_dataset(FIXTURE).row_errors}
    assert errors == {
        (4, None, None),
        (5, "fx_no_content", "question_content"),
        (6, "fx_no_func_name", "metadata"),
        (8, "fx_garbage_private", "private_test_cases"),
    }


def test_row_error_reads_as_a_sentence() -> None:
    error = next(error for error in load_dataset(FIXTURE).row_errors if error.line == 5)
    assert str(error) == "line 5 (question fx_no_content), field question_content: missing or not a string"


def test_good_rows_load_next_to_malformed_ones() -> None:
    assert [problem.question_id for problem in load_dataset(FIXTURE).problems] == [
        "fx_sum",
        "9001",
        "fx_echo",
        "fx_bad_testtype",
    ]


def test_duplicate_question_id_is_a_row_error(tmp_path: Path) -> None:
    row = fixture_rows()[0]
    dataset = load_dataset(write_rows(tmp_path / "rows.jsonl", [row, row]))
    assert len(dataset.problems) == 1
    assert [(error.line, error.field) for error in dataset.row_errors] == [(2, "question_id")]


def test_a_row_whose_public_tests_cannot_be_read_loads_without_examples_saying_why(tmp_path: Path) -> None:
    tests = json.dumps([{"input": "1", "output": "True", "testtype": "functional"}])
    row = dict(fixture_rows()[1], public_test_cases=tests)
    dataset = load_dataset(write_rows(tmp_path / "rows.jsonl", [row]))
    (problem,) = dataset.problems
    assert dataset.row_errors == () and problem.public_tests == ()
    assert "not JSON" in problem.public_tests_unread


def test_missing_file_is_a_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="cannot read dataset"):
        load_dataset(tmp_path / "absent.jsonl")


@pytest.mark.skipif(not LCB_V5.exists(), reason="the shared LiveCodeBench file is not on this machine")
def test_the_shared_release_v5_file_loads_completely() -> None:
    dataset = load_dataset(LCB_V5)
    assert dataset.row_errors == ()
    assert len(dataset.problems) == 880
    assert sum(len(problem.public_tests) for problem in dataset.problems) == 2300
