"""The oracle ceiling of a traced run: every candidate program it wrote, as a `--judge` solutions file.

    python benchmarks/trace_oracle.py TRACE_DIR SOLUTIONS.jsonl
    atlas-lsp --judge DATASET --solutions SOLUTIONS.jsonl --out DIR

A run with `--trace TRACE_DIR` records each candidate (`candidate` events: the greedy answer, samples,
plans' code, repairs). The judge passes a problem when any of its given programs passes every hidden
test, which is the ceiling no selection rule over these candidates can exceed. For reporting only: the
run chose its answer before anything here was judged.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def traced_candidates(trace_dir: Path) -> dict[str, list[str]]:
    """Task id -> the distinct candidate programs its trace records, in the order they were written."""
    programs: dict[str, list[str]] = {}
    for path in sorted(trace_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            if event.get("kind") == "candidate":
                codes = programs.setdefault(event["task"], [])
                if event["code"] not in codes:
                    codes.append(event["code"])
    return programs


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    trace_dir, out = Path(argv[0]), Path(argv[1])
    programs = traced_candidates(trace_dir)
    if not programs:
        print(f"no candidate events under {trace_dir}: was the run traced (--trace) by this version?", file=sys.stderr)
        return 1
    with out.open("w", encoding="utf-8") as handle:
        for task_id, codes in programs.items():
            handle.write(json.dumps({"question_id": task_id, "solutions": codes}) + "\n")
    print(f"{sum(len(codes) for codes in programs.values())} programs of {len(programs)} problems -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
