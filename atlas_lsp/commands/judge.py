"""`atlas-lsp --judge DATASET --solutions FILE --out DIR [--public-only]`: grade fixed programs.

Writes DIR/summary.json and DIR/results.jsonl (one line per problem) and prints a table by platform.
A problem passes when at least one of its given solutions passes every test. Errors in the input files
end the command with a message and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from sandbox.judge import JudgeReport, ProblemGrade


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("--judge")
    group.add_argument(
        "--solutions",
        metavar="FILE",
        help="JSONL, one line per question_id with `code` or a `solutions` list (for --judge)",
    )
    group.add_argument(
        "--public-only",
        action="store_true",
        help="grade on the public tests only, even when the dataset has hidden ones (for --judge)",
    )


def run(args: argparse.Namespace) -> int:
    from atlas_lsp.bench.problems import is_evalplus
    from sandbox.dataset import DatasetError, load_dataset
    from sandbox.executor import Sandbox
    from sandbox.judge import SolutionsFileError, judge, read_solutions, result_row, summarize
    from sandbox.limits import Limits

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    problem = _argument_problem(args)
    if problem:
        return _fail(problem)
    if is_evalplus(Path(args.judge)):
        return _fail(
            f"{args.judge} is an evalplus file (MBPP+, HumanEval+); --judge grades LiveCodeBench-layout files. "
            "A bench run grades its answers itself (scripts/rejudge_bench.py grades them again), and "
            "benchmarks/trace_oracle.py grades a traced run's candidates"
        )
    try:
        dataset = load_dataset(args.judge)
        solutions = read_solutions(args.solutions)
    except (DatasetError, SolutionsFileError) as error:
        return _fail(str(error))
    for row_error in dataset.row_errors:
        print(f"atlas-lsp --judge: skipped {args.judge} {row_error}", file=sys.stderr)
    if not dataset.problems:
        return _fail(f"{args.judge} holds no readable problem")
    known = {problem.question_id for problem in dataset.problems}
    if not known.intersection(solutions):
        return _fail(f"no question_id of {args.solutions} is in {args.judge}")

    limits = Limits() if args.timeout is None else Limits(wall_seconds=args.timeout)
    sandbox = Sandbox(limits, jobs=args.jobs)

    def show_progress(grade: ProblemGrade) -> None:
        if args.verbose:
            verdicts = ", ".join(solution.verdict.value for solution in grade.solutions)
            print(f"{grade.problem.question_id:>12} {'PASS' if grade.passed else 'FAIL'}  {verdicts}", file=sys.stderr)

    report = anyio.run(
        lambda: judge(
            dataset, solutions, sandbox, public_only=args.public_only, limit=args.limit, on_graded=show_progress
        )
    )
    summary = summarize(
        report,
        dataset=str(args.judge),
        solutions=str(args.solutions),
        per_test_wall_seconds=limits.wall_seconds,
        isolation=sandbox.isolation.describe(),
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    with open(out / "results.jsonl", "w", encoding="utf-8") as results_file:
        for grade in report.grades:
            results_file.write(json.dumps(result_row(grade)) + "\n")
    _print_table(report, summary, out)
    return 0


def _argument_problem(args: argparse.Namespace) -> str:
    if not args.solutions:
        return "--judge needs --solutions FILE"
    if not args.out:
        return "--judge needs --out DIR"
    if args.jobs is not None and args.jobs <= 0:
        return "--jobs must be positive"
    if args.limit is not None and args.limit <= 0:
        return "--limit must be positive"
    return ""


def _fail(message: str) -> int:
    print(f"atlas-lsp --judge: {message}", file=sys.stderr)
    return 2


def _print_table(report: JudgeReport, summary: dict[str, Any], out: Path) -> None:
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for grade in report.grades:
        for key in (grade.problem.platform, "all"):
            row = rows[key]
            row[0] += 1
            row[1] += grade.passed
            row[2] += len(grade.solutions)
            row[3] += sum(solution.passed for solution in grade.solutions)
    print(f"{'platform':<12}{'problems':>9}{'passed':>8}{'%':>7}{'solutions':>11}{'passed':>8}")
    for platform in [*sorted(name for name in rows if name != "all"), "all"]:
        problems, passed, programs, programs_passed = rows[platform]
        share = 100.0 * passed / problems if problems else 0.0
        print(f"{platform:<12}{problems:>9}{passed:>8}{share:>7.1f}{programs:>11}{programs_passed:>8}")
    reasons = "; ".join(f"{reason} ({count})" for reason, count in summary["test_set_reasons"].items())
    print(f"test set: {summary['test_set']}" + (f" — {reasons}" if reasons else ""))
    print(
        f"tests: {summary['tests_passed']} passed of {summary['tests_run']} run; "
        f"{summary['per_test_wall_seconds']} s per test; wall {summary['wall_seconds']:.1f} s"
    )
    if summary["failed"]:
        print(f"not passed: {' '.join(summary['failed'])}")
    if summary["unknown_question_ids"]:
        print(f"solutions for {len(summary['unknown_question_ids'])} question ids not in the dataset were ignored")
    print(f"written: {out / 'summary.json'}, {out / 'results.jsonl'}")
