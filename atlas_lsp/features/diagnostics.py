"""Verify's findings: failing cases shown as diagnostics on their function, and kept for repair.

Findings are held per document and target, so verifying one function leaves the diagnostics of
another in place, and a later repair of the function is held to the cases verify found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from atlas_lsp.features.actions import describe_case, failures_worth_repairing
from atlas_lsp.features.targets import Target
from atlas_lsp.functions import FunctionSite, split_lines
from engine.task import Example, VerifyReport

SOURCE = "atlas"


@dataclass(frozen=True)
class Finding:
    diagnostics: tuple[types.Diagnostic, ...]
    failures: tuple[Example, ...]


class Findings:
    def __init__(self) -> None:
        self._by_document: dict[str, dict[str, Finding]] = {}

    def record(self, uri: str, target: str, finding: Finding) -> None:
        self._by_document.setdefault(uri, {})[target] = finding

    def forget(self, uri: str, target: str) -> None:
        self._by_document.get(uri, {}).pop(target, None)

    def failures(self, uri: str, target: str) -> tuple[Example, ...]:
        finding = self._by_document.get(uri, {}).get(target)
        return finding.failures if finding else ()

    def publish(self, server: LanguageServer, uri: str, version: int | None) -> None:
        findings = self._by_document.get(uri, {}).values()
        diagnostics = [diagnostic for finding in findings for diagnostic in finding.diagnostics]
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )


def finding_of(report: VerifyReport, target: Target, text: str, units: Callable[[str], int]) -> Finding:
    """Diagnostics on the target's first line (its `def`, or the file's first line for a program).

    `units` counts a string's length in the client's position encoding.
    """
    line_number = target.def_line if isinstance(target, FunctionSite) else 0
    line = split_lines(text)[line_number] if text else ""
    start = len(target.indent) if isinstance(target, FunctionSite) else 0
    where = types.Range(
        start=types.Position(line_number, units(line[:start])),
        end=types.Position(line_number, units(line)),
    )
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
    return Finding(diagnostics, failures_worth_repairing(report))


def summary_of(report: VerifyReport, target: Target) -> str:
    total, failing = len(report.cases), len(report.failing)
    unchecked = sum(case.status == "ran" for case in report.cases)
    unchecked_note = f" ({unchecked} more ran without a trusted expected result)" if unchecked else ""
    if not failing:
        return f"ATLAS: Verify {target.qualified_name}: all {total - unchecked} checked tests pass{unchecked_note}."
    return (
        f"ATLAS: Verify {target.qualified_name}: {failing} of {total - unchecked} checked tests fail{unchecked_note}; "
        "see the diagnostics. Repair will be held to them."
    )
