"""Prompt-lookup speculation on an OpenAI-compatible server: what it buys the direct fix's rewrites.

A direct fix mostly copies the buggy function from its prompt, which is what prompt-lookup (n-gram)
speculative decoding guesses well: the draft is the text that followed the first earlier occurrence
of the context's last one or two tokens, and one batched decode checks the whole draft. llama-cpp-python's server
offers it (`--draft_model prompt-lookup-decoding`, any non-None value selects LlamaPromptLookupDecoding).

The benchmark starts `python -m llama_cpp.server` on the model file twice, one after the other (never
both at once): plain, then with prompt-lookup decoding; the flags are those of the project's HTTP
backend tests (tests/runtime/test_openai_http.py). Each server gets one untimed warm-up request, then
the same repair prompts one at a time through the project's client (`OpenAIRuntime`, streamed chat
completions). The prompts are the engine's greedy direct fix with nothing run (`Engine.rewrite`, the
repair benchmark's single mode): the first N tasks of benchmarks/data/mbpp_plus_fix.jsonl.gz as the
editor sees them (`RepairTask.editor_view`), the prompt set's `repair.unchecked` message after its
system message, its stop strings, temperature 0.

Per prompt: seconds from sending the request to the end of the stream (prefill included, as a user
waits), seconds to the first streamed text, completion tokens, tokens/s. Per configuration: medians
and p90s. Between them: the median of the per-prompt speedups (plain seconds / speculative seconds)
and whether each greedy output is the same text (speculation must not change it).

    python benchmarks/server_speculation.py --model small [--tasks 20] [--pred-tokens 10] [--out DIR]

writes DIR/server_speculation-<model>.json and .md (DIR defaults to benchmarks/results).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

# Run as a script, this folder is on sys.path: the editor-latency benchmark's summary and load helpers
# are shared rather than copied.
from editor_latency import git, machine_load, other_load, percentile, sample_cpu
from llama_cpp import Llama
from llama_server import free_port, running_server, server_command

from atlas_lsp.bench.repair_tasks import load_repair_tasks
from engine.candidates import statement_of
from engine.config import PipelineConfig, RuntimeConfig
from engine.models import resolve_model_file
from engine.prompts import DEFAULT_PROMPT_SET, load_prompt_set
from engine.runtime.base import Message, RuntimeFailure, SamplingParams
from engine.runtime.openai_http import OpenAIRuntime
from engine.stages import DIRECT_FIX

REPOSITORY = Path(__file__).resolve().parent.parent
DATA = REPOSITORY / "benchmarks" / "data" / "mbpp_plus_fix.jsonl.gz"
RESULTS = REPOSITORY / "benchmarks" / "results"
PROMPT_KEY = "repair.unchecked"
"""The engine's direct fix when nothing was run: a rewrite from the code and the problem alone."""
CONTEXT_TOKENS = 2048
"""As the HTTP backend's tests run the server; a direct-fix prompt and its 512-token cap fit."""
PROMPT_LOOKUP = "prompt-lookup-decoding"
WARMUP = [Message("user", "Reply with the word ok.")]
"""Pages the weights in before timing; unlike a repair prompt it leaves no long prefix in the KV cache
that the first timed prompt would reuse."""
WARMUP_TOKENS = 4

Log = Callable[[str], None]


# ---------------------------------------------------------------- prompts


@dataclass(frozen=True)
class RepairPrompt:
    task_id: str
    messages: tuple[Message, ...]
    params: SamplingParams


def repair_prompts(path: Path, count: int, max_tokens: int, prompt_set_name: str) -> list[RepairPrompt]:
    """The first `count` tasks' direct-fix requests, rendered as `Engine.rewrite` renders them
    (engine/stages/repair.py `direct_fixes`, engine/calls.py `TaskCalls.ask`)."""
    loaded = load_repair_tasks(path, limit=count)
    if loaded.row_errors:
        raise SystemExit(f"{path}: rows that cannot become tasks: {'; '.join(map(str, loaded.row_errors))}")
    if len(loaded.problems) < count:
        raise SystemExit(f"{path} holds {len(loaded.problems)} tasks, fewer than the {count} asked for")
    prompt_set = load_prompt_set(prompt_set_name)
    greedy = DIRECT_FIX.params(PipelineConfig().seed, max_tokens)
    params = replace(greedy, stop=(*greedy.stop, *prompt_set.stops(PROMPT_KEY, "call")))
    prompts = []
    for problem in loaded.problems:
        task, program = problem.task.editor_view()
        user = prompt_set.user_message(PROMPT_KEY, statement_of(prompt_set, task), code=program)
        messages = (Message("system", prompt_set.system), Message("user", user))
        prompts.append(RepairPrompt(problem.task.task_id, messages, params))
    return prompts


