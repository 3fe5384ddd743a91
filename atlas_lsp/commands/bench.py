"""`atlas-lsp --bench DATASET`: solve problems (or `--task repair`: repair buggy functions) headlessly and
report honest pass@1 (fixed@1).

One answer per problem, fixed before the hidden tests are read; results are written as each
problem finishes, and `--resume` continues an interrupted run. `--bench-compare DIR...` compares
finished runs with a paired test on their shared problems.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import time
from collections.abc import Collection, Coroutine, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from atlas_lsp.commands.engine_start import prompt_set_exists, start_engine
from atlas_lsp.settings import Settings
from atlas_lsp.terminal import ProgressBar, innermost
from engine.config import EngineConfig, PipelineConfig

if TYPE_CHECKING:
    from atlas_lsp.bench.repair_tasks import RepairProblem
    from atlas_lsp.bench.runner import BenchProblem, ProblemError
    from sandbox.executor import Sandbox

PIPELINE_STAGES = (
    "router",
    "plan",
    "self_tests",
    "selection",
    "tie_break",
    "repair",
    "direct_repair",
    "repair_samples",
    "repair_analysis",
    "lens",
)

BENCH_SETTINGS = Settings(repair_analysis=PipelineConfig.repair_analysis)
"""The settings a benchmark starts from, before its flags: the engine's whole pipeline, whose repair runs the
analysed rounds the editor leaves off for latency (Settings.repair_analysis)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("--bench")
    group.add_argument(
        "--task",
        choices=("solve", "repair"),
        default="solve",
        help="solve problems from their statements (LiveCodeBench or evalplus rows), or repair buggy functions "
        "(HumanEvalPack's Python layout, as HumanEvalFix)",
    )
    group.add_argument(
        "--mode",
        choices=("single", "pipeline"),
        default="pipeline",
        help="one greedy answer (for --task repair: one rewrite with nothing run), or the full pipeline",
    )
    group.add_argument("--resume", action="store_true", help="keep DIR/results.jsonl and skip the problems in it")
    group.add_argument("--since", metavar="DATE", help="only problems with contest_date >= DATE (YYYY-MM-DD)")
    group.add_argument("--until", metavar="DATE", help="only problems with contest_date <= DATE")
    group.add_argument(
        "--disable",
        nargs="+",
        default=[],
        metavar="STAGE",
        choices=(*PIPELINE_STAGES, "batching", "guessing"),
        help="turn pipeline stages off, batched decoding (one sequence at a time) or prompt-lookup guesses "
        "(one token per sequence per step), for ablations",
    )
    group.add_argument(
        "--enable",
        nargs="+",
        default=[],
        metavar="STAGE",
        choices=PIPELINE_STAGES,
        help="turn on pipeline stages that are off by default (plan, repair, tie_break)",
    )
    group.add_argument("--label", help="name of this run in reports")
    recording = group.add_mutually_exclusive_group()
    recording.add_argument(
        "--record",
        metavar="DIR",
        help="also record every candidate of every problem (code, origin, tokens, behaviour on the "
        "examples and generated inputs), labelled once judged, in DIR: --replay DIR scores "
        "selection rules on them without the model. Every candidate is written (no "
        "router, no early stop after a wave), so the pool is whole",
    )
    recording.add_argument(
        "--lens-records",
        metavar="DIR",
        help="--record, also reading every candidate (the model's embedding) as Lens training "
        "data (pipeline mode; --lens-train DIR trains on it)",
    )
    group.add_argument(
        "--bench-compare", nargs="+", metavar="DIR", help="compare finished runs (with --out for the report)"
    )


def run(args: argparse.Namespace) -> int:
    if not args.out:
        print("error: --bench needs --out DIR (where results are written)", file=sys.stderr)
        return 2
    from atlas_lsp.bench.runner import UnreadableResults
    from lens.records import UnreadableRecords

    try:
        return anyio.run(_bench, args)
    except (UnreadableResults, UnreadableRecords) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"\ninterrupted; finished problems are in {args.out}/results.jsonl (continue with --resume)",
            file=sys.stderr,
        )
        return 130


