"""Validate the repair judge on a HumanEvalPack-layout file: the correct body passes, the buggy one fails.

    python scripts/validate_repair_judge.py DATASET OUT_JSON [--jobs 1]

For every task: `prompt + canonical_solution` must pass its hidden `test` and its `example_test`, and
`prompt + buggy_solution` must fail both (a task whose bug passes its public check is no repair task:
the user would have no failing test). A canonical that fails points at the judge or at the task's
test; a bug that passes points at a mutant the tests cannot see. Rows the loader rejects are listed.
Exits 1 when any check fails, so it can gate a regenerated set.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio

from atlas_lsp.bench.repair_judge import CheckVerdict, judge_answer, run_check
from atlas_lsp.bench.repair_tasks import RepairProblem, load_repair_tasks
from sandbox.executor import Sandbox
from sandbox.limits import Limits

LIMITS = Limits(wall_seconds=6.0)


async def validate_problem(problem: RepairProblem, sandbox: Sandbox) -> dict[str, Any]:
    task, hidden = problem.task, problem.hidden
    entry = task.entry_point
    result: dict[str, Any] = {"task_id": task.task_id, "bug_kind": problem.bug_kind}
    if hidden.reference is None:
        result["canonical"] = None
    else:
        result["canonical_test"] = await judge_answer(problem, hidden.reference, sandbox)
        result["canonical_example"] = await run_check(hidden.reference, task.example_test, entry, sandbox)
    result["buggy_test"] = await judge_answer(problem, task.buggy_function, sandbox)
    result["buggy_example"] = await run_check(task.buggy_function, task.example_test, entry, sandbox)
    return result


def _failed_checks(results: list[dict[str, Any]], problems: dict[str, RepairProblem]) -> dict[str, dict[str, str]]:
    """Per task, each check that went the wrong way, described."""
    wrong: dict[str, dict[str, str]] = {}
    for result in results:
        problem = problems[result["task_id"]]
        sources = {"test": problem.hidden.test, "example": problem.task.example_test}
        for name, verdict in result.items():
            if not isinstance(verdict, CheckVerdict):
                continue
            should_pass = name.startswith("canonical")
            if verdict.passed != should_pass:
                wrong.setdefault(result["task_id"], {})[name] = verdict.describe(sources[name.split("_")[1]])
    return wrong


async def validate(dataset: Path, out: Path, jobs: int) -> dict[str, Any]:
    with Sandbox(LIMITS, jobs=jobs) as sandbox:
        return await _validate_with(sandbox, dataset, out, jobs)


async def _validate_with(sandbox: Sandbox, dataset: Path, out: Path, jobs: int) -> dict[str, Any]:
    started = time.monotonic()
    loaded = load_repair_tasks(dataset)
    problems = {problem.task.task_id: problem for problem in loaded.problems}
    results: list[dict[str, Any]] = []
    limiter = anyio.CapacityLimiter(jobs)

    async def one(problem: RepairProblem) -> None:
        async with limiter:
            results.append(await validate_problem(problem, sandbox))

    async with anyio.create_task_group() as group:
        for problem in loaded.problems:
            group.start_soon(one, problem)
    results.sort(key=lambda result: problems[result["task_id"]].line)
    wrong = _failed_checks(results, problems)
    with_reference = [result for result in results if "canonical_test" in result]
    report = {
        "dataset": str(dataset),
        "tasks": len(results),
        "unreadable_rows": [str(error) for error in loaded.row_errors],
        "canonical_pass_test": sum(result["canonical_test"].passed for result in with_reference),
        "canonical_pass_example": sum(result["canonical_example"].passed for result in with_reference),
        "tasks_without_canonical": len(results) - len(with_reference),
        "buggy_fail_test": sum(not result["buggy_test"].passed for result in results),
        "buggy_fail_example": sum(not result["buggy_example"].passed for result in results),
        "buggy_test_outcomes": dict(Counter(result["buggy_test"].outcome.value for result in results)),
        "buggy_example_outcomes": dict(Counter(result["buggy_example"].outcome.value for result in results)),
        "bug_kinds": dict(sorted(Counter(result["bug_kind"] or "(none)" for result in results).items())),
        "max_canonical_test_seconds": max((result["canonical_test"].seconds for result in with_reference), default=0),
        "wrong_checks": wrong,
        "isolation": sandbox.isolation.describe(),
        "seconds": round(time.monotonic() - started, 1),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("out", type=Path, help="the report (JSON)")
    parser.add_argument("--jobs", type=int, default=1, help="tasks checked at once")
    arguments = parser.parse_args(argv)
    report = anyio.run(validate, arguments.dataset, arguments.out, arguments.jobs)
    tasks = report["tasks"]
    print(
        f"{tasks} tasks ({len(report['unreadable_rows'])} unreadable rows): canonical passes test "
        f"{report['canonical_pass_test']}/{tasks - report['tasks_without_canonical']}, example "
        f"{report['canonical_pass_example']}/{tasks - report['tasks_without_canonical']}; buggy fails test "
        f"{report['buggy_fail_test']}/{tasks}, example {report['buggy_fail_example']}/{tasks}; "
        f"{len(report['wrong_checks'])} tasks with a wrong check; {report['seconds']} s"
    )
    return 1 if report["wrong_checks"] or report["unreadable_rows"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
