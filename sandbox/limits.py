"""Resource limits applied to every program the sandbox runs."""

from __future__ import annotations

import math
from dataclasses import dataclass

GIB = 1 << 30
MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Per-test limits. The worker applies them with soft = hard so candidate code cannot raise them
    (except CPU time, whose hard limit is one second above: see the worker).

    `wall_seconds` matches LiveCodeBench's per-test timeout (6 s). Address space is 2 GiB: enough for
    Python with numpy, small enough that a few workers in parallel cannot exhaust the machine. The stack
    is large because competitive programs recurse deeply after `sys.setrecursionlimit`.
    """

    wall_seconds: float = 6.0
    # None: one second more than the wall limit, so a busy program is stopped by the wall clock first
    # and the CPU limit only catches programs that burn CPU in several threads.
    cpu_seconds: float | None = None
    memory_bytes: int = 2 * GIB
    output_bytes: int = 16 * MIB
    open_files: int = 128
    # Counts threads too; the worker and the test process use two of them.
    processes: int = 32
    stack_bytes: int = 256 * MIB

    def __post_init__(self) -> None:
        for name in ("wall_seconds", "memory_bytes", "output_bytes", "open_files", "processes", "stack_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive, got {getattr(self, name)!r}")
        if self.cpu_seconds is not None and self.cpu_seconds <= 0:
            raise ValueError(f"Limits.cpu_seconds must be positive, got {self.cpu_seconds!r}")

    @property
    def cpu_limit_seconds(self) -> int:
        """Whole seconds for RLIMIT_CPU, which the kernel counts in seconds."""
        seconds = self.wall_seconds + 1 if self.cpu_seconds is None else self.cpu_seconds
        return max(1, math.ceil(seconds))
