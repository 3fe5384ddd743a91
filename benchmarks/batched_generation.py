"""Aggregate decode speed: k sequences in one batch vs k sequential llama-cpp-python chat calls.

Both sides use the same model file, prompt, thread count and max_tokens, and sample at
temperature 0.8 so that no sequence stops early on a shared greedy path; reported tokens/s counts
the completion tokens actually produced (prompt evaluation included in the time, as a user sees it).

The side-by-side measurement (`--side-by-side`, also part of a full run) asks whether the engine's
own decode loop keeps up with llama-cpp-python's: in one process and one run, alternating, it times
llama-cpp-python's `Llama.create_completion` greedy, the engine's decoder with one greedy sequence,
and the engine with k=4 sampled sequences, on the same prompt tokens and max_tokens, and reports the
median tokens/s of each and their ratios. Ratios of neighbouring runs hold on a shared machine
where absolute speeds do not; say so with `--machine-shared`.

    python benchmarks/batched_generation.py [--models small default] [--tokens 128] [--ks 1 2 4 8]
    python benchmarks/batched_generation.py --side-by-side --models small --tokens 128 --repeats 3 \
        --label after --machine-shared

Writes benchmarks/results/batched_generation.json (ratios are within this one run); `--side-by-side`
adds its measurement under the model's `side_by_side.<label>` and keeps the rest of the file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import anyio
from llama_cpp import Llama
from llama_cpp.llama_types import CreateCompletionResponse

from engine.config import EmbeddedSettings
from engine.models import resolve_model_file
from engine.runtime.base import Message, SamplingParams
from engine.runtime.embedded import EmbeddedRuntime, llama_build

PROMPT = "Write a detailed tutorial on implementing a binary search tree in Python, with code."
RESULTS = Path(__file__).parent / "results" / "batched_generation.json"
SIDE_BY_SIDE_K = 4


def sequential_plain(path: Path, k: int, max_tokens: int, threads: int) -> tuple[int, float]:
    llama = Llama(model_path=str(path), n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False)
    tokens, started = 0, time.monotonic()
    for seed in range(k):
        reply = llama.create_chat_completion(
            messages=[{"role": "user", "content": PROMPT}],
            temperature=0.8,
            top_p=0.95,
            top_k=40,
            max_tokens=max_tokens,
            seed=seed,
        )
        tokens += reply["usage"]["completion_tokens"]
    seconds = time.monotonic() - started
    llama.close()
    return tokens, seconds


def sampled(k: int, max_tokens: int) -> list[SamplingParams]:
    """k samples as the pipeline draws them, each with its own seed."""
    return [SamplingParams(temperature=0.8, top_p=0.95, top_k=40, max_tokens=max_tokens, seed=s) for s in range(k)]


async def batched(runtime: EmbeddedRuntime, k: int, max_tokens: int) -> tuple[int, float]:
    params = sampled(k, max_tokens)
    started = time.monotonic()
    generations = await runtime.generate_many([Message("user", PROMPT)], params)
    return sum(g.completion_tokens for g in generations), time.monotonic() - started


def measure(model: str, ks: list[int], max_tokens: int, threads: int) -> dict[str, Any]:
    path = resolve_model_file(model)
    runtime = EmbeddedRuntime(
        path, EmbeddedSettings(context_tokens=8192, max_sequences=max(ks), threads=threads), model
    )
    rows = []
    try:
        anyio.run(batched, runtime, 1, 8)  # warm-up: page the weights in before timing
        for k in ks:
            plain_tokens, plain_seconds = sequential_plain(path, k, max_tokens, threads)
            batch_tokens, batch_seconds = anyio.run(batched, runtime, k, max_tokens)
            row = {
                "k": k,
                "sequential_tokens": plain_tokens,
                "sequential_tokens_per_s": round(plain_tokens / plain_seconds, 2),
                "batched_tokens": batch_tokens,
                "batched_tokens_per_s": round(batch_tokens / batch_seconds, 2),
            }
            row["speedup"] = round(row["batched_tokens_per_s"] / row["sequential_tokens_per_s"], 2)
            print(model, row, flush=True)
            rows.append(row)
    finally:
        anyio.run(runtime.aclose)
    return {"model": model, "file": path.name, "rows": rows}


# ---------------------------------------------------------------- side by side, one run


def plain_greedy(llama: Llama, prompt: list[int], max_tokens: int) -> tuple[int, float]:
    """llama-cpp-python's own generation of `prompt`, greedy, prefill included."""
    # Without a reset Llama would find the previous repeat's prompt in its KV cache and skip prefill,
    # which the engine (a 45-token prompt is below its prefix-cache minimum) does not.
    llama.reset()
    started = time.perf_counter()
    # Not streamed, so one response.
    reply = cast(CreateCompletionResponse, llama.create_completion(prompt, max_tokens=max_tokens, temperature=0.0))
    return reply["usage"]["completion_tokens"], time.perf_counter() - started


async def engine_run(runtime: EmbeddedRuntime, params: list[SamplingParams]) -> tuple[int, float]:
    """The engine's decoder on the benchmark prompt, prefill included."""
    started = time.perf_counter()
    generations = await runtime.generate_many([Message("user", PROMPT)], params)
    return sum(g.completion_tokens for g in generations), time.perf_counter() - started


