"""Where an engine's time goes: the sandbox's busy clock, counter differences, and what the engine reports."""

from __future__ import annotations

import pytest
from fakes import FakeRuntime, FakeSandbox

import engine.counters
from engine.config import EngineConfig
from engine.counters import BusyClock, EngineCounters
from engine.runtime.decoder import DecoderStats
from engine.service import Engine
from engine.task import Example, Task
from sandbox.worker import encode_value

TASK = Task("t", "call", "Return twice x.", "def f(x):\n", "f", (Example("[2]", encode_value(4)),))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_overlapping_runs_count_once_and_idle_time_not_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(engine.counters.time, "monotonic", clock)
    busy = BusyClock()
    first, second = busy.running(), busy.running()
    first.__enter__()
    clock.now += 2  # one run
    second.__enter__()
    clock.now += 3  # two runs side by side
    first.__exit__(None, None, None)
    clock.now += 1  # the second alone
    assert busy.seconds == pytest.approx(6.0)  # a run still in flight counts so far
    second.__exit__(None, None, None)
    clock.now += 10  # nothing runs
    assert busy.seconds == pytest.approx(6.0)


def test_a_difference_of_snapshots_is_the_work_between_them() -> None:
    before = EngineCounters(1.0, 2.0, 3.0, 100, 20, 50, 40, 30, 10)
    after = EngineCounters(1.5, 2.25, 5.0, 180, 60, 90, 60, 50, 22)
    assert after.since(before) == EngineCounters(0.5, 0.25, 2.0, 80, 40, 40, 20, 20, 12)
    assert EngineCounters(2.0).since(EngineCounters(0.5)) == EngineCounters(1.5)


async def test_a_runtime_that_does_not_time_its_decoding_reports_the_sandbox_only() -> None:
    engine_ = Engine(FakeRuntime(), FakeSandbox(), EngineConfig())  # type: ignore[arg-type]
    before = engine_.counters()
    await engine_.solve(TASK)
    work = engine_.counters().since(before)
    assert work.sandbox_seconds > 0
    assert (work.prefill_seconds, work.decode_seconds, work.tokens_decoded) == (None, None, None)


def test_the_embedded_decoders_figures_are_read_from_its_stats() -> None:
    runtime = FakeRuntime()
    runtime.stats = DecoderStats(  # type: ignore[attr-defined]
        tokens_decoded=40,
        decode_steps=25,
        guessed_tokens_fed=30,
        guessed_tokens_kept=15,
        prompt_tokens_evaluated=300,
        prompt_tokens_reused=120,
        prefill_seconds=1.5,
        decode_seconds=4.0,
    )
    counters = Engine(runtime, FakeSandbox(), EngineConfig()).counters()  # type: ignore[arg-type]
    assert counters == EngineCounters(0.0, 1.5, 4.0, 300, 120, 40, 25, 30, 15)