# ---------------------------------------------------------------- measuring


@dataclass(frozen=True)
class PromptResult:
    task_id: str
    seconds: float | None
    """From sending the request to the end of the stream; None when the request failed."""
    first_text_seconds: float | None
    """To the first streamed text: mostly prefill (the server holds back text that may begin a stop string)."""
    prompt_tokens: int
    """The messages' tokens by the model's own tokenizer, the chat template's left out."""
    completion_tokens: int
    """The returned text's tokens by the model's own tokenizer (stop string excluded): llama-cpp-python's
    server reports no usage when streaming, and the client's fallback counts streamed pieces, not tokens;
    one tokenizer counts plain and speculative runs alike."""
    tokens_per_second: float | None
    """Completion tokens over `seconds`, prefill included."""
    decode_tokens_per_second: float | None
    """The tokens after the first over the time after the first text: what speculation can speed up."""
    finish_reason: str
    text: str
    error: str = ""


class TokenCounter:
    """The model's own tokenizer, for the counts a server that reports no usage leaves out."""

    def __init__(self, model_file: Path) -> None:
        self._vocabulary = Llama(model_path=str(model_file), vocab_only=True, verbose=False)

    def count(self, text: str) -> int:
        return len(self._vocabulary.tokenize(text.encode("utf-8"), add_bos=False, special=False))


async def measure_prompts(
    url: str, prompts: Sequence[RepairPrompt], counter: TokenCounter, log: Log
) -> list[PromptResult]:
    runtime = await OpenAIRuntime.open(RuntimeConfig(model=url))
    try:
        await runtime.generate(WARMUP, SamplingParams(max_tokens=WARMUP_TOKENS))
        results = []
        for number, prompt in enumerate(prompts, 1):
            result = await measure_prompt(runtime, prompt, counter)
            results.append(result)
            log(
                f"  [{number}/{len(prompts)}] {prompt.task_id}: {result.seconds} s, {result.completion_tokens} "
                f"tokens, {result.tokens_per_second} tokens/s{' ' + result.error if result.error else ''}"
            )
        return results
    finally:
        await runtime.aclose()


async def measure_prompt(runtime: OpenAIRuntime, prompt: RepairPrompt, counter: TokenCounter) -> PromptResult:
    first_text_at: list[float] = []

    def on_token(_: int, text: str) -> None:
        if text and not first_text_at:
            first_text_at.append(time.perf_counter())

    started = time.perf_counter()
    try:
        generation = await runtime.generate(prompt.messages, prompt.params, on_token)
    except RuntimeFailure as failure:
        # One failed request (a crashed server, a timeout) is reported with the rest, not lost with them.
        return PromptResult(prompt.task_id, None, None, 0, 0, None, None, "error", "", str(failure))
    seconds = time.perf_counter() - started
    first_text = first_text_at[0] - started if first_text_at else None
    after_first = seconds - first_text if first_text is not None else 0.0
    prompt_tokens = sum(counter.count(message.content) for message in prompt.messages)
    completion_tokens = counter.count(generation.text)
    return PromptResult(
        task_id=prompt.task_id,
        seconds=round(seconds, 3),
        first_text_seconds=_round(first_text),
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        tokens_per_second=round(completion_tokens / seconds, 2) if seconds > 0 else None,
        decode_tokens_per_second=(
            round((completion_tokens - 1) / after_first, 2) if after_first > 0 and completion_tokens > 1 else None
        ),
        finish_reason=generation.finish_reason,
        text=generation.text,
    )


@dataclass(frozen=True)
class Configuration:
    name: str
    flags: tuple[str, ...]
    """What this configuration adds to the common server command."""


@dataclass
class ConfigurationRun:
    configuration: Configuration
    command: list[str]
    startup_seconds: float | None = None
    results: list[PromptResult] = field(default_factory=list)
    other_load_cores: float | None = None
    """Other processes' CPU use while this configuration ran: the runs are sequential, so a load that
    changes between them shifts the comparison."""
    load_average: tuple[float, float] = (0.0, 0.0)
    """The 1-minute load average at its start and end."""
    server_log_tail: str = ""
    """The end of the server's output, kept when a request failed."""