def run_compare(args: argparse.Namespace) -> int:
    from atlas_lsp.bench.report import compare_runs

    out = Path(args.out or "runs/comparison")
    missing = [d for d in args.bench_compare if not (Path(d) / "results.jsonl").exists()]
    if missing:
        print(f"error: no results.jsonl in {', '.join(missing)}", file=sys.stderr)
        return 2
    from atlas_lsp.bench.runner import UnreadableResults

    try:
        print(compare_runs([Path(d) for d in args.bench_compare], out), end="")
    except UnreadableResults as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {out}/comparison.md and comparison.png")
    return 0


def bench_config(args: argparse.Namespace) -> EngineConfig:
    """The engine configuration of a run: the shared flags' settings, built as the editor's are, then the run's
    own pipeline: single mode's one greedy answer, or the stage switches and, when recording, whole pools."""
    config = BENCH_SETTINGS.with_flags(args).engine_config()
    if args.mode == "single":
        pipeline = replace(PipelineConfig.single(config.pipeline.max_tokens), prompt_set=config.pipeline.prompt_set)
    else:
        switches: dict[str, Any] = {stage: True for stage in args.enable}
        switches.update({stage: False for stage in args.disable if stage in PIPELINE_STAGES})
        pipeline = replace(config.pipeline, **switches)
        if args.record or args.lens_records:
            pipeline = pipeline.recording(inputs="self_tests" not in args.disable)
    embedded = config.runtime.embedded
    if "batching" in args.disable:
        embedded = replace(embedded, max_sequences=1)
    if "guessing" in args.disable:
        embedded = replace(embedded, guessed_tokens=0)
    runtime = replace(config.runtime, embedded=embedded)
    return replace(config, runtime=runtime, pipeline=pipeline)


