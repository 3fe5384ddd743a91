"""Summaries, reports and plots of bench runs, all computed from results.jsonl alone."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from atlas_lsp.bench.runner import read_results
from atlas_lsp.bench.stats import mcnemar_exact, wilson_interval

# Assumed for the energy estimate: a 2-core share of a desktop-class machine under load, and the
# electricity price the reference system uses.
ASSUMED_WATTS = 65.0
DOLLARS_PER_KWH = 0.12


@dataclass(frozen=True)
class RunDescription:
    """What describes a run in summary.json (written by --bench); everything else is computed from the rows."""

    dataset: str
    judge: str
    mode: str
    model: str
    backend: str
    label: str
    pipeline: dict[str, Any]
    lens: str
    max_sequences: int
    command: str
    started: str
    selected: int
    lens_records: str = ""
    """The folder this run also recorded Lens training records into ("" for none): reading and labelling
    candidates then adds to the run's CPU time, though not to a problem's seconds or tokens."""
    records: str = ""
    """The folder this run recorded its candidates into for the replay ("" for none); labelling them adds
    to the run's CPU time only."""
    task: str = "solve"
    """"solve" (pass@1 on statements) or "repair" (fixed@1 on buggy functions, grouped by bug kind)."""
    code: tuple[str, ...] = ()
    """The code each process of the run ran (atlas_lsp.bench.code_version), in order: a resumed run adds its
    own when it differs from the last."""


RUN_DESCRIPTION_KEYS = tuple(field.name for field in fields(RunDescription))


