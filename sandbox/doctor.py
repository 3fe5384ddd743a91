"""The sandbox part of `atlas-lsp --doctor`: which isolation is active, and does a real run work."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sandbox.executor import Sandbox
from sandbox.isolation import describe_isolation
from sandbox.limits import Limits
from sandbox.testcases import TestCase, TestKind

SMOKE_LIMITS = Limits(wall_seconds=10.0)


@dataclass(frozen=True)
class SandboxCheck:
    lines: tuple[str, ...]  # what to print
    problems: tuple[str, ...]  # what makes the check fail


async def check_sandbox() -> SandboxCheck:
    isolation = describe_isolation()
    lines = [f"isolation: {isolation.describe()}"]
    problems = [] if isolation.fully_isolated else [isolation.problem or "weak isolation"]
    sandbox = Sandbox(SMOKE_LIMITS, jobs=1, isolation=isolation)
    smoke_runs = (
        ("stdin program", "print(sum(map(int, input().split())))", [TestCase(TestKind.STDIN, "2 3\n", "5\n")], None),
        (
            "LeetCode method returning a bool",
            "class Solution:\n    def same(self, a: int, b: int) -> bool:\n        return a == b\n",
            [TestCase(TestKind.FUNCTIONAL, "4\n4", "true")],
            "same",
        ),
        (
            "program that cannot reach the network",
            "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n    print('reached')\n"
            "except OSError:\n    print('blocked')\n",
            [TestCase(TestKind.STDIN, "", "blocked\n" if isolation.fully_isolated else None)],
            None,
        ),
    )
    for name, code, tests, entry_point in smoke_runs:
        started = time.monotonic()
        result = await sandbox.run(code, tests, entry_point=entry_point)
        milliseconds = 1000 * (time.monotonic() - started)
        verdict = result.verdict.value
        lines.append(f"{name}: {verdict} in {milliseconds:.0f} ms (worker start included)")
        if verdict not in ("passed", "ran"):
            detail = result.tests[0].detail or result.tests[0].stderr_tail.strip()
            problems.append(f"sandbox {name}: {verdict} ({detail})")
    return SandboxCheck(tuple(lines), tuple(problems))
