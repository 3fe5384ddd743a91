"""What the Lens reads about one candidate: the model's embedding of problem and code, and a few
execution facts the engine already has.

Every input here comes from the `Task` (statement, starter code, public examples) and from running
candidates on public examples and generated inputs; nothing here can see hidden tests.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields

import numpy as np

from engine.candidates import NO_EXAMPLES, Behaviour


@dataclass(frozen=True)
class CandidateFeatures:
    examples_passed: float
    """Fraction of the public examples the candidate passes."""
    agreement: float
    """Mean over generated inputs of the share of candidates giving the same output (1 with no inputs)."""
    cluster_share: float
    """Share of candidates behaving identically on every generated input (its behaviour cluster)."""
    predictions_matched: float
    """Fraction of generated inputs where it reproduces the model's predicted output."""
    crashes: float
    """Fraction of generated inputs where it crashed or timed out."""
    log_code_length: float

    def vector(self) -> np.ndarray:
        return np.array(astuple(self), dtype=np.float32)


FEATURE_NAMES: tuple[str, ...] = tuple(field.name for field in fields(CandidateFeatures))


def candidate_features(behaviours: Sequence[Behaviour], codes: Sequence[str]) -> list[CandidateFeatures]:
    """Features of every candidate; agreement and clusters are measured against all of them."""
    count = len(behaviours)
    clusters = Counter(b.outputs for b in behaviours)
    inputs = len(behaviours[0].outputs) if behaviours else 0
    per_input = [Counter(b.outputs[j] for b in behaviours) for j in range(inputs)]
    features = []
    for behaviour, code in zip(behaviours, codes, strict=True):
        shares = [
            per_input[j][output] / count if output is not None else 0.0 for j, output in enumerate(behaviour.outputs)
        ]
        features.append(
            CandidateFeatures(
                examples_passed=(
                    behaviour.examples_passed / behaviour.examples_total if behaviour.examples_total else NO_EXAMPLES
                ),
                agreement=sum(shares) / inputs if inputs else 1.0,
                cluster_share=clusters[behaviour.outputs] / count,
                predictions_matched=behaviour.predictions_matched / inputs if inputs else 0.0,
                crashes=sum(output is None for output in behaviour.outputs) / inputs if inputs else 0.0,
                log_code_length=math.log1p(len(code)),
            )
        )
    return features


@dataclass(frozen=True, eq=False)
class CandidateReading:
    """One candidate as the Lens sees it."""

    index: int
    """Position among the exploration's candidates."""
    embedding: np.ndarray
    features: CandidateFeatures

    def input_vector(self) -> np.ndarray:
        return lens_input(self.embedding, self.features.vector())


def lens_input(embedding: np.ndarray, features: np.ndarray) -> np.ndarray:
    """The network's input: embedding, then features (standardized inside the network)."""
    return np.concatenate([embedding.astype(np.float32), features.astype(np.float32)])
