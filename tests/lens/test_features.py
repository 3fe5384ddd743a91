"""Features the Lens reads, computed from what the engine saw candidates do."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.candidates import Behaviour
from engine.prompts import load_prompt_set
from engine.stages.read import read_candidates
from engine.task import Task
from lens.features import FEATURE_NAMES, candidate_features


def test_features_measure_each_candidate_against_all_candidates() -> None:
    behaviours = [
        Behaviour(2, 2, ("1", "2")),
        Behaviour(2, 2, ("1", "2")),
        Behaviour(1, 2, ("1", None)),
        Behaviour(0, 2, ("9", "8"), predictions_matched=2),
    ]
    first, _, crashing, odd = candidate_features(behaviours, ["a" * 9, "b", "c", "d"])
    assert first.examples_passed == 1.0 and crashing.examples_passed == 0.5
    assert first.agreement == pytest.approx((3 / 4 + 2 / 4) / 2)
    assert first.cluster_share == 0.5 and odd.cluster_share == 0.25
    assert crashing.crashes == 0.5 and crashing.agreement == pytest.approx((3 / 4 + 0) / 2)
    assert odd.predictions_matched == 1.0
    assert first.log_code_length == pytest.approx(math.log1p(9))


def test_the_feature_vector_follows_the_feature_names() -> None:
    (features,) = candidate_features([Behaviour(1, 1, ())], ["x"])
    vector = features.vector()
    assert len(vector) == len(FEATURE_NAMES)
    assert vector[FEATURE_NAMES.index("cluster_share")] == 1.0


def test_a_candidate_proves_itself_only_on_a_task_that_shows_examples() -> None:
    assert Behaviour(2, 2, ()).proves_itself
    assert not Behaviour(1, 2, ()).proves_itself
    assert not Behaviour(0, 0, ()).proves_itself


class RecordingRuntime:
    """Embeds by text length, and remembers every text it was asked to read."""

    model_id = "fake"
    embedding_dim = 2

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def embed(self, text: str) -> np.ndarray:
        self.texts.append(text)
        return np.array([len(text), 1.0], dtype=np.float32)


async def test_reading_embeds_the_statement_with_the_code_of_the_chosen_candidates_only() -> None:
    runtime = RecordingRuntime()
    task = Task("t", "call", "Return the double of x.", "def f(x):\n", "f")
    behaviours = [Behaviour(1, 1, ("2",)), Behaviour(0, 1, ("3",)), Behaviour(1, 1, ("2",))]
    codes = ["def f(x): return 2*x", "def f(x): return x+1", "def f(x): return x+x"]
    readings = await read_candidates(runtime, load_prompt_set("v1"), task, codes, behaviours, [0, 2])
    assert [r.index for r in readings] == [0, 2]
    assert len(runtime.texts) == 2
    assert all("Return the double of x." in text for text in runtime.texts)
    assert codes[0] in runtime.texts[0] and codes[2] in runtime.texts[1]
    # Features still compare with every candidate, the unread one included.
    assert readings[0].features.cluster_share == pytest.approx(2 / 3)
