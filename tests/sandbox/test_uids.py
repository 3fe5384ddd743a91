"""Uid ranges claimed by each Sandbox: disjoint within a process and across processes, freed when the
holder closes or dies, and a clear error when none is left."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import NoFreeUidRange, Sandbox, TestCase, TestKind, UidPool
from sandbox.uids import ROOT_LOCK_DIRECTORY, default_lock_directory
from tests.sandbox.conftest import FAST_LIMITS

PROJECT = Path(__file__).resolve().parents[2]
# Another process holding the range a sandbox of its own would claim: it says which, then waits for
# its stdin to close (or to be killed).
HOLDER = """
import sys
from pathlib import Path
from sandbox.uids import UidPool
lease = UidPool(lock_directory=Path(sys.argv[1])).claim(1)
print(lease.ranges[0].index, flush=True)
sys.stdin.read()
"""


def start_holder(lock_directory: Path) -> tuple[subprocess.Popen[str], int]:
    """A separate process that holds one range of the pool in `lock_directory`, and that range's index."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock_directory)],
        cwd=PROJECT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    return holder, int(holder.stdout.readline())


def uids_of(sandbox: Sandbox) -> set[int]:
    return {uid for uids in sandbox.uid_ranges for uid in range(uids.first, uids.last + 1)}


def test_two_sandboxes_open_at_once_get_disjoint_ranges(isolation) -> None:
    # The machine's own pool, as the server and a bench use it.
    with Sandbox(FAST_LIMITS, jobs=2, isolation=isolation) as first, Sandbox(isolation=isolation) as second:
        assert first.uid_ranges and second.uid_ranges
        assert not uids_of(first) & uids_of(second)
        lock_files = {path.name for path in default_lock_directory().iterdir()}
        assert {f"uids-{uids.first}-{uids.last}.lock" for uids in first.uid_ranges} <= lock_files


def test_a_range_held_by_another_process_is_skipped_and_free_again_once_it_dies(tmp_path) -> None:
    pool = UidPool(lock_directory=tmp_path)
    holder, held = start_holder(tmp_path)
    try:
        lease = pool.claim(1)
        assert held == 0
        assert [uids.index for uids in lease.ranges] == [1]
        lease.release()
    finally:
        holder.kill()  # no clean-up of its own: the kernel drops the lock with the process
        holder.wait()
    lease = pool.claim(1)
    assert [uids.index for uids in lease.ranges] == [0]
    lease.release()


def test_all_ranges_taken_gives_a_clear_error(tmp_path, isolation) -> None:
    pool = UidPool(range_count=2, lock_directory=tmp_path)
    holder, _ = start_holder(tmp_path)
    try:
        with Sandbox(FAST_LIMITS, jobs=2, isolation=isolation, uid_pool=pool):
            with pytest.raises(NoFreeUidRange) as refused:
                Sandbox(FAST_LIMITS, jobs=2, isolation=isolation, uid_pool=pool)
    finally:
        holder.kill()
        holder.wait()
    message = str(refused.value)
    assert "0 of the 2 ranges of 32 uids (61000-61063" in message
    assert str(tmp_path) in message
    assert str(holder.pid) in message and str(os.getpid()) in message
    assert "Stop an atlas-lsp server or bench that is no longer needed, or run this one with fewer jobs" in message
    # Once the holders are gone, both ranges can be claimed again.
    pool.claim(2 * pool.range_size).release()


async def test_a_closed_sandbox_gives_its_range_back_and_runs_no_more(tmp_path, isolation) -> None:
    pool = UidPool(range_count=1, lock_directory=tmp_path)
    sandbox = Sandbox(FAST_LIMITS, jobs=2, isolation=isolation, uid_pool=pool)
    sandbox.close()
    with Sandbox(FAST_LIMITS, jobs=2, isolation=isolation, uid_pool=pool) as reopened:
        assert reopened.uid_ranges == sandbox.uid_ranges
    with pytest.raises(RuntimeError, match="closed"):
        await sandbox.run("print(1)\n", [TestCase(TestKind.STDIN, "", "1\n")])


def test_a_sandbox_dropped_without_close_gives_its_range_back(tmp_path, isolation) -> None:
    pool = UidPool(range_count=1, lock_directory=tmp_path)
    Sandbox(FAST_LIMITS, jobs=2, isolation=isolation, uid_pool=pool)
    Sandbox(FAST_LIMITS, jobs=2, isolation=isolation, uid_pool=pool).close()


def test_more_slots_than_a_range_holds_claim_several_ranges(tmp_path) -> None:
    lease = UidPool(lock_directory=tmp_path).claim(40)
    first, second = lease.ranges
    assert [lease.uid(slot) for slot in (0, 31, 32, 39)] == [first.first, first.last, second.first, second.first + 7]
    with pytest.raises(ValueError, match="slot 64"):
        lease.uid(64)
    lease.release()


def test_a_lock_directory_others_can_write_is_refused(tmp_path) -> None:
    tmp_path.chmod(0o777)
    with pytest.raises(NoFreeUidRange, match="remove it"):
        UidPool(lock_directory=tmp_path).claim(1)


def test_root_uses_one_directory_whatever_its_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert default_lock_directory() in (ROOT_LOCK_DIRECTORY, Path("/tmp/atlas-lsp-uids-0"))


def test_other_users_lock_in_their_runtime_directory_or_tmp(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1234)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert default_lock_directory() == tmp_path / "atlas-lsp-uids"
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    assert default_lock_directory() == Path("/tmp/atlas-lsp-uids-1234")
