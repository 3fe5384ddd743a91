"""The evidence shown beside the code after a job: the lens text, what a click on it does, and the
change annotation an applied edit carries."""

from __future__ import annotations

from lsprotocol import types

from atlas_lsp.features.actions import Edit
from atlas_lsp.features.commands import EVIDENCE_ANNOTATION, Snapshot, workspace_edit_for
from atlas_lsp.features.evidence import evidence_text, lens_of, verdict_text
from atlas_lsp.features.rewrite import Replacement, Rewrite
from atlas_lsp.functions import parse_module
from engine.task import Answer, CaseResult, Evidence, VerifyReport

SOURCE = "class Box:\n    def size(self):\n        return 1\n\n\ndef largest(xs):\n    return max(xs)\n"
PASSED = CaseResult("[[0]]", "0", "0", "passed")
WRONG = CaseResult("[[-5, -2]]", "-2", "0", "failed")
UNCHECKED = CaseResult("[[1]]", None, "0", "ran", origin="generated")
ANNOTATION = types.ChangeAnnotation(
    label="ATLAS: Solve f", description="atlas: passes 1/1 examples", needs_confirmation=False
)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_solve_evidence_names_examples_passed_and_candidates_that_agree() -> None:
    evidence = Evidence(candidates=4, examples_total=3, examples_passed=3, cluster_size=2, origin="sample")
    assert evidence_text(evidence) == "atlas: passes 3/3 examples, 2 of 4 candidates agree"


def test_evidence_without_examples_says_there_were_none_to_check() -> None:
    assert evidence_text(Evidence(candidates=1, examples_total=0, examples_passed=0)) == "atlas: no examples to check"


def test_a_first_attempt_that_passes_is_not_said_to_be_chosen_among_others() -> None:
    evidence = Evidence(candidates=1, examples_total=2, examples_passed=2, origin="greedy")
    assert evidence_text(evidence) == "atlas: passes 2/2 examples"


def test_an_answer_no_other_candidate_agrees_with_is_said_to_be_chosen_among_them() -> None:
    evidence = Evidence(candidates=3, examples_total=4, examples_passed=2)
    assert evidence_text(evidence) == "atlas: passes 2/4 examples, chosen from 3 candidates"


def test_repaired_code_says_it_was_repaired() -> None:
    evidence = Evidence(candidates=2, examples_total=3, examples_passed=3, repaired=True, origin="repair:direct")
    assert evidence_text(evidence) == "atlas: repaired, passes 3/3 examples, chosen from 2 candidates"


def test_a_rewrite_with_nothing_to_run_it_on_is_not_called_repaired() -> None:
    evidence = Evidence(candidates=1, examples_total=0, examples_passed=0, repaired=True, origin="repair:unchecked")
    assert evidence_text(evidence) == "atlas: rewritten, no examples to check"


def test_verify_lens_counts_failures_among_checked_tests_and_the_unchecked_apart() -> None:
    assert verdict_text(VerifyReport((WRONG, PASSED, UNCHECKED))) == "atlas: 1 of 2 checked tests fail, 1 unchecked"


def test_verify_lens_of_a_clean_report_says_all_pass() -> None:
    assert verdict_text(VerifyReport((PASSED, PASSED))) == "atlas: all 2 checked tests pass"


def test_verify_lens_with_no_trusted_expectation_says_nothing_was_checked() -> None:
    assert verdict_text(VerifyReport((UNCHECKED,))) == "atlas: no checked tests, 1 unchecked"


def test_lens_sits_on_the_def_line_of_its_function() -> None:
    largest = parse_module(SOURCE).function_named("largest")
    assert largest is not None
    lens = lens_of("atlas: passes 1/1 examples", largest, SOURCE, utf16)
    assert lens.range == types.Range(types.Position(5, 0), types.Position(5, 16))


def test_a_click_on_the_lens_of_a_function_verifies_it() -> None:
    largest = parse_module(SOURCE).function_named("largest")
    assert largest is not None
    assert lens_of("atlas: passes 1/1 examples", largest, SOURCE, utf16).verifiable


def test_the_lens_of_a_method_is_not_clickable_since_verify_cannot_call_it() -> None:
    method = parse_module(SOURCE).function_named("Box.size")
    assert method is not None
    assert not lens_of("atlas: no examples to check", method, SOURCE, utf16).verifiable


def capabilities(document_changes: bool, annotations: bool) -> types.ClientCapabilities:
    support = types.ChangeAnnotationsSupportOptions(groups_on_label=True) if annotations else None
    edits = types.WorkspaceEditClientCapabilities(document_changes=document_changes, change_annotation_support=support)
    return types.ClientCapabilities(workspace=types.WorkspaceClientCapabilities(workspace_edit=edits))


def solve_edit() -> tuple[Snapshot, Edit]:
    text = "def f():\n    ...\n"
    answer = Answer("def f():\n    return 1\n", 0.9, Evidence(candidates=1, examples_total=1, examples_passed=1))
    return Snapshot("file:///f.py", "/f.py", 3, text), Edit(
        Rewrite((Replacement(0, 2, "def f():\n    return 1\n"),)), answer
    )


def test_applied_edit_carries_the_evidence_as_its_change_annotation_when_the_client_takes_annotations() -> None:
    snapshot, edit = solve_edit()
    workspace_edit = workspace_edit_for(snapshot, edit, capabilities(True, annotations=True), utf16, ANNOTATION)
    (change,) = workspace_edit.document_changes or []
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.version == 3
    assert all(isinstance(text_edit, types.AnnotatedTextEdit) for text_edit in change.edits)
    assert {
        text_edit.annotation_id for text_edit in change.edits if isinstance(text_edit, types.AnnotatedTextEdit)
    } == {EVIDENCE_ANNOTATION}
    assert workspace_edit.change_annotations == {EVIDENCE_ANNOTATION: ANNOTATION}


def test_applied_edit_is_plain_when_the_client_takes_no_annotations() -> None:
    snapshot, edit = solve_edit()
    workspace_edit = workspace_edit_for(snapshot, edit, capabilities(True, annotations=False), utf16, ANNOTATION)
    (change,) = workspace_edit.document_changes or []
    assert isinstance(change, types.TextDocumentEdit)
    assert [type(text_edit) for text_edit in change.edits] == [types.TextEdit]
    assert workspace_edit.change_annotations is None
