"""Top-k from block maxima picks exactly what a full sort of the vocabulary would (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.runtime.sampling import top_k_indices

VOCABULARY = 151_936  # Qwen2.5's, which is not a multiple of the block size


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
