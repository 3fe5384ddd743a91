"""Verify's findings: failing cases shown as diagnostics on their function, and kept for repair.

Findings are held per document and target, so verifying one function leaves the diagnostics of
another in place, and a later repair of the function is held to the cases verify found. A finding
holds while its function's text stays what was verified (see `function_records`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, replace

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from atlas_lsp.features.actions import describe_case, failures_worth_repairing
from atlas_lsp.features.function_records import FunctionRecords, first_line_range
from atlas_lsp.features.targets import Target, source_of
from engine.task import Example, VerifyReport

SOURCE = "atlas"


@dataclass(frozen=True)
class Finding:
    diagnostics: tuple[types.Diagnostic, ...]
    failures: tuple[Example, ...]
    source: str
    """The function's text that was verified."""
    range: types.Range
    """Where the diagnostics are: the function's first line."""

    def moved_to(self, where: types.Range) -> Finding:
        return replace(
            self, range=where, diagnostics=tuple(_placed(diagnostic, where) for diagnostic in self.diagnostics)
        )


class Findings(FunctionRecords[Finding]):
    def failures(self, uri: str, target: str) -> tuple[Example, ...]:
        finding = self.get(uri, target)
        return finding.failures if finding else ()

    def publish(self, server: LanguageServer, uri: str, version: int | None) -> None:
        findings = self.of_document(uri).values()
        diagnostics = [diagnostic for finding in findings for diagnostic in finding.diagnostics]
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )


def finding_of(report: VerifyReport, target: Target, text: str, units: Callable[[str], int]) -> Finding:
    """Diagnostics on the target's first line (its `def`, or the file's first line for a program).

    `units` counts a string's length in the client's position encoding.
    """
    where = first_line_range(target, text, units)
    diagnostics = tuple(
        types.Diagnostic(
            range=where,
            message=describe_case(case, target),
            severity=types.DiagnosticSeverity.Error if case.status == "failed" else types.DiagnosticSeverity.Warning,
            source=SOURCE,
            code=f"verify-{case.status}",
            data={"input": case.input, "expected": case.expected, "actual": case.actual},
        )
        for case in report.failing
    )
    return Finding(diagnostics, failures_worth_repairing(report), source_of(target), where)


def checked_tests(report: VerifyReport) -> str:
    """What verify found among the tests with a trusted expected result, e.g. `1 of 3 checked tests fail`."""
    checked, failing = len(report.cases) - unchecked_tests(report), len(report.failing)
    if failing:
        return f"{failing} of {checked} checked tests fail"
    return f"all {checked} checked tests pass" if checked else "no checked tests"


def unchecked_tests(report: VerifyReport) -> int:
    """Tests that ran with no trusted expected result to compare with."""
    return sum(case.status == "ran" for case in report.cases)


def summary_of(report: VerifyReport, target: Target) -> str:
    unchecked = unchecked_tests(report)
    unchecked_note = f" ({unchecked} more ran without a trusted expected result)" if unchecked else ""
    summary = f"ATLAS: Verify {target.qualified_name}: {checked_tests(report)}{unchecked_note}"
    if not report.failing:
        return f"{summary}."
    return f"{summary}; see the diagnostics. Repair will be held to them."


def _placed(diagnostic: types.Diagnostic, where: types.Range) -> types.Diagnostic:
    placed = copy.copy(diagnostic)  # lsprotocol's classes are mutable: the recorded one stays as it was
    placed.range = where
    return placed
