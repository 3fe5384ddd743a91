"""How well energies rank candidates, on problems the Lens was not trained on.

Top-1 accuracy counts only mixed problems (at least one passing and one failing candidate): on the
others every selection rule scores the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lens.features import Behaviour
from lens.records import LensRecord

Selection = Callable[[Sequence[Behaviour], int, Sequence[float] | None], int]
"""A selection rule: (behaviours, the index preferred on a tie, energies or None) -> the index chosen."""


@dataclass(frozen=True)
class MethodScore:
    correct: float
    """Problems where the rule picked a passing candidate (an expected count for random choice)."""
    problems: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.problems if self.problems else None


@dataclass(frozen=True)
class LensEvaluation:
    records: int
    problems: int
    mixed_problems: int
    auc: float | None
    """ROC AUC of -energy against the label over every record; None when one class is missing."""
    pairwise_accuracy: float | None
    """Within mixed problems: share of (passing, failing) pairs with the passing one at lower energy."""
    lens: MethodScore
    """The lowest-energy candidate."""
    random: MethodScore
    self_tests: MethodScore | None
    """The selection rule without the Lens (the engine's: public examples, then the best-supported
    behaviour cluster); None when no rule was given."""
    self_tests_with_lens: MethodScore | None
    """The selection rule with Lens energies ranking equally supported clusters."""


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Probability that a random positive scores above a random negative (ties count half)."""
    values = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(labels, dtype=bool)
    count_positive, count_negative = int(positive.sum()), int((~positive).sum())
    if not count_positive or not count_negative:
        return None
    ranks = _midranks(values)
    wins = ranks[positive].sum() - count_positive * (count_positive + 1) / 2
    return float(wins / (count_positive * count_negative))


def _midranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values), dtype=np.float64)
    sorted_values = values[order]
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def evaluate(
    records: Sequence[LensRecord], energies: Sequence[float], selection: Selection | None = None
) -> LensEvaluation:
    """Score `energies` (one per record, lower = more likely correct) against the records' labels,
    and against `selection` with and without them."""
    by_problem: dict[tuple[str, str], list[int]] = {}
    for index, record in enumerate(records):
        by_problem.setdefault(record.problem, []).append(index)
    mixed = [members for members in by_problem.values() if 0 < sum(records[i].label for i in members) < len(members)]
    lens = random = self_tests = self_tests_with_lens = 0.0
    ordered_pairs = pairs = 0.0
    for members in mixed:
        labels = [records[i].label for i in members]
        member_energies = [float(energies[i]) for i in members]
        behaviours = [records[i].behaviour for i in members]
        greedy = next((k for k, i in enumerate(members) if records[i].origin == "greedy"), 0)
        lens += labels[int(np.argmin(member_energies))]
        random += sum(labels) / len(labels)
        if selection is not None:
            self_tests += labels[selection(behaviours, greedy, None)]
            self_tests_with_lens += labels[selection(behaviours, greedy, member_energies)]
        for good, energy_good in zip(labels, member_energies):
            for bad, energy_bad in zip(labels, member_energies):
                if good and not bad:
                    pairs += 1
                    ordered_pairs += 1.0 if energy_good < energy_bad else 0.5 if energy_good == energy_bad else 0.0
    count = len(mixed)
    return LensEvaluation(
        records=len(records),
        problems=len(by_problem),
        mixed_problems=count,
        auc=roc_auc([-e for e in energies], [r.label for r in records]),
        pairwise_accuracy=ordered_pairs / pairs if pairs else None,
        lens=MethodScore(lens, count),
        random=MethodScore(random, count),
        self_tests=MethodScore(self_tests, count) if selection else None,
        self_tests_with_lens=MethodScore(self_tests_with_lens, count) if selection else None,
    )
