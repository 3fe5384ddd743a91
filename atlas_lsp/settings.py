"""The settings of the engine: typed, fully defaulted, read from the editor's JSON or the command line.

In the server they come from `initializationOptions` and from the `atlas` section of
`workspace/configuration` (the later source wins, key by key). A value of the wrong type or out of
range is reported by name and replaced by its default, so a typo in an editor's config never stops the
server. The command line's flags are read by the same rules (`atlas_lsp.cli`) and make a `Settings` too
(`Settings.with_flags`), so both build their engine configuration with `Settings.engine_config`.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.config import (
    BUDGETS,
    CONTEXT_TOKENS,
    EmbeddedSettings,
    EngineConfig,
    GpuLayers,
    PipelineConfig,
    RuntimeConfig,
    SandboxConfig,
    budget_candidates,
    parse_gpu_layers,
)

SECTION = "atlas"
API_KEY_VARIABLE = "ATLAS_API_KEY"
"""The environment variable the server's key is read from when the `apiKey` setting is unset."""
SECRET_KEYS = frozenset({"apiKey"})
"""Settings whose values no message repeats."""


@dataclass(frozen=True)
class Settings:
    model: str = "default"
    """`small`, `default`, a path to a GGUF file, or the base URL of an OpenAI-compatible server."""
    budget: str = "normal"
    """How many candidates a task may cost when the first attempt fails its examples: low, normal or high
    (engine.config.BUDGETS); sampling stops sooner once one passes every example."""
    candidates: int | None = None
    """An exact candidate count instead of the budget's (None: the budget decides)."""
    max_tokens: int = PipelineConfig.max_tokens
    """Longest completion of one model call: at most `context_size`, since the decoder refuses a completion
    that cannot fit the context window, and at most engine.config.CONTEXT_TOKENS, the default window."""
    test_seconds: float = SandboxConfig.test_seconds
    """Wall-time limit of one test run in the sandbox."""
    lens: bool = True
    """Rank candidates with the Geometric Lens energy where the engine supports it."""
    trace_dir: str | None = None
    """Folder where every prompt and completion is written, one JSON-lines file per task."""
    workspace_context: bool = True
    """Put the workspace code a function uses (helpers, its tests, its callers) into the prompt."""
    workspace_context_tokens: int = 1500
    """Most prompt tokens the workspace context may take (the `contextTokens` key)."""
    context_exclude: tuple[str, ...] = ()
    """Glob patterns (gitignore style) of workspace paths never indexed, on top of .gitignore."""
    gpu_layers: GpuLayers = "auto"
    """Model layers the embedded runtime puts on the GPU: `auto` (all when the build can offload) or a number."""
    repair_analysis: bool = False
    """When no direct fix passes, Repair also analyses the failure and rewrites (PR-CoT). Off in the editor:
    with the small model on a CPU those rounds add 20-60 s: on the repair benchmark they fixed 28 of the 133
    tasks that reached them and made the p90 84 s instead of 22 s
    (docs/results/mbpp_plus_fix-pipeline-small/stage_cost.md). The repair benchmark runs them."""
    served_model: str | None = None
    """The model name sent to an OpenAI-compatible server (None: the first it lists at /v1/models)."""
    api_key: str | None = field(default=None, repr=False)
    """The server's bearer key (None: the ATLAS_API_KEY environment variable, else no key)."""
    request_timeout: float = RuntimeConfig.request_timeout
    """Seconds one request to a server may take."""
    threads: int = EmbeddedSettings.threads
    """CPU threads of the embedded model (0: one per core)."""
    context_size: int = CONTEXT_TOKENS
    """The embedded model's context window in tokens, shared by the prompts and completions decoded at once."""
    preview: bool = False
    """Solve's and Repair's edits ask the editor to have the user confirm them (a change annotation's
    `needsConfirmation`): the user reviews the edit, then applies or discards it. Not engine configuration."""
    prompt_set: str = PipelineConfig.prompt_set
    """The engine's prompts (engine/prompts/NAME.toml). Not an editor setting: experiments compare them."""
    seed: int = PipelineConfig.seed
    """The sampling seed. Not an editor setting: experiments repeat runs with other seeds."""

    def __post_init__(self) -> None:
        if self.max_tokens > self.context_size:
            raise ValueError(
                f"max tokens {self.max_tokens} exceed the context size {self.context_size}: "
                "a completion must fit the model's context window"
            )

    def with_flags(self, flags: argparse.Namespace) -> Settings:
        """These settings changed as the command line's flags say (FLAG_FIELDS). The CLI has read each flag
        by its setting's rule; ValueError when the flags, each valid, do not fit together."""
        given: dict[str, Any] = {
            field: getattr(flags, flag) for flag, field in FLAG_FIELDS.items() if getattr(flags, flag) is not None
        }
        return replace(self, **given)

    def engine_config(self) -> EngineConfig:
        """The one builder of the engine's configuration, for the server and the command line alike."""
        embedded = EmbeddedSettings(gpu_layers=self.gpu_layers, threads=self.threads, context_tokens=self.context_size)
        return EngineConfig(
            runtime=RuntimeConfig(
                model=self.model,
                embedded=embedded,
                served_model=self.served_model,
                api_key=self.api_key or os.environ.get(API_KEY_VARIABLE) or None,
                request_timeout=self.request_timeout,
            ),
            pipeline=PipelineConfig(
                candidates=self.candidates or budget_candidates(self.budget),
                max_tokens=self.max_tokens,
                lens=self.lens,
                repair_analysis=self.repair_analysis,
                prompt_set=self.prompt_set,
                seed=self.seed,
            ),
            sandbox=SandboxConfig(test_seconds=self.test_seconds),
            trace_dir=self.trace_dir,
        )


