"""Editors and benches sharing one OpenAI-compatible server, the server restarted mid-run, and cancel.

Three parts, one after the other, against `python -m llama_cpp.server` on a packaged model (started as
benchmarks/llama_server.py starts it):

1. **sharing**: E editor sessions (`atlas-lsp` over stdio, driven as benchmarks/editor_latency.py drives
   it: Solve and Repair on its fixtures) and B bench processes (`atlas-lsp --bench`, single mode, each
   on its own slice of the MBPP+ stubs), all at once, all pointed at the one server.
2. **restart**: a bench of R problems and an editor's Solve run while the server is stopped (once the
   bench has written its first row) and started again on the same port. Each job either rides it out
   (the client retries a request the server did not start on) or ends with a message; the bench is then
   resumed with `--resume` until it exits 0, and its rows must hold every problem exactly once.
3. **cancel**: a long streamed generation cancelled after a few tokens, through the project's client
   (`OpenAIRuntime`) and through an editor's progress cancel. llama-cpp-python's server serves one
   request at a time, so a one-token probe sent right after the cancel waits for whatever the server
   still generates: its wait beyond an idle probe's, at the server's decode rate, is the tokens
   generated after the cancel. A control sends the probe beside a generation that is not cancelled.

Reports per part: jobs, completions (edits applied, rows written), errors by kind, p50/p90 seconds (an
editor job from executeCommand to its edit or its end; a bench problem as its row records), and the
cancel figures.

    python benchmarks/server_load.py --model small [--editors 2] [--benches 2] [--problems 4] [--out DIR]

writes DIR/server_load-<model>.json and .md (DIR defaults to benchmarks/results).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gzip
import json
import os
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Run as a script, this folder is on sys.path: the editor benchmark's client and the server starter are
# shared rather than copied.
from editor_latency import (
    EditorClient,
    Fixture,
    JobRecord,
    git,
    load_fixtures,
    machine_load,
    percentile,
    run_fixture,
    sample_cpu,
)
from editor_latency import server_command as atlas_command
from llama_server import free_port, server_command, start_server, stop_server, wait_until_answering

from engine.config import RuntimeConfig
from engine.models import resolve_model_file
from engine.runtime.base import Message, RuntimeFailure, SamplingParams
from engine.runtime.openai_http import OpenAIRuntime

REPOSITORY = Path(__file__).resolve().parent.parent
STUBS = REPOSITORY / "benchmarks" / "data" / "mbpp_plus_stubs.jsonl.gz"
RESULTS = REPOSITORY / "benchmarks" / "results"
CONTEXT_TOKENS = 4096
"""Room for an editor's Repair prompt with its test file and the engine's 1024-token answers."""
RESTART_GAP_SECONDS = 3.0
"""How long the server stays down: longer than the client's retries (0.5 s, then 1 s) ride out."""
PROBE = [Message("user", "Reply with the word ok.")]
ESSAY = [Message("user", "Write a long essay about the history of computing, in detail.")]
ESSAY_TOKENS = 400
CANCEL_AFTER_TOKENS = 16
CANCEL_REPEATS = 3
EDITOR_JOB_SECONDS = 900.0
EDITOR_CANCEL_SECONDS = 2.0
BENCH_RUN_SECONDS = 1800.0
FAILED_JOB_ENDS = frozenset({"Failed", "The model cannot be used", "No usable answer", "Cancelled"})
"""Progress end messages of a job that failed (atlas_lsp/features/commands.py); any other end without an
edit is the job's answer ("Nothing to change")."""
Log = Callable[[str], None]


# ---------------------------------------------------------------- jobs


@dataclass
class JobResult:
    """One editor session or bench process of a part."""

    kind: str
    """"editor" or "bench"."""
    name: str
    completions: int = 0
    """Edits applied (editor) or result rows written (bench)."""
    seconds: list[float] = field(default_factory=list)
    """Per action (editor) or per problem (bench)."""
    errors: list[str] = field(default_factory=list)
    """The message each failed action or run ended with, as the user read it."""
    no_edit: list[str] = field(default_factory=list)
    """The end message of each editor action that ended as it should without an edit ("Nothing to change")."""
    hung: int = 0
    """Actions that did not end within EDITOR_JOB_SECONDS (cancelled then), or bench runs within
    BENCH_RUN_SECONDS (killed then)."""
    runs: int = 0
    """Bench processes started (the first run and each --resume)."""
    exit_codes: list[int] = field(default_factory=list)
    rows_per_problem: dict[str, int] = field(default_factory=dict)


