"""Regrade finished bench runs with the current judge, without solving anything again.

    python scripts/rejudge_bench.py DATASET RUN_DIR [RUN_DIR ...]

When the judge changes (e.g. MBPP+ graded as evalplus grades it), the answers a run already fixed
are graded again: each row of RUN_DIR/results.jsonl gets the new verdict, keeps the old one under
`judged_before`, and summary.json / report.md are rewritten from the rows. The answers, their
tokens and their timings stay as they were. Tests get the bench's default 6 s limit.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import anyio

from atlas_lsp.bench.problems import load_bench
from atlas_lsp.bench.report import RUN_DESCRIPTION_KEYS, summarize, write_report
from atlas_lsp.bench.runner import read_results
from atlas_lsp.commands.bench import judge_sandbox


async def rejudge(dataset: str, run_dirs: list[Path]) -> None:
    runs = {run_dir: read_results(run_dir) for run_dir in run_dirs}
    ids = {row["question_id"] for rows in runs.values() for row in rows}
    judge = judge_sandbox()
    loaded = await load_bench(dataset, judge, ids, None)
    problems = {problem.task.task_id: problem for problem in loaded.problems}
    missing = ids - set(problems)
    if missing:  # checked before any run is rewritten, so no run is left half regraded
        raise SystemExit(f"error: {dataset} has no problem {', '.join(sorted(missing))}")
    judged_at = time.strftime("%Y-%m-%dT%H:%M:%S")
    for run_dir, rows in runs.items():
        changed = []
        for row in rows:
            problem = problems[row["question_id"]]
            result = await judge.run(
                row["answer"], problem.hidden_tests, entry_point=problem.task.entry_point, stop_at_first_failure=True
            )
            before = row.get("judged_before") or {
                key: row[key] for key in ("passed", "verdict", "tests_passed", "tests_total")
            }
            row.update(
                passed=result.passed,
                verdict=result.verdict.value,
                tests_passed=result.tests_passed,
                tests_total=len(problem.hidden_tests),
            )
            if row["passed"] != before["passed"]:
                changed.append(f"{row['question_id']} {before['passed']}->{row['passed']}")
            row["judged_before"] = before
            row["rejudged_at"] = judged_at
        fresh = run_dir / "results.jsonl.new"
        with open(fresh, "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row) + "\n" for row in rows)
        os.replace(fresh, run_dir / "results.jsonl")
        meta = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
        summary = summarize(rows, {key: meta[key] for key in RUN_DESCRIPTION_KEYS if key in meta})
        write_report(run_dir, summary)
        print(f"{run_dir}: {summary['passed']}/{summary['problems']}; changed: {', '.join(changed) or 'none'}")


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    dataset, run_dirs = argv[0], [Path(name) for name in argv[1:]]
    missing = [str(d) for d in run_dirs if not (d / "results.jsonl").exists() or not (d / "summary.json").exists()]
    if missing:
        print(f"error: no results.jsonl and summary.json in {', '.join(missing)}", file=sys.stderr)
        return 2
    anyio.run(rejudge, dataset, run_dirs)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
