"""Prefill and decode speed of the embedded runtime under two llama-cpp-python builds.

Each build is a folder that holds an installed `llama_cpp` package (`pip install --no-deps
--target DIR WHEEL`); it is put first on PYTHONPATH of a child process that runs the engine's own
runtime. Builds are measured in turns (A B A B ...) so that drift on a shared machine hits both
alike; the report gives each build's median and the ratios of the second to the first.

    python benchmarks/llama_build_flags.py portable=DIR_A avx512=DIR_B [--model small] [--rounds 3]

Writes benchmarks/results/llama_build_flags.json (ratios are within this one run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "llama_build_flags.json"
# A prompt about as long as a pipeline prompt with a LeetCode statement (about 900 tokens).
LONG_PROMPT = "Explain, step by step, what this program computes and how to speed it up.\n" + "\n".join(
    f"def step_{i}(values):\n    return [v * {i} + {i} for v in values if v % {i + 2}]" for i in range(40)
)
SHORT_PROMPT = "Write a Python function that merges two sorted lists."
DECODE_TOKENS = 96


def measure_here(model: str) -> dict[str, float | str]:
    """Runs in the child: tokens per second of prefill, and of decode with 1 and 4 sequences."""
    import anyio
    import llama_cpp

    from engine.config import EmbeddedSettings
    from engine.models import resolve_model_file
    from engine.runtime.base import Message, SamplingParams
    from engine.runtime.embedded import EmbeddedRuntime

    runtime = EmbeddedRuntime(resolve_model_file(model), EmbeddedSettings(context_tokens=4096, max_sequences=4), model)

    async def timed(prompt: str, k: int, max_tokens: int, seed: int) -> tuple[int, int, float]:
        params = [SamplingParams(temperature=0.8, max_tokens=max_tokens, seed=seed + s) for s in range(k)]
        started = time.monotonic()
        generations = await runtime.generate_many([Message("user", prompt)], params)
        return generations[0].prompt_tokens, sum(g.completion_tokens for g in generations), time.monotonic() - started

    async def run() -> dict[str, float | str]:
        await timed(SHORT_PROMPT, 1, 4, 0)  # page the weights in before timing
        # A fresh prompt each time (its start differs), so the prefix cache cannot skip the prefill.
        prompt_tokens, _, prefill_seconds = await timed(f"{time.time_ns()}\n{LONG_PROMPT}", 1, 1, 0)
        decoded = {}
        for k in (1, 4):
            _, tokens, seconds = await timed(f"{time.time_ns()} {SHORT_PROMPT}", k, DECODE_TOKENS, 10 * k)
            decoded[k] = tokens / seconds
        return {
            "system_info": llama_cpp.llama_print_system_info().decode(),
            "prefill_tokens_per_s": prompt_tokens / prefill_seconds,
            "decode_k1_tokens_per_s": decoded[1],
            "decode_k4_tokens_per_s": decoded[4],
        }

    try:
        return anyio.run(run)
    finally:
        anyio.run(runtime.aclose)


def measure_build(site: Path, model: str) -> dict[str, float | str]:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}
    child = subprocess.run(
        [sys.executable, __file__, "--measure-here", "--model", model],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        raise SystemExit(f"the build in {site} failed (exit {child.returncode}):\n{child.stderr[-2000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("builds", nargs="*", metavar="NAME=DIR")
    parser.add_argument("--model", default="small")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--measure-here", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_here:
        print(json.dumps(measure_here(args.model)))
        return
    if len(args.builds) != 2:
        parser.error("give two builds, NAME=DIR each")
    builds = {name: Path(folder) for name, folder in (build.split("=", 1) for build in args.builds)}
    readings: dict[str, list[dict[str, float | str]]] = {name: [] for name in builds}
    system_info: dict[str, str] = {}
    for round_number in range(args.rounds):
        for name, site in builds.items():
            reading = measure_build(site, args.model)
            # What the build compiled in (llama.cpp's system info: AVX512 = 1 and so on).
            system_info[name] = str(reading.pop("system_info"))
            print(f"round {round_number + 1} {name}: {reading}", flush=True)
            readings[name].append(reading)
    medians = {
        name: {key: round(statistics.median(r[key] for r in runs), 2) for key in runs[0]}
        for name, runs in readings.items()
    }
    first, second = builds
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "model": args.model,
        "rounds": args.rounds,
        "builds": {name: {"folder": str(site), "system_info": system_info[name]} for name, site in builds.items()},
        "medians": medians,
        f"ratio_{second}_to_{first}": {
            key: round(medians[second][key] / medians[first][key], 3) for key in medians[first]
        },
        "readings": readings,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report[f"ratio_{second}_to_{first}"]))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