def stub_ids(count: int, skip: int) -> list[str]:
    with gzip.open(STUBS, "rt", encoding="utf-8") as rows:
        ids = [json.loads(line)["task_id"] for line in rows if line.strip()]
    if skip + count > len(ids):
        raise ValueError(f"{STUBS.name} has {len(ids)} problems, fewer than the {skip + count} asked for")
    return ids[skip : skip + count]


async def run_editor(
    name: str, url: str, fixtures: Sequence[Fixture], root: Path, timeout: float, log: Log
) -> JobResult:
    result = JobResult("editor", name)
    folder = root / name
    folder.mkdir(mode=0o755)
    client = EditorClient({"model": url})
    await client.start(atlas_command(), folder)
    try:
        for fixture in fixtures:
            record = await run_fixture(client, fixture, folder, timeout)
            _count_action(result, record)
            outcome = "edited" if record.edited else "no edit"
            log(f"{name} {fixture.action} {fixture.id}: {record.seconds} s, {outcome}; {record.end_message}")
    finally:
        await client.close()
    return result


def _count_action(result: JobResult, record: JobRecord) -> None:
    if record.seconds is not None:
        result.seconds.append(record.seconds)
    if record.timed_out:
        result.hung += 1
    if record.edited:
        result.completions += 1
    elif record.timed_out or record.end_message in FAILED_JOB_ENDS or not record.end_message:
        # The progress end says only that it failed; the message shown beside it says why.
        result.errors.append("; ".join(record.shown) or record.end_message or "no edit and no message")
    else:
        result.no_edit.append(record.end_message)


async def run_bench(name: str, url: str, ids: Sequence[str], folder: Path, log: Log) -> JobResult:
    """A bench on `ids`, resumed after each failed run (at most three runs), as its message tells a user."""
    result = JobResult("bench", name)
    folder.mkdir(mode=0o755)
    ids_file = folder / "ids.txt"
    ids_file.write_text("".join(f"{problem}\n" for problem in ids))
    out = folder / "out"
    while result.runs < 3:
        if result.runs:
            # As a user would: rerun once the server answers again.
            await asyncio.to_thread(wait_until_answering, url)
        command = [
            *atlas_command(), "--bench", str(STUBS), "--mode", "single", "--model", url,
            "--ids", str(ids_file), "--out", str(out),
            *(["--resume"] if result.runs else []),
        ]  # fmt: skip
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, cwd=folder
        )
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), BENCH_RUN_SECONDS)
        except TimeoutError:
            process.kill()
            _, stderr = await process.communicate()
            result.hung += 1
        result.runs += 1
        code = process.returncode if process.returncode is not None else -1
        result.exit_codes.append(code)
        if code == 0:
            break
        message = [line for line in stderr.decode(errors="replace").splitlines() if line.startswith("error:")]
        result.errors.append(message[0] if message else f"exit {code} with no error line")
        log(f"{name}: run {result.runs} exited {code}: {result.errors[-1]}")
    rows = _rows(out / "results.jsonl")
    result.completions = len(rows)
    result.seconds = [float(row["seconds"]) for row in rows if row.get("seconds") is not None]
    result.rows_per_problem = dict(collections.Counter(str(row["question_id"]) for row in rows))
    log(f"{name}: {len(rows)} rows after {result.runs} run(s), exits {result.exit_codes}")
    return result


def _rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# ---------------------------------------------------------------- the parts


@dataclass(frozen=True)
class Setup:
    model_file: Path
    threads: int
    editors: int
    benches: int
    problems: int
    actions: int


def _server(setup: Setup, port: int) -> list[str]:
    return server_command(setup.model_file, port, setup.threads, CONTEXT_TOKENS)


def _editor_fixtures(fixtures: Sequence[Fixture], editor: int, actions: int) -> list[Fixture]:
    """Editor `editor`'s actions: Solve and Repair fixtures in turn, each editor its own."""
    solves = [f for f in fixtures if f.action == "solve"]
    repairs = [f for f in fixtures if f.action == "repair"]
    mixed = [f for pair in zip(solves, repairs, strict=False) for f in pair]
    start = editor * actions
    return mixed[start : start + actions]


