"""The harness that runs inside the sandbox, one process per candidate program.

Standard library only: the parent starts it as `python -I -S -B -c <this file's source>`, so it works
without the project installed and sees nothing of it. Startup time is paid once per program, so the
worker avoids heavy imports (dataclasses, site's .pth processing); `typing` comes with the preamble anyway.

Protocol, one JSON document per line (the parent holds the other end of stdin and stdout):
  parent -> worker  header: {"code", "entry_point", "limits", "workdir", "import_paths", "drop_to_uid",
                             "reap_all", "uid_shared_with_host"}
  worker -> parent  {"ready": true} once the preamble is loaded and privileges are dropped
  parent -> worker  one test: {"kind", "input"}          (never the expected answer)
  worker -> parent  its outcome: {"status", "seconds", "stdout", "stderr_tail", "returned",
                                   "detail", "max_rss_bytes"}
  End of stdin ends the worker.

Each test runs in a child forked from this process (the zygote: the preamble is imported and the code
compiled once). The child gets stdin/stdout/stderr on files in the work directory and closes every other
descriptor, so it cannot reach the protocol channel. `status` is one of ok, time_limit, memory_limit,
output_limit, runtime_error; grading against the expected answer happens in the parent.

Return values travel in a type-preserving JSON encoding (`encode_value` / `decode_value`):
None, bools, ints, floats (NaN/Infinity as Python's json writes them), strings and lists are plain JSON;
every other value is a one-key object: {"tuple": [...]}, {"set": [...]}, {"frozenset": [...]},
{"dict": [[key, value], ...]}, {"bytes": "<hex>"}, {"complex": [real, imag]}, and {"repr": "...",
"type": "..."} for anything else. A CALL test's arguments travel the same way, so a function written for
tuples is called with tuples.
numpy-like scalars are stored through `.item()`. Subclasses of the built-in types are stored as the
built-in type, so an overridden `__eq__` never takes part in grading.
"""

from __future__ import annotations

import _thread
import json
import os
import resource
import select
import signal
import sys
import time
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

if TYPE_CHECKING:  # the worker imports little at start-up: every test forks from it
    import ctypes
    import types

# LiveCodeBench's `import_string`, run before every answer. It ends with `from builtins import *`, so
# `pow` is the builtin again after `from math import *`.
PREAMBLE = (
    "from string import *\nfrom re import *\nfrom datetime import *\nfrom collections import *\n"
    "from heapq import *\nfrom bisect import *\nfrom copy import *\nfrom math import *\n"
    "from random import *\nfrom statistics import *\nfrom itertools import *\nfrom functools import *\n"
    "from operator import *\nfrom io import *\nfrom sys import *\nfrom json import *\n"
    "from builtins import *\nfrom typing import *\nimport string\nimport re\nimport datetime\n"
    "import collections\nimport heapq\nimport bisect\nimport copy\nimport math\nimport random\n"
    "import statistics\nimport itertools\nimport functools\nimport operator\nimport io\nimport sys\n"
    "import json\nsys.setrecursionlimit(50000)\n"
)

EXIT_OK = 0
EXIT_EXCEPTION = 1
# A program may os._exit(3) itself; it then gets memory_limit, which is never a pass either.
EXIT_MEMORY = 3
STDERR_TAIL_BYTES = 2048
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
THREAD_STACK_BYTES = 8 << 20
MEMORY_ERROR_MARKERS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory")


# ---------------------------------------------------------------- value encoding


def encode_value(value: object) -> str:
    """Encode a return value as type-preserving JSON text (see the module docstring)."""
    return json.dumps(_to_json(value), ensure_ascii=True)


def _to_json(value: object) -> object:
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    if isinstance(value, tuple):
        return {"tuple": [_to_json(item) for item in value]}
    if isinstance(value, frozenset):
        return {"frozenset": [_to_json(item) for item in value]}
    if isinstance(value, set):
        return {"set": [_to_json(item) for item in value]}
    if isinstance(value, dict):
        return {"dict": [[_to_json(key), _to_json(item)] for key, item in value.items()]}
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, complex):
        return {"complex": [value.real, value.imag]}
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return _to_json(value.item())  # type: ignore[attr-defined]  # a numpy scalar, checked above
    return {"repr": repr(value), "type": type(value).__qualname__}


class OpaqueValue:
    """A returned object the encoding cannot represent; equal only to an identical OpaqueValue."""

    __slots__ = ("type_name", "text")

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name = type_name
        self.text = text

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OpaqueValue):
            return NotImplemented
        return (self.type_name, self.text) == (other.type_name, other.text)

    def __hash__(self) -> int:
        return hash((self.type_name, self.text))

    def __repr__(self) -> str:
        return f"OpaqueValue({self.type_name!r}, {self.text!r})"


