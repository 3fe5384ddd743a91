"""Choosing one answer among candidates, using only public examples and generated inputs.

Candidates that fail a public example are dropped (when any passes them all). The rest are
clustered by identical behaviour on the generated inputs (AlphaCode); a cluster's score counts its
members and, CodeT-style, how many of the model's predicted outputs it reproduces. A Lens energy,
when given, breaks ties between equally supported clusters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Behaviour:
    """What the sandbox saw one candidate do."""

    examples_passed: int
    examples_total: int
    outputs: tuple[str | None, ...]
    """Output on each generated input; None where the candidate crashed or timed out there."""
    predictions_matched: int = 0
    energy: float | None = None

    @property
    def passes_examples(self) -> bool:
        return self.examples_passed == self.examples_total


@dataclass(frozen=True)
class Choice:
    index: int
    cluster_size: int
    viable: int
    score: float
    confidence: float


def choose(behaviours: Sequence[Behaviour], prefer: int = 0) -> Choice:
    """Pick a candidate index; `prefer` (e.g. the greedy answer) wins ties inside the best cluster."""
    best_on_examples = max(b.examples_passed for b in behaviours)
    viable = [i for i, b in enumerate(behaviours) if b.examples_passed == best_on_examples]
    clusters: dict[tuple[str | None, ...], list[int]] = {}
    for index in viable:
        clusters.setdefault(behaviours[index].outputs, []).append(index)

    def cluster_score(members: list[int]) -> tuple[float, float, int]:
        agreement = max(behaviours[i].predictions_matched for i in members)
        crashes = sum(output is None for output in behaviours[members[0]].outputs)
        energies = [behaviours[i].energy for i in members if behaviours[i].energy is not None]
        energy = min(energies) if energies else 0.0
        return (len(members) * (1 + agreement) - crashes, -energy, prefer in members)

    best = max(clusters.values(), key=cluster_score)
    chosen = prefer if prefer in best else min(best, key=lambda i: (behaviours[i].energy or 0.0, i))
    top = behaviours[chosen]
    examples_factor = top.examples_passed / top.examples_total if top.examples_total else 0.5
    confidence = examples_factor * len(best) / len(behaviours)
    return Choice(chosen, len(best), len(viable), cluster_score(best)[0], round(confidence, 3))
