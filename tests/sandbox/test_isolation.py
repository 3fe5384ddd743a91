"""Which isolation is active, and the plain-subprocess fallback when bubblewrap is missing."""

from __future__ import annotations

import contextlib
import logging
import secrets
import shutil
from collections.abc import Iterator

import pytest

from sandbox import Limits, Sandbox, TestCase, TestKind, Verdict, describe_isolation
from tests.sandbox.conftest import FAST_LIMITS, assert_no_sandbox_process_remains, opened_sandbox


@pytest.fixture
def fallback(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without bwrap
    report = describe_isolation()
    monkeypatch.undo()
    return report


@pytest.fixture
def fallback_sandbox(fallback, caplog) -> Iterator[Sandbox]:
    with contextlib.ExitStack() as opened:
        with caplog.at_level(logging.WARNING, logger="sandbox"):
            sandbox = opened.enter_context(opened_sandbox(FAST_LIMITS, isolation=fallback))
        yield sandbox


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_bubblewrap_is_reported_when_installed() -> None:
    report = describe_isolation()
    assert report.mechanism == "bubblewrap"
    assert report.problem is None
    assert "bubblewrap" in report.describe()


def test_missing_bubblewrap_is_reported_with_how_to_install_it(fallback) -> None:
    assert fallback.mechanism == "subprocess"
    assert not fallback.fully_isolated
    assert "apt-get install bubblewrap" in fallback.problem
    assert "apt-get install bubblewrap" in fallback.describe()


def test_bubblewrap_that_cannot_create_namespaces_falls_back_and_says_why() -> None:
    report = describe_isolation(bwrap_path="/bin/false")
    assert report.mechanism == "subprocess"
    assert "cannot create namespaces" in report.problem


def test_fallback_sandbox_logs_exactly_one_warning(fallback_sandbox, caplog) -> None:
    warnings = [record for record in caplog.get_records("setup") if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "bubblewrap" in warnings[0].getMessage()


async def test_fallback_runs_and_grades_a_program(fallback_sandbox: Sandbox) -> None:
    result = await fallback_sandbox.run("print(int(input()) * 2)\n", [TestCase(TestKind.STDIN, "21\n", "42\n")])
    assert result.passed


async def test_fallback_does_not_pass_the_callers_environment(fallback_sandbox: Sandbox, monkeypatch) -> None:
    secret = secrets.token_hex(16)
    monkeypatch.setenv("ATLAS_TEST_SECRET", secret)
    code = "import os\nprint(os.environ.get('ATLAS_TEST_SECRET'))\n"
    result = await fallback_sandbox.run(code, [TestCase(TestKind.STDIN, "", secret + "\n")])
    assert result.tests[0].verdict is Verdict.WRONG_ANSWER


async def test_fallback_contains_a_fork_bomb_and_leaves_no_process(fallback_sandbox: Sandbox) -> None:
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    result = await fallback_sandbox.run(code, [TestCase(TestKind.STDIN, "", "done\n")])
    assert result.tests[0].verdict is Verdict.TIME_LIMIT
    assert_no_sandbox_process_remains()


async def test_worker_does_not_see_the_project(sandbox: Sandbox, isolation) -> None:
    if not isolation.fully_isolated:
        pytest.skip("without bubblewrap the project is importable")
    code = "try:\n    import sandbox\n    print('imported')\nexcept ImportError:\n    print('absent')\n"
    result = await sandbox.run(code, [TestCase(TestKind.STDIN, "", "absent\n")])
    assert result.passed


def test_limits_refuse_non_positive_values() -> None:
    with pytest.raises(ValueError, match="wall_seconds"):
        Limits(wall_seconds=0)


def test_cpu_limit_defaults_to_a_second_above_the_wall_limit() -> None:
    assert Limits(wall_seconds=6.0).cpu_limit_seconds == 7
    assert Limits(wall_seconds=2.5, cpu_seconds=1.2).cpu_limit_seconds == 2
