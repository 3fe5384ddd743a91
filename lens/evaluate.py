"""How well energies rank candidates, on problems the Lens was not trained on.

Top-1 accuracy counts only mixed problems (at least one passing and one failing candidate): on the
others every selection rule scores the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from engine.candidates import Behaviour
from lens.records import LensRecord

Selection = Callable[[Sequence[Behaviour], int, Sequence[float]], int]
"""A selection rule: (behaviours, the index preferred on a tie, the Lens's energies) -> the index
chosen. A rule that does without the Lens ignores the energies."""


@dataclass(frozen=True)
class MethodScore:
    correct: float
    """Problems where the rule picked a passing candidate (an expected count for random choice)."""
    problems: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.problems if self.problems else None


@dataclass(frozen=True)
class SelectionScores:
    """Top-1 accuracy of each selection rule over a set of mixed problems."""

    problems: int
    methods: dict[str, MethodScore]
    """"lens" (the lowest-energy candidate), "random" (an expected count), then every rule given to
    `evaluate`, by its name."""


@dataclass(frozen=True)
class LensEvaluation:
    records: int
    problems: int
    auc: float | None
    """ROC AUC of -energy against the label over every record; None when one class is missing."""
    pairwise_accuracy: float | None
    """Within mixed problems: share of (passing, failing) pairs with the passing one at lower energy."""
    mixed: SelectionScores
    escalated: SelectionScores
    """The mixed problems the engine's router would not stop at the first (greedy) attempt, because it
    fails a public example or there is none: in the engine the Lens ranks candidates only there."""


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
    records: Sequence[LensRecord], energies: Sequence[float], rules: Mapping[str, Selection] | None = None
) -> LensEvaluation:
    """Score `energies` (one per record, lower = more likely correct) against the records' labels, and
    the choices of the selection `rules` (given the same energies) beside them."""
    rules = rules or {}
    by_problem: dict[tuple[str, str], list[int]] = {}
    for index, record in enumerate(records):
        by_problem.setdefault(record.problem, []).append(index)
    mixed = [members for members in by_problem.values() if 0 < sum(records[i].label for i in members) < len(members)]
    scored = [(members, _selection_outcomes(records, energies, members, rules)) for members in mixed]
    ordered_pairs = pairs = 0.0
    for members in mixed:
        for good in members:
            for bad in members:
                if records[good].label and not records[bad].label:
                    pairs += 1
                    energy_good, energy_bad = float(energies[good]), float(energies[bad])
                    ordered_pairs += 1.0 if energy_good < energy_bad else 0.5 if energy_good == energy_bad else 0.0
    methods = ("lens", "random", *rules)
    return LensEvaluation(
        records=len(records),
        problems=len(by_problem),
        auc=roc_auc([-e for e in energies], [r.label for r in records]),
        pairwise_accuracy=ordered_pairs / pairs if pairs else None,
        mixed=_scores([outcome for _, outcome in scored], methods),
        escalated=_scores([outcome for members, outcome in scored if _escalates(records, members)], methods),
    )


def _selection_outcomes(
    records: Sequence[LensRecord], energies: Sequence[float], members: Sequence[int], rules: Mapping[str, Selection]
) -> dict[str, float]:
    """Per method: 1 if it picks a passing candidate of the problem, 0 if not (random: the expected value)."""
    labels = [records[i].label for i in members]
    member_energies = [float(energies[i]) for i in members]
    behaviours = [records[i].behaviour for i in members]
    greedy = _greedy_position(records, members)
    outcomes = {"lens": float(labels[int(np.argmin(member_energies))]), "random": sum(labels) / len(labels)}
    for name, rule in rules.items():
        outcomes[name] = float(labels[rule(behaviours, greedy, member_energies)])
    return outcomes


def _greedy_position(records: Sequence[LensRecord], members: Sequence[int]) -> int:
    return next((k for k, i in enumerate(members) if records[i].origin == "greedy"), 0)


def _escalates(records: Sequence[LensRecord], members: Sequence[int]) -> bool:
    """Whether the engine's router goes past the first attempt: it stops only when the greedy
    candidate passes every public example of a task that has some."""
    return not records[members[_greedy_position(records, members)]].behaviour.proves_itself


def _scores(outcomes: Sequence[dict[str, float]], methods: Sequence[str]) -> SelectionScores:
    count = len(outcomes)
    return SelectionScores(
        problems=count,
        methods={name: MethodScore(sum(outcome[name] for outcome in outcomes), count) for name in methods},
    )
