"""The `preview` setting, through the real server over stdio: Solve's edit asks the editor to have the user
confirm it, and an edit the editor did not apply changes nothing the server shows. The model is a fake
OpenAI-compatible server with a fixed right answer, so a job takes a second or two."""

from __future__ import annotations

import shutil
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig

from atlas_lsp.features.commands import TOO_LATE_TO_CANCEL
from tests.fake_model_server import fake_model_server
from tests.lsp.conftest import FIXTURES, SERVER_COMMAND, AtlasTestClient, initialize, make_client, until

CONFIG = ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_client)


@pytest.fixture(scope="module")
def model_url() -> Iterator[str]:
    with fake_model_server() as url:
        yield url


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: AtlasTestClient) -> AsyncIterator[None]:
    yield  # each test initializes the session with its own settings and editor
    await lsp_client.shutdown_session()


@pytest.fixture
def stub_file(tmp_path: Path) -> Path:
    return Path(shutil.copy(FIXTURES / "add.py", tmp_path / "add.py"))


def settings(model_url: str, preview: bool | None) -> dict[str, Any]:
    chosen: dict[str, Any] = {"model": model_url, "candidates": 1, "lens": False, "workspaceContext": False}
    return chosen if preview is None else chosen | {"preview": preview}


async def solve(client: AtlasTestClient, stub_file: Path) -> tuple[str, types.WorkDoneProgressEnd]:
    uri = await client.open_document(stub_file)
    end = await client.job_end(await client.start_action(uri, 0, "ATLAS: Solve"), timeout=120)
    return uri, end


async def solve_until_the_edit_waits_for_review(
    client: AtlasTestClient, model_url: str, stub_file: Path
) -> tuple[str, str]:
    """A Solve with preview on, held where the editor shows its edit for review; its document and token."""
    client.edits_reviewed.clear()
    await initialize(client, settings(model_url, preview=True))
    uri = await client.open_document(stub_file)
    token = await client.start_action(uri, 0, "ATLAS: Solve")
    await until(lambda: len(client.applied_edits) == 1, timeout=120)
    return uri, token


def annotation_of(params: types.ApplyWorkspaceEditParams) -> types.ChangeAnnotation:
    (annotation,) = (params.edit.change_annotations or {}).values()
    return annotation


async def test_with_preview_on_the_edit_asks_the_editor_to_have_it_confirmed(
    client: AtlasTestClient, model_url: str, stub_file: Path
) -> None:
    await initialize(client, settings(model_url, preview=True))
    await solve(client, stub_file)
    (params,) = client.applied_edits
    assert annotation_of(params).needs_confirmation is True


async def test_with_preview_on_the_job_says_it_waits_for_the_users_review(
    client: AtlasTestClient, model_url: str, stub_file: Path
) -> None:
    await initialize(client, settings(model_url, preview=True))
    uri = await client.open_document(stub_file)
    token = await client.start_action(uri, 0, "ATLAS: Solve")
    await client.job_end(token, timeout=120)
    reports = [report.message for report in client.progress_reports[token] if report.kind == "report"]
    assert reports[-1] == "waiting for you to accept or discard the edit"


async def test_preview_is_off_by_default(client: AtlasTestClient, model_url: str, stub_file: Path) -> None:
    await initialize(client, settings(model_url, preview=None))
    await solve(client, stub_file)
    (params,) = client.applied_edits
    assert annotation_of(params).needs_confirmation is False


async def test_an_editor_without_change_annotations_gets_the_plain_edit_under_preview(
    client: AtlasTestClient, model_url: str, stub_file: Path
) -> None:
    # Neovim 0.11 declares no annotation support: its atlas plugin does, and previews the edit itself.
    await initialize(client, settings(model_url, preview=True), editor="neovim")
    _, end = await solve(client, stub_file)
    (params,) = client.applied_edits
    assert params.edit.change_annotations is None
    assert end.message is not None and end.message.startswith("Applied")


async def test_an_edit_the_editor_did_not_apply_is_reported_and_shows_no_lens(
    client: AtlasTestClient, model_url: str, stub_file: Path
) -> None:
    client.applies_edits = False  # as VS Code answers when the user discards the refactor preview
    await initialize(client, settings(model_url, preview=True))
    uri, end = await solve(client, stub_file)
    assert end.message == "Not applied"
    warnings = [m.message for m in client.messages if m.type == types.MessageType.Warning]
    assert "ATLAS: Solve add: the edit was not applied." in warnings
    assert await client.code_lenses(uri) == []


async def test_an_applied_edit_shows_its_evidence_lens(
    client: AtlasTestClient, model_url: str, stub_file: Path
) -> None:
    await initialize(client, settings(model_url, preview=True))
    uri, _ = await solve(client, stub_file)
    (lens,) = await client.code_lenses(uri)
    assert lens.command is not None and lens.command.title == annotation_of(client.applied_edits[0]).description


async def test_a_cancel_while_the_edit_waits_for_its_review_leaves_the_edit_to_the_user(
    client: AtlasTestClient, model_url: str, stub_file: Path
) -> None:
    # VS Code keeps the Refactor Preview open after a Cancel and still applies the edit if the user says so.
    uri, token = await solve_until_the_edit_waits_for_review(client, model_url, stub_file)
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    too_late = f"ATLAS: Solve add: {TOO_LATE_TO_CANCEL}"
    await until(lambda: any(message.message == too_late for message in client.messages))
    client.edits_reviewed.set()  # the user applies the edit in the preview
    end = await client.job_end(token)
    assert end.message is not None and end.message.startswith("Applied")
    (lens,) = await client.code_lenses(uri)
    assert lens.command is not None and lens.command.title == annotation_of(client.applied_edits[0]).description


async def test_code_actions_stay_quick_while_an_edit_waits_for_its_review(
    client: AtlasTestClient, model_url: str, stub_file: Path
) -> None:
    uri, token = await solve_until_the_edit_waits_for_review(client, model_url, stub_file)
    round_trips = []
    for _ in range(10):
        started = time.monotonic()
        await client.actions_at(uri, 0)
        round_trips.append(time.monotonic() - started)
    client.edits_reviewed.set()
    end = await client.job_end(token)
    assert max(round_trips) < 0.1, round_trips
    assert end.message is not None and end.message.startswith("Applied")
