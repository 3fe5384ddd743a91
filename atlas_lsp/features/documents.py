"""The open documents' events: `textDocument/didOpen`, `didChange` and `didClose`.

pygls takes one handler per method, so each event is passed from here to everything that follows
the buffers: the workspace index, verify's findings and the evidence lenses. A change withdraws the
findings and lenses of functions whose text changed; a close withdraws all of the file's.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types

from atlas_lsp.features.evidence import refresh_code_lenses
from atlas_lsp.features.workspace_code import buffer_closed, from_buffer
from atlas_lsp.functions import parse_module
from atlas_lsp.server import AtlasServer


def register(server: AtlasServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def document_opened(ls: AtlasServer, params: types.DidOpenTextDocumentParams) -> None:
        from_buffer(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def document_changed(ls: AtlasServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        from_buffer(ls, uri)
        update = _bring_up_to_date(ls, uri)
        if update.findings_changed:
            ls.findings.publish(ls, uri, ls.workspace.get_text_document(uri).version)
        if update.lenses_dropped:
            refresh_code_lenses(ls)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def document_closed(ls: AtlasServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        buffer_closed(ls, uri)
        ls.findings.forget_document(uri)
        ls.findings.publish(ls, uri, None)
        if ls.evidence_lenses.forget_document(uri):
            refresh_code_lenses(ls)


def show_recorded(server: AtlasServer, uri: str, edit_pending: bool = False) -> None:
    """Show the document's findings and lenses after a job recorded some: its diagnostics are published
    and the editor is asked for code lenses again.

    The records are made for the text the job read, which the document may have left behind while the
    job ran; they are brought up to date first. `edit_pending`: they are made for the text of an edit
    the editor applied but has not reported yet, and its didChange will bring them up to date.
    """
    if not edit_pending:
        _bring_up_to_date(server, uri)
    # Positions may be those of the text the job read, if the document does not parse now: no version.
    server.findings.publish(server, uri, None)
    refresh_code_lenses(server)


@dataclass(frozen=True)
class _Update:
    findings_changed: bool
    lenses_dropped: bool


def _bring_up_to_date(server: AtlasServer, uri: str) -> _Update:
    """Drop the findings and lenses of functions whose text changed; move the others to their function."""
    if not (server.findings.of_document(uri) or server.evidence_lenses.of_document(uri)):
        return _Update(findings_changed=False, lenses_dropped=False)
    try:
        module = parse_module(server.workspace.get_text_document(uri).source)
    except SyntaxError:  # mid-typing: which function changed is known once the file parses again
        return _Update(findings_changed=False, lenses_dropped=False)
    units = server.workspace.position_codec.client_num_units
    findings_dropped = server.findings.forget_changed(uri, module)
    findings_moved = server.findings.follow_moves(uri, module, units)
    lenses_dropped = server.evidence_lenses.forget_changed(uri, module)
    # An editor keeps a shown lens on its line as the text around it is edited: a move needs no refresh.
    server.evidence_lenses.follow_moves(uri, module, units)
    return _Update(findings_changed=findings_dropped or findings_moved, lenses_dropped=lenses_dropped)
