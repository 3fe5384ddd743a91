"""The real server over stdio with the real small model: what an editor user sees.

One server serves the module (the model loads once); each test works on its own copy of a
fixture file, so jobs on different tests never share a target. Jobs whose outcome several tests
look at run once, in module-scoped fixtures.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig

from atlas_lsp.functions import parse_module
from tests.lsp.conftest import (
    E2E_SETTINGS,
    FIXTURES,
    SERVER_COMMAND,
    AtlasTestClient,
    apply_text_edits,
    descendants,
    edits_of,
    initialize,
    make_client,
    until,
)

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="module")]

CONFIG = ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_client)
ADD_LINE, LARGEST_LINE, SLOW_LINE = 0, 3, 5


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: AtlasTestClient) -> AsyncIterator[None]:
    await initialize(lsp_client, E2E_SETTINGS)
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


def copy_fixture(workdir: Path, name: str, copy_name: str) -> Path:
    target = workdir / copy_name
    shutil.copy(FIXTURES / name, target)
    return target


@dataclass
class FinishedJob:
    path: Path
    uri: str
    token: str
    end: types.WorkDoneProgressEnd
    first_message: int
    """Index into client.messages where this job's messages begin."""


async def run_job(client: AtlasTestClient, path: Path, line: int, title: str) -> FinishedJob:
    uri = await client.open_document(path)
    first_message = len(client.messages)
    token = await client.start_action(uri, line, title)
    return FinishedJob(path, uri, token, await client.job_end(token), first_message)


def edits_for(client: AtlasTestClient, uri: str) -> list[types.ApplyWorkspaceEditParams]:
    return [
        params
        for params in client.applied_edits
        for change in params.edit.document_changes or []
        if isinstance(change, types.TextDocumentEdit) and change.text_document.uri == uri
    ]


def passes(code: str, checks: str) -> subprocess.CompletedProcess[str]:
    """Run the edited code and the test's own checks in a fresh interpreter."""
    return subprocess.run([sys.executable, "-c", f"{code}\n{checks}"], capture_output=True, text=True, timeout=30)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def solved_add(client: AtlasTestClient, workdir: Path) -> FinishedJob:
    return await run_job(client, copy_fixture(workdir, "add.py", "solve_add.py"), ADD_LINE, "ATLAS: Solve")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def verified_largest(client: AtlasTestClient, workdir: Path) -> FinishedJob:
    return await run_job(client, copy_fixture(workdir, "buggy.py", "verify_largest.py"), LARGEST_LINE, "ATLAS: Verify")


async def test_stub_is_offered_solve_and_written_function_verify_and_repair(
    client: AtlasTestClient, workdir: Path
) -> None:
    stub = await client.open_document(copy_fixture(workdir, "add.py", "offers_add.py"))
    written = await client.open_document(copy_fixture(workdir, "buggy.py", "offers_largest.py"))
    assert [action.title for action in await client.actions_at(stub, ADD_LINE)] == ["ATLAS: Solve"]
    assert [action.title for action in await client.actions_at(written, LARGEST_LINE)] == [
        "ATLAS: Verify",
        "ATLAS: Repair",
    ]
    assert all(action.kind == types.CodeActionKind.RefactorRewrite for action in await client.actions_at(stub, 0))


async def test_solve_applies_a_versioned_edit_whose_code_passes_the_tests(
    client: AtlasTestClient, solved_add: FinishedJob
) -> None:
    (params,) = edits_for(client, solved_add.uri)
    version, text_edits = edits_of(params)
    assert version == 1
    code = apply_text_edits(solved_add.path.read_text(), text_edits)
    run = passes(code, "assert add(2, 3) == 5\nassert add(-4, 4) == 0\nassert add(10, 32) == 42")
    assert run.returncode == 0, run.stderr


async def test_solve_asks_before_applying_code_that_fails_an_example_and_a_discard_keeps_the_file(
    client: AtlasTestClient, workdir: Path
) -> None:
    path = copy_fixture(workdir, "contradicted.py", "solve_contradicted.py")
    asked_before = len(client.message_requests)
    job = await run_job(client, path, 0, "ATLAS: Solve")
    (request,) = client.message_requests[asked_before:]
    assert "no candidate passes every example" in request.message and "of 4 examples" in request.message
    assert [action.title for action in request.actions or []] == ["Apply anyway", "Discard"]
    assert edits_for(client, job.uri) == []
    assert job.end.message is not None and job.end.message.startswith("Not applied")


