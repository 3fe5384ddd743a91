"""Fixtures for the sandbox tests: real workers, small limits, and a check for leftover processes."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sandbox import IsolationReport, Limits, Sandbox, describe_isolation

TEST_JOBS = 2
FAST_LIMITS = Limits(wall_seconds=1.5, memory_bytes=512 << 20, output_bytes=1 << 20, processes=16)
# Every sandboxed process runs the worker, whose source (with this sentence) is on its command line.
WORKER_MARKER = b"The harness that runs inside the sandbox"


@pytest.fixture(scope="session")
def isolation() -> IsolationReport:
    return describe_isolation()


# The sandboxes these tests hold open. Their uid ranges are theirs alone while open (no other sandbox on
# the machine gets them), so a process running as one of those uids is one of theirs.
_open_sandboxes: list[Sandbox] = []


@contextlib.contextmanager
def opened_sandbox(limits: Limits = FAST_LIMITS, **options) -> Iterator[Sandbox]:
    """A sandbox with the test limits and job count, closed (its uids given back) at the end."""
    with Sandbox(limits, jobs=TEST_JOBS, **options) as sandbox:
        _open_sandboxes.append(sandbox)
        try:
            yield sandbox
        finally:
            _open_sandboxes.remove(sandbox)


@pytest.fixture
def sandbox(isolation: IsolationReport) -> Iterator[Sandbox]:
    with opened_sandbox(isolation=isolation) as sandbox:
        yield sandbox


@pytest.fixture
def make_sandbox(isolation: IsolationReport) -> Iterator[Callable[..., Sandbox]]:
    with contextlib.ExitStack() as opened:

        def make(limits: Limits = FAST_LIMITS, **options) -> Sandbox:
            options.setdefault("isolation", isolation)
            return opened.enter_context(opened_sandbox(limits, **options))

        yield make


def sandbox_processes() -> list[int]:
    """Pids of live sandbox processes started by these tests: those of an open test sandbox's uids (when
    running as root), and descendants of this process that run the worker (bubblewrap and the worker)."""
    ranges = [uids for sandbox in _open_sandboxes for uids in sandbox.uid_ranges]
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            uid = entry.stat().st_uid
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if state == "Z":
            continue
        in_test_uid_range = os.geteuid() == 0 and any(uids.first <= uid <= uids.last for uids in ranges)
        if in_test_uid_range or (WORKER_MARKER in command and _descends_from_this_process(int(entry.name))):
            found.append(int(entry.name))
    return found


def _descends_from_this_process(pid: int) -> bool:
    while pid > 1:
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            return False
        if pid == os.getpid():
            return True
    return False


def assert_no_sandbox_process_remains() -> None:
    # The kernel finishes tearing down a killed namespace asynchronously; give it a moment.
    deadline = time.monotonic() + 2.0
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox_processes() == []