async def sharing_part(setup: Setup, url: str, root: Path, log: Log) -> list[JobResult]:
    fixtures = load_fixtures()
    jobs = [
        run_editor(f"editor-{n}", url, _editor_fixtures(fixtures, n, setup.actions), root, EDITOR_JOB_SECONDS, log)
        for n in range(setup.editors)
    ] + [
        run_bench(f"bench-{n}", url, stub_ids(setup.problems, n * setup.problems), root / f"bench-{n}", log)
        for n in range(setup.benches)
    ]
    return list(await asyncio.gather(*jobs))


async def restart_part(setup: Setup, port: int, root: Path, server_log: Path, log: Log) -> dict[str, Any]:
    """The server stopped once the bench wrote a row, started again RESTART_GAP_SECONDS later."""
    url = f"http://127.0.0.1:{port}"
    server = await asyncio.to_thread(start_server, _server(setup, port), url, server_log)
    ids = stub_ids(setup.problems, setup.benches * setup.problems)
    bench = asyncio.create_task(run_bench("bench-restarted", url, ids, root / "bench-restarted", log))
    rows = root / "bench-restarted" / "out" / "results.jsonl"
    try:
        while not rows.exists() or not rows.read_text().strip():
            if bench.done():
                raise RuntimeError("the bench ended before the server was stopped: nothing to measure")
            await asyncio.sleep(0.2)
        solve = [f for f in load_fixtures() if f.action == "solve"][-1:]
        editor = asyncio.create_task(run_editor("editor-restarted", url, solve, root, EDITOR_JOB_SECONDS, log))
        await asyncio.sleep(2.0)  # the editor's job under way
        await asyncio.to_thread(stop_server, server)
        stopped = time.monotonic()
        log(f"server stopped; starting it again in {RESTART_GAP_SECONDS:g} s")
        await asyncio.sleep(RESTART_GAP_SECONDS)
        server = await asyncio.to_thread(start_server, _server(setup, port), url, server_log)
        down_seconds = time.monotonic() - stopped
        log(f"server answering again after {down_seconds:.1f} s")
        jobs = list(await asyncio.gather(bench, editor))
    finally:
        await asyncio.to_thread(stop_server, server)
    restarted = jobs[0]
    return {
        "down_seconds": round(down_seconds, 1),
        "jobs": jobs,
        "problems": len(ids),
        "every_problem_once": sorted(restarted.rows_per_problem) == sorted(ids)
        and set(restarted.rows_per_problem.values()) == {1},
    }


@dataclass(frozen=True)
class CancelMeasure:
    way: str
    """"runtime" (the client's request cancelled), "editor" (the job's progress cancelled) or "control"
    (the probe sent beside a generation left running)."""
    tokens_before_cancel: int | None
    """Streamed tokens the client had read (None through the editor, which does not see them)."""
    probe_seconds: float
    busy_seconds: float
    """The probe's wait beyond the median probe after an answer that ran to its end."""
    tokens_after_cancel: float
    """busy_seconds at the server's decode rate."""


async def cancel_part(url: str, root: Path, log: Log) -> dict[str, Any]:
    runtime = await OpenAIRuntime.open(RuntimeConfig(model=url))
    try:
        idle_probe = statistics.median([await _probe_after_an_answer(runtime) for _ in range(CANCEL_REPEATS)])
        started = time.monotonic()
        essay = await runtime.generate(ESSAY, SamplingParams(max_tokens=ESSAY_TOKENS, temperature=0.0))
        decode_rate = essay.completion_tokens / (time.monotonic() - started)
        log(f"idle probe {idle_probe:.2f} s; essay {essay.completion_tokens} tokens at {decode_rate:.1f} tokens/s")
        measures = []
        for _ in range(CANCEL_REPEATS):
            measures.append(await _cancelled_by_client(runtime, idle_probe, decode_rate))
            measures.append(await _control(runtime, idle_probe, decode_rate))
        for fixture in [f for f in load_fixtures() if f.action == "solve"][:CANCEL_REPEATS]:
            measure = await _cancelled_in_editor(fixture, url, root, runtime, idle_probe, decode_rate)
            if measure is None:
                log(f"cancel editor: {fixture.id} ended within {EDITOR_CANCEL_SECONDS:g} s, nothing to cancel")
            else:
                measures.append(measure)
        for measure in measures:
            log(f"cancel {measure.way}: probe {measure.probe_seconds} s, ~{measure.tokens_after_cancel} tokens after")
    finally:
        await runtime.aclose()
    return {
        "idle_probe_seconds": round(idle_probe, 2),
        "decode_tokens_per_second": round(decode_rate, 1),
        "measures": measures,
    }


