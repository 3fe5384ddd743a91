"""The engine's front door for the editor and the benchmark: solve, verify and repair.

It owns the model runtime and the sandbox for its lifetime. Callers cancel work by cancelling the
awaiting task (an anyio cancel scope); generation and sandbox runs stop within a second.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

import anyio

from engine.config import EngineConfig, PipelineConfig, RuntimeConfig, SandboxConfig
from engine.counters import EngineCounters
from engine.execute import Executor
from engine.models import Progress, packaged_sha256
from engine.pipeline import Exploration, Pipeline
from engine.runtime import Runtime, open_runtime
from engine.task import Answer, CaseResult, Event, Example, Task, VerifyReport
from engine.trace import Tracer
from lens.features import CandidateReading
from lens.weights import LensMismatch, load_lens
from sandbox.executor import Sandbox
from sandbox.limits import MIB, Limits

if TYPE_CHECKING:
    import numpy as np

    from lens.scoring import Lens

__all__ = [
    "Answer",
    "CaseResult",
    "Engine",
    "EngineConfig",
    "Event",
    "Example",
    "Exploration",
    "PipelineConfig",
    "RuntimeConfig",
    "SandboxConfig",
    "Task",
    "VerifyReport",
]

EventCallback = Callable[[Event], None]
logger = logging.getLogger(__name__)


class Engine:
    """Created with `await Engine.open(config)`; close with `await engine.aclose()`."""

    def __init__(
        self,
        runtime: Runtime,
        sandbox: Sandbox,
        config: EngineConfig,
        lens: Lens | None = None,
        lens_status: str = "Lens off",
        *,
        owns_runtime: bool = True,
    ) -> None:
        self._runtime = runtime
        self._sandbox = sandbox
        self.config = config
        self.lens_status = lens_status
        """One line saying whether the Lens ranks candidates, and if not, why."""
        self._lens = lens
        self._owns_runtime = owns_runtime
        self._executor = Executor(sandbox, _limits(config.sandbox))
        self._pipeline = Pipeline(runtime, self._executor, config.pipeline, Tracer(config.trace_dir), lens)

    @classmethod
    async def open(cls, config: EngineConfig, progress: Progress | None = None) -> Engine:
        """Start the model runtime (assembling a packaged model on first use), the sandbox and the Lens."""
        limits = _limits(config.sandbox)
        # Before the model, which takes seconds to load: a machine whose uid ranges are all taken says so at once.
        # In a worker thread: probing the isolation starts a process, which the event loop must not wait for.
        sandbox = await anyio.to_thread.run_sync(partial(Sandbox, limits, jobs=config.sandbox.parallel or None))
        try:
            runtime = await open_runtime(config.runtime, progress)
        except BaseException:
            sandbox.close()
            raise
        lens, lens_status = await anyio.to_thread.run_sync(_open_lens, runtime, config.pipeline)
        return cls(runtime, sandbox, config, lens, lens_status)

    async def reconfigured(self, config: EngineConfig) -> Engine:
        """This engine's model and sandbox under the pipeline, test limits and trace folder of `config`, with no
        reload (ValueError unless `self.config.opens_same(config)`). The engine returned shares them and
        releases nothing: close this one, once no job uses either."""
        if not self.config.opens_same(config):
            raise ValueError("a different runtime or sandbox needs a newly opened engine")
        before, after = self.config.pipeline, config.pipeline
        if (before.lens, before.prompt_set) == (after.lens, after.prompt_set):
            lens, lens_status = self._lens, self.lens_status
        else:
            lens, lens_status = await anyio.to_thread.run_sync(_open_lens, self._runtime, after)
        return Engine(self._runtime, self._sandbox, config, lens, lens_status, owns_runtime=False)

    @property
    def model_id(self) -> str:
        return self._runtime.model_id

    @property
    def backend(self) -> str:
        """What serves the model (the llama.cpp build, or a server's address)."""
        return self._runtime.backend

    def counters(self) -> EngineCounters:
        """The work done since the engine opened; subtract an earlier snapshot for one job's share."""
        # Only the embedded runtime decodes in-process and times it (its `DecoderStats`); a server does not say.
        stats = getattr(self._runtime, "stats", None)
        if stats is None:
            return EngineCounters(sandbox_seconds=self._executor.busy.seconds)
        return EngineCounters(
            sandbox_seconds=self._executor.busy.seconds,
            prefill_seconds=stats.prefill_seconds,
            decode_seconds=stats.decode_seconds,
            prompt_tokens_evaluated=stats.prompt_tokens_evaluated,
            prompt_tokens_reused=stats.prompt_tokens_reused,
            tokens_decoded=stats.tokens_decoded,
            decode_steps=stats.decode_steps,
            guessed_tokens_fed=stats.guessed_tokens_fed,
            guessed_tokens_kept=stats.guessed_tokens_kept,
        )

    @property
    def lens_trained_on(self) -> frozenset[str]:
        """Names (title, else id) of the problems the Lens was fitted on or stopped early on: a score on
        them would flatter it. Empty without a Lens."""
        if self._lens is None:
            return frozenset()
        metadata = self._lens.metadata
        return frozenset((*metadata.training_problems, *metadata.validation_problems))

    async def solve(self, task: Task, on_event: EventCallback | None = None) -> Answer:
        answer, _ = await self._pipeline.solve(task, on_event or _ignore)
        return answer

    async def solve_exploring(self, task: Task, on_event: EventCallback | None = None) -> tuple[Answer, Exploration]:
        """`solve`, also returning the candidates the answer was chosen from (for Lens records of use)."""
        return await self._pipeline.solve(task, on_event or _ignore)

    async def explore(self, task: Task, on_event: EventCallback | None = None) -> Exploration:
        """The candidates `solve` would choose from, each with its execution, and no choice made."""
        return await self._pipeline.explore(task, on_event or _ignore)

    async def read_candidates(
        self, task: Task, exploration: Exploration, indices: Sequence[int] | None = None
    ) -> list[CandidateReading]:
        """The Lens's inputs (embedding and features) for the candidates at `indices` (all by default)."""
        chosen = range(len(exploration.candidates)) if indices is None else indices
        return await self._pipeline.read(task, exploration, chosen)

    async def read_codes(self, task: Task, codes: Sequence[str]) -> list[np.ndarray]:
        """The Lens's reading (the model's embedding) of codes written for `task`, e.g. recorded candidates."""
        return await self._pipeline.read_codes(task, codes)

    async def verify(self, task: Task, code: str, on_event: EventCallback | None = None) -> VerifyReport:
        return await self._pipeline.verify(task, code, on_event or _ignore)

    async def check(self, task: Task, code: str) -> tuple[CaseResult, ...]:
        """`code` run on the task's examples in the sandbox; no model call."""
        return await self._pipeline.check(task, code)

    async def repair(
        self, task: Task, code: str, failing: Sequence[Example] = (), on_event: EventCallback | None = None
    ) -> Answer:
        return await self._pipeline.repair(task, code, failing, on_event or _ignore)

    async def rewrite(self, task: Task, code: str, on_event: EventCallback | None = None) -> Answer:
        """One greedy rewrite of `code` with nothing run, as a baseline for `repair`."""
        return await self._pipeline.rewrite(task, code, on_event or _ignore)

    async def aclose(self) -> None:
        """Close the model runtime and the sandbox; nothing for an engine from `reconfigured`."""
        if self._owns_runtime:
            await self._runtime.aclose()
            self._sandbox.close()


def _limits(config: SandboxConfig) -> Limits:
    return Limits(wall_seconds=config.test_seconds, memory_bytes=config.memory_mb * MIB)


def _open_lens(runtime: Runtime, config: PipelineConfig) -> tuple[Lens | None, str]:
    if not config.lens:
        return None, "Lens off: turned off in the settings"
    model = runtime.model_id
    if runtime.embedding_dim is None:
        return None, f"Lens off: {runtime.backend} embeds no text"
    try:
        lens = load_lens(model, packaged_sha256(model), runtime.embedding_dim, config.prompt_set)
    except LensMismatch as mismatch:
        logger.warning("running without the Lens: %s", mismatch)
        return None, f"Lens off: {mismatch}"
    if lens is None:
        return None, f"Lens off: no Lens weights for model {model!r} yet"
    meta = lens.metadata
    return (
        lens,
        f"Lens on: trained {meta.trained[:10]} on {meta.training_records} candidates "
        f"of {len(meta.training_problems)} problems",
    )


def _ignore(_: Event) -> None:
    """Default event sink."""
