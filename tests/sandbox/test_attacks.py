"""Hostile programs run in the real sandbox: each is contained, never passes, and leaves nothing behind."""

from __future__ import annotations

import os
import secrets
import socket
import time

import pytest

from sandbox import Limits, Sandbox, TestCase, TestKind, Verdict
from tests.sandbox.conftest import FAST_LIMITS, assert_no_sandbox_process_remains


def stdin_test(expected: str | None, test_input: str = "") -> TestCase:
    return TestCase(TestKind.STDIN, test_input, expected)


async def test_fork_bomb_is_stopped_by_the_process_limit(sandbox: Sandbox) -> None:
    code = (
        "import os, time\n"
        "children = 0\n"
        "try:\n"
        "    while True:\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(30)\n"
        "            os._exit(0)\n"
        "        children += 1\n"
        "except OSError:\n"
        "    print(children)\n"
    )
    result = await sandbox.run(code, [stdin_test(None)])
    assert result.tests[0].verdict is Verdict.RAN
    assert int(result.tests[0].stdout) < FAST_LIMITS.processes
    assert_no_sandbox_process_remains()


async def test_fork_bomb_that_ignores_failures_times_out_and_leaves_no_process(sandbox: Sandbox) -> None:
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    result = await sandbox.run(code, [stdin_test("done\n")])
    assert result.tests[0].verdict is Verdict.TIME_LIMIT
    assert_no_sandbox_process_remains()


async def test_fork_bomb_that_escapes_its_process_group_is_still_killed(sandbox: Sandbox) -> None:
    code = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\nprint('parent done')\n"
    result = await sandbox.run(code, [stdin_test("never\n"), stdin_test("never\n")])
    assert [test.verdict for test in result.tests] == [Verdict.WRONG_ANSWER, Verdict.WRONG_ANSWER]
    assert_no_sandbox_process_remains()


async def test_one_huge_allocation_is_a_memory_limit(sandbox: Sandbox) -> None:
    result = await sandbox.run("block = bytearray(8 << 30)\nprint('allocated')\n", [stdin_test("allocated\n")])
    assert result.tests[0].verdict is Verdict.MEMORY_LIMIT
    assert_no_sandbox_process_remains()


async def test_growing_memory_is_a_memory_limit(make_sandbox) -> None:
    limits = Limits(wall_seconds=5.0, memory_bytes=256 << 20)
    code = "hoard = []\nwhile True:\n    hoard.append(bytearray(32 << 20))\n"
    result = await make_sandbox(limits).run(code, [stdin_test("done\n")])
    assert result.tests[0].verdict is Verdict.MEMORY_LIMIT
    assert result.tests[0].max_rss_bytes <= limits.memory_bytes
    assert_no_sandbox_process_remains()


async def test_infinite_loop_is_a_time_limit_near_the_wall_limit(sandbox: Sandbox) -> None:
    started = time.monotonic()
    result = await sandbox.run("while True:\n    pass\n", [stdin_test("done\n")])
    assert result.tests[0].verdict is Verdict.TIME_LIMIT
    assert time.monotonic() - started < FAST_LIMITS.wall_seconds + 3
    assert_no_sandbox_process_remains()


async def test_sleeping_forever_is_a_time_limit(sandbox: Sandbox) -> None:
    result = await sandbox.run("import time\ntime.sleep(10 ** 6)\n", [stdin_test("done\n")])
    assert result.tests[0].verdict is Verdict.TIME_LIMIT
    assert_no_sandbox_process_remains()


async def test_cpu_burning_threads_hit_the_cpu_limit(make_sandbox) -> None:
    sandbox = make_sandbox(Limits(wall_seconds=5.0, cpu_seconds=1.0, memory_bytes=512 << 20))
    code = (
        "import threading\n"
        "def spin():\n    while True:\n        pass\n"
        "for _ in range(2):\n    threading.Thread(target=spin).start()\n"
    )
    started = time.monotonic()
    result = await sandbox.run(code, [stdin_test("done\n")])
    assert result.tests[0].verdict is Verdict.TIME_LIMIT
    assert time.monotonic() - started < 4.5  # stopped by the CPU limit, before the wall limit
    assert_no_sandbox_process_remains()


async def test_program_ignoring_the_cpu_warning_signal_is_still_stopped(make_sandbox) -> None:
    sandbox = make_sandbox(Limits(wall_seconds=8.0, cpu_seconds=1.0, memory_bytes=512 << 20))
    code = "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass\n"
    started = time.monotonic()
    result = await sandbox.run(code, [stdin_test("done\n")])
    assert result.tests[0].verdict is Verdict.TIME_LIMIT
    assert time.monotonic() - started < 7.0  # by the hard CPU limit, not the wall clock
    assert_no_sandbox_process_remains()