async def _probe_after_an_answer(runtime: OpenAIRuntime) -> float:
    """A probe right after a short answer that ran to its end: what a probe costs after a cancel that
    stopped the server at once (it then holds the essay's prompt, not the probe's)."""
    await runtime.generate(ESSAY, SamplingParams(max_tokens=CANCEL_AFTER_TOKENS, temperature=0.0))
    return await _probe(runtime)


async def _probe(runtime: OpenAIRuntime) -> float:
    started = time.monotonic()
    await runtime.generate(PROBE, SamplingParams(max_tokens=1, temperature=0.0))
    return time.monotonic() - started


def _measure(way: str, before: int | None, probe: float, idle_probe: float, decode_rate: float) -> CancelMeasure:
    busy = max(0.0, probe - idle_probe)
    return CancelMeasure(way, before, round(probe, 2), round(busy, 2), round(busy * decode_rate, 1))


async def _essay_until(runtime: OpenAIRuntime, tokens: asyncio.Event, seen: list[int]) -> None:
    def on_token(index: int, text: str) -> None:
        seen.append(index)
        if len(seen) >= CANCEL_AFTER_TOKENS:
            tokens.set()

    await runtime.generate(ESSAY, SamplingParams(max_tokens=ESSAY_TOKENS, temperature=0.8), on_token)


async def _cancelled_by_client(runtime: OpenAIRuntime, idle_probe: float, decode_rate: float) -> CancelMeasure:
    enough, seen = asyncio.Event(), []
    generation = asyncio.create_task(_essay_until(runtime, enough, seen))
    await enough.wait()
    generation.cancel()
    await asyncio.gather(generation, return_exceptions=True)
    return _measure("runtime", len(seen), await _probe(runtime), idle_probe, decode_rate)


async def _control(runtime: OpenAIRuntime, idle_probe: float, decode_rate: float) -> CancelMeasure:
    enough, seen = asyncio.Event(), []
    generation = asyncio.create_task(_essay_until(runtime, enough, seen))
    await enough.wait()
    probe = await _probe(runtime)
    await generation
    return _measure("control", CANCEL_AFTER_TOKENS, probe, idle_probe, decode_rate)


async def _cancelled_in_editor(
    fixture: Fixture, url: str, root: Path, runtime: OpenAIRuntime, idle_probe: float, decode_rate: float
) -> CancelMeasure | None:
    """A Solve cancelled from the editor EDITOR_CANCEL_SECONDS into its job; None if it ended before."""
    folder = root / f"cancel-{fixture.id}"
    (folder / "warm").mkdir(mode=0o755, parents=True)
    (folder / "cancelled").mkdir(mode=0o755)
    client = EditorClient({"model": url})
    await client.start(atlas_command(), folder)
    try:
        # The same Solve once to its end first: the cancel then lands while the model writes, not while
        # the engine opens.
        await run_fixture(client, fixture, folder / "warm", EDITOR_JOB_SECONDS)
        record = await run_fixture(client, fixture, folder / "cancelled", EDITOR_CANCEL_SECONDS)
        probe = await _probe(runtime)
    finally:
        await client.close()
    if not record.timed_out:
        return None
    return _measure("editor", None, probe, idle_probe, decode_rate)


# ---------------------------------------------------------------- the report


def summary_of(jobs: Sequence[JobResult]) -> dict[str, Any]:
    by_kind: dict[str, Any] = {}
    for kind in ("editor", "bench"):
        of_kind = [job for job in jobs if job.kind == kind]
        seconds = [s for job in of_kind for s in job.seconds]
        by_kind[kind] = {
            "jobs": len(of_kind),
            "completions": sum(job.completions for job in of_kind),
            "no_edit": sum(len(job.no_edit) for job in of_kind),
            "errors": dict(collections.Counter(error_kind(e) for job in of_kind for e in job.errors)),
            "hung": sum(job.hung for job in of_kind),
            "p50_seconds": round(percentile(seconds, 0.5), 1) if seconds else None,
            "p90_seconds": round(percentile(seconds, 0.9), 1) if seconds else None,
        }
    return by_kind


