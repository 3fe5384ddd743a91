"""Choosing one answer among candidates, using only public examples and generated inputs.

Candidates that fail a public example are dropped (when any passes them all). The rest are
clustered by identical behaviour on the generated inputs (AlphaCode); a cluster's score counts its
members and, CodeT-style, how many of the model's predicted outputs it reproduces. Lens energies,
when given, rank clusters that this evidence supports equally: the cluster holding the
lowest-energy member wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.candidates import NO_EXAMPLES, Behaviour


@dataclass(frozen=True)
class Choice:
    index: int
    """The cluster's representative: the preferred candidate if it is a member, else the lowest-energy one."""
    cluster_size: int
    viable: int
    score: float
    confidence: float


def viable_indices(behaviours: Sequence[Behaviour]) -> list[int]:
    """The candidates selection considers: those passing the most public examples."""
    best_on_examples = max(b.examples_passed for b in behaviours)
    return [i for i, b in enumerate(behaviours) if b.examples_passed == best_on_examples]


def rank_clusters(
    behaviours: Sequence[Behaviour], prefer: int = 0, energies: Sequence[float | None] | None = None
) -> list[Choice]:
    """Every cluster of viable candidates as a `Choice`, best first; `prefer` (e.g. the greedy answer)
    wins ties inside a cluster and between equally supported clusters.

    `energies` (one per candidate, None where unscored; lower is more likely correct) come from the Lens.
    """
    viable = viable_indices(behaviours)
    clusters: dict[tuple[str | None, ...], list[int]] = {}
    for index in viable:
        clusters.setdefault(behaviours[index].outputs, []).append(index)

    def energy(index: int) -> float:
        value = energies[index] if energies else None
        return 0.0 if value is None else value

    def support(members: list[int]) -> float:
        agreement = max(behaviours[i].predictions_matched for i in members)
        crashes = sum(output is None for output in behaviours[members[0]].outputs)
        return len(members) * (1 + agreement) - crashes

    def rank_key(members: list[int]) -> tuple[float, float, bool]:
        return (support(members), -min(energy(i) for i in members), prefer in members)

    def as_choice(members: list[int]) -> Choice:
        chosen = prefer if prefer in members else min(members, key=lambda i: (energy(i), i))
        top = behaviours[chosen]
        examples_factor = top.examples_passed / top.examples_total if top.examples_total else NO_EXAMPLES
        confidence = examples_factor * len(members) / len(behaviours)
        return Choice(chosen, len(members), len(viable), support(members), round(confidence, 3))

    return [as_choice(members) for members in sorted(clusters.values(), key=rank_key, reverse=True)]


def choose(behaviours: Sequence[Behaviour], prefer: int = 0, energies: Sequence[float | None] | None = None) -> Choice:
    """The best cluster's representative (see `rank_clusters`)."""
    return rank_clusters(behaviours, prefer, energies)[0]
