"""Workspace index: cold build, warm open from the cache, one-file updates and retrieval latency.

The workspace is real third-party code: whole packages copied from this venv's site-packages, in
the order of PACKAGES, until they hold at least 50,000 lines of Python. Everything runs in one
process, in a temporary folder with its own index cache (the user's cache is not touched). Peak
Python memory is measured on a second cold build under tracemalloc, which slows parsing down.

    .venv/bin/python benchmarks/workspace_index.py [--out benchmarks/results/workspace_index.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from engine.context import ContextRequest, Definition, WorkspaceIndex, gather_context

PACKAGES = ("pygls", "lsprotocol", "anyio", "click", "pathspec", "packaging")
MIN_LINES = 50_000
UPDATED_FILE = "anyio/_core/_fileio.py"
LARGEST_FILE = "lsprotocol/types.py"
UPDATES = 9
GATHERS = 25
BUDGET_TOKENS = 1500
"""The language server's default `contextTokens`."""


def python_lines(path: Path) -> int:
    """Newline-terminated lines in a Python file, or in all the Python files under a folder."""
    files = path.rglob("*.py") if path.is_dir() else [path]
    return sum(file.read_bytes().count(b"\n") for file in files)


def copy_packages(workspace: Path) -> dict[str, int]:
    """Copy whole packages until the workspace holds MIN_LINES; their line counts, in copy order."""
    site_packages = Path(sysconfig.get_paths()["purelib"])
    copied: dict[str, int] = {}
    for name in PACKAGES:
        if sum(copied.values()) >= MIN_LINES:
            break
        shutil.copytree(site_packages / name, workspace / name, ignore=shutil.ignore_patterns("__pycache__"))
        copied[name] = python_lines(workspace / name)
    return copied


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_update_seconds(index: WorkspaceIndex, path: Path) -> float:
    """An edit saved to disk, then re-indexed: a new function appended, different each time."""
    original = path.read_text()
    samples = []
    for number in range(UPDATES):
        path.write_text(f"{original}\n\ndef edited_{number}(value):\n    return value + {number}\n")
        samples.append(seconds(lambda: index.update(path)))
    path.write_text(original)
    index.update(path)
    return statistics.median(samples)


def gather_seconds(index: WorkspaceIndex, targets: list[Definition]) -> list[float]:
    samples = []
    for target in targets:
        request = ContextRequest(index.root / target.path, target.qualname, target.source, target.docstring)
        samples.append(seconds(lambda request=request: gather_context(index, request, BUDGET_TOKENS)))
    return samples


def measure() -> dict:
    load_average = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        workspace, cache = Path(scratch) / "workspace", Path(scratch) / "cache"
        workspace.mkdir()
        packages = copy_packages(workspace)

        rss_before = rss_bytes()
        cold_seconds = seconds(lambda: WorkspaceIndex.open(workspace, cache_dir=cache))
        rss_growth = rss_bytes() - rss_before

        tracemalloc.start()
        traced_index = WorkspaceIndex.open(workspace, cache_dir=Path(scratch) / "traced-cache")
        retained_bytes, peak_bytes = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del traced_index

        warm: list[WorkspaceIndex] = []
        warm_seconds = seconds(lambda: warm.append(WorkspaceIndex.open(workspace, cache_dir=cache)))
        index = warm[0]
        stats = index.stats
        if stats.parsed:
            raise RuntimeError(f"the warm open parsed {stats.parsed} files; the cache did not work")

        targets = random.Random(0).sample(
            [definition for definition in index.definitions() if definition.kind in ("function", "method")], GATHERS
        )
        first_gather = gather_seconds(index, targets[:1])[0]  # builds the BM25 index
        gathers = gather_seconds(index, targets[1:])
        update_seconds = median_update_seconds(index, workspace / UPDATED_FILE)
        gather_after_update = gather_seconds(index, targets[:1])[0]
        largest_update_seconds = median_update_seconds(index, workspace / LARGEST_FILE)
        cache_bytes = sum(path.stat().st_size for path in cache.rglob("index.json"))
        updated_lines, largest_lines = python_lines(workspace / UPDATED_FILE), python_lines(workspace / LARGEST_FILE)

    return {
        "what": (
            "engine.context over real packages copied from site-packages. cold: WorkspaceIndex.open with an empty "
            "cache (walk, parse, write the cache). warm: open again from the cache (nothing parsed). update: one "
            "edited file saved and re-indexed, median. gather: gather_context for a random function or method with "
            f"a {BUDGET_TOKENS}-token budget; the first one builds the BM25 index, and the one after an update "
            "rebuilds it."
        ),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "kernel": platform.release(),
            "load_average_at_start": load_average,
        },
        "workspace": {
            "packages": packages,
            "python_lines": sum(packages.values()),
            "indexed_files": stats.files,
            "indexed_lines": stats.lines,
            "definitions": stats.definitions,
            "skipped_files": stats.skipped,
            "cache_file_bytes": cache_bytes,
        },
        "cold_build_seconds": round(cold_seconds, 3),
        "cold_build_rss_growth_bytes": rss_growth,
        "cold_build_python_peak_bytes": peak_bytes,
        "index_python_retained_bytes": retained_bytes,
        "warm_open_seconds": round(warm_seconds, 3),
        "update_one_file_median_seconds": round(update_seconds, 4),
        "update_one_file": f"{UPDATED_FILE} ({updated_lines} lines)",
        "update_largest_file_median_seconds": round(largest_update_seconds, 4),
        "update_largest_file": f"{LARGEST_FILE} ({largest_lines} lines)",
        "gather_first_seconds_with_bm25_build": round(first_gather, 4),
        "gather_median_seconds": round(statistics.median(gathers), 4),
        "gather_max_seconds": round(max(gathers), 4),
        "gather_after_update_seconds_with_bm25_rebuild": round(gather_after_update, 4),
        "gathers": len(gathers),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "workspace_index.json"))
    args = parser.parse_args()
    results = measure()
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    json.dump(results, sys.stdout, indent=2)
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
