"""The engine's front door for the editor and the benchmark: solve, verify and repair.

It owns the model runtime and the sandbox for its lifetime. Callers cancel work by cancelling the
awaiting task (an anyio cancel scope); generation and sandbox runs stop within a second.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine.config import EngineConfig, PipelineConfig, RuntimeConfig, SandboxConfig
from engine.execute import Executor
from engine.models import Progress
from engine.pipeline import Pipeline
from engine.runtime import Runtime, open_runtime
from engine.task import Answer, CaseResult, Event, Example, Task, VerifyReport
from engine.trace import Tracer
from sandbox.executor import Sandbox
from sandbox.limits import MIB, Limits

__all__ = [
    "Answer", "CaseResult", "Engine", "EngineConfig", "Event", "Example", "PipelineConfig", "RuntimeConfig",
    "SandboxConfig", "Task", "VerifyReport",
]

EventCallback = Callable[[Event], None]


class Engine:
    """Created with `await Engine.open(config)`; close with `await engine.aclose()`."""

    def __init__(self, runtime: Runtime, sandbox: Sandbox, config: EngineConfig) -> None:
        self._runtime = runtime
        self._sandbox = sandbox
        self.config = config
        self._pipeline = Pipeline(runtime, Executor(sandbox), config.pipeline, Tracer(config.trace_dir))

    @classmethod
    async def open(cls, config: EngineConfig, progress: Progress | None = None) -> Engine:
        """Start the model runtime (assembling a packaged model on first use) and the sandbox."""
        runtime = await open_runtime(config.runtime, progress)
        limits = Limits(wall_seconds=config.sandbox.test_seconds, memory_bytes=config.sandbox.memory_mb * MIB)
        return cls(runtime, Sandbox(limits, jobs=config.sandbox.parallel or None), config)

    @property
    def model_id(self) -> str:
        return self._runtime.model_id

    async def solve(self, task: Task, on_event: EventCallback | None = None) -> Answer:
        return await self._pipeline.solve(task, on_event or _ignore)

    async def verify(self, task: Task, code: str, on_event: EventCallback | None = None) -> VerifyReport:
        return await self._pipeline.verify(task, code, on_event or _ignore)

    async def repair(
        self, task: Task, code: str, failing: Sequence[Example] = (), on_event: EventCallback | None = None
    ) -> Answer:
        return await self._pipeline.repair(task, code, failing, on_event or _ignore)

    async def aclose(self) -> None:
        await self._runtime.aclose()


def _ignore(_: Event) -> None:
    """Default event sink."""
