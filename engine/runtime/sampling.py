"""Token sampling for many sequences at once, in numpy.

Each sequence keeps its own generator, temperature, top-k and top-p, so k candidates of one batch
are as diverse as k separate calls. Top-k is applied first with `argpartition`, which keeps the
cost per row small on a 150k-token vocabulary; top-p then works on those few candidates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.runtime.base import SamplingParams


def sample_tokens(
    logits: np.ndarray, params: Sequence[SamplingParams], generators: Sequence[np.random.Generator]
) -> list[int]:
    """Pick one token per row of `logits` (shape: sequences x vocabulary)."""
    return [
        _sample_row(row, row_params, generator)
        for row, row_params, generator in zip(logits, params, generators, strict=True)
    ]


def _sample_row(row: np.ndarray, params: SamplingParams, generator: np.random.Generator) -> int:
    if params.temperature <= 0.0:
        return int(np.argmax(row))
    k = min(params.top_k if params.top_k > 0 else row.size, row.size)
    candidates = np.argpartition(row, -k)[-k:]
    scaled = row[candidates].astype(np.float64) / params.temperature
    order = np.argsort(-scaled)
    candidates, scaled = candidates[order], scaled[order]
    probabilities = np.exp(scaled - scaled[0])
    probabilities /= probabilities.sum()
    # Keep the smallest prefix whose mass reaches top_p (always at least one token).
    keep = int(np.searchsorted(np.cumsum(probabilities), params.top_p) + 1)
    probabilities = probabilities[:keep] / probabilities[:keep].sum()
    return int(candidates[generator.choice(keep, p=probabilities)])