ERROR_KINDS = (
    ("could not connect", "server unreachable"),
    ("broke during", "connection broken mid-request"),
    ("closed its stream mid-generation", "connection broken mid-request"),
    ("failed mid-generation", "server error"),
    ("did not finish", "timeout"),
    ("cancel", "cancelled"),
)
"""Phrases of the HTTP backend's messages (engine/runtime/openai_http.py), each with the kind it names."""


def error_kind(message: str) -> str:
    """The kind of failure a message names, for counting (the messages themselves are in the report)."""
    lowered = message.lower()
    return next((kind for phrase, kind in ERROR_KINDS if phrase in lowered), "other")


def report_of(
    setup: Setup,
    command: str,
    started: datetime,
    sharing: list[JobResult],
    restart: dict[str, Any],
    cancel: dict[str, Any],
    load: dict[str, Any],
) -> dict[str, Any]:
    measures = cancel["measures"]
    return {
        "benchmark": "server_load",
        "command": command,
        "commit": git("rev-parse", "--short", "HEAD"),
        "started": started.isoformat(timespec="seconds"),
        "model_file": setup.model_file.name,
        "server": {"threads": setup.threads, "n_ctx": CONTEXT_TOKENS, "served_by": "llama_cpp.server"},
        "machine": load,
        "sharing": {
            "editors": setup.editors,
            "actions_per_editor": setup.actions,
            "benches": setup.benches,
            "problems_per_bench": setup.problems,
            "summary": summary_of(sharing),
            "jobs": [asdict(job) for job in sharing],
        },
        "restart": {
            "down_seconds": restart["down_seconds"],
            "problems": restart["problems"],
            "every_problem_once": restart["every_problem_once"],
            "summary": summary_of(restart["jobs"]),
            "jobs": [asdict(job) for job in restart["jobs"]],
        },
        "cancel": {
            "idle_probe_seconds": cancel["idle_probe_seconds"],
            "decode_tokens_per_second": cancel["decode_tokens_per_second"],
            "median_tokens_after_cancel": {
                way: _median([m.tokens_after_cancel for m in measures if m.way == way])
                for way in ("runtime", "editor", "control")
            },
            "measures": [asdict(measure) for measure in measures],
        },
    }


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def markdown_of(report: dict[str, Any]) -> str:
    sharing, restart, cancel = report["sharing"], report["restart"], report["cancel"]
    machine = report["machine"]
    lines = [
        f"# Server load: {report['model_file']} on llama_cpp.server ({report['started']}, commit {report['commit']})",
        "",
        f"    {report['command']}",
        "",
        f"Machine: 1-minute load average {machine['load_average_at_start'][0]:.2f} at the start (this benchmark "
        f"alone from then on: other processes used {machine['other_load_cores']} cores on average).",
        "",
        "| part | kind | jobs | completions | answered without an edit | errors by kind | hung | p50 s | p90 s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for part, data in (("sharing", sharing), ("restart", restart)):
        for kind, figures in data["summary"].items():
            errors = ", ".join(f"{name} {count}" for name, count in figures["errors"].items()) or "none"
            lines.append(
                f"| {part} | {kind} | {figures['jobs']} | {figures['completions']} | {figures['no_edit']} | {errors} "
                f"| {figures['hung']} "
                f"| {_cell(figures['p50_seconds'])} | {_cell(figures['p90_seconds'])} |"
            )
    lines += [
        "",
        f"Sharing: {sharing['editors']} editors ({sharing['actions_per_editor']} actions each) and "
        f"{sharing['benches']} benches ({sharing['problems_per_bench']} problems each) at once.",
        "",
        f"Restart: the server was down {restart['down_seconds']} s while a bench of {restart['problems']} problems "
        f"and an editor's Solve ran. Every problem exactly once in the resumed bench's rows: "
        f"{'yes' if restart['every_problem_once'] else 'NO'}.",
        "",
        "Messages the jobs ended with:",
        "",
    ]
    messages = collections.Counter(
        error for data in (sharing, restart) for job in data["jobs"] for error in job["errors"]
    )
    lines += [f"- {count}x `{message}`" for message, count in messages.items()] or ["- none"]
    medians = cancel["median_tokens_after_cancel"]
    lines += [
        "",
        f"Cancel: a one-token probe right after an answer that ran to its end takes "
        f"{cancel['idle_probe_seconds']} s; the server decodes "
        f"{cancel['decode_tokens_per_second']} tokens/s. Median tokens generated after the cancel: "
        f"{_cell(medians['runtime'])} (the client's request cancelled), {_cell(medians['editor'])} (the "
        f"editor's progress cancelled); control (nothing cancelled, the probe waits for the rest of a "
        f"{ESSAY_TOKENS}-token answer): {_cell(medians['control'])}.",
        "",
        "| way | tokens read before | probe s | busy s | tokens after cancel |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {m['way']} | {_cell(m['tokens_before_cancel'])} | {m['probe_seconds']} | {m['busy_seconds']} "
        f"| {m['tokens_after_cancel']} |"
        for m in cancel["measures"]
    ]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


# ---------------------------------------------------------------- main


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--model", choices=("small", "default"), default="small")
    parser.add_argument("--editors", type=int, default=2, help="editor sessions sharing the server")
    parser.add_argument("--actions", type=int, default=4, help="Solve and Repair actions per editor")
    parser.add_argument("--benches", type=int, default=2, help="bench processes sharing the server")
    parser.add_argument("--problems", type=int, default=4, help="problems per bench")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="the server's --n_threads")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for server_load-<model>.json/.md")
    arguments = parser.parse_args(argv)
    if min(arguments.editors, arguments.actions, arguments.benches, arguments.problems) < 1:
        parser.error("--editors, --actions, --benches and --problems must each be at least 1")
    return arguments