def decode_value(text: str) -> object:
    """Rebuild the Python value from `encode_value` output. Raises ValueError on malformed text."""
    try:
        return json.loads(text, object_hook=_from_tagged)
    except (TypeError, KeyError, RecursionError) as error:
        raise ValueError(f"malformed encoded value: {error!r}") from error


def _from_tagged(tagged: dict[str, Any]) -> object:
    if len(tagged) == 1:
        ((tag, payload),) = tagged.items()
        if tag == "tuple":
            return tuple(payload)
        if tag == "set":
            return set(payload)
        if tag == "frozenset":
            return frozenset(payload)
        if tag == "dict":
            return {key: item for key, item in payload}
        if tag == "bytes":
            return bytes.fromhex(payload)
        if tag == "complex":
            return complex(*payload)
    if set(tagged) == {"repr", "type"}:
        return OpaqueValue(tagged["type"], tagged["repr"])
    raise ValueError(f"unknown tag in encoded value: {sorted(tagged)}")


# ---------------------------------------------------------------- the worker process


class Program(NamedTuple):
    source: str
    code: types.CodeType | None  # None when it does not compile
    compile_error: str
    entry_point: str | None
    namespace: dict[str, Any]


class WorkFiles(NamedTuple):
    stdin: str
    stdout: str
    stderr: str
    returned: str

    @classmethod
    def inside(cls, workdir: str) -> WorkFiles:
        # Dot-names keep them out of a casual os.listdir('.') by the program.
        return cls(*(os.path.join(workdir, f".{name}") for name in ("stdin", "stdout", "stderr", "returned")))


def main() -> None:
    channel_in = os.fdopen(os.dup(0), "rb")
    channel_out = os.fdopen(os.dup(1), "wb")
    # Nothing but the protocol may write to the channel, so detach the standard descriptors from it.
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)

    header = json.loads(channel_in.readline())
    limits = header["limits"]
    _apply_worker_limits(limits, header["uid_shared_with_host"])
    _finish_interpreter_setup(header["import_paths"])
    import ctypes  # only needed for prctl; imported after the limits like everything else

    libc = ctypes.CDLL(None, use_errno=True)
    program = _load_program(header["code"], header["entry_point"])
    workdir = header["workdir"]
    if header["drop_to_uid"] is not None:
        _drop_privileges(header["drop_to_uid"], workdir)
    # Other processes of the sandbox uid must not read or write this process's channel through /proc.
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    # Orphans of a test become this process's children, so they are reaped here rather than piling up
    # as zombies under the host's init (without a pid namespace) and counting against the process limit.
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    files = WorkFiles.inside(workdir)
    _send(channel_out, {"ready": True})

    for line in channel_in:
        request = json.loads(line)
        outcome = _run_test(program, request["kind"], request["input"], limits, files, header["reap_all"], libc)
        _send(channel_out, outcome)