async def test_network_connection_to_a_host_loopback_port_never_arrives(sandbox: Sandbox, isolation) -> None:
    if not isolation.fully_isolated:
        pytest.skip("without bubblewrap the sandbox shares the network")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        code = (
            "import socket\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=1).sendall(b'leak')\n"
            "    print('connected')\n"
            "except OSError as error:\n"
            "    print('blocked', type(error).__name__)\n"
        )
        result = await sandbox.run(code, [stdin_test("connected\n")])
        with pytest.raises(socket.timeout):
            listener.accept()
    assert result.tests[0].verdict is Verdict.WRONG_ANSWER
    assert result.tests[0].stdout.startswith("blocked")
    assert_no_sandbox_process_remains()


async def test_secret_environment_variable_of_the_parent_is_not_visible(sandbox: Sandbox, monkeypatch) -> None:
    secret = secrets.token_hex(16)
    monkeypatch.setenv("ATLAS_TEST_SECRET", secret)
    code = (
        "import os\n"
        "found = os.environ.get('ATLAS_TEST_SECRET')\n"
        "for pid in [entry for entry in os.listdir('/proc') if entry.isdigit()]:\n"
        "    try:\n"
        "        with open(f'/proc/{pid}/environ', 'rb') as handle:\n"
        "            for item in handle.read().split(b'\\0'):\n"
        "                if item.startswith(b'ATLAS_TEST_SECRET='):\n"
        "                    found = item.split(b'=', 1)[1].decode()\n"
        "    except OSError:\n"
        "        pass\n"
        "print(found)\n"
    )
    result = await sandbox.run(code, [stdin_test(secret + "\n")])
    assert result.tests[0].verdict is Verdict.WRONG_ANSWER
    assert result.tests[0].stdout == "None\n"
    assert_no_sandbox_process_remains()


async def test_file_written_under_the_callers_tmp_path_never_appears(sandbox: Sandbox, isolation, tmp_path) -> None:
    if not isolation.fully_isolated and not isolation.runs_as_root:
        pytest.skip("without bubblewrap or a uid of its own the sandbox can write where the caller can")
    target = tmp_path / "escaped.txt"
    code = (
        "import os\n"
        f"path = {str(target)!r}\n"
        "try:\n"
        "    os.makedirs(os.path.dirname(path), exist_ok=True)\n"
        "    with open(path, 'w') as handle:\n"
        "        handle.write('escaped')\n"
        "except OSError:\n"
        "    pass\n"
    )
    await sandbox.run(code, [stdin_test(None)])
    assert not target.exists()
    assert_no_sandbox_process_remains()


async def test_writing_to_system_and_home_directories_is_refused(sandbox: Sandbox) -> None:
    code = (
        "import os\n"
        "for folder in ('/etc', '/usr', '/root', os.path.expanduser('~root'), '/work'):\n"
        "    try:\n"
        "        with open(os.path.join(folder, 'atlas-escape.txt'), 'w') as handle:\n"
        "            handle.write('escaped')\n"
        "        print('written', folder)\n"
        "    except OSError:\n"
        "        print('refused')\n"
    )
    result = await sandbox.run(code, [stdin_test("written\n" * 5)])
    assert result.tests[0].stdout == "refused\n" * 5
    assert result.tests[0].verdict is Verdict.WRONG_ANSWER
    assert_no_sandbox_process_remains()


async def test_project_and_datasets_are_not_visible(sandbox: Sandbox, isolation) -> None:
    if not isolation.fully_isolated:
        pytest.skip("without bubblewrap the sandbox sees the caller's files")
    here = os.path.abspath(__file__)
    code = f"import os\nprint(os.path.exists({here!r}), os.path.exists('/work/shared/data'))\n"
    result = await sandbox.run(code, [stdin_test(None)])
    assert result.tests[0].stdout == "False False\n"


async def test_killing_the_worker_fails_this_and_every_later_test(sandbox: Sandbox) -> None:
    code = "import os, time\nos.kill(os.getppid(), 9)\ntime.sleep(1)\nprint('survived')\n"
    result = await sandbox.run(code, [stdin_test("survived\n")] * 3)
    assert [test.verdict for test in result.tests] == [Verdict.RUNTIME_ERROR] * 3
    assert not result.passed
    assert_no_sandbox_process_remains()


async def test_killing_pid_1_of_the_namespace_changes_nothing(sandbox: Sandbox) -> None:
    code = (
        "import os, signal, time\n"
        "try:\n"
        "    os.kill(1, signal.SIGKILL)\n"
        "except OSError:\n"
        "    pass\n"
        "time.sleep(0.2)\n"
        "print('pid 1 is alive' if os.path.exists('/proc/1') else 'pid 1 is gone')\n"
    )
    result = await sandbox.run(code, [stdin_test("pid 1 is gone\n"), stdin_test("pid 1 is gone\n")])
    assert [test.verdict for test in result.tests] == [Verdict.WRONG_ANSWER] * 2
    assert_no_sandbox_process_remains()