async def _bench(args: argparse.Namespace) -> int:
    from atlas_lsp.bench.code_version import code_version
    from atlas_lsp.bench.collect import CollectSettings
    from atlas_lsp.bench.problems import load_bench, read_names, select_problems
    from atlas_lsp.bench.repair_run import repairing
    from atlas_lsp.bench.repair_tasks import load_repair_tasks
    from atlas_lsp.bench.report import RunDescription, summarize, write_report
    from atlas_lsp.bench.runner import RunSettings, read_results, run_problems, solving
    from atlas_lsp.commands.lens import records_model_sha256
    from engine.runtime.base import RuntimeFailure
    from sandbox.dataset import DatasetError

    dataset = Path(args.bench)
    out = Path(args.out)
    config = bench_config(args)
    pipeline = config.pipeline
    judge = judge_sandbox(config.sandbox.test_seconds)
    ids = read_names(Path(args.ids)) if args.ids else None
    repair = args.task == "repair"
    problems: list[BenchProblem] = []
    repair_problems: list[RepairProblem] = []
    if repair and (args.record or args.lens_records or args.since or args.until):
        print(
            "error: --task repair records no candidates and its tasks have no dates: leave out --record, "
            "--lens-records, --since and --until",
            file=sys.stderr,
        )
        return 2
    stages_switched = args.enable or set(args.disable) & set(PIPELINE_STAGES)
    if args.mode == "single" and (stages_switched or args.candidates or args.budget):
        print(
            "error: --enable, --disable STAGE, --budget and --candidates shape the pipeline, "
            "and single mode has none (of the switches only --disable batching and guessing apply to it)",
            file=sys.stderr,
        )
        return 2
    try:
        if repair:
            repair_loaded = load_repair_tasks(dataset, set(ids) if ids else None, args.limit)
            repair_problems = list(repair_loaded.problems)
            row_errors: Sequence[object] = repair_loaded.row_errors
            judge_kind = "full"
        else:
            loaded = await load_bench(args.bench, judge, ids, args.limit)
            row_errors, judge_kind = loaded.row_errors, loaded.judge
            problems = select_problems(loaded.problems, ids, args.since, args.until, args.limit)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for row_error in row_errors:
        print(f"skipped {dataset} {row_error}", file=sys.stderr)
    selected_ids = [p.task.task_id for p in (repair_problems if repair else problems)]
    if not selected_ids:
        print("error: no problem selected (check --ids, --since/--until, --limit)", file=sys.stderr)
        return 2
    unread = [] if repair else [p.task.task_id for p in problems if p.examples_unread]
    if unread:
        print(
            f"note: {len(unread)} problems show examples that cannot be read as tests and run without them: "
            f"{', '.join(unread[:8])}{', ...' if len(unread) > 8 else ''}",
            file=sys.stderr,
        )

    if not prompt_set_exists(pipeline.prompt_set):
        return 2
    records_to = None
    records_dir = args.record or args.lens_records
    if records_dir:
        if args.lens_records and args.mode != "pipeline":
            print(
                "error: --lens-records needs --mode pipeline: single mode writes one candidate and ranks none",
                file=sys.stderr,
            )
            return 2
        model_sha256 = records_model_sha256(Path(records_dir), config.runtime.model, pipeline.prompt_set)
        if model_sha256 is None:
            return 2
        records_to = CollectSettings(
            Path(records_dir), dataset.name, model_sha256, pipeline.prompt_set, read=bool(args.lens_records)
        )
    previous = _previous_run(out) if args.resume else {}
    mismatch = _resume_mismatch(
        previous,
        {
            "dataset": dataset.name,
            "task": args.task,
            "mode": args.mode,
            "model": config.runtime.model,
            "pipeline": pipeline.__dict__,
        },
    )
    if mismatch:
        print(
            f"error: --resume would mix two different runs in {out}: {mismatch}. Use another --out, or rerun "
            "with the first run's options.",
            file=sys.stderr,
        )
        return 2
    done_before = len(read_results(out)) if args.resume else 0
    engine = await start_engine(config)
    if engine is None:
        return 1
    print(engine.lens_status, file=sys.stderr)
    seen = lens_seen_problems(problems, engine.lens_trained_on)
    if seen:
        await engine.aclose()
        print(
            f"error: the Lens was trained on {len(seen)} of the selected problems ({', '.join(seen[:5])}"
            f"{', ...' if len(seen) > 5 else ''}), so pass@1 on them would flatter it. Leave them out "
            "(choose others with --ids FILE) or run with --disable lens.",
            file=sys.stderr,
        )
        return 2

    description = RunDescription(
        dataset=str(dataset),
        judge=judge_kind,
        mode=args.mode,
        model=engine.model_id,
        backend=engine.backend,
        label=args.label or out.name,
        pipeline=pipeline.__dict__,
        lens=engine.lens_status,
        max_sequences=config.runtime.embedded.max_sequences,
        command="atlas-lsp " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        started=previous.get("started") or time.strftime("%Y-%m-%dT%H:%M:%S"),
        selected=len(selected_ids),
        task=args.task,
        lens_records=args.lens_records or "",
        records=args.record or "",
        code=_code_versions(previous, code_version()),
    )
    metric = "fixed@1" if repair else "pass@1"
    bar = ProgressBar(f"{args.mode} {args.task} on {dataset.name}")
    finished: list[bool] = []

    def on_done(row: dict[str, Any]) -> None:
        finished.append(bool(row["passed"]))
        rate = sum(finished) / len(finished)
        bar.update(done_before + len(finished), len(selected_ids), f"{row['question_id']} {metric} so far {rate:.1%}")

    status = 0
    try:
        settings = RunSettings(out, args.jobs or 1, args.resume, records_to)
        errors, stopped_by = await _until_stopped(
            run_problems(repair_problems, repairing(engine, judge, args.mode), settings, on_done)
            if repair
            else run_problems(problems, solving(engine, judge, records_to), settings, on_done)
        )
        if stopped_by:
            # Writing the summary takes seconds: a second Ctrl-C must not cut it short.
            for number in (signal.SIGINT, signal.SIGTERM):
                signal.signal(number, signal.SIG_IGN)
            print(
                f"\nstopped by {stopped_by.name}; finished problems are in {out}/results.jsonl, the summary "
                "follows (continue with --resume)",
                file=sys.stderr,
            )
            status = 128 + stopped_by
        for failure in errors:
            print(f"error: problem {failure.question_id} failed and has no result: {failure.error}", file=sys.stderr)
        if errors:
            print("Rerun with --resume to try those problems again.", file=sys.stderr)
            status = 1
    except* RuntimeFailure as failures:
        print(
            f"error: {innermost(failures)}\nThe results so far are kept: rerun with --resume to go on.", file=sys.stderr
        )
        status = 1
    finally:
        await engine.aclose()
        selected = set(selected_ids)
        rows = [row for row in read_results(out) if row["question_id"] in selected]
        if rows:
            summary = summarize(rows, asdict(description))
            write_report(out, summary)
            print(json.dumps({k: summary[k] for k in ("problems", "passed", "pass_at_1", "ci95")}))
            if summary["public_only_problems"]:
                print(
                    f"note: {summary['public_only_problems']} of {summary['problems']} problems judged on public "
                    "tests only; not an official pass@1"
                )
    return status