def _send(channel: BinaryIO, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n")
    channel.flush()


def _apply_worker_limits(limits: dict[str, Any], uid_shared_with_host: bool) -> None:
    processes = limits["processes"]
    if uid_shared_with_host:
        # The count covers every process of the uid on the host, so the budget is added on top.
        processes += _tasks_of_uid(os.getuid())
    for which, value in (
        (resource.RLIMIT_AS, limits["memory_bytes"]),
        (resource.RLIMIT_NOFILE, limits["open_files"]),
        (resource.RLIMIT_NPROC, processes),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(which, (value, value))


def _finish_interpreter_setup(import_paths: list[str]) -> None:
    """What `site` would do that programs rely on, without its slow .pth processing: the environment's
    site-packages on sys.path (numpy and friends) and the exit/quit/help builtins."""
    sys.path.extend(import_paths)
    import site

    site.setquit()
    site.setcopyright()
    site.sethelper()


def _tasks_of_uid(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                continue
    return count


def _load_program(source: str, entry_point: str | None) -> Program:
    # Threads take their default stack size from RLIMIT_STACK, which is large here for deep recursion in
    # the main thread; keep Python threads at the usual 8 MiB so a few of them fit in the address space.
    _thread.stack_size(THREAD_STACK_BYTES)
    namespace: dict[str, Any] = {}
    exec(PREAMBLE, namespace)
    try:
        code = compile(source, "<solution>", "exec")
    except Exception:  # SyntaxError, ValueError for NUL bytes, RecursionError for absurd nesting
        import traceback

        return Program(source, None, traceback.format_exc(limit=0), entry_point, namespace)
    return Program(source, code, "", entry_point, namespace)


def _drop_privileges(uid: int, workdir: str) -> None:
    os.chown(workdir, uid, uid)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def _run_test(
    program: Program,
    kind: str,
    test_input: str,
    limits: dict[str, Any],
    files: WorkFiles,
    reap_all: bool,
    libc: ctypes.CDLL,
) -> dict[str, Any]:
    if program.code is None:
        return _outcome("runtime_error", 0.0, stderr_tail=program.compile_error, detail="the program does not compile")
    # The previous test's program could have left anything under these names, a symlink included.
    for path in files:
        if os.path.lexists(path):
            os.unlink(path)
    if kind == "stdin":
        try:
            with open(files.stdin, "w", encoding="utf-8") as stdin_file:
                stdin_file.write(test_input)
        except OSError as error:
            return _outcome("runtime_error", 0.0, detail=f"the input does not fit the sandbox: {error}")

    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        exit_code = EXIT_EXCEPTION
        try:
            exit_code = _child(program, kind, test_input, limits, files, libc)
        finally:
            os._exit(exit_code)
    try:
        os.setpgid(pid, pid)  # also done by the child; whichever runs first wins the race
    except OSError:
        pass
    timed_out = not _wait_for_exit(pid, limits["wall_seconds"])
    if timed_out:
        _kill_group(pid)
    _, wait_status, usage = os.wait4(pid, 0)
    seconds = time.monotonic() - started
    # Background processes the program left behind must not run into the next test.
    _kill_group(pid)
    if reap_all:
        try:
            os.kill(-1, signal.SIGKILL)  # every other process of this uid; never this one
        except OSError:
            pass
    _reap_orphans(wait=reap_all)
    return _classify(kind, wait_status, usage, timed_out, seconds, limits, files)


def _child(
    program: Program, kind: str, test_input: str, limits: dict[str, Any], files: WorkFiles, libc: ctypes.CDLL
) -> int:
    os.setpgid(0, 0)
    # Dropping privileges made the zygote non-dumpable; without this /dev/stdin (/proc/self/fd/0) fails.
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    # The one exception to soft = hard: at the soft limit the kernel sends SIGXCPU, which names the cause
    # (the usage it reports for a killed multi-threaded process runs short); the hard limit one second
    # later kills a program that ignores it.
    cpu = limits["cpu_seconds"]
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["output_bytes"], limits["output_bytes"]))
    stdin_fd = os.open(files.stdin if kind == "stdin" else os.devnull, os.O_RDONLY)
    stdout_fd = os.open(files.stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    stderr_fd = os.open(files.stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for source, target in ((stdin_fd, 0), (stdout_fd, 1), (stderr_fd, 2)):
        os.dup2(source, target)
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    # sys.stdin/stdout/stderr keep their objects (the preamble's `from sys import *` bound them by name):
    # they sit on descriptors 0-2, which now hold the test's files, and the zygote never buffered anything.
    exit_code = EXIT_OK
    try:
        if kind == "stdin":
            _run_script(program)
        else:
            returned = _call_entry_point(program, kind, test_input)
            with open(files.returned, "w", encoding="ascii") as returned_file:
                returned_file.write(encode_value(returned))
    except MemoryError as error:
        _print_program_traceback(error)
        exit_code = EXIT_MEMORY
    except BaseException as error:
        _print_program_traceback(error)
        exit_code = EXIT_EXCEPTION
    for stream in (sys.stdout, sys.__stdout__, sys.stderr, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except BaseException:
            pass  # a full output file (EFBIG) is reported from its size by the worker
    return exit_code


def _print_program_traceback(error: BaseException) -> None:
    """The traceback from the program's first frame on: the harness's own frames are noise to a reader."""
    frames = error.__traceback__
    while frames is not None and frames.tb_frame.f_code.co_filename == _child.__code__.co_filename:
        frames = frames.tb_next
    import traceback

    traceback.print_exception(type(error), error, frames or error.__traceback__)


def _run_script(program: Program) -> None:
    assert program.code is not None, "_run_test answers a program that does not compile without running it"
    program.namespace["__name__"] = "__main__"
    try:
        exec(program.code, program.namespace)
    except SystemExit:
        pass  # LiveCodeBench keeps the output of a program that calls sys.exit/exit/quit, whatever the code
    # What a normal interpreter exit does: wait for non-daemon threads (the recursion-in-a-big-stack-thread
    # idiom), then run atexit handlers (some fast-output templates flush there).
    threading = sys.modules.get("threading")
    if threading is not None:
        for thread in threading.enumerate():
            if thread is not threading.current_thread() and not thread.daemon:
                thread.join()
    import atexit

    atexit._run_exitfuncs()


def _call_entry_point(program: Program, kind: str, test_input: str) -> object:
    if kind == "functional":
        # LiveCodeBench never has an empty input; here it means a call without arguments.
        arguments = [json.loads(line) for line in test_input.split("\n")] if test_input else []
    else:
        decoded = decode_value(test_input)
        if not isinstance(decoded, list):
            raise TypeError(f"a call test's input must be a list of arguments, got {type(decoded).__name__}")
        arguments = decoded
    assert program.code is not None, "_run_test answers a program that does not compile without running it"
    assert program.entry_point is not None, "a call test names the function it calls"
    # Not "__main__": LiveCodeBench imports LeetCode answers as a module, so a guarded self-test block stays off.
    program.namespace["__name__"] = "solution"
    exec(program.code, program.namespace)
    if kind == "functional" and "class Solution" in program.source:
        # LiveCodeBench's own rule: instantiate Solution when the text defines it, else use the module.
        function = getattr(program.namespace["Solution"](), program.entry_point)
    else:
        function = program.namespace[program.entry_point]
    return function(*arguments)


def _wait_for_exit(pid: int, timeout: float) -> bool:
    """Wait until the child exits or `timeout` passes; True when it exited."""
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # Linux before 5.3
        return _poll_for_exit(pid, timeout)
    try:
        readable, _, _ = select.select([pidfd], [], [], timeout)
        return bool(readable)
    finally:
        os.close(pidfd)


def _poll_for_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    pause = 0.0005
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        time.sleep(pause)
        pause = min(pause * 2, 0.02)
    return False


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


def _reap_orphans(wait: bool) -> None:
    """Collect exited children; with `wait`, block until every child is gone (they were all killed)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, 0 if wait else os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _classify(
    kind: str,
    wait_status: int,
    usage: resource.struct_rusage,
    timed_out: bool,
    seconds: float,
    limits: dict[str, Any],
    files: WorkFiles,
) -> dict[str, Any]:
    stdout = _read_text(files.stdout, limits["output_bytes"])
    stderr_tail = _read_tail(files.stderr)
    max_rss_bytes = usage.ru_maxrss * 1024
    common: dict[str, Any] = {"stdout": stdout, "stderr_tail": stderr_tail, "max_rss_bytes": max_rss_bytes}
    if any(_size(path) >= limits["output_bytes"] for path in (files.stdout, files.stderr, files.returned)):
        return _outcome(
            "output_limit", seconds, **common, detail=f"output reached the {limits['output_bytes']} byte limit"
        )
    cpu_used = usage.ru_utime + usage.ru_stime
    if os.WIFSIGNALED(wait_status):
        signal_number = os.WTERMSIG(wait_status)
        if timed_out:
            return _outcome(
                "time_limit", seconds, **common, detail=f"over the {limits['wall_seconds']} s wall-time limit"
            )
        # SIGKILL with the CPU budget spent: the program ignored SIGXCPU and met the hard limit.
        if signal_number == signal.SIGXCPU or (signal_number == signal.SIGKILL and cpu_used >= limits["cpu_seconds"]):
            return _outcome("time_limit", seconds, **common, detail=f"over the {limits['cpu_seconds']} s CPU limit")
        if signal_number == signal.SIGXFSZ:
            return _outcome("output_limit", seconds, **common, detail="output limit")
        if any(marker in stderr_tail for marker in MEMORY_ERROR_MARKERS):
            return _outcome("memory_limit", seconds, **common, detail="allocation failed")
        return _outcome("runtime_error", seconds, **common, detail=f"killed by {signal.Signals(signal_number).name}")
    exit_code = os.WEXITSTATUS(wait_status)
    if exit_code == EXIT_MEMORY or (
        exit_code != EXIT_OK and any(marker in stderr_tail for marker in MEMORY_ERROR_MARKERS)
    ):
        return _outcome(
            "memory_limit", seconds, **common, detail=f"over the {limits['memory_bytes']} byte memory limit"
        )
    if exit_code != EXIT_OK:
        return _outcome("runtime_error", seconds, **common, detail=f"exit status {exit_code}")
    returned = None
    if kind != "stdin":
        returned = _read_text(files.returned, limits["output_bytes"])
        if not returned:
            return _outcome("runtime_error", seconds, **common, detail="the program ended without returning")
    return _outcome("ok", seconds, **common, returned=returned)


def _outcome(
    status: str,
    seconds: float,
    *,
    stdout: str = "",
    stderr_tail: str = "",
    returned: str | None = None,
    detail: str = "",
    max_rss_bytes: int = 0,
) -> dict[str, Any]:
    return {
        "status": status,
        "seconds": seconds,
        "stdout": stdout,
        "stderr_tail": stderr_tail,
        "returned": returned,
        "detail": detail,
        "max_rss_bytes": max_rss_bytes,
    }


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _read_text(path: str, limit: int) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _read_tail(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, _size(path) - STDERR_TAIL_BYTES))
            return handle.read(STDERR_TAIL_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return ""


if __name__ == "__main__":
    main()
