"""`atlas-lsp --lens-collect / --lens-train / --lens-eval`: data, training and honest measurement of C(x).

--lens-collect DATASET --model M --out DIR [--candidates K] [--exclude-ids FILE] [--disable plan]
    records of every candidate of every problem, labelled by the judge (resumable: DIR/records.jsonl)
--lens-train DIR [DIR ...] [--out WEIGHTS_DIR]
    train on those records; weights go to lens/weights/ unless --out says otherwise
--lens-eval DATASET|DIR --out DIR [--lens-weights WEIGHTS_DIR]
    DIR/lens_report.json on problems the weights were not trained on (a dataset is collected first)
--lens-eval RECORDS_DIR --folds K --out DIR
    the same report by K-fold cross-validation by problem: each problem scored by a Lens trained without it
--lens-read RECORDS_DIR DATASET --model M --out DIR [--ids FILE]
    the records of a run made with --record, each candidate now read (embedded) by the model as the Lens
    reads it, into DIR (resumable), so that the Lens can be trained on them and replayed
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from atlas_lsp.commands.bench import BENCH_SETTINGS, judge_sandbox
from atlas_lsp.commands.engine_start import prompt_set_exists, start_engine
from atlas_lsp.settings import Settings
from atlas_lsp.terminal import ProgressBar, innermost

if TYPE_CHECKING:
    import numpy as np

    from atlas_lsp.bench.runner import BenchProblem
    from engine.candidates import Behaviour
    from engine.config import EngineConfig
    from lens.evaluate import MethodScore, Selection, SelectionScores
    from lens.records import LensRecord


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("--lens-collect, --lens-train, --lens-eval")
    group.add_argument(
        "--exclude-ids",
        metavar="FILE",
        help="never collect these problems: ids or titles one per line, or a dataset .jsonl (e.g. the evaluation set)",
    )
    group.add_argument(
        "--lens-weights", metavar="DIR", help="folder of the weights --lens-eval measures (default: lens/weights)"
    )
    group.add_argument(
        "--folds",
        type=int,
        metavar="K",
        help="--lens-eval RECORDS_DIR by K-fold cross-validation by problem instead of the shipped weights; "
        "--replay of read records: the folds its Lens rules are trained on (default 5)",
    )


def run_collect(args: argparse.Namespace) -> int:
    if not args.out:
        print("error: --lens-collect needs --out DIR (where records.jsonl is written)", file=sys.stderr)
        return 2
    return _run(_collect_command, args)


def run_train(args: argparse.Namespace) -> int:
    from lens.records import read_records
    from lens.train import train_lens
    from lens.weights import WEIGHTS_DIR, save_lens

    folders = [Path(folder) for folder in args.lens_train]
    try:
        lens = train_lens(read_records(folders))
    except ValueError as error:  # UnreadableRecords among them
        print(f"error: {error}", file=sys.stderr)
        return 2
    path = save_lens(lens, Path(args.out) if args.out else WEIGHTS_DIR)
    meta = lens.metadata
    print(
        json.dumps(
            {
                "weights": str(path),
                "model": meta.model,
                "training_records": meta.training_records,
                "judges": meta.judges,
                "validation": meta.validation,
            }
        )
    )
    return 0


def run_eval(args: argparse.Namespace) -> int:
    if not args.out:
        print("error: --lens-eval needs --out DIR (where lens_report.json is written)", file=sys.stderr)
        return 2
    return _run(_eval_command, args)


def run_read(args: argparse.Namespace) -> int:
    if not args.out:
        print("error: --lens-read needs --out DIR (where the read records.jsonl is written)", file=sys.stderr)
        return 2
    return _run(_read_command, args)


def _run(command: Callable[[argparse.Namespace], Awaitable[int]], args: argparse.Namespace) -> int:
    from lens.records import UnreadableRecords

    try:
        return anyio.run(command, args)
    except UnreadableRecords as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"\ninterrupted; finished problems are in {args.out}/records.jsonl (run again to continue)", file=sys.stderr
        )
        return 130


async def _collect_command(args: argparse.Namespace) -> int:
    return await _collect(args, args.lens_collect, excluded=set())


def collect_config(args: argparse.Namespace) -> EngineConfig:
    """The engine configuration of a collection: the shared flags' settings, built as the editor's are, then
    the pipeline that writes the candidates the Lens learns from."""
    config = BENCH_SETTINGS.with_flags(args).engine_config()
    # The other stages either write no candidate or shape the features the Lens reads at inference.
    # The engine's candidate count by default: cluster shares are features, and scale with it. Every
    # candidate is written: training sees whole pools, not pools cut where one passed.
    # Without plans a problem costs about a third of the tokens (593 vs 1705 in the MBPP+ ablation).
    pipeline = replace(config.pipeline, lens=False, plan="plan" not in args.disable).recording()
    return replace(config, pipeline=pipeline)


async def _collect(args: argparse.Namespace, dataset: str, excluded: set[str]) -> int:
    from atlas_lsp.bench.collect import CollectSettings, collect, pending_problems
    from atlas_lsp.bench.problems import load_bench, read_names, select_problems
    from engine.runtime.base import RuntimeFailure
    from sandbox.dataset import DatasetError

    unsupported = sorted(set(args.disable) - {"plan"})
    if unsupported:
        print(f"error: --lens-collect can turn off only plan, not {', '.join(unsupported)}", file=sys.stderr)
        return 2
    config = collect_config(args)
    model, prompt_set = config.runtime.model, config.pipeline.prompt_set
    if not prompt_set_exists(prompt_set):
        return 2
    model_sha256 = records_model_sha256(Path(args.out), model, prompt_set)
    if model_sha256 is None:
        return 2
    judge = judge_sandbox(config.sandbox.test_seconds)
    ids = read_names(Path(args.ids)) if args.ids else None
    excluded = excluded | (read_names(Path(args.exclude_ids)) if args.exclude_ids else set())
    try:
        # With exclusions the limit counts the problems left after them, so it is applied below.
        loaded = await load_bench(dataset, judge, ids, None if excluded else args.limit)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    allowed = [p for p in loaded.problems if not ({p.task.task_id, p.title} & excluded)]
    problems = select_problems(allowed, ids, None, None, args.limit)
    if not problems:
        print("error: no problem selected (check --ids, --exclude-ids, --limit)", file=sys.stderr)
        return 2
    settings = CollectSettings(Path(args.out), Path(dataset).name, model_sha256, prompt_set, args.jobs or 1)
    pending = pending_problems(problems, settings)
    print(
        f"{len(pending)} problems to collect ({len(problems) - len(pending)} already recorded, "
        f"{len(loaded.problems) - len(allowed)} excluded)",
        file=sys.stderr,
    )
    if not pending:
        return 0

    engine = await start_engine(config)
    if engine is None:
        return 1
    bar = ProgressBar(f"lens records on {Path(dataset).name}")
    counts = {"problems": 0, "records": 0, "passing": 0, "mixed": 0}

    def on_done(problem: BenchProblem, records: list[LensRecord]) -> None:
        passing = sum(r.label for r in records)
        counts["problems"] += 1
        counts["records"] += len(records)
        counts["passing"] += passing
        counts["mixed"] += 0 < passing < len(records)
        bar.update(counts["problems"], len(pending), f"{problem.task.task_id}: {passing}/{len(records)} pass")

    status = 0
    try:
        await collect(pending, engine, judge, settings, on_done)
    except* RuntimeFailure as failures:
        print(
            f"error: {innermost(failures)}\nThe records so far are kept: the same command goes on from them.",
            file=sys.stderr,
        )
        status = 1
    finally:
        await engine.aclose()
        print(json.dumps({"new": counts, "judge": loaded.judge}))
    return status


async def _read_command(args: argparse.Namespace) -> int:
    """Read the candidates of a recording with the model and prompt set that wrote them, problem by problem;
    labels, behaviours and features are copied as they are (the judge is not run again)."""
    import shutil

    from atlas_lsp.bench.problems import load_bench, read_names
    from atlas_lsp.bench.runner import RESULTS_FILE
    from engine.runtime.base import RuntimeFailure
    from lens.records import append_records, recorded_problems
    from sandbox.dataset import DatasetError

    source, dataset, out = Path(args.lens_read[0]), args.lens_read[1], Path(args.out)
    if source.resolve() == out.resolve():
        print("error: --lens-read writes the read records to another folder: give --out a new one", file=sys.stderr)
        return 2
    records = _recorded(source)
    if not records:
        return 2
    first = records[0]
    if Path(dataset).name != first.dataset:
        print(f"error: {source} holds records of {first.dataset}, not of {Path(dataset).name}", file=sys.stderr)
        return 2
    config = BENCH_SETTINGS.with_flags(args).engine_config()
    # The reading text comes from the prompt set that wrote the candidates, whatever the current default.
    config = replace(config, pipeline=replace(config.pipeline, prompt_set=first.prompt_set, lens=False))
    model_sha256 = records_model_sha256(out, config.runtime.model, first.prompt_set)
    if model_sha256 is None:
        return 2
    if model_sha256 != first.model_sha256:
        print(
            f"error: {source} was recorded by model {first.model!r} with sha256 {first.model_sha256}, and --model "
            f"{config.runtime.model} is sha256 {model_sha256}: read a recording with the model file that wrote it",
            file=sys.stderr,
        )
        return 2
    chosen = read_names(Path(args.ids)) if args.ids else None
    pools: dict[str, list[LensRecord]] = {}
    for record in records:
        if chosen is None or {record.problem_id, record.title} & chosen:
            pools.setdefault(record.problem_id, []).append(record)
    done = {problem_id for _, problem_id in recorded_problems(out)}
    pending = [problem_id for problem_id in pools if problem_id not in done]
    print(f"{len(pending)} problems to read ({len(pools) - len(pending)} already read)", file=sys.stderr)
    if (source / RESULTS_FILE).exists() and not (out / RESULTS_FILE).exists():
        # The replay takes each problem's difficulty and self-test tokens from the run's results beside the records.
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / RESULTS_FILE, out / RESULTS_FILE)
    if not pending:
        return 0
    try:
        loaded = await load_bench(dataset, judge_sandbox(), set(pending), None)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    tasks = {problem.task.task_id: problem.task for problem in loaded.problems}
    missing = [problem_id for problem_id in pending if problem_id not in tasks]
    if missing:
        print(f"error: {dataset} has no problem {', '.join(missing[:5])}: is it the recorded dataset?", file=sys.stderr)
        return 2
    engine = await start_engine(config)
    if engine is None:
        return 1
    bar = ProgressBar(f"reading the candidates of {source}")
    status = 0
    try:
        for count, problem_id in enumerate(pending, start=1):
            pool = pools[problem_id]
            embeddings = await engine.read_codes(tasks[problem_id], [record.code for record in pool])
            append_records(out, [replace(r, embedding=e) for r, e in zip(pool, embeddings, strict=True)])
            bar.update(count, len(pending), problem_id)
    except* RuntimeFailure as failures:
        print(
            f"error: {innermost(failures)}\nThe problems read so far are kept: the same command goes on from them.",
            file=sys.stderr,
        )
        status = 1
    finally:
        await engine.aclose()
    return status


def records_model_sha256(folder: Path, model: str, prompt_set: str) -> str | None:
    """The sha256 of packaged `model`, which tags its records, when `folder` may take records of it with
    `prompt_set`; otherwise None after printing why not."""
    from engine.models import packaged_sha256
    from lens.records import foreign_sources, read_records

    model_sha256 = packaged_sha256(model)
    if model_sha256 is None:
        print(
            "error: Lens records need a packaged model (small, default): its sha256 tags records and weights",
            file=sys.stderr,
        )
        return None
    foreign = foreign_sources(read_records([folder]), model_sha256, prompt_set)
    if foreign:
        print(
            f"error: {folder} holds records of {foreign}; these would be of model sha256 {model_sha256} and "
            f"prompt set {prompt_set!r}, and one folder trains one Lens: record into another folder",
            file=sys.stderr,
        )
        return None
    return model_sha256


async def _eval_command(args: argparse.Namespace) -> int:
    import numpy as np

    from engine.models import PACKAGED_MODELS
    from lens.records import foreign_sources, read_records
    from lens.weights import WEIGHTS_DIR, LensMismatch, load_lens

    source = Path(args.lens_eval)
    if args.folds is not None:
        return _cross_validate(source, args.folds, Path(args.out))
    folder = Path(args.lens_weights) if args.lens_weights else WEIGHTS_DIR
    if source.is_dir():
        records = _recorded(source)
        if not records:
            return 2
        first = records[0]
        model, sha256, dim, prompt_set = first.model, first.model_sha256, first.embedding_dim, first.prompt_set
    else:
        settings = Settings().with_flags(args)
        model, prompt_set = settings.model, settings.prompt_set
        if model not in PACKAGED_MODELS:
            print("error: --lens-eval DATASET needs a packaged model (small, default)", file=sys.stderr)
            return 2
        sha256, dim = PACKAGED_MODELS[model].sha256, PACKAGED_MODELS[model].hidden_size
    try:
        lens = load_lens(model, sha256, dim, prompt_set, folder)
    except LensMismatch as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if lens is None:
        print(f"error: no Lens weights for model {model!r} in {folder} (train them with --lens-train)", file=sys.stderr)
        return 2
    # The validation problems chose the stopping epoch: scoring on them would flatter the Lens.
    trained = set(lens.metadata.training_problems) | set(lens.metadata.validation_problems)
    if not source.is_dir():
        # Problems the weights were fitted on are not collected at all: they could only be excluded later.
        status = await _collect(args, args.lens_eval, excluded=trained)
        if status:
            return status
        records = read_records([Path(args.out)])
    meta = lens.metadata
    foreign = foreign_sources(records, meta.model_sha256, meta.prompt_set)
    if foreign:
        print(
            f"error: records of {foreign}, but the weights in {folder} were trained for model sha256 "
            f"{meta.model_sha256} with prompt set {meta.prompt_set!r}",
            file=sys.stderr,
        )
        return 2
    held_out = [r for r in records if r.split_key not in trained]
    if not held_out:
        print(
            f"error: every problem in {source} was used to train or validate the weights in {folder}: "
            "nothing is left to measure them on (collect other problems, or use --folds K)",
            file=sys.stderr,
        )
        return 2
    energies = lens.energies_of(np.stack([r.input_vector() for r in held_out]))
    header = {
        "method": "weights trained elsewhere, scored on the problems they were neither trained nor validated on",
        "weights": str(folder),
        "model": lens.metadata.model,
        "trained": lens.metadata.trained,
        "records_skipped_as_trained_on": len(records) - len(held_out),
    }
    return _write_report(_report(held_out, energies, header), Path(args.out))


def _cross_validate(source: Path, folds: int, out: Path) -> int:
    from lens.train import cross_validated_energies

    if not source.is_dir():
        print("error: --folds needs a records folder (from --lens-collect), not a dataset", file=sys.stderr)
        return 2
    records = _recorded(source)
    if not records:
        return 2
    try:
        energies = cross_validated_energies(records, folds)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    header = {
        "method": f"{folds}-fold cross-validation by problem over {source}: each problem scored by a Lens "
        "trained and stopped early on other problems only",
        "model": records[0].model,
        "folds": folds,
        "records_skipped_as_trained_on": 0,
    }
    return _write_report(_report(records, energies, header), out)


def _recorded(folder: Path) -> list[LensRecord]:
    """The records in `folder`; none after saying how records are made."""
    from lens.records import RECORDS_FILE, read_records

    records = read_records([folder])
    if not records:
        print(
            f"error: no records in {folder}/{RECORDS_FILE} (make them with --lens-collect or --bench --record DIR)",
            file=sys.stderr,
        )
    return records


def _write_report(report: dict[str, Any], out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    (out / "lens_report.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(
        json.dumps(
            {key: report[key] for key in ("records", "mixed_problems", "escalated_mixed_problems", "auc")}
            | {name: score["accuracy"] for name, score in report["selection"].items()}
        )
    )
    print(f"wrote {out}/lens_report.json")
    return 0


def _report(records: Sequence[LensRecord], energies: np.ndarray, header: dict[str, Any]) -> dict[str, Any]:
    from atlas_lsp.bench.stats import wilson_interval
    from lens.evaluate import evaluate

    result = evaluate(records, energies.tolist(), selection_rules())

    def score(method: MethodScore, with_interval: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {"correct": method.correct, "problems": method.problems, "accuracy": method.accuracy}
        if with_interval:
            interval = wilson_interval(int(method.correct), method.problems)
            entry["ci95"] = [round(interval.low, 4), round(interval.high, 4)]
        return entry

    def selection(scores: SelectionScores) -> dict[str, Any]:
        # random is an expected count (mean share of passing candidates): no interval of the Wilson kind.
        return {name: score(method, with_interval=name != "random") for name, method in scores.methods.items()}

    return {
        **header,
        "records": result.records,
        "problems": result.problems,
        "mixed_problems": result.mixed.problems,
        "escalated_mixed_problems": result.escalated.problems,
        "judges": dict(Counter(record.judge for record in records)),
        "auc": result.auc,
        "pairwise_accuracy": result.pairwise_accuracy,
        "selection": selection(result.mixed),
        "selection_when_escalated": selection(result.escalated),
        "note": (
            "top-1 accuracies count mixed problems only (>= 1 passing and >= 1 failing candidate). "
            "lens: the lowest energy; self_tests_only: the best-supported behaviour cluster on generated inputs; "
            "examples_then_self_tests: the engine's rule without the Lens (most public examples passed, then "
            "the best-supported cluster); examples_then_self_tests_with_lens: the same with Lens energies "
            "ranking equally supported clusters. "
            "selection_when_escalated counts the mixed problems whose greedy candidate fails a public example "
            "(or that have none): the engine's router answers the others with the greedy candidate, so only "
            "there can the Lens change an answer. "
            "public-only labels come from the public examples the engine also sees: weak evidence."
        ),
    }


def selection_rules() -> dict[str, Selection]:
    """The rules the Lens is compared with, by the names the report gives them.

    self_tests_only: the best-supported behaviour cluster on generated inputs, public examples unread.
    examples_then_self_tests: the engine's rule without the Lens (candidates passing the most public
    examples, then the best-supported cluster). examples_then_self_tests_with_lens: the engine's rule
    with the Lens, whose energies rank equally supported clusters.
    """
    from engine.stages.select import choose

    def unexamined(behaviour: Behaviour) -> Behaviour:
        return replace(behaviour, examples_passed=0, examples_total=0)

    return {
        "self_tests_only": lambda behaviours, prefer, _: choose([unexamined(b) for b in behaviours], prefer).index,
        "examples_then_self_tests": lambda behaviours, prefer, _: choose(behaviours, prefer).index,
        "examples_then_self_tests_with_lens": lambda behaviours, prefer, energies: (
            choose(behaviours, prefer, energies).index
        ),
    }
