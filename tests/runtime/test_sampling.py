"""Top-k from block maxima picks exactly what a full sort of the vocabulary would (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.runtime.base import SamplingParams
from engine.runtime.sampling import sample_tokens, top_k_indices

VOCABULARY = 151_943  # Qwen2.5's 151,936 and a few more: logits past the last whole block are candidates too


def full_sort_top_k(row: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-row, kind="stable")[:k]


@pytest.mark.parametrize("k", [1, 40, 1186, 1187, 5000, VOCABULARY])
def test_top_k_equals_a_full_sort(k: int) -> None:
    rows = np.random.default_rng(k).standard_normal((5, VOCABULARY)).astype(np.float32) * 4
    rows[0, :40] += 30  # the whole top in one block
    rows[1, -7:] += 30  # the top in the tail past the last whole block
    for row in rows:
        assert (top_k_indices(row, k) == full_sort_top_k(row, k)).all()


def test_equal_logits_come_in_index_order() -> None:
    row = np.zeros(VOCABULARY, dtype=np.float32)
    row[[7000, 5, 151_930]] = 3.0
    assert top_k_indices(row, 5).tolist() == [5, 7000, 151_930, 0, 1]


def test_a_sampled_token_is_the_one_numpy_choice_draws_for_the_same_seed() -> None:
    """Runs stay comparable with runs recorded before the sampler drew tokens itself."""
    row = np.random.default_rng(3).standard_normal(VOCABULARY).astype(np.float32) * 4
    params = SamplingParams(temperature=0.8, top_k=40, top_p=0.95)
    for seed in range(50):
        candidates = top_k_indices(row, params.top_k)
        scaled = row[candidates].astype(np.float64) / params.temperature
        probabilities = np.exp(scaled - scaled[0])
        probabilities /= probabilities.sum()
        keep = int(np.searchsorted(np.cumsum(probabilities), params.top_p) + 1)
        kept = probabilities[:keep] / probabilities[:keep].sum()
        expected = int(candidates[np.random.default_rng(seed).choice(keep, p=kept)])
        (token,) = sample_tokens(row[None, :], [params], [np.random.default_rng(seed)])
        assert token == expected
