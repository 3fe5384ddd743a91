"""What one decode step costs on this machine, by how many tokens it feeds the model.

Two shapes of a step, both through the engine's own decoder:

- k sequences of one request, one token each (the engine's batched sampling): milliseconds per step and
  tokens per second for k = 1, 2, 3, 4, 8;
- one sequence fed n tokens at once (what checking n guessed tokens would cost, as speculative or
  prompt-lookup decoding does): milliseconds of the model's forward pass for n = 1, 2, 4, 8, 16.

The engine's sampling waves and any drafting scheme pay off only where a step of several tokens costs
much less than several steps of one; these numbers say where that is.

    python benchmarks/decode_step_cost.py --model small [--tokens 64] [--repeats 5]

Writes benchmarks/results/decode_step_cost-<model>.json and .md. Run it with the machine to itself.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import anyio
import llama_cpp

# Run as a script, this folder is on sys.path: the batching benchmark's prompt and samples are reused.
from batched_generation import PROMPT, sampled

from engine.config import EmbeddedSettings
from engine.models import resolve_model_file
from engine.runtime.base import Message, SamplingParams
from engine.runtime.embedded import EmbeddedRuntime

MESSAGES = [Message("user", PROMPT)]
RESULTS = Path(__file__).parent / "results"
SEQUENCES = (1, 2, 3, 4, 8)
FED_TOKENS = (1, 2, 4, 8, 16)


async def per_sequence_count(runtime: EmbeddedRuntime, tokens: int, repeats: int) -> list[dict[str, Any]]:
    rows = []
    for k in SEQUENCES:
        step_ms, rates = [], []
        for _ in range(repeats):
            stats = runtime.stats
            seconds, steps, decoded = stats.decode_seconds, stats.decode_steps, stats.tokens_decoded
            await runtime.generate_many(MESSAGES, sampled(k, tokens))
            spent = stats.decode_seconds - seconds
            step_ms.append(1000 * spent / (stats.decode_steps - steps))
            rates.append((stats.tokens_decoded - decoded) / spent)
        rows.append(
            {
                "sequences": k,
                "ms_per_step": round(statistics.median(step_ms), 1),
                "tokens_per_s": round(statistics.median(rates), 1),
            }
        )
    return rows


def per_fed_tokens(runtime: EmbeddedRuntime, repeats: int) -> list[dict[str, Any]]:
    """Forward passes of n tokens on one sequence after a 400-token prompt, each undone after it is timed."""
    decoder = runtime._decoder  # the benchmark times the decoder's own llama.cpp context, idle meanwhile
    prompt = list(range(1000, 1400))
    decoder._decode_prompt(prompt, 0)
    rows = []
    for n in FED_TOKENS:
        times = []
        for _ in range(repeats):
            decoder._batch.n_tokens = n
            for slot in range(n):
                decoder._put(slot, 2000 + slot, len(prompt) + slot, 0, True)
            started = time.perf_counter()
            decoder._decode()
            times.append(time.perf_counter() - started)
            llama_cpp.llama_memory_seq_rm(decoder._memory, 0, len(prompt), -1)
        rows.append({"tokens": n, "ms": round(1000 * statistics.median(times), 1)})
    llama_cpp.llama_memory_seq_rm(decoder._memory, 0, -1, -1)
    return rows


async def measure(model: str, tokens: int, repeats: int) -> dict[str, Any]:
    runtime = await EmbeddedRuntime.open(resolve_model_file(model), EmbeddedSettings(), model)
    try:
        await runtime.generate(MESSAGES, SamplingParams(max_tokens=4))  # warm-up
        load_before = os.getloadavg()[0]
        sequences = await per_sequence_count(runtime, tokens, repeats)
        fed = per_fed_tokens(runtime, repeats)
        return {
            "model": model,
            "backend": runtime.backend,
            "threads": os.cpu_count(),
            "tokens_per_sequence": tokens,
            "repeats": repeats,
            "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "sequences_per_step": sequences,
            "tokens_fed_to_one_sequence": fed,
        }
    finally:
        await runtime.aclose()


def markdown(report: dict[str, Any], command: str) -> str:
    one = report["sequences_per_step"][0]["ms_per_step"]
    lines = [
        f"# Decode step cost: {report['model']} model",
        "",
        f"`{command}`",
        "",
        f"{report['backend']}; load average {report['load_average_1min'][0]} before, "
        f"{report['load_average_1min'][1]} after. Medians of {report['repeats']} repeats.",
        "",
        "| sequences in the step | ms per step | tokens/s | vs one sequence |",
        "| --- | --- | --- | --- |",
        *(
            f"| {row['sequences']} | {row['ms_per_step']} | {row['tokens_per_s']} | "
            f"{row['sequences'] * one / row['ms_per_step']:.2f}x |"
            for row in report["sequences_per_step"]
        ),
        "",
        "| tokens fed to one sequence | ms | ms per token beyond the first |",
        "| --- | --- | --- |",
    ]
    first = report["tokens_fed_to_one_sequence"][0]["ms"]
    for row in report["tokens_fed_to_one_sequence"]:
        extra = (row["ms"] - first) / (row["tokens"] - 1) if row["tokens"] > 1 else 0.0
        lines.append(f"| {row['tokens']} | {row['ms']} | {extra:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="small")
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    report = anyio.run(measure, args.model, args.tokens, args.repeats)
    command = (
        f"python benchmarks/decode_step_cost.py --model {args.model} --tokens {args.tokens} --repeats {args.repeats}"
    )
    stem = RESULTS / f"decode_step_cost-{args.model}"
    stem.with_suffix(".json").write_text(json.dumps({"command": command, **report}, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown(report, command))
    print(markdown(report, command))


if __name__ == "__main__":
    main()
