"""Stand-ins for the model and the sandbox, so the engine's real explore/read path runs in milliseconds.

The fake model answers every solve prompt with one of a few fixed programs of `f(x)`, and the fake
sandbox really calls them in-process (they are ours, not a model's). Both remember everything they
were shown, so a test can prove what reached them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import numpy as np

from engine.candidates import Behaviour
from engine.runtime.base import Generation, Message, SamplingParams
from lens.features import CandidateFeatures
from lens.records import LensRecord
from sandbox.results import ProgramResult, TestResult, Verdict
from sandbox.testcases import TestCase
from sandbox.worker import encode_value

PROGRAMS = (
    "def f(x):\n    return x * 2\n",  # right
    "def f(x):\n    return x + x\n",  # right, written differently
    "def f(x):\n    return x + 2\n",  # agrees with the right ones on x = 2 only
    "def f(x):\n    return x ** 2\n",  # likewise
)
SELF_TESTS = "```python\nassert f(2) == 4\nassert f(5) == 10\n```"
EMBEDDING_DIM = 4


def neutral_features(**overrides: float) -> CandidateFeatures:
    values = dict(
        examples_passed=1.0, agreement=0.5, cluster_share=0.5, predictions_matched=0.0, crashes=0.0, log_code_length=5.0
    )
    return CandidateFeatures(**(values | overrides))


def synthetic_record(
    problem_id: str,
    label: bool,
    *,
    embedding: np.ndarray | None = None,
    features: CandidateFeatures | None = None,
    outputs: tuple[str | None, ...] = ("x",),
    origin: str = "sample",
    title: str = "",
    judge: str = "full",
    dim: int = 4,
    examples: tuple[int, int] = (1, 1),
    tokens: int = 0,
) -> LensRecord:
    return LensRecord(
        problem_id=problem_id,
        dataset="synthetic.jsonl",
        title=title,
        origin=origin,
        code=f"def f(): return {problem_id!r}, {label}",
        embedding=np.zeros(dim, dtype=np.float32) if embedding is None else embedding,
        features=features or neutral_features(),
        behaviour=Behaviour(*examples, outputs),
        label=label,
        judge=judge,  # type: ignore[arg-type]
        model="small",
        model_sha256="a" * 64,
        prompt_set="v1",
        tokens=tokens,
    )


def separable_records(problems: int = 120, candidates: int = 5, seed: int = 1) -> list[LensRecord]:
    """Mixed problems where agreement with other candidates (plus noise) predicts the label, and the
    embedding is noise: a Lens must find the feature."""
    rng = np.random.default_rng(seed)
    records = []
    for problem in range(problems):
        passing = rng.integers(1, candidates)
        for candidate in range(candidates):
            label = bool(candidate < passing)
            agreement = float(np.clip((0.7 if label else 0.3) + rng.normal(0, 0.1), 0, 1))
            features = neutral_features(agreement=agreement, log_code_length=float(rng.normal(5, 1)))
            embedding = rng.normal(size=8).astype(np.float32)
            records.append(
                synthetic_record(
                    f"p{problem}", label, embedding=embedding, features=features, outputs=(f"out{candidate}",), dim=8
                )
            )
    return records


class FakeRuntime:
    model_id = "small"
    continues_answers = False
    embedding_dim = EMBEDDING_DIM
    backend = "fake runtime (scripted replies)"

    def __init__(self) -> None:
        self.seen: list[str] = []
        """Every prompt and every text embedded."""
        self.embedded: list[str] = []

    async def generate_many(
        self, messages: Sequence[Message], params: Sequence[SamplingParams], on_token=None
    ) -> list[Generation]:
        prompt = messages[-1].content
        self.seen.append(prompt)
        if "assert f(" in prompt:
            replies = [SELF_TESTS] * len(params)
        elif "Do not write code" in prompt:
            replies = ["1. double x"] * len(params)
        else:
            replies = [f"```python\n{PROGRAMS[p.seed % len(PROGRAMS)]}```" for p in params]
        return [Generation(reply, 10, 10, "stop") for reply in replies]

    async def embed(self, text: str) -> np.ndarray:
        self.seen.append(text)
        self.embedded.append(text)
        digest = hashlib.sha256(text.encode()).digest()
        return np.frombuffer(digest[: 4 * EMBEDDING_DIM], dtype=np.uint32).astype(np.float32) / 2**32

    async def aclose(self) -> None:
        """Nothing to release."""


class FakeSandbox:
    """Calls `f` on each test's JSON arguments in this process."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.stops_after_timeout: list[bool] = []
        """Each run's `stop_after_timeout`, in order."""

    async def run(
        self,
        code: str,
        tests: Sequence[TestCase],
        *,
        entry_point=None,
        project_root=None,
        stop_at_first_failure: bool = False,
        stop_after_timeout: bool = False,
        limits=None,
    ) -> ProgramResult:
        self.seen.append(code)
        self.stops_after_timeout.append(stop_after_timeout)
        namespace: dict = {}
        exec(code, namespace)
        results = []
        for test in tests:
            self.seen.append(test.input)
            try:
                returned = encode_value(namespace[entry_point](*json.loads(test.input)))
            except TypeError:
                results.append(TestResult(Verdict.RUNTIME_ERROR))
                continue
            if test.expected is None:
                verdict = Verdict.RAN
            else:
                verdict = Verdict.PASSED if returned == test.expected else Verdict.WRONG_ANSWER
            results.append(TestResult(verdict, returned=returned))
        return ProgramResult(tuple(results))

    def close(self) -> None:
        """No uids to give back."""
