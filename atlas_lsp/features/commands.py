"""`workspace/executeCommand` for atlas.solve, atlas.verify and atlas.repair.

A command takes a snapshot of the document (text and version), starts a background job and
returns at once. The job shows progress, calls the engine and then either publishes verify's
findings or applies the edit as a versioned `TextDocumentEdit` — unless the document changed
meanwhile, in which case the edit is dropped and the user told so. A verdict or an applied edit
also records what was checked as the function's evidence lens (see `evidence`).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

from atlas_lsp.context import FunctionContext
from atlas_lsp.features.actions import Action, Edit, Verdict, run_action
from atlas_lsp.features.diagnostics import finding_of, summary_of
from atlas_lsp.features.documents import show_recorded
from atlas_lsp.features.evidence import evidence_text, lens_of, verdict_text
from atlas_lsp.features.messages import log, tell
from atlas_lsp.features.progress import JobProgress, job_progress
from atlas_lsp.features.rewrite import Replacement, UnusableAnswer
from atlas_lsp.features.targets import Target, target_named
from atlas_lsp.features.usage import usage_message
from atlas_lsp.functions import FunctionSite, ModuleSource, parse_module, split_lines
from atlas_lsp.jobs import AlreadyRunning, JobKey
from atlas_lsp.server import AtlasServer
from engine.models import ModelError


@dataclass(frozen=True)
class TargetReference:
    """The argument of every atlas command: which function (or `<module>`) of which document."""

    uri: str
    target: str


@dataclass(frozen=True)
class Snapshot:
    uri: str
    path: str
    version: int | None
    text: str


REPAIR_ANALYSIS_HINT = (
    " No direct fix passes; the repairAnalysis setting lets Repair also analyse the failure (20-60 s more)."
)


def register(server: AtlasServer) -> None:
    @server.command(Action.SOLVE.command)
    def solve(ls: AtlasServer, reference: TargetReference) -> None:
        start_job(ls, Action.SOLVE, reference)

    @server.command(Action.VERIFY.command)
    def verify(ls: AtlasServer, reference: TargetReference) -> None:
        start_job(ls, Action.VERIFY, reference)

    @server.command(Action.REPAIR.command)
    def repair(ls: AtlasServer, reference: TargetReference) -> None:
        start_job(ls, Action.REPAIR, reference)

    @server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def cancel(ls: AtlasServer, params: types.WorkDoneProgressCancelParams) -> None:
        ls.jobs.cancel_by_progress_token(str(params.token))


def start_job(server: AtlasServer, action: Action, reference: TargetReference) -> None:
    document = server.workspace.get_text_document(reference.uri)
    snapshot = Snapshot(reference.uri, document.path, document.version, document.source)
    try:
        module = parse_module(snapshot.text)
    except SyntaxError as error:
        tell(server, f"{action.title}: {document.filename} does not parse (line {error.lineno}: {error.msg}).")
        return
    target = target_named(module, reference.target)
    if target is None:
        tell(server, f"{action.title}: {reference.target} is no longer in {document.filename}.")
        return
    key = JobKey(reference.uri, target.qualified_name)
    try:
        server.jobs.start(key, lambda: _job(server, action, snapshot, module, target, key))
    except AlreadyRunning:
        tell(server, f"{action.title}: a job on {target.qualified_name} is already running.")


async def _job(
    server: AtlasServer, action: Action, snapshot: Snapshot, module: ModuleSource, target: Target, key: JobKey
) -> None:
    title = f"{action.title} {target.qualified_name}"
    async with job_progress(server, title) as progress:
        try:
            workspace = FunctionContext()
            if isinstance(target, FunctionSite):
                workspace = await server.workspace_code.context_for(Path(snapshot.path), target, server.settings)
                for why in workspace.unusable_tests:
                    tell(server, f"{title}: {why}; its tests were not used.", types.MessageType.Warning)
            async with server.engine.lease(server.settings.engine_config(), progress.on_model_bytes) as engine:
                work_before, started = engine.counters(), time.monotonic()
                outcome = await run_action(
                    engine,
                    action,
                    module,
                    target,
                    snapshot.path,
                    server.findings.failures(key.uri, key.target),
                    progress.on_event,
                    workspace,
                    lambda why: tell(server, f"{title}: {why}.", types.MessageType.Warning),
                )
                engine_seconds, work = time.monotonic() - started, engine.counters().since(work_before)
            log(server, usage_message(title, outcome, work, engine_seconds))
        except ModelError as error:
            progress.final_message = "The model cannot be used"
            tell(server, f"{title}: {error.problem} Fix: {error.fix}", types.MessageType.Error)
            log(server, f"{title}: model error\n{traceback.format_exc()}", types.MessageType.Error)
            return
        except UnusableAnswer as error:
            progress.final_message = "No usable answer"
            tell(server, f"{title}: no change made, {error}.", types.MessageType.Warning)
            return
        except Exception as error:  # an engine failure must not take the server down with it
            progress.final_message = "Failed"
            # The runtime's messages end with their fix, a sentence of its own.
            reason = str(error).rstrip(". ")
            tell(server, f"{title} failed: {reason}. Details are in the output log.", types.MessageType.Error)
            log(server, f"{title} failed\n{traceback.format_exc()}", types.MessageType.Error)
            return
        if isinstance(outcome, Verdict):
            _publish_verdict(server, snapshot, target, key, outcome, progress)
        else:
            hint = REPAIR_ANALYSIS_HINT if action is Action.REPAIR and not server.settings.repair_analysis else ""
            await _apply_edit(server, snapshot, key, title, outcome, progress, hint)


def _publish_verdict(
    server: AtlasServer, snapshot: Snapshot, target: Target, key: JobKey, verdict: Verdict, progress: JobProgress
) -> None:
    if key.uri in server.workspace.text_documents:  # a file closed while the job ran shows nothing more
        units = _units(server)
        server.findings.record(key.uri, key.target, finding_of(verdict.report, target, snapshot.text, units))
        lens = lens_of(verdict_text(verdict.report), target, snapshot.text, units)
        server.evidence_lenses.record(key.uri, key.target, lens)
        show_recorded(server, key.uri)
    summary = summary_of(verdict.report, target)
    progress.final_message = summary.removeprefix("ATLAS: ")
    tell(server, summary, types.MessageType.Info if verdict.report.passed else types.MessageType.Warning)


async def _apply_edit(
    server: AtlasServer,
    snapshot: Snapshot,
    key: JobKey,
    title: str,
    edit: Edit,
    progress: JobProgress,
    hint_when_nothing_passes: str,
) -> None:
    evidence = edit.answer.evidence
    if evidence.examples_total:
        checked = f"passes {evidence.examples_passed} of {evidence.examples_total} examples"
    else:
        checked = "no examples to check"
    new_text = edit.rewrite.apply(snapshot.text)
    if new_text == snapshot.text:
        progress.final_message = "Nothing to change"
        hint = hint_when_nothing_passes if evidence.fails_examples else ""
        tell(server, f"{title}: nothing to change ({checked}).{hint}")
        return
    if evidence.fails_examples and not await _applies_anyway(server, title, edit, checked):
        progress.final_message = f"Not applied: it {checked}"
        return
    if server.workspace.get_text_document(key.uri).version != snapshot.version:
        progress.final_message = "Not applied: the file changed"
        tell(
            server,
            f"{title}: the answer was not applied because the file changed while the job ran. Run it again.",
            types.MessageType.Warning,
        )
        return
    evidence_summary = evidence_text(evidence)
    annotation = types.ChangeAnnotation(
        label=title, description=evidence_summary, needs_confirmation=server.settings.preview
    )
    workspace_edit = workspace_edit_for(snapshot, edit, server.client_capabilities, _units(server), annotation)
    if _asks_confirmation(workspace_edit):  # the answer waits on the user, who may take a while
        progress.report("waiting for you to accept or discard the edit")
    # Once sent, the edit is the editor's: a Cancel cannot take it back (VS Code's preview would still apply
    # it), so the job waits for the answer, to show the lens of an applied edit or say it was not applied.
    with server.jobs.answering_cancel_with(lambda: tell(server, f"{title}: {TOO_LATE_TO_CANCEL}")):
        result = await server.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=workspace_edit, label=title)
        )
    if not result.applied:
        progress.final_message = "Not applied"
        reason = f": {result.failure_reason}" if result.failure_reason else ""
        tell(server, f"{title}: the edit was not applied{reason}.", types.MessageType.Warning)
        return
    server.findings.forget(key.uri, key.target)
    edited = _target_in(new_text, key.target)
    if edited is not None:
        server.evidence_lenses.record(key.uri, key.target, lens_of(evidence_summary, edited, new_text, _units(server)))
    # An editor may answer before it reports the edit as a change (Neovim sends didChange a little later).
    show_recorded(server, key.uri, edit_pending=server.workspace.get_text_document(key.uri).version == snapshot.version)
    progress.final_message = f"Applied ({checked}, confidence {edit.answer.confidence:.0%})"
    usage = f"confidence {edit.answer.confidence:.2f}; {edit.answer.tokens_out} tokens"
    log(server, f"{title}: applied; {checked}; {usage}")


TOO_LATE_TO_CANCEL = "the edit is already with the editor; discard it there, or undo it once applied."

APPLY_ANYWAY = "Apply anyway"


async def _applies_anyway(server: AtlasServer, title: str, edit: Edit, checked: str) -> bool:
    """Code that fails an example is applied only when the user says so."""
    candidates = edit.answer.evidence.candidates
    best = "the only candidate" if candidates == 1 else f"the best of {candidates} candidates"
    question = f"{title}: no candidate passes every example; {best} {checked}. Apply it anyway?"
    try:
        choice = await server.window_show_message_request_async(
            types.ShowMessageRequestParams(
                type=types.MessageType.Warning,
                message=question,
                actions=[types.MessageActionItem(APPLY_ANYWAY), types.MessageActionItem("Discard")],
            )
        )
    except Exception as error:  # a client that cannot ask: keep the file as it is
        tell(server, f"{title}: not applied, the answer {checked}.", types.MessageType.Warning)
        log(server, f"{title}: window/showMessageRequest failed: {error}")
        return False
    return choice is not None and choice.title == APPLY_ANYWAY


def _units(server: AtlasServer) -> Callable[[str], int]:
    """A string's length in the client's position encoding."""
    return server.workspace.position_codec.client_num_units


def _target_in(text: str, qualified_name: str) -> Target | None:
    """The target in an edited text; None if the text does not parse (then no lens describes it)."""
    try:
        return target_named(parse_module(text), qualified_name)
    except SyntaxError:
        return None


EVIDENCE_ANNOTATION = "atlas-evidence"
"""The id of the change annotation an edit's text edits refer to."""


