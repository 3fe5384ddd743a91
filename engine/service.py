"""The engine's front door for the editor and the benchmark: solve, verify and repair.

It owns the model runtime and the sandbox for its lifetime. Callers cancel work by cancelling the
awaiting task (an anyio cancel scope); generation and sandbox runs stop within a second.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from engine.config import RuntimeConfig
from engine.task import Answer, Event, Example, Task

EventCallback = Callable[[Event], None]


@dataclass(frozen=True)
class PipelineConfig:
    """Stage switches and budgets; each switch exists so an ablation can turn the stage off."""

    prompt_set: str = "v1"
    candidates: int = 4
    temperature: float = 0.8
    max_tokens: int = 1024
    router: bool = True
    plan: bool = True
    self_tests: bool = True
    selection: bool = True
    repair: bool = True
    repair_rounds: int = 2
    lens: bool = True
    seed: int = 0

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


CaseStatus = Literal["passed", "failed", "error", "timeout", "ran"]


@dataclass(frozen=True)
class CaseResult:
    """One test of a verify run. `expected` is None when no trusted expected output exists."""

    input: str
    expected: str | None
    actual: str
    status: CaseStatus
    detail: str = ""
    origin: Literal["example", "generated"] = "example"


@dataclass(frozen=True)
class VerifyReport:
    cases: tuple[CaseResult, ...]

    @property
    def failing(self) -> tuple[CaseResult, ...]:
        return tuple(case for case in self.cases if case.status in ("failed", "error", "timeout"))

    @property
    def passed(self) -> bool:
        return not self.failing


class Engine:
    """Created with `await Engine.open(config)`; close with `await engine.aclose()`."""

    @classmethod
    async def open(cls, config: EngineConfig) -> Engine:
        raise NotImplementedError

    async def solve(self, task: Task, on_event: EventCallback | None = None) -> Answer:
        raise NotImplementedError

    async def verify(self, task: Task, code: str, on_event: EventCallback | None = None) -> VerifyReport:
        raise NotImplementedError

    async def repair(
        self, task: Task, code: str, failing: Sequence[Example] = (), on_event: EventCallback | None = None
    ) -> Answer:
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError
