"""Weights on disk: a round trip keeps everything, and weights for another model are refused clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from lens.features import FEATURE_NAMES
from lens.model import LensNet
from lens.scoring import Lens
from lens.weights import LensMetadata, LensMismatch, load_lens, save_lens, weights_files

SHA = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
DIM = 6


def small_lens() -> Lens:
    torch.manual_seed(3)
    net = LensNet(DIM, len(FEATURE_NAMES), components=2, hidden=4, dropout=0.0)
    net.fit_input_scaling(torch.randn(10, DIM + len(FEATURE_NAMES)))
    metadata = LensMetadata(
        model="small",
        model_sha256=SHA,
        embedding_dim=DIM,
        feature_names=FEATURE_NAMES,
        embedding_components=2,
        hidden=4,
        dropout=0.0,
        prompt_set="v1",
        trained="2025-01-01T00:00:00+00:00",
        seed=0,
        training_records=10,
        training_problems=("slug-one",),
        validation_problems=("p2",),
        judges={"full": 10},
        validation={"auc": 0.75, "lens_top1": None},
    )
    return Lens(net, metadata)


def test_weights_round_trip_with_their_metadata(tmp_path: Path) -> None:
    lens = small_lens()
    save_lens(lens, tmp_path)
    loaded = load_lens("small", SHA, DIM, "v1", tmp_path)
    assert loaded is not None and loaded.metadata == lens.metadata
    inputs = np.random.default_rng(0).normal(size=(3, DIM + len(FEATURE_NAMES))).astype(np.float32)
    assert np.array_equal(loaded.energies_of(inputs), lens.energies_of(inputs))


def test_no_weights_for_a_model_means_no_lens_rather_than_an_error(tmp_path: Path) -> None:
    assert load_lens("default", "b" * 64, 1536, "v1", tmp_path) is None


def test_weights_for_another_model_file_are_refused_naming_both_sha256s(tmp_path: Path) -> None:
    save_lens(small_lens(), tmp_path)
    with pytest.raises(LensMismatch) as raised:
        load_lens("small", "c" * 64, DIM, "v1", tmp_path)
    assert SHA in str(raised.value) and "c" * 64 in str(raised.value)


def test_weights_for_another_embedding_size_are_refused_naming_both_sizes(tmp_path: Path) -> None:
    save_lens(small_lens(), tmp_path)
    with pytest.raises(LensMismatch, match=f"dim {DIM}.*dim 896"):
        load_lens("small", SHA, 896, "v1", tmp_path)


def test_weights_are_a_state_dict_beside_readable_metadata(tmp_path: Path) -> None:
    save_lens(small_lens(), tmp_path)
    state, metadata = weights_files("small", tmp_path)
    assert set(torch.load(state, weights_only=True)) >= {"input_mean", "input_std"}
    assert '"model_sha256"' in metadata.read_text()


def test_corrupt_weights_are_refused_with_the_fix(tmp_path: Path) -> None:
    state_path = save_lens(small_lens(), tmp_path)
    state_path.write_bytes(b"not a torch file")
    with pytest.raises(LensMismatch, match="(?s)cannot be loaded.*--lens-train"):
        load_lens("small", SHA, DIM, "v1", tmp_path)


def test_unreadable_metadata_is_refused_with_the_fix(tmp_path: Path) -> None:
    save_lens(small_lens(), tmp_path)
    weights_files("small", tmp_path)[1].write_text("{")
    with pytest.raises(LensMismatch, match="cannot be read.*--lens-train"):
        load_lens("small", SHA, DIM, "v1", tmp_path)


def test_weights_read_with_another_prompt_set_are_refused(tmp_path: Path) -> None:
    save_lens(small_lens(), tmp_path)
    with pytest.raises(LensMismatch, match="prompt set 'v1'.*'v2'"):
        load_lens("small", SHA, DIM, "v2", tmp_path)