def workspace_edit_for(
    snapshot: Snapshot,
    edit: Edit,
    capabilities: types.ClientCapabilities,
    units: Callable[[str], int],
    annotation: types.ChangeAnnotation,
) -> types.WorkspaceEdit:
    """The edit for the client: versioned if it takes document changes, annotated if it takes annotations."""
    lines = split_lines(snapshot.text)
    ends_with_newline = snapshot.text.endswith(("\n", "\r"))
    text_edits = [_text_edit(replacement, lines, ends_with_newline, units) for replacement in edit.rewrite.replacements]
    workspace = capabilities.workspace.workspace_edit if capabilities.workspace else None
    if not (workspace and workspace.document_changes):  # the version check before applying is then the only guard
        return types.WorkspaceEdit(changes={snapshot.uri: text_edits})
    document = types.OptionalVersionedTextDocumentIdentifier(uri=snapshot.uri, version=snapshot.version)
    if not workspace.change_annotation_support:
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=document, edits=text_edits)])
    annotated: list[types.TextEdit | types.AnnotatedTextEdit | types.SnippetTextEdit] = [
        types.AnnotatedTextEdit(annotation_id=EVIDENCE_ANNOTATION, range=text_edit.range, new_text=text_edit.new_text)
        for text_edit in text_edits
    ]
    return types.WorkspaceEdit(
        document_changes=[types.TextDocumentEdit(text_document=document, edits=annotated)],
        change_annotations={EVIDENCE_ANNOTATION: annotation},
    )


def _asks_confirmation(workspace_edit: types.WorkspaceEdit) -> bool:
    """Whether the editor is to have the user confirm the edit before applying it."""
    annotations = (workspace_edit.change_annotations or {}).values()
    return any(annotation.needs_confirmation for annotation in annotations)


def _text_edit(
    replacement: Replacement, lines: list[str], ends_with_newline: bool, units: Callable[[str], int]
) -> types.TextEdit:
    start, end = types.Position(replacement.start_line, 0), types.Position(replacement.end_line, 0)
    if replacement.end_line < len(lines) or ends_with_newline or not lines:
        return types.TextEdit(range=types.Range(start, end), new_text=replacement.text)
    # The edit reaches past the last line, which has no line break: there is no next line to end at.
    end_of_text = types.Position(len(lines) - 1, units(lines[-1]))
    if replacement.start_line < len(lines):
        return types.TextEdit(range=types.Range(start, end_of_text), new_text=replacement.text)
    return types.TextEdit(range=types.Range(end_of_text, end_of_text), new_text="\n" + replacement.text)
