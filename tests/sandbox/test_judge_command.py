"""`atlas-lsp --judge`: grading fixed solutions end to end, reports on disk, clean input errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from atlas_lsp.commands import judge as judge_command

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sandbox"
DATASET = FIXTURES / "lcb_rows.jsonl"
SOLUTIONS = FIXTURES / "solutions.jsonl"


def judge_args(out: Path, **overrides) -> argparse.Namespace:
    values = dict(
        judge=str(DATASET),
        solutions=str(SOLUTIONS),
        out=str(out),
        public_only=False,
        timeout=None,
        jobs=2,
        limit=None,
        verbose=False,
    )
    values.update(overrides)
    return argparse.Namespace(**values)


def summary_of(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def results_of(out: Path) -> dict[str, dict]:
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return {row["question_id"]: row for row in rows}


def write_solutions(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


def test_adds_only_the_solutions_and_public_only_options() -> None:
    parser = argparse.ArgumentParser()
    judge_command.add_arguments(parser)
    options = {option for action in parser._actions for option in action.option_strings} - {"-h", "--help"}
    assert options == {"--solutions", "--public-only"}


def test_summary_counts_problems_solutions_and_tests(tmp_path: Path) -> None:
    assert judge_command.run(judge_args(tmp_path)) == 0
    summary = summary_of(tmp_path)
    assert {key: summary[key] for key in ("problems", "passed", "solutions", "solutions_passed")} == {
        "problems": 3,
        "passed": 3,
        "solutions": 4,
        "solutions_passed": 3,
    }
    # fx_sum: a failing program stops at its first test, the right one runs 3; isEven runs 3; echo runs 1.
    assert (summary["tests_run"], summary["tests_passed"]) == (1 + 3 + 3 + 1, 3 + 3 + 1)


def test_problem_passes_when_any_of_its_solutions_passes(tmp_path: Path) -> None:
    judge_command.run(judge_args(tmp_path))
    sum_row = results_of(tmp_path)["fx_sum"]
    assert sum_row["passed"]
    assert [solution["passed"] for solution in sum_row["solutions"]] == [False, True]


def test_hidden_tests_are_used_unless_the_dataset_marks_the_problem_public_only(tmp_path: Path) -> None:
    judge_command.run(judge_args(tmp_path))
    results = results_of(tmp_path)
    assert results["fx_sum"]["test_set"] == "public+hidden"
    assert results["fx_echo"]["test_set"] == "public"
    assert results["fx_echo"]["test_set_reason"] == "the dataset marks the problem public-only"
    assert summary_of(tmp_path)["test_set"] == "mixed"


def test_public_only_grades_on_public_tests(tmp_path: Path) -> None:
    judge_command.run(judge_args(tmp_path, public_only=True))
    summary = summary_of(tmp_path)
    assert summary["test_set"] == "public"
    assert summary["test_set_reasons"] == {"--public-only": 3}


def test_failure_on_a_hidden_test_is_reported_without_its_content(tmp_path: Path) -> None:
    cheater = "print(3)\n"  # right on the public example only
    solutions = write_solutions(tmp_path / "solutions.jsonl", [{"question_id": "fx_sum", "code": cheater}])
    judge_command.run(judge_args(tmp_path / "out", solutions=solutions))
    failure = results_of(tmp_path / "out")["fx_sum"]["solutions"][0]["first_failure"]
    assert failure == {"test": 1, "public": False, "verdict": "wrong_answer", "seconds": failure["seconds"]}


def test_failure_on_a_public_test_carries_its_detail(tmp_path: Path) -> None:
    judge_command.run(judge_args(tmp_path))
    failure = results_of(tmp_path)["fx_sum"]["solutions"][0]["first_failure"]
    assert (failure["test"], failure["public"], failure["detail"]) == (0, True, "line 1 of 1 differs")


def test_prints_a_table_by_platform(tmp_path: Path, capsys) -> None:
    judge_command.run(judge_args(tmp_path))
    table = capsys.readouterr().out
    for platform_row in ("atcoder", "codeforces", "leetcode", "all"):
        assert any(line.startswith(platform_row) for line in table.splitlines())


def test_malformed_solutions_file_exits_2_with_a_message(tmp_path: Path, capsys) -> None:
    broken = tmp_path / "solutions.jsonl"
    broken.write_text('{"question_id": "fx_sum", "code": "print(3)"}\n{"question_id": \n')
    assert judge_command.run(judge_args(tmp_path, solutions=str(broken))) == 2
    error = capsys.readouterr().err
    assert "line 2: not valid JSON" in error
    assert "Traceback" not in error


def test_missing_dataset_exits_2_with_a_message(tmp_path: Path, capsys) -> None:
    assert judge_command.run(judge_args(tmp_path, judge=str(tmp_path / "absent.jsonl"))) == 2
    assert "cannot read dataset" in capsys.readouterr().err


def test_an_evalplus_dataset_exits_2_naming_what_grades_it(tmp_path: Path, capsys) -> None:
    assert judge_command.run(judge_args(tmp_path, judge=str(tmp_path / "MbppPlus.jsonl.gz"))) == 2
    error = capsys.readouterr().err
    assert "is an evalplus file" in error and "benchmarks/trace_oracle.py" in error


def test_solutions_for_no_known_question_exit_2(tmp_path: Path, capsys) -> None:
    solutions = write_solutions(tmp_path / "solutions.jsonl", [{"question_id": "elsewhere", "code": "print(1)"}])
    assert judge_command.run(judge_args(tmp_path, solutions=solutions)) == 2
    assert "no question_id" in capsys.readouterr().err


@pytest.mark.parametrize("missing", ["solutions", "out"])
def test_required_options_are_checked(tmp_path: Path, capsys, missing: str) -> None:
    args = judge_args(tmp_path)
    setattr(args, missing, None)
    assert judge_command.run(args) == 2
    assert f"--{missing}" in capsys.readouterr().err