async def run_parts(setup: Setup, root: Path, log: Log) -> tuple[list[JobResult], dict[str, Any], dict[str, Any]]:
    server_log = root / "server.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = await asyncio.to_thread(start_server, _server(setup, port), url, server_log)
    try:
        log(f"sharing: {setup.editors} editors, {setup.benches} benches on {url}")
        sharing = await sharing_part(setup, url, root / "sharing", log)
    finally:
        await asyncio.to_thread(stop_server, server)
    log("restart")
    restart = await restart_part(setup, port, root / "restart", server_log, log)
    server = await asyncio.to_thread(start_server, _server(setup, port), url, server_log)
    try:
        log("cancel")
        cancel = await cancel_part(url, root / "cancel", log)
    finally:
        await asyncio.to_thread(stop_server, server)
    return sharing, restart, cancel


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    command = shlex.join(["python", *sys.argv]) if argv is None else shlex.join(["python", __file__, *argv])
    setup = Setup(
        resolve_model_file(arguments.model),
        arguments.threads,
        arguments.editors,
        arguments.benches,
        arguments.problems,
        arguments.actions,
    )
    root = Path(tempfile.gettempdir()) / f"atlas-server-load-{arguments.model}"
    shutil.rmtree(root, ignore_errors=True)
    for part in ("sharing", "restart", "cancel"):
        (root / part).mkdir(mode=0o755, parents=True)
    root.chmod(0o755)
    started = datetime.now(UTC)
    load_at_start, cpu_at_start = os.getloadavg(), sample_cpu()
    try:
        sharing, restart, cancel = asyncio.run(run_parts(setup, root, lambda line: print(line, flush=True)))
    except (RuntimeFailure, RuntimeError, ValueError) as error:
        print(f"error: {error}\nThe server's log: {root / 'server.log'}", file=sys.stderr)
        return 1
    report = report_of(setup, command, started, sharing, restart, cancel, machine_load(load_at_start, cpu_at_start))
    arguments.out.mkdir(parents=True, exist_ok=True)
    stem = arguments.out / f"server_load-{arguments.model}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    stem.with_suffix(".md").write_text(markdown_of(report))
    print(f"wrote {stem}.json and {stem}.md")
    return 0 if restart["every_problem_once"] else 1


if __name__ == "__main__":
    sys.exit(main())
