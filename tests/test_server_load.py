"""The server load benchmark's logic without a server: how it counts jobs and names their failures."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def server_load(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    # The benchmark runs as a script, importing its sibling scripts by their own names.
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("server_load")


def test_failure_kinds_follow_the_http_backends_messages(server_load: ModuleType) -> None:
    kinds = [
        server_load.error_kind(message)
        for message in (
            "error: Could not connect to the model server at http://127.0.0.1:9 (refused).",
            "Solve failed: The exchange with the server at http://h broke during POST /v1/chat/completions",
            "The server at http://h did not finish POST /v1/chat/completions within 600 s.",
            "Cancelled.",
            "The function does not parse.",
        )
    ]
    assert kinds == ["server unreachable", "connection broken mid-request", "timeout", "cancelled", "other"]


def test_summary_counts_completions_errors_and_hung_actions_per_kind(server_load: ModuleType) -> None:
    editor = server_load.JobResult(
        "editor", "editor-0", completions=2, seconds=[4.0, 6.0, 30.0], errors=["Cancelled."], hung=1
    )
    bench = server_load.JobResult(
        "bench", "bench-0", completions=3, seconds=[1.0, 2.0, 3.0], errors=["error: Could not connect to x"]
    )
    summary = server_load.summary_of([editor, bench])
    assert summary["editor"] == {
        "jobs": 1, "completions": 2, "no_edit": 0, "errors": {"cancelled": 1}, "hung": 1,
        "p50_seconds": 6.0, "p90_seconds": 25.2,
    }  # fmt: skip
    assert summary["bench"]["errors"] == {"server unreachable": 1}
    assert summary["bench"]["p50_seconds"] == 2.0


def test_each_editor_gets_its_own_fixtures_solve_and_repair_in_turn(server_load: ModuleType) -> None:
    fixtures = server_load.load_fixtures()
    first, second = (server_load._editor_fixtures(fixtures, editor, 4) for editor in (0, 1))
    assert [f.action for f in first] == ["solve", "repair", "solve", "repair"]
    assert not {f.id for f in first} & {f.id for f in second}


def test_an_action_that_ends_without_an_edit_as_it_should_is_not_an_error(server_load: ModuleType) -> None:
    result = server_load.JobResult("editor", "editor-0")
    server_load._count_action(result, server_load.JobRecord("f", "repair", 3.0, False, False, "Nothing to change"))
    assert (result.errors, result.no_edit) == ([], ["Nothing to change"])


def test_a_failed_action_is_counted_with_the_message_the_user_was_shown(server_load: ModuleType) -> None:
    result = server_load.JobResult("editor", "editor-0")
    shown = ("ATLAS: Solve failed: Could not connect to the model server at http://h.",)
    server_load._count_action(result, server_load.JobRecord("f", "solve", 3.0, False, False, "Failed", shown=shown))
    assert result.errors == list(shown)
