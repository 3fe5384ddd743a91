"""Validate the MBPP+/HumanEval+ judge: every canonical solution must pass its own problem.

    python scripts/validate_evalplus_judge.py DATASET OUT_JSON

Expected values are the canonical solution's outputs, so a canonical that fails points at the
judge: a comparison rule (sets, tolerance, presence), argument types that change between the
reference run and the judged run, or a test near the time limit. Inputs on which the canonical
itself crashes or times out have no expected value and are dropped; the report counts them per
problem, so the judge's test set is known exactly.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from pathlib import Path

import anyio

from atlas_lsp.bench.evalplus import load_evalplus
from atlas_lsp.commands.bench import JUDGE_UID_OFFSET
from sandbox.executor import Sandbox
from sandbox.isolation import FIRST_SANDBOX_UID
from sandbox.limits import Limits


async def validate(dataset: Path, out: Path) -> dict:
    opener = gzip.open if dataset.suffix == ".gz" else open
    rows = {}
    with opener(dataset, "rt", encoding="utf-8") as handle:
        for line in filter(str.strip, handle):
            try:
                row = json.loads(line)
                rows[row["task_id"]] = row
            except (json.JSONDecodeError, KeyError, TypeError):
                continue  # load_evalplus reports the row among unreadable_rows
    judge = Sandbox(Limits(wall_seconds=6.0), first_uid=FIRST_SANDBOX_UID + JUDGE_UID_OFFSET)
    started = time.monotonic()
    problems, errors = await load_evalplus(dataset, judge)
    failures, dropped = {}, {}
    for problem in problems:
        row = rows[problem.task.task_id]
        given = len(row["base_input"]) + len(row["plus_input"] or [])
        if given != len(problem.hidden_tests):
            dropped[problem.task.task_id] = {"inputs": given, "kept": len(problem.hidden_tests)}
        result = await judge.run(
            row["prompt"] + "\n" + row["canonical_solution"], problem.hidden_tests, entry_point=problem.task.entry_point
        )
        if not result.passed:
            first = next((test.detail for test in result.tests if not test.passed), "no test left to run")
            failures[problem.task.task_id] = {"verdict": result.verdict.value, "tests_passed": result.tests_passed,
                                              "tests": len(problem.hidden_tests), "first_failure": first[:300]}
    report = {
        "dataset": str(dataset),
        "problems": len(problems),
        "unreadable_rows": errors,
        "canonical_passed": len(problems) - len(failures),
        "canonical_failed": failures,
        "tests": sum(len(p.hidden_tests) for p in problems),
        "problems_with_dropped_inputs": dropped,
        "inputs_dropped": sum(entry["inputs"] - entry["kept"] for entry in dropped.values()),
        "seconds": round(time.monotonic() - started, 1),
    }
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    report = anyio.run(validate, Path(argv[0]), Path(argv[1]))
    print(f"{report['canonical_passed']}/{report['problems']} canonical solutions pass; "
          f"{report['inputs_dropped']} inputs dropped in {len(report['problems_with_dropped_inputs'])} problems; "
          f"{len(report['unreadable_rows'])} unreadable rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
