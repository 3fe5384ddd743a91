"""Runtime configuration: which model, served how. One object, fully defaulted."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

from engine.prompts import DEFAULT_PROMPT_SET

GpuLayers = int | Literal["auto"]
"""`auto`, or how many of the model's layers llama.cpp puts on the GPU (the rest stay on the CPU)."""

GPU_LAYERS_ALLOWED = "`auto` or a whole number >= 0"

CONTEXT_TOKENS = 16384
"""The embedded model's context window by default (`EmbeddedSettings.context_tokens`). The decoder refuses a
request whose prompt and completions do not fit in the window, so no completion can be longer: the bound of
the `maxTokens` setting."""


def parse_gpu_layers(value: object) -> GpuLayers:
    """The `gpuLayers` setting / `--gpu-layers` value; ValueError naming the allowed values otherwise.

    Digits in a string are accepted: the CLI passes text, and an editor's settings UI may too.
    """
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "auto":
            return "auto"
        if text.isascii() and text.isdigit():
            return int(text)
    # bool is an int in Python, but `true` for a layer count is a mistake in the editor's config.
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isfinite(value) and value == int(value) and value >= 0:
            return int(value)
    raise ValueError(f"expected {GPU_LAYERS_ALLOWED}")


@dataclass(frozen=True)
class EmbeddedSettings:
    """How the in-process llama.cpp model is run."""

    context_tokens: int = CONTEXT_TOKENS
    """The model's context window (KV cache cells), shared by the prompts and completions decoded at once."""
    max_sequences: int = 16
    batch_tokens: int = 512
    guessed_tokens: int = 16
    """The most prompt-lookup tokens checked with a sequence's next token in one step; 0 turns it off."""
    threads: int = 0  # 0 = one per core
    show_llama_log: bool = False
    gpu_layers: GpuLayers = "auto"
    """`auto`: every layer when the llama.cpp build can offload to a GPU, none otherwise. A number puts
    only that many on the GPU, for a model that does not fit its memory whole."""


@dataclass(frozen=True)
class RuntimeConfig:
    """`model` is `small`, `default`, a GGUF path, or the base URL of an OpenAI-compatible server.

    The same pipeline runs on either: going from the embedded CPU model to a GPU server is a change
    of `model` (and `served_model` / `embedding_model` when the server hosts several).
    """

    model: str = "default"
    embedded: EmbeddedSettings = field(default_factory=EmbeddedSettings)
    served_model: str | None = None
    embedding_model: str | None = None
    api_key: str | None = None
    request_timeout: float = 600.0

    @property
    def uses_server(self) -> bool:
        return self.model.startswith(("http://", "https://"))


BUDGETS: dict[str, int] = {"low": 2, "normal": 4, "high": 8}
"""The most candidates a problem may cost beyond the first attempt, by the name a user picks. Sampling
stops before the budget is spent once a candidate passes every public example."""


def budget_candidates(budget: str) -> int:
    """The candidate count of a budget by name; ValueError naming the budgets for any other value."""
    if budget not in BUDGETS:
        raise ValueError(f"expected one of {', '.join(BUDGETS)} (got {budget!r})")
    return BUDGETS[budget]


@dataclass(frozen=True)
class PipelineConfig:
    """Stage switches and budgets; each switch exists so an ablation can turn the stage off."""

    prompt_set: str = DEFAULT_PROMPT_SET
    candidates: int = BUDGETS["normal"]
    """The most candidates a problem may cost beyond the first attempt (samples, and plans when on)."""
    wave: int = 2
    """Samples written together; after each wave sampling stops if a candidate passes every public example.
    0 writes them all at once."""
    temperature: float = 0.8
    max_tokens: int = 1024
    router: bool = True
    plan: bool = False
    """PlanSearch: off until a replay or an ablation on 300+ problems shows it earns its cost (about 3x the
    tokens of plain samples on MBPP+, no gain shown on 10 problems)."""
    self_tests: bool = False
    """Generated inputs, to tell apart candidates that pass the same public examples: off, since the replay of
    all 378 recorded MBPP+ problems chose the same answer on every problem with them and without them, at
    each budget, while they cost 130 of the default budget's 370 completion tokens per problem
    (docs/results/mbpp_plus-record-small-v2)."""
    self_tests_always: bool = False
    """Generate inputs even when the candidates selection considers share one program (nothing to tell
    apart): recorded pools need them for the replay of rules that read other candidates."""
    selection: bool = True
    repair: bool = False
    """Repair rounds on the solve path when no candidate passes the examples: off until shown to gain on
    300+ problems. The editor's Repair action repairs whatever this says."""
    direct_repair: bool = True
    """Before the analysed repair rounds, one greedy rewrite from the failure alone; the rounds run only
    if it does not pass. A small bug is then fixed in one short completion."""
    repair_samples: bool = True
    """After a direct fix that does not pass, sampled direct fixes of the original in waves of `wave`, up
    to `candidates`, until one passes: a batch of short completions costs little more than one."""
    repair_analysis: bool = True
    """PR-CoT rounds when no direct fix passes: an analysis from two angles, then a rewrite."""
    feedback_failures: int = 3
    """Failing examples a repair prompt shows, in the task's order, as a developer's test run lists them
    (1 shows only the first, as before)."""
    repair_rounds: int = 2
    repair_targets: int = 1
    """Failing candidates repaired per round, most promising first (each costs two long completions)."""
    tie_break: bool = False
    """S*: when the two best clusters are close, the model judges their outputs on an input where they differ
    (generated inputs: it needs `self_tests`). Off until the ablation shows it helps."""
    lens: bool = True
    """Rank equally supported candidate clusters by Lens energy, when Lens weights exist for the model."""
    seed: int = 0

    def recording(self, inputs: bool = True) -> PipelineConfig:
        """These settings writing whole pools, for records the replay cuts as a budget rule would: no router,
        every sample at once, and (unless `inputs` is False) generated inputs always."""
        return replace(self, router=False, wave=0, self_tests=inputs, self_tests_always=inputs)

    @classmethod
    def single(cls, max_tokens: int = 1024) -> PipelineConfig:
        """One greedy answer and nothing else: the baseline every stage must beat."""
        return cls(
            candidates=1,
            temperature=0.0,
            max_tokens=max_tokens,
            router=False,
            plan=False,
            self_tests=False,
            selection=False,
            repair=False,
            tie_break=False,
            lens=False,
        )


@dataclass(frozen=True)
class SandboxConfig:
    test_seconds: float = 6.0
    memory_mb: int = 2048
    parallel: int = 0  # 0 = one per core


@dataclass(frozen=True)
class EngineConfig:
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    trace_dir: str | None = None

    def opens_same(self, other: EngineConfig) -> bool:
        """Whether an engine opened with this config can serve `other` too: the same runtime (which model, and
        how it is loaded or reached) and sandbox workers. The pipeline, the test limits and the trace folder
        can change on an open engine (`Engine.reconfigured`) without reloading the model."""
        return self.runtime == other.runtime and self.sandbox.parallel == other.sandbox.parallel
