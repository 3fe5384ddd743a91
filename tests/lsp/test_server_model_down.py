"""A model server that stops between two jobs, through the real server over stdio: the next job ends
with a message that names the server and the fix. The model is a fake OpenAI-compatible server."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig

from tests.fake_model_server import fake_model_server
from tests.lsp.conftest import FIXTURES, SERVER_COMMAND, AtlasTestClient, initialize, make_client

CONFIG = ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_client)


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: AtlasTestClient) -> AsyncIterator[None]:
    yield
    await lsp_client.shutdown_session()


async def solve(client: AtlasTestClient, path: Path) -> types.WorkDoneProgressEnd:
    uri = await client.open_document(path)
    return await client.job_end(await client.start_action(uri, 0, "ATLAS: Solve"), timeout=120)


async def test_a_job_after_the_model_server_stopped_says_which_server_and_how_to_fix_it(
    client: AtlasTestClient, tmp_path: Path
) -> None:
    first, second = (Path(shutil.copy(FIXTURES / "add.py", tmp_path / name)) for name in ("add.py", "plus.py"))
    with fake_model_server() as url:
        await initialize(client, {"model": url, "candidates": 1, "lens": False, "workspaceContext": False})
        assert (await solve(client, first)).message.startswith("Applied")
    end = await solve(client, second)
    (error,) = [shown.message for shown in client.messages if shown.type == types.MessageType.Error]
    assert end.message == "Failed"
    assert f"Could not connect to the model server at {url}" in error
    assert "\nFix: " in error
    assert ".." not in error
