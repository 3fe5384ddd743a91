"""The oracle ceiling of a traced run: is any candidate program it wrote right?

    python benchmarks/trace_oracle.py DATASET TRACE_DIR OUT.json [--task repair]

A run with `--trace TRACE_DIR` records each candidate (`candidate` events: the greedy answer, samples,
plans' code, repairs). Each is graded on the problem's hidden tests as the bench grades an answer (the
same loader and judge, so MBPP+ and LiveCodeBench files alike; with `--task repair`, a repair run's
candidate is put into the buggy file as the editor's Repair would and the file judged on the task's
hidden check); a problem counts when any of its candidates passes, which is the ceiling no selection
rule over these candidates can exceed. For reporting only: the run chose its answer before anything
here was graded. OUT.json holds the count and, per problem, how many of its candidates pass.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio

from atlas_lsp.bench.problems import load_bench
from atlas_lsp.bench.repair_judge import judge_answer
from atlas_lsp.bench.repair_tasks import load_repair_tasks
from atlas_lsp.commands.bench import judge_sandbox
from atlas_lsp.features.rewrite import UnusableAnswer

P = TypeVar("P")


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


async def oracle(dataset: str, programs: dict[str, list[str]]) -> dict[str, Any]:
    judge = judge_sandbox()
    loaded = await load_bench(dataset, judge, set(programs), None)
    problems = _every_traced(dataset, programs, {problem.task.task_id: problem for problem in loaded.problems})

    async def passes(task_id: str, code: str) -> bool:
        problem = problems[task_id]
        hidden, entry_point = problem.hidden_tests, problem.task.entry_point
        return (await judge.run(code, hidden, entry_point=entry_point, stop_at_first_failure=True)).passed

    return await _ceiling(dataset, programs, passes)


async def repair_oracle(dataset: str, programs: dict[str, list[str]]) -> dict[str, Any]:
    """The same ceiling for a repair run: each candidate function in the buggy file, on the hidden check."""
    judge = judge_sandbox()
    loaded = load_repair_tasks(Path(dataset), set(programs))
    problems = _every_traced(dataset, programs, {problem.task.task_id: problem for problem in loaded.problems})

    async def passes(task_id: str, code: str) -> bool:
        try:
            edited = problems[task_id].task.edited(code)
        except UnusableAnswer:
            return False  # the editor could not put it in the file: it fixes nothing
        return (await judge_answer(problems[task_id], edited, judge)).passed

    return await _ceiling(dataset, programs, passes)


def _every_traced(dataset: str, programs: dict[str, list[str]], problems: dict[str, P]) -> dict[str, P]:
    missing = sorted(set(programs) - set(problems))
    if missing:
        raise SystemExit(f"error: {dataset} has no problem {', '.join(missing)}")
    return problems


async def _ceiling(
    dataset: str, programs: dict[str, list[str]], passes: Callable[[str, str], Awaitable[bool]]
) -> dict[str, Any]:
    passing = {task_id: sum([await passes(task_id, code) for code in codes]) for task_id, codes in programs.items()}
    return {
        "dataset": dataset,
        "problems": len(programs),
        "oracle_passed": sum(count > 0 for count in passing.values()),
        "candidates": sum(len(codes) for codes in programs.values()),
        "passing_candidates": passing,
    }


def main(argv: list[str]) -> int:
    repair = argv[3:] == ["--task", "repair"]
    if len(argv) != 3 and not repair:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    dataset, trace_dir, out = argv[0], Path(argv[1]), Path(argv[2])
    programs = traced_candidates(trace_dir)
    if not programs:
        print(f"no candidate events under {trace_dir}: was the run traced (--trace) by this version?", file=sys.stderr)
        return 1
    report = anyio.run(repair_oracle if repair else oracle, dataset, programs)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"oracle: {report['oracle_passed']} of {report['problems']} problems have a candidate that passes -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
