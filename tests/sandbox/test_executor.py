"""The Sandbox as callers use it: concurrency, cancellation, argument checks."""

from __future__ import annotations

import time

import anyio
import pytest

from sandbox import Limits, Sandbox, TestCase, TestKind, Verdict
from tests.sandbox.conftest import assert_no_sandbox_process_remains

SLEEP_ONE_SECOND = "import time\ntime.sleep(1)\nprint('done')\n"


async def test_programs_run_in_parallel_up_to_the_job_count(sandbox: Sandbox) -> None:
    verdicts = []

    async def run_one() -> None:
        result = await sandbox.run(SLEEP_ONE_SECOND, [TestCase(TestKind.STDIN, "", "done\n")])
        verdicts.append(result.verdict)

    started = time.monotonic()
    async with anyio.create_task_group() as task_group:
        for _ in range(sandbox.jobs):
            task_group.start_soon(run_one)
    assert verdicts == [Verdict.PASSED] * sandbox.jobs
    assert time.monotonic() - started < 1 + 0.9 * (sandbox.jobs - 1)


async def test_cancelling_a_run_stops_the_program_within_a_second(make_sandbox) -> None:
    sandbox = make_sandbox(Limits(wall_seconds=30.0))
    started = time.monotonic()
    with anyio.move_on_after(0.5):
        await sandbox.run("import time\ntime.sleep(60)\n", [TestCase(TestKind.STDIN, "", "")])
    assert time.monotonic() - started < 1.5
    assert_no_sandbox_process_remains()


async def test_functional_tests_need_an_entry_point(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="entry_point"):
        await sandbox.run("def f():\n    return 1\n", [TestCase(TestKind.FUNCTIONAL, "", "1")])


async def test_a_program_without_tests_runs_nothing_and_does_not_pass(sandbox: Sandbox) -> None:
    result = await sandbox.run("print(1)\n", [])
    assert result.tests == ()
    assert not result.passed


async def test_limits_can_be_changed_for_one_run(sandbox: Sandbox) -> None:
    result = await sandbox.run(
        SLEEP_ONE_SECOND, [TestCase(TestKind.STDIN, "", "done\n")], limits=Limits(wall_seconds=0.3)
    )
    assert result.tests[0].verdict is Verdict.TIME_LIMIT
