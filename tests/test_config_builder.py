"""The command line builds the engine's configuration as the editor does: its flags are read by the editor
settings' rules into a `Settings`, whose `engine_config` builds it; a mode's own switches go on top."""

from __future__ import annotations

import argparse
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from atlas_lsp.cli import build_parser, main
from atlas_lsp.commands.bench import PIPELINE_STAGES, bench_config
from atlas_lsp.commands.lens import collect_config
from atlas_lsp.settings import API_KEY_VARIABLE, FLAG_FIELDS, Settings, merge_settings
from engine.config import (
    BUDGETS,
    CONTEXT_TOKENS,
    EmbeddedSettings,
    EngineConfig,
    PipelineConfig,
    RuntimeConfig,
    SandboxConfig,
)
from engine.models import ModelError

ADD = Path(__file__).parent / "fixtures" / "lsp" / "add.py"


@pytest.fixture(autouse=True)
def no_api_key_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(API_KEY_VARIABLE, raising=False)


def flags(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def bench_flags(*argv: str) -> argparse.Namespace:
    return flags("--bench", "problems.jsonl", "--out", "runs/out", *argv)


def collect_flags(*argv: str) -> argparse.Namespace:
    return flags("--lens-collect", "problems.jsonl", "--out", "runs/records", *argv)


def bench_config_before_the_shared_builder(args: argparse.Namespace) -> EngineConfig:
    """How --bench built its configuration from its flags until it shared the editor's builder; --max-tokens
    and --seed then defaulted to 1024 and 0 in the parser."""
    switches: dict[str, Any] = {stage: True for stage in args.enable}
    switches.update({stage: False for stage in args.disable if stage in PIPELINE_STAGES})
    if args.candidates or args.budget:
        switches["candidates"] = args.candidates or BUDGETS[args.budget]
    if args.prompt_set:
        switches["prompt_set"] = args.prompt_set
    max_tokens = args.max_tokens or 1024
    if args.mode == "single":
        pipeline = replace(PipelineConfig.single(max_tokens=max_tokens), **switches)
    else:
        pipeline = replace(PipelineConfig(seed=args.seed or 0, max_tokens=max_tokens), **switches)
    if (args.record or args.lens_records) and args.mode == "pipeline":
        pipeline = pipeline.recording(inputs="self_tests" not in args.disable)
    embedded = replace(
        EmbeddedSettings(max_sequences=1) if "batching" in args.disable else EmbeddedSettings(),
        **({} if args.gpu_layers is None else {"gpu_layers": args.gpu_layers}),
        **({"guessed_tokens": 0} if "guessing" in args.disable else {}),
    )
    return EngineConfig(
        runtime=RuntimeConfig(model=args.model or "default", embedded=embedded),
        pipeline=pipeline,
        sandbox=SandboxConfig(test_seconds=args.timeout or SandboxConfig().test_seconds),
        trace_dir=args.trace,
    )


def collect_config_before_the_shared_builder(args: argparse.Namespace) -> EngineConfig:
    """How --lens-collect built its configuration from its flags until it shared the editor's builder."""
    pipeline = PipelineConfig(
        candidates=args.candidates or PipelineConfig().candidates,
        lens=False,
        seed=args.seed or 0,
        max_tokens=args.max_tokens or 1024,
        plan="plan" not in args.disable,
        prompt_set=args.prompt_set or PipelineConfig().prompt_set,
    ).recording()
    return EngineConfig(
        runtime=RuntimeConfig(model=args.model or "default"),
        pipeline=pipeline,
        sandbox=SandboxConfig(test_seconds=args.timeout or SandboxConfig().test_seconds),
        trace_dir=args.trace,
    )


def test_the_bench_runs_the_engines_defaults_when_no_flag_is_given() -> None:
    assert bench_config(bench_flags()) == EngineConfig()


def test_the_bench_in_single_mode_writes_one_greedy_answer_by_default() -> None:
    assert bench_config(bench_flags("--mode", "single")) == EngineConfig(pipeline=PipelineConfig.single())


@pytest.mark.parametrize(
    "argv",
    [
        ["--model", "small", "--mode", "pipeline"],
        ["--model", "small", "--mode", "single", "--prompt-set", "v2"],
        ["--mode", "single", "--max-tokens", "256", "--disable", "batching"],
        ["--disable", "router"],
        ["--disable", "batching", "self_tests"],
        ["--mode", "single", "--disable", "guessing"],
        ["--disable", "batching", "guessing", "repair"],
        ["--enable", "tie_break", "repair"],
        ["--enable", "plan", "--disable", "plan"],
        ["--record", "runs/records"],
        ["--record", "runs/records", "--disable", "self_tests"],
        ["--lens-records", "runs/records"],
        ["--mode", "single", "--record", "runs/records"],
        ["--budget", "high"],
        ["--candidates", "8"],
        ["--budget", "low", "--candidates", "3"],
        ["--max-tokens", "2048", "--seed", "3", "--timeout", "2.5", "--gpu-layers", "4", "--trace", "runs/t"],
        ["--task", "repair"],
    ],
)
def test_the_bench_builds_the_config_it_built_before_the_shared_builder(argv: list[str]) -> None:
    args = bench_flags(*argv)
    assert bench_config(args) == bench_config_before_the_shared_builder(args)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--disable", "plan"],
        ["--model", "small", "--candidates", "8", "--seed", "2", "--max-tokens", "512", "--prompt-set", "v2"],
        ["--timeout", "3", "--trace", "runs/t"],
    ],
)
def test_lens_collection_builds_the_config_it_built_before_the_shared_builder(argv: list[str]) -> None:
    args = collect_flags(*argv)
    assert collect_config(args) == collect_config_before_the_shared_builder(args)


