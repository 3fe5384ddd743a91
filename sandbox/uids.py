"""Uid ranges for sandbox workers, claimed per `Sandbox` so that no two sandboxes on a machine share one.

As root, a worker drops to a uid of its own before candidate code runs, and without bubblewrap the
sandbox SIGKILLs every process of that uid when a program ends. Two sandboxes sharing a uid would share
a process limit and kill each other's tests, so each one claims its uids here, for its lifetime.

The pool is `range_count` ranges of `range_size` consecutive uids. Claiming a range takes an exclusive,
non-blocking `flock` on that range's lock file; a range whose file another holder has locked is
skipped. The kernel drops a flock when its file is closed, including when the process dies, so a
crashed server or bench never leaks a range, and there is nothing to clean up.

Lock files live in one directory per machine for root: `/run/atlas-lsp-uids` (`/run` is root's
tmpfs, emptied at boot; the path depends on nothing in the environment, so a root process started by
sudo, cron or systemd finds the same one), or `/tmp/atlas-lsp-uids-0` where `/run` cannot be written.
Any other user never switches uid (it gets a user namespace, or no drop at all), so its claims only have
to agree among its own processes: `$XDG_RUNTIME_DIR/atlas-lsp-uids` or `/tmp/atlas-lsp-uids-<uid>`.
Each lock file holds the pid of its last holder, to say who holds a range.
"""

from __future__ import annotations

