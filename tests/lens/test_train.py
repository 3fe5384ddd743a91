"""Training C(x): it learns a signal that separates passing from failing candidates, reproducibly."""

from __future__ import annotations

import numpy as np
import torch

from lens.evaluate import evaluate
from lens.train import TrainSettings, split_by_problem, train_lens
from fakes import separable_records

FAST = TrainSettings(hidden=16, max_epochs=150, patience=30)


def test_a_trained_lens_beats_random_choice_where_a_feature_predicts_the_label() -> None:
    records = separable_records()
    lens = train_lens(records, FAST)
    _, validation = split_by_problem(records, FAST.validation_share)
    result = evaluate(validation, lens.energies_of(np.stack([r.input_vector() for r in validation])))
    assert result.mixed_problems >= 10
    assert result.auc is not None and result.auc > 0.85
    assert result.lens.accuracy is not None and result.random.accuracy is not None
    assert result.lens.accuracy > result.random.accuracy + 0.2


def test_training_twice_on_the_same_records_gives_the_same_weights() -> None:
    records = separable_records(problems=40)
    first, second = train_lens(records, FAST), train_lens(records, FAST)
    for name, tensor in first.net.state_dict().items():
        assert torch.equal(tensor, second.net.state_dict()[name]), name


def test_the_metadata_names_the_problems_trained_on_and_held_out() -> None:
    records = separable_records(problems=40)
    lens = train_lens(records, FAST)
    training, validation = split_by_problem(records, FAST.validation_share)
    assert set(lens.metadata.training_problems) == {r.problem_id for r in training}
    assert set(lens.metadata.validation_problems) == {r.problem_id for r in validation}
    assert lens.metadata.training_records == len(training)
    assert lens.metadata.embedding_dim == 8 and lens.metadata.model_sha256 == records[0].model_sha256
