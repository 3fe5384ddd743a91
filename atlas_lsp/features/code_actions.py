"""`textDocument/codeAction`: offer solve, verify or repair on the function at the cursor, and repair
as the quick fix of verify's diagnostics.

Parsing the file is all the work done here, so the answer comes back at once even while a job
runs; each action carries a command that does the slow part.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from atlas_lsp.features.actions import Action
from atlas_lsp.features.commands import TargetReference
from atlas_lsp.features.diagnostics import SOURCE
from atlas_lsp.features.targets import target_at
from atlas_lsp.functions import ModuleSource, parse_module
from atlas_lsp.server import AtlasServer

KIND = types.CodeActionKind.RefactorRewrite
QUICK_FIX = types.CodeActionKind.QuickFix


def register(server: AtlasServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=[KIND, QUICK_FIX]))
    def code_actions(ls: AtlasServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        wants_rewrites, wants_fixes = _wants(KIND, params.context.only), _wants(QUICK_FIX, params.context.only)
        if not (wants_rewrites or wants_fixes):
            return []
        uri = params.text_document.uri
        try:
            module = parse_module(ls.workspace.get_text_document(uri).source)
        except SyntaxError:  # mid-typing; nothing to offer until the file parses again
            return []
        fixes = _verify_diagnostics_by_target(module, params.context.diagnostics) if wants_fixes else {}
        actions = [_repair_fix(TargetReference(uri, name), diagnostics) for name, diagnostics in fixes.items()]
        target = target_at(module, params.range.start.line) if wants_rewrites else None
        if target is None:
            return actions
        reference = TargetReference(uri, target.qualified_name)
        return actions + [
            _rewrite(action, reference)
            for action in Action
            # Repair is offered once: as the quick fix, when the function has verify's diagnostics here.
            if action.offered_for(target) and not (action is Action.REPAIR and target.qualified_name in fixes)
        ]


def _rewrite(action: Action, reference: TargetReference) -> types.CodeAction:
    return types.CodeAction(
        title=action.title,
        kind=KIND,
        command=types.Command(title=action.title, command=action.command, arguments=[reference]),
    )


def _repair_fix(reference: TargetReference, diagnostics: list[types.Diagnostic]) -> types.CodeAction:
    """Repair held to the failing cases verify recorded for the function (server.findings)."""
    action = Action.REPAIR
    return types.CodeAction(
        title=action.title,
        kind=QUICK_FIX,
        diagnostics=diagnostics,
        command=types.Command(title=action.title, command=action.command, arguments=[reference]),
    )


def _verify_diagnostics_by_target(
    module: ModuleSource, diagnostics: Sequence[types.Diagnostic]
) -> dict[str, list[types.Diagnostic]]:
    """The editor's diagnostics from verify (on a function's `def` line), by the function they are on."""
    by_target: dict[str, list[types.Diagnostic]] = {}
    for diagnostic in diagnostics:
        if diagnostic.source != SOURCE:
            continue
        target = target_at(module, diagnostic.range.start.line)
        if target is not None and Action.REPAIR.offered_for(target):
            by_target.setdefault(target.qualified_name, []).append(diagnostic)
    return by_target


def _wants(kind: str, only: Sequence[str] | None) -> bool:
    """`only` filters by kind prefix: `refactor` asks for `refactor.rewrite` too."""
    return only is None or any(kind == wanted or kind.startswith(f"{wanted}.") for wanted in only)
