"""`textDocument/codeAction`: offer solve, verify or repair on the function at the cursor.

Parsing the file is all the work done here, so the answer comes back at once even while a job
runs; each action carries a command that does the slow part.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from atlas_lsp.features.actions import Action
from atlas_lsp.features.commands import TargetReference
from atlas_lsp.features.targets import target_at
from atlas_lsp.functions import parse_module
from atlas_lsp.server import AtlasServer

KIND = types.CodeActionKind.RefactorRewrite


def register(server: AtlasServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=[KIND]))
    def code_actions(ls: AtlasServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        if not _wants_rewrites(params.context.only):
            return []
        try:
            module = parse_module(ls.workspace.get_text_document(params.text_document.uri).source)
        except SyntaxError:  # mid-typing; nothing to offer until the file parses again
            return []
        target = target_at(module, params.range.start.line)
        if target is None:
            return []
        reference = TargetReference(params.text_document.uri, target.qualified_name)
        return [
            types.CodeAction(
                title=action.title,
                kind=KIND,
                command=types.Command(title=action.title, command=action.command, arguments=[reference]),
            )
            for action in Action
            if action.offered_for(target)
        ]


def _wants_rewrites(only: Sequence[str] | None) -> bool:
    """`only` filters by kind prefix: `refactor` asks for `refactor.rewrite` too."""
    return only is None or any(KIND == kind or KIND.startswith(f"{kind}.") for kind in only)
