"""Aggregate decode speed: k sequences in one batch vs k sequential llama-cpp-python chat calls.

Both sides use the same model file, prompt, thread count and max_tokens, and sample at
temperature 0.8 so that no sequence stops early on a shared greedy path; reported tokens/s counts
the completion tokens actually produced (prompt evaluation included in the time, as a user sees it).

    python benchmarks/batched_generation.py [--models small default] [--tokens 128] [--ks 1 2 4 8]

Writes benchmarks/results/batched_generation.json (ratios are within this one run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import anyio
from llama_cpp import Llama

from engine.config import EmbeddedSettings
from engine.models import resolve_model_file
from engine.runtime.base import Message, SamplingParams
from engine.runtime.embedded import EmbeddedRuntime

PROMPT = "Write a detailed tutorial on implementing a binary search tree in Python, with code."
RESULTS = Path(__file__).parent / "results" / "batched_generation.json"


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


async def batched(runtime: EmbeddedRuntime, k: int, max_tokens: int) -> tuple[int, float]:
    params = [SamplingParams(temperature=0.8, top_p=0.95, top_k=40, max_tokens=max_tokens, seed=s) for s in range(k)]
    started = time.monotonic()
    generations = await runtime.generate_many([Message("user", PROMPT)], params)
    return sum(g.completion_tokens for g in generations), time.monotonic() - started


def measure(model: str, ks: list[int], max_tokens: int, threads: int) -> dict:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["small", "default"])
    parser.add_argument("--ks", nargs="+", type=int, default=[1, 2, 4, 8])
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "threads": args.threads,
        "max_tokens": args.tokens,
        "prompt": PROMPT,
        "models": [measure(model, args.ks, args.tokens, args.threads) for model in args.models],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
