"""Validate the MBPP+/HumanEval+ judge: every canonical solution must pass its own problem.

    python scripts/validate_evalplus_judge.py DATASET OUT_JSON

Expected values are the canonical solution's outputs, so a canonical that fails points at the
judge: a comparison rule (sets, tolerance, presence), argument types that change between the
reference run and the judged run, or a test near the time limit. Inputs on which the canonical
itself crashes or times out have no expected value and are dropped; the report counts them per
problem, so the judge's test set is known exactly.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import anyio

from atlas_lsp.bench.evalplus import expected_problems, read_evalplus_rows
from atlas_lsp.commands.bench import judge_sandbox


async def validate(dataset: Path, out: Path) -> dict:
    judge = judge_sandbox()
    started = time.monotonic()
    rows, errors = read_evalplus_rows(dataset)
    problems = await expected_problems(rows, judge)
    failures, dropped = {}, {}
    for row, problem in zip(rows, problems, strict=False):
        task_id = row.task.task_id
        if len(row.inputs) != len(problem.hidden_tests):
            dropped[task_id] = {"inputs": len(row.inputs), "kept": len(problem.hidden_tests)}
        result = await judge.run(row.reference, problem.hidden_tests, entry_point=row.task.entry_point)
        if not result.passed:
            first = next((test.detail for test in result.tests if not test.passed), "no test left to run")
            failures[task_id] = {
                "verdict": result.verdict.value,
                "tests_passed": result.tests_passed,
                "tests": len(problem.hidden_tests),
                "first_failure": first[:300],
            }
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
    print(
        f"{report['canonical_passed']}/{report['problems']} canonical solutions pass; "
        f"{report['inputs_dropped']} inputs dropped in {len(report['problems_with_dropped_inputs'])} problems; "
        f"{len(report['unreadable_rows'])} unreadable rows"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
