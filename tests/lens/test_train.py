"""Training C(x): it learns a signal that separates passing from failing candidates, reproducibly."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from fakes import neutral_features, separable_records

import lens.train
from lens.evaluate import evaluate, roc_auc
from lens.records import LensRecord
from lens.train import (
    TrainSettings,
    cross_validated_energies,
    fold_lenses,
    fold_of,
    in_validation,
    split_by_problem,
    train_lens,
)

FAST = TrainSettings(hidden=16, max_epochs=150, patience=30)


def test_a_trained_lens_beats_random_choice_where_a_feature_predicts_the_label() -> None:
    records = separable_records()
    lens = train_lens(records, FAST)
    _, validation = split_by_problem(records, FAST.validation_share)
    result = evaluate(validation, lens.energies_of(np.stack([r.input_vector() for r in validation])))
    assert result.mixed.problems >= 10
    assert result.auc is not None and result.auc > 0.85
    lens, random = result.mixed.methods["lens"].accuracy, result.mixed.methods["random"].accuracy
    assert lens is not None and random is not None
    assert lens > random + 0.2


def test_a_trained_lens_finds_a_signal_in_the_embedding_through_its_principal_components() -> None:
    rng = np.random.default_rng(2)
    records = []
    for record in separable_records():
        embedding = rng.normal(size=8).astype(np.float32)
        embedding[3] += 4.0 if record.label else -4.0  # the embedding's main direction of variance
        records.append(replace(record, embedding=embedding, features=neutral_features()))
    lens = train_lens(records, FAST)
    _, validation = split_by_problem(records, FAST.validation_share)
    result = evaluate(validation, lens.energies_of(np.stack([r.input_vector() for r in validation])))
    assert result.auc is not None and result.auc > 0.85


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


def test_cross_validation_scores_each_problem_with_a_lens_trained_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    records = separable_records(problems=40)
    trained_on: list[set[str]] = []

    def spying_train(subset, settings):
        trained_on.append({r.problem_id for r in subset})
        return train_lens(subset, settings)

    monkeypatch.setattr(lens.train, "train_lens", spying_train)
    cross_validated_energies(records, folds=4, settings=FAST)
    assert len(trained_on) == 4
    for problems in trained_on:
        held_out = {r.problem_id for r in records} - problems
        assert held_out and all(fold_of(p, 4) == fold_of(next(iter(held_out)), 4) for p in held_out)


def test_each_problems_fold_lens_was_neither_trained_nor_stopped_early_on_it() -> None:
    records = separable_records(problems=30)
    lenses = fold_lenses(records, folds=3, settings=FAST)
    assert set(lenses) == {r.split_key for r in records}
    for key, scorer in lenses.items():
        assert key not in {*scorer.metadata.training_problems, *scorer.metadata.validation_problems}


def test_cross_validated_energies_still_find_a_predictive_feature() -> None:
    records = separable_records(problems=60)
    energies = cross_validated_energies(records, folds=3, settings=FAST)
    auc = roc_auc([-e for e in energies], [r.label for r in records])
    assert auc is not None and auc > 0.85


def test_the_problems_a_fold_stops_early_on_are_not_one_fold() -> None:
    keys = [f"p{n}" for n in range(200)]
    folds_of_validation = {fold_of(key, 5) for key in keys if in_validation(key, 0.2)}
    assert len(folds_of_validation) == 5


def test_cross_validation_refuses_records_of_two_models() -> None:
    records = separable_records(problems=20)
    other = [LensRecord(**{**r.__dict__, "model_sha256": "b" * 64}) for r in separable_records(problems=20, seed=2)]
    with pytest.raises(ValueError, match="one model"):
        cross_validated_energies(records + other, folds=2, settings=FAST)
