"""Where an engine's time goes: cumulative counters, read as the difference of two snapshots.

The embedded decoder times its own thread (prompt evaluation, decode steps); the executor times the
sandbox as wall time with at least one run in flight, so parallel runs are not counted twice. A
caller that wants one job's share takes `Engine.counters()` before and after it: jobs that run at
the same time on the same engine are counted in.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

Number = TypeVar("Number", int, float)


class BusyClock:
    """Wall seconds during which at least one timed block was running.

    Used from one event loop only (the executor's callers), so the counters need no lock.
    """

    def __init__(self) -> None:
        self._running = 0
        self._busy_since = 0.0
        self._busy_seconds = 0.0

    @contextmanager
    def running(self) -> Iterator[None]:
        if self._running == 0:
            self._busy_since = time.monotonic()
        self._running += 1
        try:
            yield
        finally:
            self._running -= 1
            if self._running == 0:
                self._busy_seconds += time.monotonic() - self._busy_since

    @property
    def seconds(self) -> float:
        """Busy seconds so far, the block still running included."""
        ongoing = time.monotonic() - self._busy_since if self._running else 0.0
        return self._busy_seconds + ongoing


@dataclass(frozen=True)
class EngineCounters:
    """An engine's work since it opened. The model fields are None when the backend cannot say (an
    OpenAI-compatible server decodes out of sight)."""

    sandbox_seconds: float
    prefill_seconds: float | None = None
    decode_seconds: float | None = None
    prompt_tokens_evaluated: int | None = None
    prompt_tokens_reused: int | None = None
    tokens_decoded: int | None = None
    decode_steps: int | None = None
    guessed_tokens_fed: int | None = None
    """Prompt-lookup guesses fed with the sequences' next tokens (`engine.runtime.drafting`)."""
    guessed_tokens_kept: int | None = None
    """Of those, the tokens the model confirmed: each is one decode step saved."""

    def since(self, earlier: EngineCounters) -> EngineCounters:
        """The work done between `earlier` and this snapshot."""
        return EngineCounters(
            sandbox_seconds=self.sandbox_seconds - earlier.sandbox_seconds,
            prefill_seconds=_difference(self.prefill_seconds, earlier.prefill_seconds),
            decode_seconds=_difference(self.decode_seconds, earlier.decode_seconds),
            prompt_tokens_evaluated=_difference(self.prompt_tokens_evaluated, earlier.prompt_tokens_evaluated),
            prompt_tokens_reused=_difference(self.prompt_tokens_reused, earlier.prompt_tokens_reused),
            tokens_decoded=_difference(self.tokens_decoded, earlier.tokens_decoded),
            decode_steps=_difference(self.decode_steps, earlier.decode_steps),
            guessed_tokens_fed=_difference(self.guessed_tokens_fed, earlier.guessed_tokens_fed),
            guessed_tokens_kept=_difference(self.guessed_tokens_kept, earlier.guessed_tokens_kept),
        )


def _difference(later: Number | None, earlier: Number | None) -> Number | None:
    if later is None or earlier is None:
        return None
    return later - earlier