def side_by_side(model: str, max_tokens: int, repeats: int, threads: int) -> dict[str, Any]:
    path = resolve_model_file(model)
    runtime = EmbeddedRuntime(
        path, EmbeddedSettings(context_tokens=8192, max_sequences=SIDE_BY_SIDE_K, threads=threads), model
    )
    llama = Llama(model_path=str(path), n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False)
    # Both sides decode the same tokens: the engine's rendering of the chat prompt.
    prompt = runtime.chat_prompt_tokens([Message("user", PROMPT)])
    greedy = [SamplingParams(temperature=0.0, max_tokens=max_tokens)]
    runs: dict[str, Callable[[], tuple[int, float]]] = {
        "llama_cpp_python_greedy": lambda: plain_greedy(llama, prompt, max_tokens),
        "engine_k1_greedy": lambda: anyio.run(engine_run, runtime, greedy),
        # One sampled sequence: the like-for-like baseline of batching, as the sweep above measures it.
        "engine_k1_sampled": lambda: anyio.run(engine_run, runtime, sampled(1, max_tokens)),
        f"engine_k{SIDE_BY_SIDE_K}_sampled": lambda: anyio.run(
            engine_run, runtime, sampled(SIDE_BY_SIDE_K, max_tokens)
        ),
    }
    load_before = os.getloadavg()[0]
    try:
        plain_greedy(llama, prompt, 8)  # warm-up: page the weights in before timing
        anyio.run(engine_run, runtime, sampled(1, 8))
        timings: dict[str, list[tuple[int, float]]] = {name: [] for name in runs}
        # Interleaved, so that a change in the machine's load falls on every side alike.
        for repeat in range(repeats):
            for name, run in runs.items():
                timings[name].append(run())
            print(model, repeat, {name: _rate(t[-1]) for name, t in timings.items()}, flush=True)
    finally:
        llama.close()
        anyio.run(runtime.aclose)
    report = _side_by_side_report(timings, len(prompt), max_tokens, repeats)
    report["load_average_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return report


def _rate(timing: tuple[int, float]) -> float:
    tokens, seconds = timing
    return round(tokens / seconds, 2)


def _side_by_side_report(
    timings: dict[str, list[tuple[int, float]]], prompt_tokens: int, max_tokens: int, repeats: int
) -> dict[str, Any]:
    medians = {name: statistics.median(_rate(t) for t in runs) for name, runs in timings.items()}
    batch = f"engine_k{SIDE_BY_SIDE_K}_sampled"

    def ratios(name: str, over: str, key: str) -> dict[str, Any]:
        # The ratio of medians, and the same ratio repeat by repeat (neighbouring runs), which is less
        # exposed to load that drifts during the run.
        per_repeat = [round(_rate(a) / _rate(b), 3) for a, b in zip(timings[name], timings[over], strict=True)]
        return {key: round(medians[name] / medians[over], 3), f"{key}_per_repeat": per_repeat}

    return {
        "prompt_tokens": prompt_tokens,
        "max_tokens": max_tokens,
        "repeats": repeats,
        "runs": {
            name: {"completion_tokens": [t[0] for t in runs], "tokens_per_s": [_rate(t) for t in runs]}
            for name, runs in timings.items()
        },
        "median_tokens_per_s": medians,
        **ratios("engine_k1_greedy", "llama_cpp_python_greedy", "engine_k1_vs_llama_cpp_python"),
        **ratios(batch, "engine_k1_greedy", f"engine_k{SIDE_BY_SIDE_K}_vs_engine_k1"),
        **ratios(batch, "engine_k1_sampled", f"engine_k{SIDE_BY_SIDE_K}_vs_engine_k1_sampled"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["small", "default"])
    parser.add_argument("--ks", nargs="+", type=int, default=[1, 2, 4, 8])
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--side-by-side", action="store_true", help="only the side-by-side measurement")
    parser.add_argument("--repeats", type=int, default=3, help="side-by-side repeats (medians are reported)")
    parser.add_argument("--label", default="latest", help="the side-by-side entry to write (before, after, ...)")
    parser.add_argument("--machine-shared", action="store_true", help="other jobs ran on the machine meanwhile")
    args = parser.parse_args()
    if args.side_by_side:
        report = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"models": []}
    else:
        report = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "threads": args.threads,
            "max_tokens": args.tokens,
            "prompt": PROMPT,
            "models": [measure(model, args.ks, args.tokens, args.threads) for model in args.models],
        }
    for model in args.models:
        entry = _model_entry(report, model)
        measured = side_by_side(model, args.tokens, args.repeats, args.threads)
        measured["machine_shared"] = args.machine_shared
        measured["threads"] = args.threads
        measured["build"] = llama_build()
        entry.setdefault("side_by_side", {})[args.label] = measured
        print(model, args.label, json.dumps(measured), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")


def _model_entry(report: dict[str, Any], model: str) -> dict[str, Any]:
    """The model's entry of the results file, added when the file has none yet."""
    entries: list[dict[str, Any]] = report["models"]
    for entry in entries:
        if entry["model"] == model:
            return entry
    added: dict[str, Any] = {"model": model, "file": resolve_model_file(model).name, "rows": []}
    entries.append(added)
    return added


if __name__ == "__main__":
    main()
