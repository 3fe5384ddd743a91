"""Fitting C(x) to labelled records: ranking within problems, plus calibration.

The loss has two parts. Ranking: within each problem, every passing candidate should get lower
energy than every failing one (logistic loss on the energy difference, averaged per problem so
large problems do not dominate). Calibration: sigmoid(-energy) should match the label (binary cross
entropy), so energies mean the same across problems. Problems are split into training and
validation by a hash of their title (or id), never by record: candidates of one problem are
near-duplicates, and splitting them would measure memory, not generalisation (the reference
system's mistake).
"""

from __future__ import annotations

import copy
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import torch
from torch.nn import functional

from lens.evaluate import evaluate
from lens.features import FEATURE_NAMES
from lens.model import LensNet
from lens.records import LensRecord
from lens.scoring import Lens
from lens.weights import LensMetadata


@dataclass(frozen=True)
class TrainSettings:
    embedding_components: int = 8
    """Principal components of the embedding the network reads. Chosen on the first 39 MBPP+ training
    problems (5-fold cross-validation): the whole 896-dim embedding took the ROC AUC from 0.97 with the
    execution features alone down to 0.54; 8 components kept it at 0.88 and leave the embedding room
    to help as records grow."""
    hidden: int = 64
    dropout: float = 0.2
    learning_rate: float = 1e-3
    weight_decay: float = 1e-2
    max_epochs: int = 400
    patience: int = 40
    """Epochs without a better validation ranking loss before training stops."""
    calibration_weight: float = 0.5
    public_only_weight: float = 0.5
    """Weight of records whose label comes from public tests only: they are weaker evidence."""
    validation_share: float = 0.2
    seed: int = 0
    threads: int = 1
    """The data are small: one thread is fastest, is not stalled by other busy cores, and sums in the
    same order on every machine."""


