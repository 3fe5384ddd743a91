"""How verify's failing cases are shown (diagnostics, summary) and kept for repair."""

from __future__ import annotations

from lsprotocol import types

from atlas_lsp.features.actions import describe_case, failures_worth_repairing
from atlas_lsp.features.diagnostics import finding_of, summary_of
from atlas_lsp.functions import parse_module
from engine.task import CaseResult, Example, VerifyReport

SOURCE = "class Box:\n    def f(self):\n        return 1\n\n\ndef largest(xs):\n    return 0\n"
WRONG = CaseResult("[[-5, -2]]", "-2", "0", "failed", origin="example")
CRASH = CaseResult("[[]]", None, "runtime error", "error", "Traceback...\nValueError: max() arg is an empty sequence")
UNCHECKED = CaseResult("[[1]]", None, "0", "ran", origin="generated")
PASSED = CaseResult("[[0]]", "0", "0", "passed")


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def largest():
    return parse_module(SOURCE).function_named("largest")


def test_wrong_answer_reads_as_a_call_with_result_and_expectation() -> None:
    assert describe_case(WRONG, largest()) == "largest([-5, -2]) returned 0, expected -2"


def test_crash_shows_the_last_line_of_the_error() -> None:
    assert describe_case(CRASH, largest()) == "largest([]) raised an error: ValueError: max() arg is an empty sequence"


def test_program_case_shows_the_input_and_printed_output() -> None:
    problem = parse_module('"""Read input, write output."""\nprint(0)\n').problem
    case = CaseResult("3\n", "6", "0\n", "failed")
    assert describe_case(case, problem) == "On input '3\\n' the program printed '0\\n', expected '6'"


def test_each_failing_case_is_one_diagnostic_on_the_def_line() -> None:
    report = VerifyReport((WRONG, CRASH, UNCHECKED, PASSED))
    finding = finding_of(report, largest(), SOURCE, utf16)
    assert [d.code for d in finding.diagnostics] == ["verify-failed", "verify-error"]
    def_line = types.Range(types.Position(5, 0), types.Position(5, 16))
    assert all(d.range == def_line for d in finding.diagnostics)
    assert finding.diagnostics[0].severity == types.DiagnosticSeverity.Error
    assert finding.diagnostics[0].data == {"input": "[[-5, -2]]", "expected": "-2", "actual": "0"}


def test_only_cases_with_a_trusted_expectation_are_kept_for_repair() -> None:
    report = VerifyReport((WRONG, CRASH, UNCHECKED, PASSED))
    assert failures_worth_repairing(report) == (Example("[[-5, -2]]", "-2"),)


def test_summary_counts_failures_among_checked_tests() -> None:
    summary = summary_of(VerifyReport((WRONG, UNCHECKED, PASSED)), largest())
    assert summary.startswith("ATLAS: Verify largest: 1 of 2 checked tests fail (1 more ran")


def test_summary_of_a_clean_report_says_all_pass() -> None:
    assert summary_of(VerifyReport((PASSED,)), largest()) == "ATLAS: Verify largest: all 1 checked tests pass."