import fcntl
import math
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Below 65536, so the uids also exist in containers that map only 16-bit uids (rootless Docker and
# Podman map 65536), and below 65534 (nobody).
FIRST_SANDBOX_UID = 61000
UIDS_PER_RANGE = 32
RANGE_COUNT = 128  # 4096 uids: 61000-65095
ROOT_LOCK_DIRECTORY = Path("/run/atlas-lsp-uids")


class NoFreeUidRange(RuntimeError):
    """The sandbox cannot claim its uids (every range is held, or the lock directory is unsafe); the
    message says what to do."""


@dataclass(frozen=True)
class UidRange:
    """`size` consecutive uids from `first`, the `index`-th range of its pool."""

    index: int
    first: int
    size: int

    @property
    def last(self) -> int:
        return self.first + self.size - 1


class UidLease:
    """The ranges one sandbox holds: their lock files stay open (and locked) until `release`."""

    def __init__(self, ranges: tuple[UidRange, ...], lock_fds: tuple[int, ...]) -> None:
        self.ranges = ranges
        self._lock_fds = lock_fds
        self._released = False

    @property
    def released(self) -> bool:
        return self._released

    def uid(self, slot: int) -> int:
        """The uid of worker slot `slot`: slots fill the first range, then the next."""
        index, offset = divmod(slot, self.ranges[0].size)
        if slot < 0 or index >= len(self.ranges):
            raise ValueError(f"slot {slot} is outside this lease's {len(self.ranges) * self.ranges[0].size} uids")
        return self.ranges[index].first + offset

    def release(self) -> None:
        """Free the ranges for other sandboxes (closing a lock file drops its flock). Idempotent."""
        if self._released:
            return
        self._released = True
        for fd in self._lock_fds:
            os.close(fd)


@dataclass(frozen=True)
class UidPool:
    """Where sandbox uids come from. The defaults are the machine's pool; tests give a private
    `lock_directory` (and a small `range_count`) to exhaust a pool without starving real sandboxes."""

    first_uid: int = FIRST_SANDBOX_UID
    range_size: int = UIDS_PER_RANGE
    range_count: int = RANGE_COUNT
    lock_directory: Path | None = None  # None: `default_lock_directory()`

    def __post_init__(self) -> None:
        if self.first_uid <= 0 or self.range_size <= 0 or self.range_count <= 0:
            raise ValueError(f"a uid pool needs positive numbers, got {self}")

    def uid_range(self, index: int) -> UidRange:
        return UidRange(index, self.first_uid + index * self.range_size, self.range_size)

    def claim(self, slots: int) -> UidLease:
        """Lock enough free ranges for `slots` worker slots. Raises `NoFreeUidRange` when too few are free."""
        needed = max(1, math.ceil(slots / self.range_size))
        if needed > self.range_count:
            raise ValueError(
                f"{slots} worker slots need {needed} uid ranges and the pool has {self.range_count} "
                f"of {self.range_size}: use fewer jobs"
            )
        directory = _private_directory(self.lock_directory or default_lock_directory())
        ranges: list[UidRange] = []
        fds: list[int] = []
        taken: list[Path] = []
        for index in range(self.range_count):
            path = directory / self._lock_name(index)
            fd = _try_lock(path)
            if fd is None:
                taken.append(path)
                continue
            ranges.append(self.uid_range(index))
            fds.append(fd)
            if len(ranges) == needed:
                _write_holder(fds)
                return UidLease(tuple(ranges), tuple(fds))
        UidLease(tuple(ranges), tuple(fds)).release()
        raise NoFreeUidRange(self._exhausted_message(directory, needed, len(ranges), _holders(taken)))

    def _lock_name(self, index: int) -> str:
        uids = self.uid_range(index)
        return f"uids-{uids.first}-{uids.last}.lock"

    def _exhausted_message(self, directory: Path, needed: int, free: int, holders: list[int]) -> str:
        last = self.uid_range(self.range_count - 1).last
        held_by = f" (held by pids {', '.join(map(str, holders))})" if holders else ""
        return (
            f"no free sandbox uid range: this sandbox needs {needed}, and {free} of the {self.range_count} "
            f"ranges of {self.range_size} uids ({self.first_uid}-{last}, lock files in {directory}) are "
            f"free; the others belong to running sandboxes{held_by}. Stop an atlas-lsp server or bench that "
            "is no longer needed, or run this one with fewer jobs."
        )


def default_lock_directory() -> Path:
    """The directory that every sandbox of this user on this machine agrees on (see the module docstring)."""
    euid = os.geteuid()
    if euid == 0:
        # Never from the environment (XDG_RUNTIME_DIR, TMPDIR differ under sudo, cron or systemd): every
        # root process on the machine must land on the same directory.
        return ROOT_LOCK_DIRECTORY if os.access(ROOT_LOCK_DIRECTORY.parent, os.W_OK) else Path("/tmp/atlas-lsp-uids-0")
    runtime_directory = os.environ.get("XDG_RUNTIME_DIR")
    if runtime_directory and os.path.isdir(runtime_directory):
        return Path(runtime_directory) / "atlas-lsp-uids"
    return Path(f"/tmp/atlas-lsp-uids-{euid}")


def _private_directory(directory: Path) -> Path:
    """`directory`, created if missing, after checking that only this user can add or replace its files:
    in a shared /tmp, someone else's directory could hold every lock, or symlinks in place of them."""
    directory.mkdir(mode=0o755, parents=True, exist_ok=True)
    info = directory.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise NoFreeUidRange(
            f"{directory} holds the sandbox uid locks but is not a directory that only uid {os.geteuid()} "
            "can write; remove it and start again"
        )
    return directory


def _try_lock(path: Path) -> int | None:
    """An open descriptor holding the exclusive flock on `path`, or None when someone else holds it."""
    # os.open makes the descriptor non-inheritable, so sandbox workers never carry the lock.
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _write_holder(fds: list[int]) -> None:
    """Write this pid into the claimed lock files, for the message another sandbox may show."""
    for fd in fds:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)


def _holders(paths: Iterable[Path]) -> list[int]:
    """The pids written in the lock files of held ranges; a file being rewritten may read empty."""
    pids: set[int] = set()
    for path in paths:
        try:
            pids.add(int(path.read_text(encoding="utf-8").strip()))
        except (OSError, ValueError):
            continue
    return sorted(pids)