def in_validation(split_key: str, share: float) -> bool:
    """Deterministic across runs and machines: the first 8 bytes of sha256(key) as a fraction."""
    digest = hashlib.sha256(split_key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def fold_of(split_key: str, folds: int) -> int:
    """The cross-validation fold of a problem; hashed apart from `in_validation`, so the problems a
    fold's network stops early on are spread over the other folds, not one of them."""
    digest = hashlib.sha256(f"fold:{split_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") * folds // 2**64


def split_by_problem(records: Sequence[LensRecord], share: float) -> tuple[list[LensRecord], list[LensRecord]]:
    training: list[LensRecord] = []
    validation: list[LensRecord] = []
    for record in records:
        (validation if in_validation(record.split_key, share) else training).append(record)
    return training, validation


@dataclass(frozen=True)
class _Batch:
    inputs: torch.Tensor
    labels: torch.Tensor
    weights: torch.Tensor
    better: torch.Tensor
    """Index of the passing record of each (passing, failing) pair within a problem."""
    worse: torch.Tensor
    pair_weights: torch.Tensor
    """Sum to the number of problems with pairs, scaled by judge weight: each problem counts once."""

    @classmethod
    def of(cls, records: Sequence[LensRecord], settings: TrainSettings) -> _Batch:
        weights = [settings.public_only_weight if r.judge == "public-only" else 1.0 for r in records]
        by_problem: dict[tuple[str, str], list[int]] = {}
        for index, record in enumerate(records):
            by_problem.setdefault(record.problem, []).append(index)
        better, worse, pair_weights = [], [], []
        for members in by_problem.values():
            pairs = [(i, j) for i in members for j in members if records[i].label and not records[j].label]
            for i, j in pairs:
                better.append(i)
                worse.append(j)
                pair_weights.append(weights[i] / len(pairs))
        return cls(
            inputs=torch.from_numpy(np.stack([r.input_vector() for r in records])),
            labels=torch.tensor([float(r.label) for r in records]),
            weights=torch.tensor(weights),
            better=torch.tensor(better, dtype=torch.long),
            worse=torch.tensor(worse, dtype=torch.long),
            pair_weights=torch.tensor(pair_weights, dtype=torch.float32),
        )

    def ranking_loss(self, energies: torch.Tensor) -> torch.Tensor:
        if not len(self.better):
            return energies.new_zeros(())
        margins = energies[self.better] - energies[self.worse]
        problems = self.pair_weights.sum()
        return (functional.softplus(margins) * self.pair_weights).sum() / problems

    def calibration_loss(self, energies: torch.Tensor) -> torch.Tensor:
        losses = functional.binary_cross_entropy_with_logits(-energies, self.labels, reduction="none")
        return (losses * self.weights).sum() / self.weights.sum()


def train_lens(records: Sequence[LensRecord], settings: TrainSettings = TrainSettings()) -> Lens:
    """Train on the training split of `records`, stopping early on the validation split."""
    model, model_sha256, dim, prompt_set = _single_source(records)
    training, validation = split_by_problem(records, settings.validation_share)
    if not training or not validation:
        raise ValueError(
            f"{len(training)} training and {len(validation)} validation records: collect more problems "
            "(both splits need at least one)"
        )
    train_batch, validation_batch = _Batch.of(training, settings), _Batch.of(validation, settings)
    threads_before = torch.get_num_threads()
    torch.set_num_threads(settings.threads)
    try:
        net, best_loss = _fit(train_batch, validation_batch, settings)
        with torch.no_grad():
            validation_energies = net(validation_batch.inputs).numpy()
    finally:
        torch.set_num_threads(threads_before)
    report = evaluate(validation, validation_energies)
    metadata = LensMetadata(
        model=model,
        model_sha256=model_sha256,
        embedding_dim=dim,
        feature_names=FEATURE_NAMES,
        embedding_components=settings.embedding_components,
        hidden=settings.hidden,
        dropout=settings.dropout,
        prompt_set=prompt_set,
        trained=datetime.now(UTC).isoformat(timespec="seconds"),
        seed=settings.seed,
        training_records=len(training),
        training_problems=_names(training),
        validation_problems=_names(validation),
        judges=dict(Counter(r.judge for r in training)),
        validation={
            "ranking_loss": best_loss,
            "records": report.records,
            "mixed_problems": report.mixed.problems,
            "auc": report.auc,
            "lens_top1": report.mixed.methods["lens"].accuracy,
        },
    )
    return Lens(net, metadata)


def cross_validated_energies(
    records: Sequence[LensRecord], folds: int, settings: TrainSettings = TrainSettings()
) -> np.ndarray:
    """Every record's energy from a Lens that never saw its problem: problems are dealt into `folds`
    groups, and each group is scored by a network trained (and stopped early) on the others alone.
    With few problems this measures generalisation to new problems with all of them, where one
    held-out split would leave too few to measure or to train on."""
    lenses = fold_lenses(records, folds, settings)
    energies = np.zeros(len(records), dtype=np.float32)
    for lens in {id(lens): lens for lens in lenses.values()}.values():
        held_out = [i for i, record in enumerate(records) if lenses[record.split_key] is lens]
        energies[held_out] = lens.energies_of(np.stack([records[i].input_vector() for i in held_out]))
    return energies


def fold_lenses(
    records: Sequence[LensRecord], folds: int, settings: TrainSettings = TrainSettings()
) -> dict[str, Lens]:
    """For each problem (by split key), a Lens trained without it: one network per fold of problems,
    trained on the other folds. The selection lab scores each problem with its own."""
    if folds < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, not {folds}")
    _single_source(records)
    fold = {record.split_key: fold_of(record.split_key, folds) for record in records}
    lenses: dict[str, Lens] = {}
    for k in sorted(set(fold.values())):
        lens = train_lens([record for record in records if fold[record.split_key] != k], settings)
        lenses.update({key: lens for key, f in fold.items() if f == k})
    return lenses


def _fit(train_batch: _Batch, validation_batch: _Batch, settings: TrainSettings) -> tuple[LensNet, float]:
    """Full-batch AdamW from a seeded start; returns the network (in eval mode) at its best validation
    loss, and that loss."""

    def validation_loss(net: LensNet) -> float:
        net.eval()
        with torch.no_grad():
            energies = net(validation_batch.inputs)
            # Without a mixed validation problem there is nothing to rank: fall back to calibration.
            if len(validation_batch.better):
                return float(validation_batch.ranking_loss(energies))
            return float(validation_batch.calibration_loss(energies))

    with torch.random.fork_rng():
        torch.manual_seed(settings.seed)
        embedding_dim = train_batch.inputs.shape[1] - len(FEATURE_NAMES)
        net = LensNet(
            embedding_dim, len(FEATURE_NAMES), settings.embedding_components, settings.hidden, settings.dropout
        )
        net.fit_input_scaling(train_batch.inputs)
        optimizer = torch.optim.AdamW(net.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
        best_loss, best_state, since_best = validation_loss(net), copy.deepcopy(net.state_dict()), 0
        for _ in range(settings.max_epochs):
            net.train()
            optimizer.zero_grad()
            energies = net(train_batch.inputs)
            calibration = train_batch.calibration_loss(energies)
            loss = train_batch.ranking_loss(energies) + settings.calibration_weight * calibration
            loss.backward()  # type: ignore[no-untyped-call]  # torch's stubs leave Tensor.backward untyped
            optimizer.step()
            current = validation_loss(net)
            if current < best_loss:
                best_loss, best_state, since_best = current, copy.deepcopy(net.state_dict()), 0
            else:
                since_best += 1
                if since_best >= settings.patience:
                    break
    net.load_state_dict(best_state)
    return net.eval(), best_loss


def _single_source(records: Sequence[LensRecord]) -> tuple[str, str, int, str]:
    """The one model (and prompt set) every record was collected with; mixing them is an error."""
    sources = Counter((r.model, r.model_sha256, r.embedding_dim, r.prompt_set) for r in records)
    if len(sources) != 1:
        listed = "; ".join(f"{count} records from {source}" for source, count in sources.items())
        raise ValueError(f"records must come from one model and prompt set, found: {listed or 'no records'}")
    return next(iter(sources))


def _names(records: Sequence[LensRecord]) -> tuple[str, ...]:
    return tuple(sorted({record.split_key for record in records}))