async def test_gigabytes_of_output_stop_at_the_output_limit(sandbox: Sandbox) -> None:
    code = "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(4096):\n    sys.stdout.write(chunk)\n"
    result = await sandbox.run(code, [stdin_test("x\n")])
    assert result.tests[0].verdict is Verdict.OUTPUT_LIMIT
    assert len(result.tests[0].stdout) <= FAST_LIMITS.output_bytes
    assert_no_sandbox_process_remains()


async def test_gigabytes_of_error_output_stop_at_the_output_limit(sandbox: Sandbox) -> None:
    code = "import sys\nchunk = 'x' * (1 << 20)\nwhile True:\n    sys.stderr.write(chunk)\n"
    result = await sandbox.run(code, [stdin_test("x\n")])
    assert result.tests[0].verdict is Verdict.OUTPUT_LIMIT
    assert_no_sandbox_process_remains()


async def test_infinite_recursion_is_a_runtime_error(sandbox: Sandbox) -> None:
    result = await sandbox.run("def down(n):\n    return down(n + 1)\ndown(0)\n", [stdin_test("0\n")])
    assert result.tests[0].verdict is Verdict.RUNTIME_ERROR
    assert "RecursionError" in result.tests[0].stderr_tail
    assert_no_sandbox_process_remains()


async def test_unbounded_recursion_with_the_limit_lifted_is_contained(sandbox: Sandbox) -> None:
    code = "import sys\nsys.setrecursionlimit(10 ** 9)\ndef down(n):\n    return down(n + 1)\ndown(0)\n"
    result = await sandbox.run(code, [stdin_test("0\n")])
    assert result.tests[0].verdict in (Verdict.MEMORY_LIMIT, Verdict.RUNTIME_ERROR, Verdict.TIME_LIMIT)
    assert_no_sandbox_process_remains()


async def test_exiting_before_printing_is_a_wrong_answer(sandbox: Sandbox) -> None:
    result = await sandbox.run("import sys\nsys.exit(0)\nprint(3)\n", [stdin_test("3\n")])
    assert result.tests[0].verdict is Verdict.WRONG_ANSWER
    assert result.tests[0].stdout == ""


async def test_the_expected_output_is_nowhere_in_the_sandbox(sandbox: Sandbox) -> None:
    # The expected answer is a random token after a prefix; the program looks for the prefix (assembled at
    # run time, so its own source does not contain it) in its environment, arguments, standard input,
    # inherited descriptors, every visible process's command line and environment, and every file under
    # /tmp and the working directory. It prints the token if it finds one.
    expected = "EXPECTED-" + secrets.token_hex(16)
    code = (
        "import os, re, sys\n"
        "pattern = re.compile(('EXPECT' + 'ED-').encode() + rb'[0-9a-f]{32}')\n"
        "blobs = [sys.stdin.buffer.read(), ' '.join(sys.argv).encode()]\n"
        "blobs += [f'{key}={value}'.encode() for key, value in os.environ.items()]\n"
        "for pid in [entry for entry in os.listdir('/proc') if entry.isdigit()]:\n"
        "    for name in ('cmdline', 'environ'):\n"
        "        try:\n"
        "            blobs.append(open(f'/proc/{pid}/{name}', 'rb').read())\n"
        "        except OSError:\n"
        "            pass\n"
        "for fd in os.listdir('/proc/self/fd'):\n"
        "    try:\n"
        "        blobs.append(os.pread(int(fd), 1 << 20, 0))\n"
        "    except OSError:\n"
        "        pass\n"
        "for root in ('/tmp', '.', '/dev/shm'):\n"
        "    for folder, _, files in os.walk(root):\n"
        "        for name in files:\n"
        "            try:\n"
        "                blobs.append(open(os.path.join(folder, name), 'rb').read())\n"
        "            except OSError:\n"
        "                pass\n"
        "found = [match.group().decode() for blob in blobs for match in pattern.finditer(blob)]\n"
        "print(found[0] if found else 'absent')\n"
    )
    # The scan reads every file and mapping it can reach: slow on a loaded machine, so it gets time.
    result = await sandbox.run(
        code, [stdin_test(expected + "\n", test_input="some input\n")], limits=Limits(wall_seconds=60)
    )
    assert result.tests[0].stdout == "absent\n"
    assert result.tests[0].verdict is Verdict.WRONG_ANSWER
    assert_no_sandbox_process_remains()
