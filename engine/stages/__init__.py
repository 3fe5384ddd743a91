"""Pipeline stages, one module each; every optional stage has a switch in PipelineConfig."""

from __future__ import annotations

from dataclasses import dataclass

from engine.runtime.base import SamplingParams


@dataclass(frozen=True)
class Sampling:
    """How a stage samples. Each stage's seeds start at its own offset from the pipeline's seed, so no
    two stages draw the same random stream."""

    temperature: float
    max_tokens: int | None = None
    """None: the pipeline's max_tokens (a stage that writes code); a number for short answers."""
    seed_offset: int = 0

    def params(self, seed: int, max_tokens: int, index: int = 0) -> SamplingParams:
        return SamplingParams(
            temperature=self.temperature,
            max_tokens=self.max_tokens or max_tokens,
            seed=seed + self.seed_offset + index,
        )


PLAN_SKETCH = Sampling(temperature=0.7, max_tokens=400)
PLANNED_CODE = Sampling(temperature=0.2, seed_offset=100)
SELF_TESTS = Sampling(temperature=0.7, max_tokens=600, seed_offset=7)
DIRECT_FIX = Sampling(temperature=0.0)
REPAIR = Sampling(temperature=0.7)
"""The first proposal of each repair is greedy; the rest sample at this temperature."""
