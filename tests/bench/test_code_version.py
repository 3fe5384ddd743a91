"""A bench run names the code it ran: the commit of the checkout its modules came from."""

from __future__ import annotations

import subprocess
from pathlib import Path

from atlas_lsp.bench.code_version import code_version
from atlas_lsp.commands.bench import _code_versions


def git(checkout: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *arguments],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def checkout_with_engine_file(tmp_path: Path) -> Path:
    (tmp_path / "engine").mkdir()
    (tmp_path / "engine" / "pipeline.py").write_text("STAGES = 1\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "engine")
    return tmp_path


def test_a_clean_checkout_is_named_by_its_commit_and_folder(tmp_path: Path) -> None:
    checkout = checkout_with_engine_file(tmp_path)
    assert code_version(checkout) == f"{git(checkout, 'rev-parse', '--short=12', 'HEAD')} ({checkout})"


def test_uncommitted_engine_changes_are_named(tmp_path: Path) -> None:
    checkout = checkout_with_engine_file(tmp_path)
    (checkout / "engine" / "pipeline.py").write_text("STAGES = 2\n")
    assert code_version(checkout).endswith("with uncommitted changes")


def test_changes_outside_the_engine_code_leave_the_version_clean(tmp_path: Path) -> None:
    checkout = checkout_with_engine_file(tmp_path)
    (checkout / "notes.md").write_text("a note\n")
    assert not code_version(checkout).endswith("with uncommitted changes")


def test_a_folder_outside_git_says_its_version_is_unknown(tmp_path: Path) -> None:
    assert code_version(tmp_path).startswith("unknown:")


def test_a_resumed_run_adds_its_code_when_it_differs() -> None:
    assert _code_versions({"code": ["a (x)"]}, "b (x)") == ("a (x)", "b (x)")


def test_a_resumed_run_of_the_same_code_adds_nothing() -> None:
    assert _code_versions({"code": ["a (x)"]}, "a (x)") == ("a (x)",)


def test_a_run_from_before_code_versions_starts_its_list() -> None:
    assert _code_versions({}, "a (x)") == ("a (x)",)