def run_configuration(
    configuration: Configuration,
    model_file: Path,
    threads: int,
    prompts: Sequence[RepairPrompt],
    counter: TokenCounter,
    log: Log,
) -> ConfigurationRun:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = server_command(model_file, port, threads, CONTEXT_TOKENS, configuration.flags)
    run = ConfigurationRun(configuration, command)
    load_at_start, cpu_at_start = os.getloadavg()[0], sample_cpu()
    log(f"{configuration.name}: {shlex.join(command)}")
    with tempfile.TemporaryDirectory(prefix="server-speculation-") as folder:
        server_log = Path(folder) / "server.log"
        with running_server(command, url, server_log) as startup_seconds:
            run.startup_seconds = round(startup_seconds, 2)
            run.results = anyio.run(measure_prompts, url, prompts, counter, log)
        if any(result.error for result in run.results):
            # The log goes with its temporary folder; a failed request's cause is usually in it.
            run.server_log_tail = server_log.read_text(errors="replace")[-3000:]
    # Taken once the server has exited, so that its CPU time counts as this process's children's.
    run.other_load_cores = round(other_load(cpu_at_start, sample_cpu()), 2)
    run.load_average = (round(load_at_start, 2), round(os.getloadavg()[0], 2))
    return run


# ---------------------------------------------------------------- summaries


@dataclass(frozen=True)
class Summary:
    prompts: int
    failed: int
    median_seconds: float | None
    p90_seconds: float | None
    median_tokens_per_second: float | None
    p90_tokens_per_second: float | None
    median_decode_tokens_per_second: float | None
    median_first_text_seconds: float | None
    completion_tokens_total: int
    seconds_total: float


def summarize(results: Sequence[PromptResult]) -> Summary:
    seconds = [r.seconds for r in results if r.seconds is not None]
    rates = [r.tokens_per_second for r in results if r.tokens_per_second is not None]
    decode_rates = [r.decode_tokens_per_second for r in results if r.decode_tokens_per_second is not None]
    first_text = [r.first_text_seconds for r in results if r.first_text_seconds is not None]
    return Summary(
        prompts=len(results),
        failed=sum(r.seconds is None for r in results),
        median_seconds=_median(seconds),
        p90_seconds=_round(percentile(seconds, 0.9)) if seconds else None,
        median_tokens_per_second=_median(rates),
        p90_tokens_per_second=_round(percentile(rates, 0.9)) if rates else None,
        median_decode_tokens_per_second=_median(decode_rates),
        median_first_text_seconds=_median(first_text),
        completion_tokens_total=sum(r.completion_tokens for r in results),
        seconds_total=round(sum(seconds), 3),
    )


@dataclass(frozen=True)
class Difference:
    """Where a prompt's two greedy outputs part."""

    task_id: str
    offset: int
    plain: str
    speculative: str
    """Each output from a little before `offset` on."""


@dataclass(frozen=True)
class Comparison:
    paired_prompts: int
    median_speedup: float | None
    """The median over prompts of plain seconds / speculative seconds."""
    min_speedup: float | None
    max_speedup: float | None
    speedups: list[float | None]
    """Per prompt, in prompt order; None where either request failed."""
    total_seconds_ratio: float | None
    """Plain seconds over speculative seconds, summed over the paired prompts."""
    identical_outputs: int
    differences: list[Difference]


DIFFERENCE_CONTEXT = 40
"""Characters shown before the first differing one, and (times two) after it."""


def compare(plain: Sequence[PromptResult], speculative: Sequence[PromptResult]) -> Comparison:
    pairs = list(zip(plain, speculative, strict=True))
    speedups = [round(p.seconds / s.seconds, 3) if p.seconds is not None and s.seconds else None for p, s in pairs]
    paired = [speedup for speedup in speedups if speedup is not None]
    both = [(p, s) for p, s in pairs if p.seconds is not None and s.seconds is not None]
    plain_total = sum(p.seconds or 0.0 for p, _ in both)
    speculative_total = sum(s.seconds or 0.0 for _, s in both)
    differences = [_difference(p, s) for p, s in both if p.text != s.text]
    return Comparison(
        paired_prompts=len(paired),
        median_speedup=_median(paired),
        min_speedup=min(paired) if paired else None,
        max_speedup=max(paired) if paired else None,
        speedups=speedups,
        total_seconds_ratio=round(plain_total / speculative_total, 3) if speculative_total else None,
        identical_outputs=len(both) - len(differences),
        differences=differences,
    )


def _difference(plain: PromptResult, speculative: PromptResult) -> Difference:
    offset = next(
        (index for index, (a, b) in enumerate(zip(plain.text, speculative.text, strict=False)) if a != b),
        min(len(plain.text), len(speculative.text)),
    )
    start = max(0, offset - DIFFERENCE_CONTEXT)
    end = offset + 2 * DIFFERENCE_CONTEXT
    return Difference(plain.task_id, offset, plain.text[start:end], speculative.text[start:end])


