"""report.md says what a reader must know before trusting its pass@1."""

from __future__ import annotations

from pathlib import Path

from atlas_lsp.bench.report import summarize, write_report


def row(question_id: str, judge: str = "full", passed: bool = False) -> dict:
    return {
        "question_id": question_id,
        "judge": judge,
        "passed": passed,
        "difficulty": "easy",
        "platform": "leetcode",
        "seconds": 1.0,
        "tokens_in": 10,
        "tokens_out": 5,
    }


def report_of(tmp_path: Path, rows: list[dict], **meta: object) -> str:
    write_report(tmp_path, summarize(rows, meta))
    return (tmp_path / "report.md").read_text()


def test_a_run_judged_only_on_public_tests_says_it_is_not_an_official_pass_at_1(tmp_path: Path) -> None:
    text = report_of(tmp_path, [row("a", "public-only"), row("b", "public-only")])
    assert "Judged on public tests only" in text and "not an official" in text


def test_a_run_partly_judged_on_public_tests_says_how_many(tmp_path: Path) -> None:
    assert "1 of these problems have no hidden tests" in report_of(tmp_path, [row("a", "public-only"), row("b")])


def test_a_fully_judged_run_carries_no_warning(tmp_path: Path) -> None:
    text = report_of(tmp_path, [row("a"), row("b")], judge="mixed", selected=2)
    assert "public tests only" not in text and "Unfinished" not in text


def test_an_unfinished_run_says_how_many_problems_are_missing(tmp_path: Path) -> None:
    assert "2 of the 5 selected problems have a result" in report_of(tmp_path, [row("a"), row("b")], selected=5)


def test_the_report_counts_answers_that_passed_the_examples_and_then_the_judge(tmp_path: Path) -> None:
    def checked(question_id: str, examples_passed: int, passed: bool) -> dict:
        return row(question_id, passed=passed) | {"evidence": {"examples_passed": examples_passed, "examples_total": 2}}

    rows = [checked("a", 2, True), checked("b", 2, False), checked("c", 1, False), row("d")]
    summary = summarize(rows, {})
    assert (
        summary["answers_with_examples"],
        summary["answers_passing_examples"],
        summary["answers_passing_examples_and_judge"],
    ) == (3, 2, 1)
    assert "2 of the 3 answers checked on them passed them all; 1 of those" in report_of(tmp_path, rows)