@pytest.mark.parametrize(
    ("argv", "editor_settings"),
    [
        (["--model", "small"], {"model": "small"}),
        (["--served-model", "qwen2.5-coder-7b"], {"servedModel": "qwen2.5-coder-7b"}),
        (["--api-key", "secret"], {"apiKey": "secret"}),
        (["--request-timeout", "90"], {"requestTimeout": 90}),
        (["--threads", "4"], {"threads": 4}),
        (["--context-size", "8192"], {"contextSize": 8192}),
        (["--gpu-layers", "12"], {"gpuLayers": 12}),
        (["--budget", "high"], {"budget": "high"}),
        (["--candidates", "3"], {"candidates": 3}),
        (["--max-tokens", "256"], {"maxTokens": 256}),
        (["--timeout", "2.5"], {"testSeconds": 2.5}),
        (["--trace", "~/traces"], {"traceDir": "~/traces"}),
        (["--no-context"], {"workspaceContext": False}),
    ],
)
def test_a_flag_makes_the_settings_its_editor_setting_makes(argv: list[str], editor_settings: dict[str, Any]) -> None:
    from_the_editor, problems = merge_settings(editor_settings)
    assert problems == []
    assert Settings().with_flags(flags("--solve", "add.py::add", *argv)) == from_the_editor


def test_every_flag_that_chooses_a_setting_is_a_flag_of_the_command() -> None:
    assert set(FLAG_FIELDS) <= set(vars(flags()))


def test_every_engine_setting_of_the_editor_has_a_flag() -> None:
    runtime = {"model", "served_model", "api_key", "request_timeout", "context_size", "threads", "gpu_layers"}
    pipeline = {"budget", "candidates", "max_tokens", "test_seconds", "trace_dir"}
    assert runtime | pipeline <= set(FLAG_FIELDS.values())


@pytest.mark.parametrize(
    ("argv", "key", "editor_value"),
    [
        (["--max-tokens", str(CONTEXT_TOKENS + 1)], "maxTokens", CONTEXT_TOKENS + 1),
        (["--candidates", "0"], "candidates", 0),
        (["--threads", "two"], "threads", "two"),
        (["--context-size", "100"], "contextSize", 100),
        (["--request-timeout", "0"], "requestTimeout", 0),
        (["--timeout", "nan"], "testSeconds", float("nan")),
        (["--served-model", " "], "servedModel", " "),
    ],
)
def test_a_flag_the_editor_would_refuse_is_refused_with_the_editors_reason(
    argv: list[str], key: str, editor_value: object, capsys: pytest.CaptureFixture[str]
) -> None:
    _, (problem,) = merge_settings({key: editor_value})
    with pytest.raises(SystemExit) as stopped:
        flags("--solve", "add.py::add", *argv)
    assert stopped.value.code == 2
    assert f"argument {argv[0]}: {problem.reason}" in capsys.readouterr().err


def test_max_tokens_beyond_the_context_size_are_refused_before_any_mode_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--solve", "add.py::add", "--max-tokens", "4096", "--context-size", "2048"])
    assert stopped.value.code == 2
    assert "max tokens 4096 exceed the context size 2048" in capsys.readouterr().err


def test_the_bench_reads_the_api_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_VARIABLE, "from-the-environment")
    assert bench_config(bench_flags("--model", "http://localhost:8000")).runtime.api_key == "from-the-environment"


def test_lens_collection_reads_the_api_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_VARIABLE, "from-the-environment")
    assert collect_config(collect_flags()).runtime.api_key == "from-the-environment"


def test_the_api_key_flag_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_VARIABLE, "from-the-environment")
    assert bench_config(bench_flags("--api-key", "from-the-flag")).runtime.api_key == "from-the-flag"


def test_the_bench_reaches_the_model_as_the_runtime_flags_say() -> None:
    runtime = bench_config(
        bench_flags(
            "--model",
            "http://localhost:8000",
            "--served-model",
            "coder",
            "--request-timeout",
            "90",
            "--threads",
            "2",
            "--context-size",
            "8192",
            "--disable",
            "batching",
        )  # fmt: skip
    ).runtime
    assert (runtime.model, runtime.served_model, runtime.request_timeout) == ("http://localhost:8000", "coder", 90.0)
    assert runtime.embedded == EmbeddedSettings(threads=2, context_tokens=8192, max_sequences=1)


def test_lens_collection_loads_the_model_as_the_runtime_flags_say() -> None:
    runtime = collect_config(collect_flags("--gpu-layers", "0", "--threads", "2", "--context-size", "8192")).runtime
    assert runtime.embedded == EmbeddedSettings(gpu_layers=0, threads=2, context_tokens=8192)


def test_lens_collection_honours_the_budget() -> None:
    assert collect_config(collect_flags("--budget", "high")).pipeline.candidates == BUDGETS["high"]


def test_solve_opens_the_engine_the_shared_flags_describe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.service import Engine

    opened: list[EngineConfig] = []

    async def refuse_to_open(config: EngineConfig, *_: object) -> Engine:
        opened.append(config)
        raise ModelError("no model in this test", "none needed")

    monkeypatch.setattr(Engine, "open", refuse_to_open)
    add = shutil.copy(ADD, tmp_path / "add.py")
    argv = ["--max-tokens", "256", "--trace", str(tmp_path / "trace"), "--seed", "7", "--threads", "2", "--no-context"]
    assert main(["--solve", f"{add}::add", *argv]) == 2
    assert "no model in this test" in capsys.readouterr().err
    assert opened == [Settings(max_tokens=256, trace_dir=str(tmp_path / "trace"), seed=7, threads=2).engine_config()]
