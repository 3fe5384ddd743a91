"""What each stage of the repair pipeline buys and costs, from one recorded pipeline run and its trace.

The repair path runs its stages in a fixed order (a greedy direct fix, sampled direct fixes, then the
analysed rounds) and stops at the first stage whose answer passes the public examples. So a run with the
later stages off would have written exactly the same candidates up to where it stops, and its answer
would be the best candidate written so far. When the run's answer came from a later stage, every earlier
candidate failed the public examples, and an answer failing them is taken as not fixed (the script
checks how often a row that fails its public check passes the hidden one: the assumption holds only if
that count is 0). Its seconds are the run's seconds less the time from the first prompt of the later
stages to the answer. This derives the ablations `--disable repair_analysis` and
`--disable repair_samples repair_analysis` without running them again; the seconds are the recorded
run's, so its machine load applies.

    python benchmarks/repair_stage_cost.py docs/results/mbpp_plus_fix-pipeline-small runs/fix-pipeline-trace \
        [--out docs/results/mbpp_plus_fix-pipeline-small/stage_cost.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from atlas_lsp.bench.stats import mcnemar_exact, wilson_interval

STAGES = ("direct", "sampled", "analysis")
"""The repair stages in the order the pipeline runs them."""


def stage_of_origin(origin: str) -> int:
    """The index in STAGES of the stage that wrote an answer; -1 for the unchanged original."""
    if origin == "original":
        return -1
    if origin == "repair:direct":
        return 0
    if origin == "repair:sampled":
        return 1
    if origin.removeprefix("repair:").isdigit():
        return 2
    raise ValueError(f"an origin the repair path does not write: {origin!r}")


def stage_of_prompt(event: dict, earlier_direct: bool) -> int:
    """Prompts carry their key; the greedy direct fix is the first `repair.direct` prompt, with one sequence."""
    if event["key"] == "repair.analysis":
        return 2
    if event["key"] == "repair.direct":
        return 1 if earlier_direct or event.get("n", 1) > 1 else 0
    raise ValueError(f"a prompt the repair path does not send: {event['key']!r}")


@dataclass(frozen=True)
class TaskRecord:
    task: str
    fixed: bool
    fails_public: bool
    answer_stage: int
    seconds: float
    seconds_before: tuple[float, ...]
    """The task's seconds had the run stopped before each stage (index into STAGES)."""


def read_trace(path: Path, row: dict) -> list[dict]:
    """The trace events of the row's attempt: a resumed run appends to the trace of a task it redoes."""
    events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [e for e in events if row["started_at"] - 1 <= e["time"] <= row["finished_at"] + 1]


def task_record(row: dict, trace: list[dict]) -> TaskRecord:
    answer_time = trace[-1]["time"] if trace else 0.0
    # When the first prompt of each stage or a later one was sent.
    first_prompt_of = [answer_time] * len(STAGES)
    seen_direct = False
    for event in trace:
        if event["kind"] != "prompt":
            continue
        stage = stage_of_prompt(event, seen_direct)
        seen_direct = seen_direct or event["key"] == "repair.direct"
        for earlier in range(stage + 1):  # a prompt of this stage is one of every stage up to it
            first_prompt_of[earlier] = min(first_prompt_of[earlier], event["time"])
    seconds = float(row["seconds"])
    return TaskRecord(
        task=row["question_id"],
        fixed=bool(row["passed"]),
        fails_public=not row["public_after"],
        answer_stage=stage_of_origin(row["evidence"]["origin"]),
        seconds=seconds,
        seconds_before=tuple(seconds - (answer_time - first) for first in first_prompt_of),
    )


def report(records: list[TaskRecord], source: str) -> str:
    total = len(records)
    full = {r.task: r.fixed for r in records}
    lines = [
        f"# Repair stages: what each buys and costs ({source}, {total} tasks)",
        "",
        "Derived from the recorded run and its trace by `benchmarks/repair_stage_cost.py` (see its docstring):",
        "the run stopped after each stage, without generating again.",
        "",
        "| stop after | fixed@1 | 95% CI | full run only / this only | exact McNemar p | seconds median | p90 | mean |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for last in range(len(STAGES)):
        fixed = {r.task: r.fixed and r.answer_stage <= last for r in records}
        seconds = [r.seconds_before[last + 1] if last + 1 < len(STAGES) else r.seconds for r in records]
        passed = sum(fixed.values())
        interval = wilson_interval(passed, total)
        paired = mcnemar_exact(full, fixed)
        lines.append(
            f"| {' + '.join(STAGES[: last + 1])} | {passed}/{total} ({passed / total:.1%}) "
            f"| {interval.low:.1%}-{interval.high:.1%} | {paired.only_first} / {paired.only_second} "
            f"| {paired.p_value:.4f} | {np.percentile(seconds, 50):.1f} | {np.percentile(seconds, 90):.1f} "
            f"| {sum(seconds) / total:.1f} |"
        )
    reached = [sum(1 for r in records if r.seconds_before[s] < r.seconds) for s in range(len(STAGES))]
    fixed_by = [sum(1 for r in records if r.fixed and r.answer_stage == s) for s in range(len(STAGES))]
    lines += [
        "",
        "| stage | tasks that reached it | fixed by it |",
        "| --- | --- | --- |",
        *(f"| {STAGES[s]} | {reached[s]} | {fixed_by[s]} |" for s in range(len(STAGES))),
        "",
        f"Answers that fail the public check yet pass the hidden one: "
        f"{sum(1 for r in records if r.fails_public and r.fixed)} (the derivation assumes 0).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a repair run's folder (results.jsonl)")
    parser.add_argument("trace", type=Path, help="the run's --trace folder")
    parser.add_argument("--out", type=Path, help="write the Markdown report here (default: print it)")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in (args.results / "results.jsonl").read_text().splitlines() if line.strip()]
    records, missing = [], []
    for row in rows:
        trace_file = args.trace / (row["question_id"].replace("/", "_") + ".jsonl")
        if not trace_file.exists():
            missing.append(row["question_id"])
            continue
        records.append(task_record(row, read_trace(trace_file, row)))
    if missing:
        print(f"{len(missing)} rows have no trace and are left out: {', '.join(missing[:5])} ...", file=sys.stderr)
    text = report(records, str(args.results))
    if args.out:
        args.out.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