def _median(values: Sequence[float]) -> float | None:
    return _round(statistics.median(values)) if values else None


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


# ---------------------------------------------------------------- reports


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def report_of(
    runs: Sequence[ConfigurationRun],
    prompts: Sequence[RepairPrompt],
    arguments: argparse.Namespace,
    model_file: Path,
    command: str,
    started: datetime,
    machine: dict[str, Any],
) -> dict[str, Any]:
    plain, speculative = runs
    comparison = compare(plain.results, speculative.results)
    return {
        "what": "Greedy direct-fix rewrites (the engine's repair.unchecked prompt, temperature 0) through "
        "llama-cpp-python's OpenAI-compatible server with and without prompt-lookup speculative decoding, "
        "one request at a time via OpenAIRuntime (streamed chat completions); seconds include prefill. "
        "speedup = plain seconds / speculative seconds of the same prompt.",
        "command": command,
        "started": started.isoformat(timespec="seconds"),
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_changes": bool(
            git("status", "--porcelain", "--", "atlas_lsp", "engine", "sandbox", "lens", str(Path(__file__).resolve()))
        ),
        "llama_cpp_python": importlib.metadata.version("llama_cpp_python"),
        "model": arguments.model,
        "model_file": model_file.name,
        "data": {
            "file": str(DATA.relative_to(REPOSITORY)),
            "sha256": file_sha256(DATA),
            "tasks": len(prompts),
            "task_ids": [prompt.task_id for prompt in prompts],
        },
        "prompt_set": arguments.prompt_set,
        "prompt_key": PROMPT_KEY,
        "sampling": asdict(prompts[0].params) if prompts else None,
        "server": {"threads": arguments.threads, "n_ctx": CONTEXT_TOKENS, "pred_tokens": arguments.pred_tokens},
        "machine": machine,
        "configurations": {
            run.configuration.name: {
                "flags": list(run.configuration.flags),
                "command": shlex.join(run.command),
                "startup_seconds": run.startup_seconds,
                "other_load_cores": run.other_load_cores,
                "load_average_1min": list(run.load_average),
                "summary": asdict(summarize(run.results)),
                "server_log_tail": run.server_log_tail,
            }
            for run in runs
        },
        "token_counts": "the model's tokenizer on the returned text and on the messages (chat template left out)",
        "comparison": asdict(comparison),
        "prompts": [
            {
                "task_id": p.task_id,
                "speedup": speedup,
                "identical": p.text == s.text,
                plain.configuration.name: asdict(p),
                speculative.configuration.name: asdict(s),
            }
            for p, s, speedup in zip(plain.results, speculative.results, comparison.speedups, strict=True)
        ],
    }


SUMMARY_COLUMNS = (
    ("median s", "median_seconds"),
    ("p90 s", "p90_seconds"),
    ("median tokens/s", "median_tokens_per_second"),
    ("p90 tokens/s", "p90_tokens_per_second"),
    ("median decode tokens/s", "median_decode_tokens_per_second"),
    ("median s to first text", "median_first_text_seconds"),
    ("completion tokens", "completion_tokens_total"),
    ("failed", "failed"),
)