@dataclass(frozen=True)
class SettingsProblem:
    key: str
    value: object
    reason: str
    used: object = None
    """The value the setting has instead."""

    def describe(self) -> str:
        if not self.key:
            return f"The {SECTION} settings are ignored: {self.reason}, got {self.value!r}."
        if self.key not in RULES:
            return f"Setting {SECTION}.{self.key} is ignored: {self.reason}."
        if self.key in SECRET_KEYS:  # the message shows in the editor and its logs
            return f"Setting {SECTION}.{self.key} is ignored ({self.reason}); using the earlier value, if any."
        # An unset optional setting (None) leaves the choice to another one, as candidates does to budget.
        instead = "it unset" if self.used is None else repr(self.used)
        return f"Setting {SECTION}.{self.key} = {self.value!r} is ignored ({self.reason}); using {instead}."


@dataclass(frozen=True)
class _Rule:
    field: str
    read: Callable[[object], object]
    """Returns the typed value or raises ValueError with the reason."""


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    return value.strip()


def _whole_number(low: int, high: int) -> Callable[[object], int]:
    def read(value: object) -> int:
        # bool is an int in Python, but `true` for a count is a mistake in the editor's config.
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise ValueError(f"expected a whole number from {low} to {high}")
        if not low <= value <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return int(value)

    return read


def _seconds(high: float) -> Callable[[object], float]:
    def read(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"expected a number of seconds above 0 and at most {high:g}")
        if not 0 < value <= high:
            raise ValueError(f"expected a number of seconds above 0 and at most {high:g}")
        return float(value)

    return read


def _budget(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected one of {', '.join(BUDGETS)}")
    budget_candidates(value)
    return value


def _switch(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _globs(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ValueError("expected a list of glob patterns")
    return tuple(item.strip() for item in value)


def _folder(value: object) -> str | None:
    if value == "":
        return None
    return str(Path(_text(value)).expanduser())


# camelCase keys, as editors write settings; each maps to one field of Settings.
RULES = {
    "model": _Rule("model", _text),
    "budget": _Rule("budget", _budget),
    "candidates": _Rule("candidates", _whole_number(1, 64)),
    "maxTokens": _Rule("max_tokens", _whole_number(16, CONTEXT_TOKENS)),
    "testSeconds": _Rule("test_seconds", _seconds(600.0)),
    "lens": _Rule("lens", _switch),
    "traceDir": _Rule("trace_dir", _folder),
    "workspaceContext": _Rule("workspace_context", _switch),
    "contextTokens": _Rule("workspace_context_tokens", _whole_number(0, 32768)),
    "contextExclude": _Rule("context_exclude", _globs),
    "gpuLayers": _Rule("gpu_layers", parse_gpu_layers),
    "repairAnalysis": _Rule("repair_analysis", _switch),
    "servedModel": _Rule("served_model", _text),
    "apiKey": _Rule("api_key", _text),
    "requestTimeout": _Rule("request_timeout", _seconds(3600.0)),
    "threads": _Rule("threads", _whole_number(0, 512)),
    "contextSize": _Rule("context_size", _whole_number(1024, 262144)),
    "preview": _Rule("preview", _switch),
}


FLAG_FIELDS = {
    "model": "model",
    "served_model": "served_model",
    "api_key": "api_key",
    "request_timeout": "request_timeout",
    "threads": "threads",
    "context_size": "context_size",
    "gpu_layers": "gpu_layers",
    "budget": "budget",
    "candidates": "candidates",
    "max_tokens": "max_tokens",
    "timeout": "test_seconds",
    "trace": "trace_dir",
    "workspace_context": "workspace_context",
    "prompt_set": "prompt_set",
    "seed": "seed",
}
"""The command line's flags that choose a setting (by their argparse names), and the field each sets."""


def merge_settings(*sources: object) -> tuple[Settings, list[SettingsProblem]]:
    """Defaults, overridden by each source in turn; problems name every value that was not used.

    A rejected value leaves the setting as the earlier sources (or the default) made it.
    """
    settings = Settings()
    problems: list[SettingsProblem] = []
    for source in sources:
        if source is None:
            continue
        if not isinstance(source, Mapping):
            problems.append(SettingsProblem("", source, "expected an object of settings"))
            continue
        for key, value in source.items():
            if value is None:  # editors send null for a setting the user left unset
                continue
            rule = RULES.get(key)
            if rule is None:
                problems.append(SettingsProblem(key, value, f"unknown setting (known: {', '.join(RULES)})"))
                continue
            try:
                change: dict[str, Any] = {rule.field: rule.read(value)}
                settings = replace(settings, **change)
            except ValueError as reason:
                problems.append(SettingsProblem(key, value, str(reason)))
    return settings, [_with_value_used(problem, settings) for problem in problems]


def _with_value_used(problem: SettingsProblem, settings: Settings) -> SettingsProblem:
    rule = RULES.get(problem.key)
    return replace(problem, used=getattr(settings, rule.field)) if rule else problem
