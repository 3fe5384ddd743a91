"""`textDocument/codeLens`: the evidence of the last job on each function, on its `def` line.

The lenses are recorded by the jobs (`server.evidence_lenses`) and kept in place by the document
events, so answering is a lookup. A click re-verifies the function, with the code actions' command.
"""

from __future__ import annotations

from lsprotocol import types

from atlas_lsp.features.actions import Action
from atlas_lsp.features.commands import TargetReference
from atlas_lsp.features.evidence import EvidenceLens
from atlas_lsp.server import AtlasServer

NO_COMMAND = ""
"""The command of a lens that only informs: editors show it as plain text."""


def register(server: AtlasServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    def code_lenses(ls: AtlasServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        uri = params.text_document.uri
        return [
            types.CodeLens(range=lens.range, command=_click(lens, TargetReference(uri, target)))
            for target, lens in ls.evidence_lenses.of_document(uri).items()
        ]


def _click(lens: EvidenceLens, reference: TargetReference) -> types.Command:
    if not lens.verifiable:  # a method: the sandbox cannot call it (see Action.offered_for)
        return types.Command(title=lens.text, command=NO_COMMAND)
    return types.Command(title=lens.text, command=Action.VERIFY.command, arguments=[reference])