def markdown_of(report: dict[str, Any]) -> str:
    machine, comparison = report["machine"], report["comparison"]
    changes = " with uncommitted changes" if report["uncommitted_changes"] else ""
    names = list(report["configurations"])
    lines = [
        f"# Server speculation: {report['model']} model",
        "",
        f"`{report['command']}`",
        "",
        f"Commit {report['commit'][:12]}{changes}, llama-cpp-python {report['llama_cpp_python']}, "
        f"model file {report['model_file']}, started {report['started']}.",
        f"{report['data']['tasks']} tasks of {report['data']['file']} (sha256 {report['data']['sha256'][:12]}), "
        f"prompt `{report['prompt_key']}` of prompt set {report['prompt_set']}, "
        f"max_tokens {report['sampling']['max_tokens']}, temperature {report['sampling']['temperature']}; "
        f"server threads {report['server']['threads']}, n_ctx {report['server']['n_ctx']}.",
        f"Machine: {machine['cpus']} CPUs; shared: {'yes' if machine['shared'] else 'no'} (other processes used "
        f"{machine['other_load_cores']:.2f} cores on average: "
        + ", ".join(f"{name} {report['configurations'][name]['other_load_cores']:.2f}" for name in names)
        + f"; load average {machine['load_average_at_start'][0]:.2f} at start, "
        f"{machine['load_average_at_end'][0]:.2f} at end).",
        "",
        "| configuration | " + " | ".join(title for title, _ in SUMMARY_COLUMNS) + " | server flags |",
        "|---" * (len(SUMMARY_COLUMNS) + 2) + "|",
    ]
    for name, configuration in report["configurations"].items():
        cells = [_cell(configuration["summary"][key]) for _, key in SUMMARY_COLUMNS]
        lines.append(_row([name, *cells, f"`{shlex.join(configuration['flags'])}`" if configuration["flags"] else "-"]))
    lines += [
        "",
        f"Speedup (plain s / speculative s, per prompt): median {_cell(comparison['median_speedup'], 2)}, "
        f"min {_cell(comparison['min_speedup'], 2)}, max {_cell(comparison['max_speedup'], 2)} over "
        f"{comparison['paired_prompts']} prompts; summed seconds {_cell(comparison['total_seconds_ratio'], 2)}x.",
        f"Identical outputs: {comparison['identical_outputs']} of {comparison['paired_prompts']}.",
        f"Token counts: {report['token_counts']}.",
    ]
    if comparison["differences"]:
        lines += ["", "## Outputs that differ", "", "| task | first differing character | plain | speculative |"]
        lines.append("|---|---|---|---|")
        for difference in comparison["differences"]:
            lines.append(
                _row(
                    [
                        difference["task_id"],
                        str(difference["offset"]),
                        repr(difference["plain"]),
                        repr(difference["speculative"]),
                    ]
                )
            )
    plain_name, speculative_name = names
    lines += [
        "",
        "## Prompts",
        "",
        f"| task | prompt tokens | completion tokens | {plain_name} s | {speculative_name} s | speedup | "
        f"{plain_name} tokens/s | {speculative_name} tokens/s | same text |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for prompt in report["prompts"]:
        plain, speculative = prompt[plain_name], prompt[speculative_name]
        tokens = str(plain["completion_tokens"])
        if speculative["completion_tokens"] != plain["completion_tokens"]:
            tokens += f" / {speculative['completion_tokens']}"
        cells = [
            prompt["task_id"],
            str(plain["prompt_tokens"]),
            tokens,
            _cell(plain["seconds"]),
            _cell(speculative["seconds"]),
            _cell(prompt["speedup"], 2),
            _cell(plain["tokens_per_second"]),
            _cell(speculative["tokens_per_second"]),
            "yes" if prompt["identical"] else "no",
        ]
        lines.append(_row(cells))
    return "\n".join(lines) + "\n"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"


def _cell(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


# ---------------------------------------------------------------- command line


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--model", choices=("small", "default"), default="small")
    parser.add_argument("--tasks", type=int, default=20, help="the first N tasks of the repair set")
    parser.add_argument("--pred-tokens", type=int, default=10, help="draft tokens per prompt-lookup guess")
    parser.add_argument("--max-tokens", type=int, default=512, help="the completion cap of every request")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="the server's --n_threads")
    parser.add_argument("--prompt-set", default=DEFAULT_PROMPT_SET, help="the engine prompt set to render with")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for server_speculation-<model>.json/.md")
    arguments = parser.parse_args(argv)
    if arguments.tasks < 1 or arguments.pred_tokens < 1:
        parser.error("--tasks and --pred-tokens must be at least 1")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    command = shlex.join(["python", *sys.argv]) if argv is None else shlex.join(["python", __file__, *argv])
    prompts = repair_prompts(DATA, arguments.tasks, arguments.max_tokens, arguments.prompt_set)
    model_file = resolve_model_file(arguments.model)
    counter = TokenCounter(model_file)
    configurations = (
        Configuration("plain", ()),
        Configuration(
            "prompt_lookup",
            ("--draft_model", PROMPT_LOOKUP, "--draft_model_num_pred_tokens", str(arguments.pred_tokens)),
        ),
    )

    def log(line: str) -> None:
        print(line, flush=True)

    started = datetime.now(UTC)
    load_at_start, cpu_at_start = os.getloadavg(), sample_cpu()
    # One after the other: two servers at once would share the cores and each slow the other.
    runs = [
        run_configuration(configuration, model_file, arguments.threads, prompts, counter, log)
        for configuration in configurations
    ]
    machine = machine_load(load_at_start, cpu_at_start)
    report = report_of(runs, prompts, arguments, model_file, command, started, machine)
    arguments.out.mkdir(parents=True, exist_ok=True)
    stem = arguments.out / f"server_speculation-{arguments.model}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    stem.with_suffix(".md").write_text(markdown_of(report))
    comparison = report["comparison"]
    log(
        f"median speedup {comparison['median_speedup']}, identical outputs "
        f"{comparison['identical_outputs']}/{comparison['paired_prompts']}; wrote {stem}.json and {stem}.md"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
