"""The real server over stdio, no model loaded: code lenses, Repair as the quick fix of verify's
diagnostics, and a closed file's diagnostics withdrawn."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig

from tests.lsp.conftest import FIXTURES, SERVER_COMMAND, AtlasTestClient, initialize, make_client, until

CONFIG = ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_client)
LARGEST_LINE = 3
DEF_LINE = types.Range(types.Position(LARGEST_LINE, 0), types.Position(LARGEST_LINE, 20))


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: AtlasTestClient) -> AsyncIterator[None]:
    await initialize(lsp_client, {"model": "/nonexistent/model.gguf"})
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def buggy_file(tmp_path: Path) -> Path:
    return Path(shutil.copy(FIXTURES / "buggy.py", tmp_path / "buggy.py"))


def diagnostic(source: str) -> types.Diagnostic:
    return types.Diagnostic(
        range=DEF_LINE, message="largest([-5, -2, -7]) returned 0, expected -2", source=source, code="verify-failed"
    )


async def test_a_file_with_no_evidence_has_no_code_lenses(client: AtlasTestClient, buggy_file: Path) -> None:
    uri = await client.open_document(buggy_file)
    assert await client.code_lenses(uri) == []


async def test_repair_is_offered_as_the_quick_fix_of_a_verify_diagnostic(
    client: AtlasTestClient, buggy_file: Path
) -> None:
    uri = await client.open_document(buggy_file)
    found = diagnostic("atlas")
    (fix,) = [a for a in await client.actions_at(uri, LARGEST_LINE, [found]) if a.kind == types.CodeActionKind.QuickFix]
    assert fix.title == "ATLAS: Repair"
    assert list(fix.diagnostics or []) == [found]
    assert fix.command is not None and fix.command.command == "atlas.repair"
    assert list(fix.command.arguments or []) == [{"uri": uri, "target": "largest"}]


async def test_another_tools_diagnostic_gets_no_quick_fix(client: AtlasTestClient, buggy_file: Path) -> None:
    uri = await client.open_document(buggy_file)
    actions = await client.actions_at(uri, LARGEST_LINE, [diagnostic("pyright")])
    assert [(a.title, a.kind) for a in actions] == [
        ("ATLAS: Verify", types.CodeActionKind.RefactorRewrite),
        ("ATLAS: Repair", types.CodeActionKind.RefactorRewrite),
    ]


async def test_repair_is_offered_once_where_it_is_the_quick_fix(client: AtlasTestClient, buggy_file: Path) -> None:
    uri = await client.open_document(buggy_file)
    actions = await client.actions_at(uri, LARGEST_LINE, [diagnostic("atlas")])
    assert [(a.title, a.kind) for a in actions] == [
        ("ATLAS: Repair", types.CodeActionKind.QuickFix),
        ("ATLAS: Verify", types.CodeActionKind.RefactorRewrite),
    ]


async def test_a_request_for_quick_fixes_only_gets_no_rewrites(client: AtlasTestClient, buggy_file: Path) -> None:
    uri = await client.open_document(buggy_file)
    actions = await client.actions_at(uri, LARGEST_LINE, [diagnostic("atlas")], only=[types.CodeActionKind.QuickFix])
    assert [(a.title, a.kind) for a in actions] == [("ATLAS: Repair", types.CodeActionKind.QuickFix)]


async def test_closing_a_file_publishes_no_diagnostics_for_it(client: AtlasTestClient, buggy_file: Path) -> None:
    uri = await client.open_document(buggy_file)
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    assert await until(lambda: uri in client.diagnostics)
    assert list(client.diagnostics[uri]) == []
