"""The evidence lens: what the last Solve, Repair or Verify of a function checked, shown as a code
lens on its `def` line for as long as the function's text stays the one it was checked on.

The texts state only what the engine's evidence holds: examples passed, how many candidates there
were and how many of them agree, whether the code was repaired; Verify's is its count of tests.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from atlas_lsp.features.actions import Action
from atlas_lsp.features.diagnostics import checked_tests, unchecked_tests
from atlas_lsp.features.function_records import first_line_range
from atlas_lsp.features.messages import log
from atlas_lsp.features.targets import Target, source_of
from engine.task import Evidence, VerifyReport

PREFIX = "atlas: "


@dataclass(frozen=True)
class EvidenceLens:
    text: str
    source: str
    """The function's text the evidence is about."""
    range: types.Range
    """The function's first line."""
    verifiable: bool
    """Whether Verify applies to the function, so that a click on the lens can run it."""

    def moved_to(self, where: types.Range) -> EvidenceLens:
        return replace(self, range=where)


def lens_of(text: str, target: Target, document_text: str, units: Callable[[str], int]) -> EvidenceLens:
    """The lens for `target` as it stands in `document_text`."""
    where = first_line_range(target, document_text, units)
    return EvidenceLens(text, source_of(target), where, Action.VERIFY.offered_for(target))


def evidence_text(evidence: Evidence) -> str:
    """Solve's or Repair's evidence, e.g. `atlas: passes 3/3 examples, 2 of 4 candidates agree`."""
    parts = []
    if evidence.origin == "repair:unchecked":  # rewritten with nothing to run it on: not known to be fixed
        parts.append("rewritten")
    elif evidence.repaired:
        parts.append("repaired")
    if evidence.examples_total:
        parts.append(f"passes {evidence.examples_passed}/{evidence.examples_total} examples")
    else:
        parts.append("no examples to check")
    # The answer's cluster: the candidates passing as many examples as it does with its outputs on every
    # generated input. A cluster of 1 is also what an answer chosen without clustering reports.
    if evidence.cluster_size > 1:
        parts.append(f"{evidence.cluster_size} of {evidence.candidates} candidates agree")
    elif evidence.candidates > 1:
        parts.append(f"chosen from {evidence.candidates} candidates")
    return PREFIX + ", ".join(parts)


def verdict_text(report: VerifyReport) -> str:
    """Verify's summary in short, e.g. `atlas: 1 of 3 checked tests fail, 2 unchecked`."""
    unchecked = unchecked_tests(report)
    return PREFIX + checked_tests(report) + (f", {unchecked} unchecked" if unchecked else "")


def refresh_code_lenses(server: LanguageServer) -> None:
    """Ask the editor for code lenses again, if it can be asked (else it asks when it sees fit)."""
    workspace = server.client_capabilities.workspace
    if not (workspace and workspace.code_lens and workspace.code_lens.refresh_support):
        return

    def log_failure(answer: Future[None]) -> None:  # nothing waits for the answer: a failure is only logged
        if not answer.cancelled() and answer.exception() is not None:
            log(server, f"workspace/codeLens/refresh failed: {answer.exception()}", types.MessageType.Warning)

    server.workspace_code_lens_refresh(None).add_done_callback(log_failure)