async def _until_stopped(
    run: Coroutine[Any, Any, list[ProblemError]],
) -> tuple[list[ProblemError], signal.Signals | None]:
    """Await `run` unless SIGINT or SIGTERM arrives first, which cancels it and is returned.

    Ctrl-C sends SIGINT, and `kill` SIGTERM; either way the caller goes on to write the summary of the
    problems finished. A process started with SIGINT ignored (a script's `cmd &`) keeps ignoring it.
    """
    errors: list[ProblemError] = []
    stopped_by: signal.Signals | None = None
    stopping = [signal.SIGTERM] + ([signal.SIGINT] if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN else [])
    async with anyio.create_task_group() as group:

        async def stop_on_signal() -> None:
            nonlocal stopped_by
            with anyio.open_signal_receiver(*stopping) as signals:
                async for received in signals:
                    stopped_by = signal.Signals(received)
                    group.cancel_scope.cancel()
                    return

        group.start_soon(stop_on_signal)
        errors = await run
        group.cancel_scope.cancel()
    return errors, stopped_by


def lens_seen_problems(problems: Sequence[BenchProblem], trained_on: Collection[str]) -> list[str]:
    """The names of `problems` that the Lens saw in training (a problem is named by its title, else its id)."""
    return sorted({problem.title or problem.task.task_id for problem in problems} & set(trained_on))


def judge_sandbox(test_seconds: float | None = None) -> Sandbox:
    """The sandbox that grades fixed answers on hidden tests, with the engine's test time limit by default."""
    from engine.config import SandboxConfig
    from sandbox.executor import Sandbox
    from sandbox.limits import Limits

    seconds = test_seconds or SandboxConfig().test_seconds
    return Sandbox(Limits(wall_seconds=seconds))


def _code_versions(previous: dict[str, Any], current: str) -> tuple[str, ...]:
    """The code versions of the run so far, this process's (`current`) added unless it ran the last one too."""
    versions = tuple(previous.get("code") or ())
    return versions if versions and versions[-1] == current else (*versions, current)


def _previous_run(out: Path) -> dict[str, Any]:
    try:
        summary: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        return summary
    except (OSError, json.JSONDecodeError):
        return {}


def _resume_mismatch(previous: dict[str, Any], now: dict[str, Any]) -> str:
    """What differs between the run being resumed and this one ("" when nothing does). The dataset is
    compared by file name (the path may differ between sessions), the model only when both are packaged
    ones (a file or a server is recorded under the name it reports); pipeline settings the earlier run
    did not record (added to the engine since) are not compared."""
    from engine.models import PACKAGED_MODELS

    if not previous:
        return ""
    # A run from before --task was solving.
    earlier = {
        key: previous.get(key, "solve" if key == "task" else now[key]) for key in ("dataset", "task", "mode", "model")
    }
    earlier["dataset"] = Path(earlier["dataset"]).name
    if not {earlier["model"], now["model"]} <= PACKAGED_MODELS.keys():
        earlier["model"] = now["model"]
    differences = [f"{key} was {earlier[key]!r}, now {now[key]!r}" for key in earlier if earlier[key] != now[key]]
    before = previous.get("pipeline") or {}
    differences += [
        f"pipeline {key} was {before[key]!r}, now {value!r}"
        for key, value in now["pipeline"].items()
        if key in before and before[key] != value
    ]
    return "; ".join(differences)
