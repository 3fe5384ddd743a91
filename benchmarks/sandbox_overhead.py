"""Sandbox overhead: one worker per program with a fork per test, against a process per test.

Both runners use the same isolation (whatever `describe_isolation()` finds; bubblewrap on the reference
machine). The naive runner is the same `Sandbox` given one test per program, so every test pays for a
fresh sandbox, interpreter and LiveCodeBench preamble, as a harness that starts one process per test does.

    python benchmarks/sandbox_overhead.py [--out benchmarks/results/sandbox_overhead.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import anyio

from sandbox import Limits, Sandbox, TestCase, TestKind, describe_isolation

TESTS_PER_RUN = 100
PROGRAMS = {
    "stdin": ("print(int(input()) + 1)\n", TestCase(TestKind.STDIN, "41\n", "42\n"), None),
    "functional": (
        "class Solution:\n    def next(self, n: int) -> int:\n        return n + 1\n",
        TestCase(TestKind.FUNCTIONAL, "41", "42"),
        "next",
    ),
}


@dataclass(frozen=True)
class KindTimings:
    program_with_one_test_seconds: float
    zygote_hundred_tests_seconds: float
    naive_hundred_tests_seconds: float

    @property
    def zygote_per_test_seconds(self) -> float:
        # What each test adds once the worker is running.
        return (self.zygote_hundred_tests_seconds - self.program_with_one_test_seconds) / (TESTS_PER_RUN - 1)

    @property
    def naive_per_test_seconds(self) -> float:
        return self.naive_hundred_tests_seconds / TESTS_PER_RUN

    def as_dict(self) -> dict:
        return {
            "program_with_one_test_seconds": round(self.program_with_one_test_seconds, 4),
            "zygote_per_test_seconds": round(self.zygote_per_test_seconds, 5),
            "naive_per_test_seconds": round(self.naive_per_test_seconds, 4),
            "per_test_ratio_naive_over_zygote": round(self.naive_per_test_seconds / self.zygote_per_test_seconds, 1),
            "zygote_hundred_tests_seconds": round(self.zygote_hundred_tests_seconds, 3),
            "naive_hundred_tests_seconds": round(self.naive_hundred_tests_seconds, 3),
            "hundred_tests_ratio_naive_over_zygote": round(
                self.naive_hundred_tests_seconds / self.zygote_hundred_tests_seconds, 1
            ),
        }


async def median_seconds(repetitions: int, action) -> float:
    samples = []
    for _ in range(repetitions):
        started = time.perf_counter()
        result = await action()
        samples.append(time.perf_counter() - started)
        if not all(outcome.passed for outcome in (result if isinstance(result, list) else [result])):
            raise RuntimeError("a benchmark program failed; the timings would be meaningless")
    return statistics.median(samples)


async def time_kind(sandbox: Sandbox, kind: str, repetitions: int) -> KindTimings:
    code, test, entry_point = PROGRAMS[kind]

    async def one_test():
        return await sandbox.run(code, [test], entry_point=entry_point)

    async def hundred_tests_one_worker():
        return await sandbox.run(code, [test] * TESTS_PER_RUN, entry_point=entry_point)

    async def hundred_tests_one_worker_each():
        return [await sandbox.run(code, [test], entry_point=entry_point) for _ in range(TESTS_PER_RUN)]

    await one_test()  # warm the page cache
    return KindTimings(
        program_with_one_test_seconds=await median_seconds(5 * repetitions, one_test),
        zygote_hundred_tests_seconds=await median_seconds(repetitions, hundred_tests_one_worker),
        naive_hundred_tests_seconds=await median_seconds(repetitions, hundred_tests_one_worker_each),
    )


async def time_parallel(limits: Limits, isolation, jobs: int) -> float:
    """Many programs with a few tests each, as a judge sees them."""
    sandbox = Sandbox(limits, jobs=jobs, isolation=isolation)
    code, test, entry_point = PROGRAMS["stdin"]
    started = time.perf_counter()
    async with anyio.create_task_group() as task_group:
        for _ in range(16):
            task_group.start_soon(lambda: sandbox.run(code, [test] * 5, entry_point=entry_point))
    return time.perf_counter() - started


async def measure(repetitions: int) -> dict:
    isolation = describe_isolation()
    limits = Limits()
    sandbox = Sandbox(limits, jobs=1, isolation=isolation)
    kinds = {kind: (await time_kind(sandbox, kind, repetitions)).as_dict() for kind in PROGRAMS}
    cores = os.cpu_count() or 1
    serial = await time_parallel(limits, isolation, 1)
    parallel = await time_parallel(limits, isolation, cores)
    return {
        "what": (
            "Seconds per trivial test. zygote: one sandboxed worker per program, a fork per test. naive: a fresh "
            "sandboxed process (bubblewrap, interpreter, LiveCodeBench preamble) per test. Medians; runs are "
            "sequential (jobs=1) except the parallel section."
        ),
        "machine": {
            "cpus": cores,
            "python": platform.python_version(),
            "kernel": platform.release(),
            "isolation": isolation.describe(),
            "load_average_at_start": os.getloadavg(),
        },
        "repetitions": repetitions,
        "tests_per_run": TESTS_PER_RUN,
        "kinds": kinds,
        "parallel_16_programs_of_5_tests": {
            "jobs_1_seconds": round(serial, 3),
            f"jobs_{cores}_seconds": round(parallel, 3),
            "speedup": round(serial / parallel, 2),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "sandbox_overhead.json"))
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    results = anyio.run(measure, args.repetitions)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    json.dump(results["kinds"], sys.stdout, indent=2)
    print(f"\nparallel: {results['parallel_16_programs_of_5_tests']}\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