def pass_rate(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    passed = sum(1 for row in rows if row["passed"])
    interval = wilson_interval(passed, len(rows))
    return {
        "problems": len(rows),
        "passed": passed,
        "pass_at_1": round(passed / len(rows), 4) if rows else 0.0,
        "ci95": [round(interval.low, 4), round(interval.high, 4)],
    }


def summarize(rows: Sequence[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {
        "difficulty": defaultdict(list),
        "platform": defaultdict(list),
    }
    for row in rows:
        groups["difficulty"][row.get("difficulty") or "unknown"].append(row)
        groups["platform"][row.get("platform") or "unknown"].append(row)
    count = max(len(rows), 1)
    seconds = sum(row["seconds"] for row in rows)
    cpu_seconds = run_cpu_seconds(rows)
    # The machine draws power once however many problems overlap: the run's busy time when every row has spans.
    timed = all("started_at" in row for row in rows) and rows
    wall = busy_seconds(rows) if timed else seconds
    energy_kwh = wall * ASSUMED_WATTS / 3.6e6
    return {
        **meta,
        **pass_rate(rows),
        "public_only_problems": sum(1 for row in rows if row.get("judge") == "public-only"),
        **_examples_then_hidden(rows),
        **_repair_outcomes(rows),
        "by_difficulty": {
            key: pass_rate(groups["difficulty"][key]) for key in sorted(groups["difficulty"], key=difficulty_order)
        },
        "by_platform": {key: pass_rate(value) for key, value in sorted(groups["platform"].items())},
        "tokens_per_problem": round(sum(row["tokens_in"] + row["tokens_out"] for row in rows) / count, 1),
        "tokens_out_per_problem": round(sum(row["tokens_out"] for row in rows) / count, 1),
        "seconds_per_problem": round(seconds / count, 2),
        "tokens_out_per_second": round(sum(row["tokens_out"] for row in rows) / seconds, 2) if seconds else 0.0,
        **_throughput(rows),
        "cpu_seconds": None if cpu_seconds is None else round(cpu_seconds, 1),
        "energy": {
            "kwh": round(energy_kwh, 5),
            "dollars": round(energy_kwh * DOLLARS_PER_KWH, 5),
            "assumed_watts": ASSUMED_WATTS,
            "dollars_per_kwh": DOLLARS_PER_KWH,
            "basis": "busy wall seconds of the run x assumed watts"
            if timed
            else "wall seconds summed over problems x assumed watts",
        },
    }


def _repair_outcomes(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """For repair runs: answers that left the code as it was, that broke the public check the buggy
    code passed, and that pass the public check; and how many ended in each verdict."""
    repairs = [row for row in rows if row.get("task") == "repair"]
    if not repairs:
        return {}
    verdicts: dict[str, int] = defaultdict(int)
    for row in repairs:
        verdicts[row["verdict"]] += 1
    return {
        "unchanged": sum(1 for row in repairs if row["unchanged"]),
        "broke_public": sum(1 for row in repairs if row["broke_public"]),
        "passing_public_check": sum(1 for row in repairs if row["public_after"]),
        "passing_public_check_and_judge": sum(1 for row in repairs if row["public_after"] and row["passed"]),
        "by_verdict": dict(sorted(verdicts.items())),
    }


def _examples_then_hidden(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """How many answers passed every public example the solver saw, and how many of those then passed
    the judge: few of the first means generation is what fails, many of the first but few of the
    second means the examples let wrong answers through."""
    with_examples = [row for row in rows if (row.get("evidence") or {}).get("examples_total")]
    through = [row for row in with_examples if row["evidence"]["examples_passed"] == row["evidence"]["examples_total"]]
    return {
        "answers_with_examples": len(with_examples),
        "answers_passing_examples": len(through),
        "answers_passing_examples_and_judge": sum(1 for row in through if row["passed"]),
        # Problems whose statement shows examples the loader could not read: they ran without them.
        "problems_with_unread_examples": sum(1 for row in rows if row.get("examples_unread")),
    }


def run_cpu_seconds(rows: Sequence[dict[str, Any]]) -> float | None:
    """The process CPU time the run used: per session, the last reading minus the first.

    Rows written before sessions were recorded hold each problem's own `cpu_seconds`, which is the
    process's CPU while it ran: summed, it counts overlapping problems' time more than once, so for
    such rows the total is known only when no two of them overlapped.
    """
    sessions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    older: list[dict[str, Any]] = []
    for row in rows:
        (sessions[row["session"]] if "session" in row else older).append(row)
    total = sum(
        max(r["cpu_at_finish"] for r in group) - min(r["cpu_at_start"] for r in group) for group in sessions.values()
    )
    if older:
        spans = [row for row in older if "started_at" in row]
        if busy_seconds(spans) < sum(row["finished_at"] - row["started_at"] for row in spans) - 1.0:
            return None
        total += sum(row.get("cpu_seconds", 0.0) for row in older)
    return float(total)


def busy_seconds(rows: Sequence[dict[str, Any]]) -> float:
    """Wall time during which at least one problem was being solved: the union of the rows' spans."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted((row["started_at"], row["finished_at"]) for row in rows):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def _throughput(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate output tokens per wall second, over problems solved concurrently (rows without spans are
    from runs before spans were recorded and are left out)."""
    timed = [row for row in rows if "started_at" in row]
    busy = busy_seconds(timed)
    if not busy:
        return {}
    return {
        "busy_seconds": round(busy, 1),
        "aggregate_tokens_out_per_second": round(sum(row["tokens_out"] for row in timed) / busy, 2),
    }


def write_report(run_dir: Path, summary: dict[str, Any]) -> None:
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    repair = summary.get("task") == "repair"
    lines = [
        f"# Bench run: {summary.get('dataset', '?')} "
        f"({'repair, ' if repair else ''}{summary.get('mode', '?')} mode, model {summary.get('model', '?')})",
        "",
        f"{'fixed@1' if repair else 'pass@1'} = **{summary['pass_at_1']:.1%}** ({summary['passed']} of "
        f"{summary['problems']} {'tasks' if repair else 'problems'}), "
        f"95% Wilson interval {summary['ci95'][0]:.1%} .. {summary['ci95'][1]:.1%}.",
        "",
    ]
    if repair:
        verdicts = ", ".join(f"{name} {count}" for name, count in summary["by_verdict"].items())
        lines += [
            f"Answers that leave the code unchanged: {summary['unchanged']}; that break the public check the "
            f"buggy code passed: {summary['broke_public']}; that pass the public check: "
            f"{summary['passing_public_check']} ({summary['passing_public_check_and_judge']} of them also pass "
            f"the hidden check). Verdicts: {verdicts}.",
            "",
        ]
    public_only = summary["public_only_problems"]
    if public_only and public_only == summary["problems"]:
        lines += [
            "**Judged on public tests only**: this dataset has no hidden tests, and the solver saw these "
            "tests. This is not an official LiveCodeBench pass@1 and overstates correctness.",
            "",
        ]
    elif public_only:
        lines += [
            f"**Partly judged on public tests only**: {public_only} of these problems have no hidden tests "
            "and were judged on the public tests the solver saw.",
            "",
        ]
    selected = summary.get("selected")
    if selected is not None and selected != summary["problems"]:
        lines += [
            f"**Unfinished run**: {summary['problems']} of the {selected} selected problems have a result; "
            "continue it with `--resume`.",
            "",
        ]
    lines += ["| group | problems | passed | pass@1 | 95% CI |", "| --- | --- | --- | --- | --- |"]
    groups = (
        (("bug kind", "by_difficulty"),) if repair else (("difficulty", "by_difficulty"), ("platform", "by_platform"))
    )
    for label, key in groups:
        for name, rate in summary[key].items():
            lines.append(
                f"| {label}: {name} | {rate['problems']} | {rate['passed']} | {rate['pass_at_1']:.1%} | "
                f"{rate['ci95'][0]:.1%} .. {rate['ci95'][1]:.1%} |"
            )
    if summary.get("answers_with_examples"):
        examples = (
            f"Public examples: {summary['answers_passing_examples']} of the {summary['answers_with_examples']} "
            "answers checked on them passed them all"
        )
        # A judge of the public tests only would merely repeat that count.
        if public_only != summary["problems"]:
            examples += f"; {summary['answers_passing_examples_and_judge']} of those also passed the judge"
        lines += ["", examples + "."]
    if summary.get("problems_with_unread_examples"):
        lines += [
            "",
            f"{summary['problems_with_unread_examples']} problems show examples that could not be read as "
            "tests (keyword arguments, an expected value that is a call, an unreadable public_test_cases field): "
            "they ran without them.",
        ]
    energy = summary["energy"]
    lines += [
        "",
        f"Cost: {summary['tokens_per_problem']} tokens and {summary['seconds_per_problem']} s per problem; "
        f"{_cpu_text(summary['cpu_seconds'])}; about {energy['kwh']} kWh (${energy['dollars']}) at an assumed "
        f"{energy['assumed_watts']} W and ${energy['dollars_per_kwh']}/kWh."
        + (
            f" The run also recorded Lens records into {summary['lens_records']}, which the CPU time includes."
            if summary.get("lens_records")
            else ""
        )
        + (
            f" The run also recorded its candidates into {summary['records']} (labelling them is in the CPU time)."
            if summary.get("records")
            else ""
        ),
        "",
        f"Command: `{summary.get('command', '')}`",
        "",
        f"Model {summary.get('model', '?')}, served by {summary.get('backend', 'an unrecorded backend')}.",
        "",
        f"Code: {'; then '.join(summary.get('code') or ['not recorded (a run before the bench recorded it)'])}.",
        "",
        "![pass@1 by difficulty](pass_at_1.png)",
        "",
    ]
    (run_dir / "report.md").write_text("\n".join(lines), encoding="utf-8")
    plot_runs([(summary.get("label") or run_dir.name, summary)], run_dir / "pass_at_1.png")


def _cpu_text(cpu_seconds: float | None) -> str:
    if cpu_seconds is None:
        return "CPU time unknown (problems overlapped before per-session CPU accounting)"
    return f"{cpu_seconds} CPU seconds in all"


def plot_runs(runs: Iterable[tuple[str, dict[str, Any]]], path: Path) -> bool:
    """Bar chart of pass@1 by difficulty with 95% intervals, one bar group per run."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    runs = list(runs)
    groups = sorted({key for _, summary in runs for key in summary["by_difficulty"]} | {"all"}, key=difficulty_order)
    width = 0.8 / len(runs)
    figure, axes = plt.subplots(figsize=(7, 4))
    for offset, (label, summary) in enumerate(runs):
        rates = [summary if group == "all" else summary["by_difficulty"].get(group) for group in groups]
        xs = [i + offset * width for i in range(len(groups))]
        values = [r["pass_at_1"] if r else 0.0 for r in rates]
        errors = [
            [r["pass_at_1"] - r["ci95"][0] if r else 0.0 for r in rates],
            [r["ci95"][1] - r["pass_at_1"] if r else 0.0 for r in rates],
        ]
        axes.bar(xs, values, width, yerr=errors, capsize=3, label=f"{label} (n={summary['problems']})")
    axes.set_xticks([i + width * (len(runs) - 1) / 2 for i in range(len(groups))], groups)
    axes.set_ylabel("pass@1 (95% Wilson CI)")
    axes.set_ylim(0, 1)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def difficulty_order(name: str) -> tuple[int, str]:
    order = {"easy": 0, "medium": 1, "hard": 2, "all": 9}
    return (order.get(name, 5), name)


def compare_runs(run_dirs: Sequence[Path], out: Path) -> str:
    """Markdown comparison of runs with an exact McNemar test against the first run, whose problems
    are the shared ones."""
    runs = [(_run_label(path), read_results(path)) for path in run_dirs]
    summaries = [(name, summarize(rows, {})) for name, rows in runs]
    base = {row["question_id"]: bool(row["passed"]) for row in runs[0][1]}
    lines = [
        "| run | problems | pass@1 | 95% CI | pass@1 on the first run's problems | tokens/problem | s/problem "
        "| tokens out/s per problem | tokens out/s of the run | vs first: shared, only first, only this, p |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (name, rows), (_, summary) in zip(runs, summaries, strict=True):
        other = {row["question_id"]: bool(row["passed"]) for row in rows}
        test = mcnemar_exact(base, other)
        shared_passed = sum(other[key] for key in other.keys() & base.keys())
        lines.append(
            f"| {name} | {summary['problems']} | {summary['pass_at_1']:.1%} | {summary['ci95'][0]:.1%} .. "
            f"{summary['ci95'][1]:.1%} | {shared_passed}/{test.shared} | {summary['tokens_per_problem']:.0f} "
            f"| {summary['seconds_per_problem']:.1f} | {summary['tokens_out_per_second']:.1f} "
            f"| {summary.get('aggregate_tokens_out_per_second', '-')} "
            f"| {test.shared}, {test.only_first}, {test.only_second}, p={test.p_value:.3f} |"
        )
    out.mkdir(parents=True, exist_ok=True)
    plot_runs(summaries, out / "comparison.png")
    text = "\n".join(lines) + "\n"
    (out / "comparison.md").write_text(text, encoding="utf-8")
    return text


def _run_label(run_dir: Path) -> str:
    """The run's --label as its summary.json states it, else its folder's name."""
    try:
        return json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))["label"] or run_dir.name
    except (OSError, json.JSONDecodeError, KeyError, TypeError):
        return run_dir.name