async def test_progress_begins_reports_and_ends_in_order(client: AtlasTestClient, solved_add: FinishedJob) -> None:
    reports = client.progress_reports[solved_add.token]
    kinds = [report.kind for report in reports]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    assert set(kinds[1:-1]) == {"report"}
    percentages = [report.percentage for report in reports[:-1] if report.percentage is not None]
    assert percentages == sorted(percentages)
    assert reports[0].cancellable


async def test_verify_publishes_the_failing_input_as_a_diagnostic(
    client: AtlasTestClient, verified_largest: FinishedJob
) -> None:
    diagnostics = client.diagnostics[verified_largest.uri]
    messages = [diagnostic.message for diagnostic in diagnostics]
    assert any(message.startswith("largest([-5, -2, -7]) returned 0, expected -2") for message in messages), messages
    assert all(diagnostic.range.start.line == LARGEST_LINE for diagnostic in diagnostics)


async def test_verify_sums_up_in_a_message(client: AtlasTestClient, verified_largest: FinishedJob) -> None:
    summaries = [m.message for m in client.messages[verified_largest.first_message :] if "Verify largest" in m.message]
    assert summaries and "fail" in summaries[-1]


async def test_repair_applies_an_edit_that_passes_the_tests(client: AtlasTestClient, workdir: Path) -> None:
    job = await run_job(client, copy_fixture(workdir, "buggy.py", "repair_largest.py"), LARGEST_LINE, "ATLAS: Repair")
    (params,) = edits_for(client, job.uri)
    code = apply_text_edits(job.path.read_text(), edits_of(params)[1])
    checks = "assert largest([3, 9, 4]) == 9\nassert largest([-5, -2, -7]) == -2\nassert largest([-1]) == -1"
    run = passes(code, checks)
    assert run.returncode == 0, f"{code}\n{run.stderr}"


async def test_cancel_stops_the_job_within_a_second_leaving_no_edit_and_no_processes(
    client: AtlasTestClient, workdir: Path
) -> None:
    server_pid = client._server.pid
    uri = await client.open_document(copy_fixture(workdir, "slow.py", "cancel_slow.py"))
    token = await client.start_action(uri, SLOW_LINE, "ATLAS: Repair")
    await until(lambda: descendants(server_pid), timeout=60)  # the sandbox runs the slow function

    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    cancelled_at = time.monotonic()
    end = await client.job_end(token, timeout=10)
    stopped_after = time.monotonic() - cancelled_at

    print(f"\njob stopped {stopped_after * 1000:.0f} ms after the cancel")
    assert end.message == "Cancelled"
    assert stopped_after < 1.0
    await until(lambda: not descendants(server_pid), timeout=3)
    assert edits_for(client, uri) == []


async def test_cancel_pressed_as_soon_as_the_progress_appears_stops_the_job(
    client: AtlasTestClient, workdir: Path
) -> None:
    # The client knows the token from the create request, before the server has read its answer.
    uri = await client.open_document(copy_fixture(workdir, "slow.py", "early_cancel_slow.py"))
    token = await client.start_action(uri, SLOW_LINE, "ATLAS: Repair")
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    end = await client.job_end(token, timeout=10)
    assert end.message == "Cancelled"
    assert edits_for(client, uri) == []


async def test_second_request_for_a_running_function_is_refused(client: AtlasTestClient, workdir: Path) -> None:
    uri = await client.open_document(copy_fixture(workdir, "slow.py", "twice_slow.py"))
    token = await client.start_action(uri, SLOW_LINE, "ATLAS: Repair")
    first_message = len(client.messages)
    (action,) = [a for a in await client.actions_at(uri, SLOW_LINE) if a.title == "ATLAS: Repair"]
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=action.command.command, arguments=action.command.arguments)
    )
    refusal = await until(
        lambda: next((m for m in client.messages[first_message:] if "already running" in m.message), None)
    )
    assert "slow_identity" in refusal.message
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    await client.job_end(token, timeout=10)


