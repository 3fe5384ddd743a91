"""`Sandbox`: run a candidate program on its tests in an isolated worker and grade the answers."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import tempfile
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict
from pathlib import Path
from subprocess import PIPE
from types import TracebackType
from typing import IO, Any

import anyio
import anyio.abc
from anyio.streams.buffered import BufferedByteReceiveStream

from sandbox import worker
from sandbox.compare import grade_answer
from sandbox.isolation import IsolationReport, build_launch, describe_isolation
from sandbox.limits import MIB, Limits
from sandbox.results import ProgramResult, TestResult, Verdict
from sandbox.testcases import TestCase, TestKind
from sandbox.uids import UidPool, UidRange
from sandbox.worker import decode_value

logger = logging.getLogger("sandbox")

# Time the worker needs to start (bubblewrap, interpreter, preamble imports) on a loaded machine.
STARTUP_SECONDS = 30.0
# Time the worker needs around each test beyond the test's own wall limit: writing the input file,
# reading the output files, cleaning up.
BOOKKEEPING_SECONDS = 10.0
# Grace period for a worker to exit once its stdin is closed.
EXIT_SECONDS = 2.0
STDERR_KEPT_BYTES = 8192
TMPFS_SLACK_BYTES = 16 * MIB
STATUS_VERDICTS = {
    "time_limit": Verdict.TIME_LIMIT,
    "memory_limit": Verdict.MEMORY_LIMIT,
    "output_limit": Verdict.OUTPUT_LIMIT,
    "runtime_error": Verdict.RUNTIME_ERROR,
}


class WorkerLost(Exception):
    """The worker ended or stopped answering; the message says which."""


STOPS_EVERY_FAILURE = frozenset(Verdict) - {Verdict.PASSED, Verdict.RAN, Verdict.NOT_RUN}
STOPS_TIMEOUT = frozenset({Verdict.TIME_LIMIT})


class Sandbox:
    """Runs candidate programs, each in its own isolated worker, up to `jobs` at once.

    One worker serves all tests of one program: it loads LiveCodeBench's preamble and compiles the code
    once, then forks a fresh child per test. Expected answers stay in this process; only code and test
    inputs enter the sandbox.

    `isolation` defaults to probing the machine (`describe_isolation()`); without bubblewrap one warning
    is logged. Each worker slot has a uid of its own (used as root: the worker drops to it), from uid
    ranges the Sandbox claims from `uid_pool` (the machine's, by default) when it is created and holds
    until `close()`, the end of a `with` block, or its collection; no other Sandbox, in this process or
    another, gets them meanwhile. Raises `NoFreeUidRange` when every range is taken.
    """

    def __init__(
        self,
        limits: Limits = Limits(),
        *,
        jobs: int | None = None,
        isolation: IsolationReport | None = None,
        uid_pool: UidPool | None = None,
    ) -> None:
        self.limits = limits
        self.jobs = jobs or os.cpu_count() or 1
        self.isolation = isolation or describe_isolation()
        self._uids = (uid_pool or UidPool()).claim(self.jobs)
        # Frees the ranges if the Sandbox is dropped without close(), and at interpreter exit.
        self._release_uids = weakref.finalize(self, self._uids.release)
        self._worker_source = Path(worker.__file__).read_text(encoding="utf-8")
        # Created on first use: anyio primitives belong to the event loop that runs them.
        self._limiter: anyio.CapacityLimiter | None = None
        self._free_slots = list(range(self.jobs))
        if not self.isolation.fully_isolated:
            logger.warning("sandbox: weak isolation. %s", self.isolation.describe())

    @property
    def uid_ranges(self) -> tuple[UidRange, ...]:
        """The uid ranges this Sandbox holds."""
        return self._uids.ranges

    def close(self) -> None:
        """Give the uid ranges back; call once no run is under way. The Sandbox cannot run after this."""
        self._release_uids()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    async def run(
        self,
        code: str,
        tests: Sequence[TestCase],
        *,
        entry_point: str | None = None,
        limits: Limits | None = None,
        stop_at_first_failure: bool = False,
        stop_after_timeout: bool = False,
        project_root: Path | None = None,
    ) -> ProgramResult:
        """Run `code` on every test, in order, and grade each answer that has an expected value.

        `entry_point` names the function (CALL) or Solution method (FUNCTIONAL) to call. With
        `stop_at_first_failure`, tests after the first one that does not pass are NOT_RUN, as
        LiveCodeBench stops there; with `stop_after_timeout`, those after the first one that exceeds
        its wall-time limit are, so a program that hangs costs the limit once, not once per test.
        `project_root`, a folder of the caller's, is importable from the code and mounted read-only.
        """
        if any(test.kind is not TestKind.STDIN for test in tests) and not entry_point:
            raise ValueError("functional and call tests need an entry_point")
        for index, test in enumerate(tests):
            _check_expected_answer(index, test)
        if self._uids.released:
            raise RuntimeError("this Sandbox is closed: its uid ranges belong to other sandboxes now")
        if not tests:
            return ProgramResult(())
        limits = limits or self.limits
        stop_after = (
            STOPS_EVERY_FAILURE if stop_at_first_failure else STOPS_TIMEOUT if stop_after_timeout else frozenset()
        )
        async with self._slot() as slot:
            return await self._run_in_slot(slot, code, tests, entry_point, limits, stop_after, project_root)

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[int]:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.jobs)
        async with self._limiter:
            slot = self._free_slots.pop()
            try:
                yield slot
            finally:
                self._free_slots.append(slot)

    async def _run_in_slot(
        self,
        slot: int,
        code: str,
        tests: Sequence[TestCase],
        entry_point: str | None,
        limits: Limits,
        stop_after: frozenset[Verdict],
        project_root: Path | None,
    ) -> ProgramResult:
        uid = self._uids.uid(slot)
        largest_input = max(len(test.input.encode("utf-8")) for test in tests)
        with contextlib.ExitStack() as cleanup:
            host_workdir = None
            info_read = info_write = None
            if self.isolation.fully_isolated:
                info_read, info_write = os.pipe()
                cleanup.callback(os.close, info_read)
            else:
                host_workdir = tempfile.mkdtemp(prefix="atlas-sandbox-")
                cleanup.callback(shutil.rmtree, host_workdir, ignore_errors=True)
            # Only the worker and bubblewrap write here (a test's stderr goes to its own file), so a file
            # needs no reader running alongside and keeps what a dying worker said.
            worker_stderr = cleanup.enter_context(tempfile.TemporaryFile())
            launch = build_launch(
                self.isolation,
                limits,
                worker_source=self._worker_source,
                uid=uid,
                # stdout, stderr and return-value files at their cap, the input file, and what the
                # program writes itself.
                tmp_bytes=3 * limits.output_bytes + largest_input + TMPFS_SLACK_BYTES,
                host_workdir=host_workdir,
                info_fd=info_write,
                project_root=str(project_root.resolve()) if project_root else None,
            )
            header = {
                "code": code,
                "entry_point": entry_point,
                "limits": {**asdict(limits), "cpu_seconds": limits.cpu_limit_seconds},
                "workdir": launch.workdir,
                "import_paths": list(launch.import_paths),
                "drop_to_uid": launch.drop_to_uid,
                "reap_all": launch.reap_all,
                "uid_shared_with_host": launch.uid_shared_with_host,
            }
            try:
                process = await anyio.open_process(
                    list(launch.command),
                    stdin=PIPE,
                    stdout=PIPE,
                    stderr=worker_stderr,
                    cwd=launch.cwd,
                    env=dict(launch.env),
                    start_new_session=True,
                    pass_fds=() if info_write is None else (info_write,),
                )
            finally:
                if info_write is not None:
                    os.close(info_write)
            uid_to_clear = uid if launch.reap_all and not self.isolation.fully_isolated else None
            session = _WorkerSession(process, worker_stderr, info_read, uid_to_clear, limits)
            return ProgramResult(tuple(await session.run(header, tests, stop_after)))


class _WorkerSession:
    """The conversation with one worker process, and making sure nothing of it survives."""

    def __init__(
        self,
        process: anyio.abc.Process,
        stderr_file: IO[bytes],
        info_fd: int | None,
        uid_to_clear: int | None,
        limits: Limits,
    ) -> None:
        self._process = process
        self._stderr_file = stderr_file
        self._info_fd = info_fd
        # Without a pid namespace, a dedicated uid is how leftover processes are found.
        self._uid_to_clear = uid_to_clear
        self._limits = limits
        assert process.stdin is not None and process.stdout is not None, "the worker is started with pipes"
        self._stdin = process.stdin
        self._stdout = BufferedByteReceiveStream(process.stdout)
        # Outcomes carry stdout and the return value, each capped at output_bytes, JSON-escaped.
        self._max_line_bytes = 16 * limits.output_bytes + MIB
        self._sandbox_pidfd: int | None = None

    async def run(
        self, header: dict[str, Any], tests: Sequence[TestCase], stop_after: frozenset[Verdict]
    ) -> list[TestResult]:
        """Each test's result; the tests after one whose verdict is in `stop_after` are NOT_RUN."""
        results: list[TestResult] = []
        lost: WorkerLost | None = None
        idle = False  # True once the worker waits for its next test, so it can leave on its own
        try:
            await self._start(header)
            stopped_by: Verdict | None = None
            for test in tests:
                if stopped_by is not None:
                    reason = "timed out" if stopped_by is Verdict.TIME_LIMIT else "failed"
                    results.append(TestResult(Verdict.NOT_RUN, detail=f"not run: an earlier test {reason}"))
                    continue
                results.append(await self._run_test(test))
                if results[-1].verdict in stop_after:
                    stopped_by = results[-1].verdict
            idle = True
        except WorkerLost as error:
            lost = error
        finally:
            with anyio.CancelScope(shield=True):
                await self._shut_down(graceful=idle)
        if lost is not None:
            timed_out = isinstance(lost.__cause__, TimeoutError)
            results.append(
                TestResult(
                    Verdict.TIME_LIMIT if timed_out else Verdict.RUNTIME_ERROR,
                    detail=str(lost),
                    stderr_tail=self._stderr_tail(),
                )
            )
            rest = TestResult(Verdict.RUNTIME_ERROR, detail="not run: the sandbox worker was lost")
            results.extend(rest for _ in range(len(tests) - len(results)))
        return results

    async def _start(self, header: dict[str, Any]) -> None:
        await self._send(header)
        reply = await self._receive(STARTUP_SECONDS, "starting")
        if reply != {"ready": True}:
            raise WorkerLost(f"the sandbox worker did not start: {reply!r}")
        self._open_sandbox_pidfd()

    async def _run_test(self, test: TestCase) -> TestResult:
        await self._send({"kind": test.kind.value, "input": test.input})
        outcome = await self._receive(self._limits.wall_seconds + BOOKKEEPING_SECONDS, "running a test")
        common = dict(
            seconds=outcome["seconds"],
            stdout=outcome["stdout"],
            stderr_tail=outcome["stderr_tail"],
            returned=outcome["returned"],
            max_rss_bytes=outcome["max_rss_bytes"],
        )
        if outcome["status"] != "ok":
            return TestResult(STATUS_VERDICTS[outcome["status"]], detail=outcome["detail"], **common)
        verdict, detail = grade_answer(test, outcome["stdout"], outcome["returned"])
        return TestResult(verdict, detail=detail, **common)

    async def _send(self, message: dict[str, Any]) -> None:
        try:
            await self._stdin.send(json.dumps(message).encode("utf-8") + b"\n")
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as error:
            raise WorkerLost("the sandbox worker ended") from error

    async def _receive(self, timeout: float, doing: str) -> dict[str, Any]:
        try:
            with anyio.fail_after(timeout):
                line = await self._stdout.receive_until(b"\n", max_bytes=self._max_line_bytes)
        except TimeoutError as error:
            raise WorkerLost(f"the sandbox worker stopped answering while {doing} ({timeout:.0f} s)") from error
        except (anyio.IncompleteRead, anyio.EndOfStream, anyio.BrokenResourceError) as error:
            raise WorkerLost(f"the sandbox worker ended while {doing}") from error
        except anyio.DelimiterNotFound as error:
            raise WorkerLost(f"the sandbox worker sent an oversized message while {doing}") from error
        try:
            message: dict[str, Any] = json.loads(line)
            return message
        except ValueError as error:
            raise WorkerLost(f"the sandbox worker sent garbage while {doing}") from error

    def _open_sandbox_pidfd(self) -> None:
        """Hold the sandbox's pid 1 by pidfd: killing it tears down the whole pid namespace."""
        if self._info_fd is None:
            return
        os.set_blocking(self._info_fd, False)
        try:
            info = json.loads(os.read(self._info_fd, 65536))
            self._sandbox_pidfd = os.pidfd_open(info["child-pid"])
        except (OSError, ValueError, KeyError, AttributeError):
            self._sandbox_pidfd = None  # then only bubblewrap itself is killed, which still ends the namespace

    def _stderr_tail(self) -> str:
        self._stderr_file.seek(0, os.SEEK_END)
        self._stderr_file.seek(max(0, self._stderr_file.tell() - STDERR_KEPT_BYTES))
        return self._stderr_file.read().decode("utf-8", errors="replace")

    async def _shut_down(self, *, graceful: bool) -> None:
        """End the worker: an idle one by closing its input, anything else (lost, cancelled) at once."""
        if not graceful:
            self._kill()
        try:
            await self._stdin.aclose()
        except OSError:
            pass  # the worker is already gone
        with anyio.move_on_after(EXIT_SECONDS):
            await self._process.wait()
        if self._process.returncode is None:
            self._kill()
        await self._process.aclose()
        if self._sandbox_pidfd is not None:
            os.close(self._sandbox_pidfd)
        if self._uid_to_clear is not None:
            await _kill_processes_of_uid(self._uid_to_clear)

    def _kill(self) -> None:
        if self._sandbox_pidfd is not None:
            try:
                signal.pidfd_send_signal(self._sandbox_pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.killpg(self._process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _check_expected_answer(index: int, test: TestCase) -> None:
    """Refuse a malformed answer before anything runs, rather than in the middle of grading."""
    if test.expected is None or test.kind is TestKind.STDIN:
        return
    try:
        if test.kind is TestKind.FUNCTIONAL:
            json.loads(test.expected)
        else:
            decode_value(test.expected)
    except ValueError as error:
        raise ValueError(
            f"test {index}: the expected answer of a {test.kind.value} test is malformed: {error}"
        ) from None


async def _kill_processes_of_uid(uid: int) -> None:
    """SIGKILL every process of `uid` (the plain-subprocess fallback has no namespace to tear down)."""
    await anyio.run_process(["/bin/sh", "-c", "kill -9 -1 2>/dev/null; true"], user=uid, group=uid, env={})
