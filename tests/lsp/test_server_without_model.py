"""The real server over stdio when the model cannot be used or the settings are wrong: the user is
told what to fix, and the server keeps serving. No model is loaded here."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig

from tests.lsp.conftest import FIXTURES, SERVER_COMMAND, AtlasTestClient, initialize, make_client, until

MISSING_MODEL = "/nonexistent/model.gguf"
CONFIG = ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_client)


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: AtlasTestClient) -> AsyncIterator[None]:
    lsp_client.set_configuration({"testSeconds": -1, "lens": "on", "gpuLayers": "lots"}, section="atlas")
    await initialize(lsp_client, {"model": MISSING_MODEL, "candidates": "many"})
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def stub_file(tmp_path: Path) -> Path:
    return Path(shutil.copy(FIXTURES / "add.py", tmp_path / "add.py"))


async def test_missing_model_is_reported_with_its_fix(client: AtlasTestClient, stub_file: Path) -> None:
    uri = await client.open_document(stub_file)
    token = await client.start_action(uri, 0, "ATLAS: Solve")
    end = await client.job_end(token, timeout=60)

    errors = [m.message for m in client.messages if m.type == types.MessageType.Error]
    assert any(MISSING_MODEL in message and "Fix: check the path" in message for message in errors), errors
    assert end.message == "The model cannot be used"
    assert any("model error" in log.message for log in client.log_messages)


async def test_server_keeps_serving_after_a_failed_job(client: AtlasTestClient, stub_file: Path) -> None:
    uri = await client.open_document(stub_file)
    await client.job_end(await client.start_action(uri, 0, "ATLAS: Solve"), timeout=60)
    assert [action.title for action in await client.actions_at(uri, 0)] == ["ATLAS: Solve"]


async def test_failed_model_open_is_tried_again_by_the_next_job(client: AtlasTestClient, stub_file: Path) -> None:
    uri = await client.open_document(stub_file)
    for _ in range(2):
        await client.job_end(await client.start_action(uri, 0, "ATLAS: Solve"), timeout=60)
    errors = [m for m in client.messages if m.type == types.MessageType.Error and MISSING_MODEL in m.message]
    assert len(errors) == 2


async def test_invalid_initialization_option_is_named_in_a_message(client: AtlasTestClient) -> None:
    message = await until(lambda: next((m for m in client.messages if "atlas.candidates" in m.message), None))
    assert message.type == types.MessageType.Warning
    assert "using it unset" in message.message


async def test_invalid_workspace_setting_is_named_in_a_message(client: AtlasTestClient) -> None:
    await until(lambda: any("atlas.testSeconds" in m.message for m in client.messages))
    await until(lambda: any("atlas.lens" in m.message for m in client.messages))


async def test_invalid_gpu_layers_is_named_with_the_allowed_values(client: AtlasTestClient) -> None:
    message = await until(lambda: next((m for m in client.messages if "atlas.gpuLayers" in m.message), None))
    assert message.type == types.MessageType.Warning
    assert "(expected `auto` or a whole number >= 0); using 'auto'" in message.message


async def test_changed_configuration_is_read_again(client: AtlasTestClient) -> None:
    client.set_configuration({"maxTokens": 3}, section="atlas")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await until(lambda: any("atlas.maxTokens" in m.message for m in client.messages))


async def test_pushed_settings_make_the_server_ask_for_the_section(client: AtlasTestClient) -> None:
    client.set_configuration({"maxTokens": 5}, section="atlas")
    pushed = {"atlas": {"serverPath": "/opt/atlas-lsp"}}  # an editor's own key, not the server's
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=pushed))
    await until(lambda: any("atlas.maxTokens = 5" in m.message for m in client.messages))
    assert not any("serverPath" in m.message for m in client.messages)


async def test_no_actions_are_offered_in_a_file_that_does_not_parse(client: AtlasTestClient, tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("def add(a, b:\n    ...\n")
    uri = await client.open_document(broken)
    assert await client.actions_at(uri, 0) == []


def test_tcp_server_answers_initialize_and_writes_its_log_file(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_file = tmp_path / "server.log"
    server = subprocess.Popen([*SERVER_COMMAND, "--tcp", f"127.0.0.1:{port}", "--log-file", str(log_file)])
    try:
        connection = _connect(port)
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
        connection.sendall(f"Content-Length: {len(body)}\r\n\r\n{body}".encode())
        reply = connection.makefile("rb")
        length = int(reply.readline().split(b":")[1])
        while reply.readline().strip():
            pass
        result = json.loads(reply.read(length))["result"]
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert result["serverInfo"]["name"] == "atlas-lsp"
    commands = result["capabilities"]["executeCommandProvider"]["commands"]
    assert commands == ["atlas.solve", "atlas.verify", "atlas.repair"]
    assert f"serving on 127.0.0.1:{port}" in log_file.read_text()


def _connect(port: int, timeout: float = 30.0) -> socket.socket:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=timeout)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


async def test_server_asks_the_editor_to_report_python_files_changed_outside_it(client: AtlasTestClient) -> None:
    registration = await until(lambda: next(iter(client.registrations), None))
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    assert registration.register_options == {"watchers": [{"globPattern": "**/*.py"}]}
