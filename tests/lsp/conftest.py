"""A test client for the real server over stdio, and helpers to drive its jobs.

The client works around two gaps of pytest-lsp 1.0.1 (see /work/shared/notes/LSP.md): it answers
`workspace/applyEdit` (recording each edit, and saying it applied it or not as the test chose),
`window/showMessageRequest` (with the action the test chose) and `workspace/codeLens/refresh` (counting
them), and it reads a code action that carries a command as a `CodeAction`, not as a bare `Command`.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Union

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import register_lsp_features

SERVER_COMMAND = [sys.executable, "-m", "atlas_lsp.cli"]  # what `atlas-lsp` runs
FIXTURES = Path(__file__).parent.parent / "fixtures" / "lsp"
E2E_SETTINGS: dict[str, Any] = {"model": "small", "candidates": 2, "maxTokens": 256, "testSeconds": 4}


class AtlasTestClient(LanguageClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.applied_edits: list[types.ApplyWorkspaceEditParams] = []
        self.applies_edits = True
        """The answer to every `workspace/applyEdit`: False plays a user who discards each edit."""
        self.edits_reviewed = asyncio.Event()
        """Clear it to hold the answers to `workspace/applyEdit`, as a user reviewing the edit does."""
        self.edits_reviewed.set()
        self.message_requests: list[types.ShowMessageRequestParams] = []
        self.answer_to_message_requests = "Discard"
        self.registrations: list[types.Registration] = []
        self.code_lens_refreshes = 0

    async def open_document(self, path: Path, text: str | None = None) -> str:
        uri = path.as_uri()
        self.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text or path.read_text())
            )
        )
        return uri

    async def actions_at(
        self, uri: str, line: int, diagnostics: Sequence[types.Diagnostic] = (), only: list[str] | None = None
    ) -> list[types.CodeAction]:
        """The code actions at `line`, asked as an editor does with the diagnostics it shows there."""
        position = types.Position(line, 0)
        result = await self.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri),
                range=types.Range(position, position),
                context=types.CodeActionContext(diagnostics=list(diagnostics), only=only),
            )
        )
        return list(result or [])

    async def code_lenses(self, uri: str) -> list[types.CodeLens]:
        result = await self.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri))
        )
        return list(result or [])

    async def start_action(self, uri: str, line: int, title: str) -> str:
        """Execute the titled code action at `line`; returns the progress token of the job it starts."""
        (action,) = [action for action in await self.actions_at(uri, line) if action.title == title]
        return await self.start_command(action)

    async def start_command(self, action: types.CodeAction) -> str:
        """Execute the action's command; returns the progress token of the job it starts."""
        assert action.command is not None
        known = set(self.progress_reports)
        await self.workspace_execute_command_async(
            types.ExecuteCommandParams(command=action.command.command, arguments=action.command.arguments)
        )
        return await until(lambda: next((token for token in self.progress_reports if token not in known), None))

    def progress_kinds(self, token: str) -> list[str]:
        return [report.kind for report in self.progress_reports.get(token, [])]

    async def job_end(self, token: str, timeout: float = 900.0) -> types.WorkDoneProgressEnd:
        """The end of the job's progress; the default timeout allows for a model slowed by a busy machine."""
        return await until(
            lambda: next((report for report in self.progress_reports.get(token, []) if report.kind == "end"), None),
            timeout,
        )


def make_client() -> AtlasTestClient:
    client = AtlasTestClient(converter_factory=default_converter)
    register_lsp_features(client)
    client.protocol._converter.register_structure_hook(
        # The hook is keyed by the typing.Union object lsprotocol's converter looks up; `X | Y` is another type.
        Union[types.Command, types.CodeAction],  # noqa: UP007
        _command_or_code_action(client.protocol._converter),
    )

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    async def apply_edit(
        client: AtlasTestClient, params: types.ApplyWorkspaceEditParams
    ) -> types.ApplyWorkspaceEditResult:
        client.applied_edits.append(params)
        await client.edits_reviewed.wait()
        return types.ApplyWorkspaceEditResult(applied=client.applies_edits)

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def show_message_request(
        client: AtlasTestClient, params: types.ShowMessageRequestParams
    ) -> types.MessageActionItem | None:
        client.message_requests.append(params)
        return next((a for a in params.actions or [] if a.title == client.answer_to_message_requests), None)

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def code_lens_refresh(client: AtlasTestClient, params: None) -> None:
        client.code_lens_refreshes += 1

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(client: AtlasTestClient, params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)

    return client


def _command_or_code_action(converter):
    # lsprotocol's own hook reads anything with a "command" key as a Command; a CodeAction's
    # command is an object, a Command's is the command id.
    def structure(value: dict, _: type) -> types.Command | types.CodeAction:
        if isinstance(value.get("command"), str):
            return converter.structure(value, types.Command)
        return converter.structure(value, types.CodeAction)

    return structure


async def initialize(client: AtlasTestClient, options: dict[str, Any], editor: str = "visual-studio-code") -> None:
    await client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities(editor), initialization_options=options)
    )


async def until(probe, timeout: float = 30.0, interval: float = 0.05):
    """Poll `probe` until it returns something other than None or False."""
    deadline = time.monotonic() + timeout
    while (value := probe()) in (None, False):
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout} s")
        await asyncio.sleep(interval)
    return value


def apply_text_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits (UTF-16 positions) to `text`, as an editor would."""
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        before = sum(len(line) for line in lines[: position.line])
        line = lines[position.line] if position.line < len(lines) else ""
        utf16 = line.encode("utf-16-le")[: position.character * 2].decode("utf-16-le")
        return before + len(utf16)

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def edits_of(params: types.ApplyWorkspaceEditParams) -> tuple[int | None, list[types.TextEdit]]:
    """The version the edit is for and its text edits (the server sends one TextDocumentEdit)."""
    (change,) = params.edit.document_changes or []
    assert isinstance(change, types.TextDocumentEdit)
    return change.text_document.version, list(change.edits)


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, read from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, owner in parents.items() if owner == parent]
        found += children
        frontier += children
    return found