async def test_code_actions_answer_quickly_while_a_job_runs(client: AtlasTestClient, workdir: Path) -> None:
    uri = await client.open_document(copy_fixture(workdir, "slow.py", "latency_slow.py"))
    token = await client.start_action(uri, SLOW_LINE, "ATLAS: Repair")
    latencies = []
    for _ in range(30):
        started = time.monotonic()
        assert await client.actions_at(uri, SLOW_LINE)
        latencies.append(time.monotonic() - started)
        await asyncio.sleep(0.2)
    running = "end" not in client.progress_kinds(token)
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    await client.job_end(token, timeout=10)

    print(
        f"\ncodeAction latency during a job: median {statistics.median(latencies) * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms over {len(latencies)} requests"
    )
    assert running
    assert statistics.median(latencies) < 0.1
    assert max(latencies) < 0.5


async def test_edit_for_a_document_changed_meanwhile_is_refused(client: AtlasTestClient, workdir: Path) -> None:
    path = copy_fixture(workdir, "add.py", "changed_add.py")
    uri = await client.open_document(path)
    first_message = len(client.messages)
    token = await client.start_action(uri, ADD_LINE, "ATLAS: Solve")
    end_of_file = types.Position(len(path.read_text().splitlines()), 0)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(end_of_file, end_of_file), text="\n# typed while the job ran\n"
                )
            ],
        )
    )
    end = await client.job_end(token)

    assert edits_for(client, uri) == []
    assert end.message == "Not applied: the file changed"
    assert any("file changed" in m.message for m in client.messages[first_message:])


def function_source(text: str, name: str) -> str:
    site = parse_module(text).function_named(name)
    assert site is not None
    return site.source


async def test_solve_shows_what_it_checked_as_a_code_lens_on_the_def_line(
    client: AtlasTestClient, solved_add: FinishedJob
) -> None:
    (lens,) = await client.code_lenses(solved_add.uri)
    assert lens.range.start.line == ADD_LINE
    assert lens.command is not None
    assert lens.command.title.startswith("atlas: passes 1/1 examples"), lens.command.title
    assert lens.command.command == "atlas.verify"
    assert list(lens.command.arguments or []) == [{"uri": solved_add.uri, "target": "add"}]


async def test_solve_edit_carries_the_lens_text_as_its_change_annotation(
    client: AtlasTestClient, solved_add: FinishedJob
) -> None:
    (params,) = edits_for(client, solved_add.uri)
    (lens,) = await client.code_lenses(solved_add.uri)
    (annotation,) = (params.edit.change_annotations or {}).values()
    assert annotation.label == "ATLAS: Solve add"
    assert lens.command is not None and annotation.description == lens.command.title
    assert annotation.needs_confirmation is False


async def test_verify_shows_its_summary_as_a_code_lens(client: AtlasTestClient, verified_largest: FinishedJob) -> None:
    (lens,) = await client.code_lenses(verified_largest.uri)
    assert lens.range.start.line == LARGEST_LINE
    assert lens.command is not None and "checked tests fail" in lens.command.title, lens.command.title


async def test_repair_quick_fix_of_a_verify_diagnostic_changes_the_function(
    client: AtlasTestClient, workdir: Path
) -> None:
    verified = await run_job(client, copy_fixture(workdir, "buggy.py", "fix_largest.py"), LARGEST_LINE, "ATLAS: Verify")
    diagnostics = list(client.diagnostics[verified.uri])
    assert diagnostics
    actions = await client.actions_at(verified.uri, LARGEST_LINE, diagnostics)
    (fix,) = [action for action in actions if action.kind == types.CodeActionKind.QuickFix]
    end = await client.job_end(await client.start_command(fix))

    assert end.message is not None and end.message.startswith("Applied"), end.message
    (params,) = edits_for(client, verified.uri)
    original = verified.path.read_text()
    repaired = apply_text_edits(original, edits_of(params)[1])
    assert function_source(repaired, "largest") != function_source(original, "largest")


async def test_an_edit_of_a_verified_function_withdraws_its_diagnostics_and_its_lens(
    client: AtlasTestClient, workdir: Path
) -> None:
    job = await run_job(client, copy_fixture(workdir, "buggy.py", "edited_largest.py"), LARGEST_LINE, "ATLAS: Verify")
    assert client.diagnostics[job.uri] and await client.code_lenses(job.uri)
    refreshes = client.code_lens_refreshes
    line = job.path.read_text().splitlines().index("    best = 0")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=job.uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(line, 11), types.Position(line, 12)), text="numbers[0]"
                )
            ],
        )
    )
    await until(lambda: list(client.diagnostics[job.uri]) == [])
    assert await client.code_lenses(job.uri) == []
    await until(lambda: client.code_lens_refreshes > refreshes)
