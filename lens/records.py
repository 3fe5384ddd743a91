"""Training records: one JSON line per labelled candidate in `<folder>/records.jsonl`.

A record holds what the Lens reads at inference (embedding, features, behaviour) plus the label
the judge gave afterwards. Labels exist only here, for training and evaluation; the engine never
reads records.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from lens.features import Behaviour, CandidateFeatures, lens_input

RECORDS_FILE = "records.jsonl"
JudgeKind = Literal["full", "public-only", "use"]
"""full: hidden tests; public-only: the dataset has only public tests (weak labels); use: an outcome seen in use."""


@dataclass(frozen=True, eq=False)
class LensRecord:
    problem_id: str
    dataset: str
    """File name of the dataset the problem came from."""
    title: str
    """The problem's title (a LeetCode slug joins the same problem across datasets); "" when it has none."""
    origin: str
    """How the engine wrote the candidate: greedy, sample, plan:N, repair:N."""
    code: str
    embedding: np.ndarray
    features: CandidateFeatures
    behaviour: Behaviour
    """Outputs on generated inputs as short digests: equality is all selection needs."""
    label: bool
    judge: JudgeKind
    model: str
    model_sha256: str
    prompt_set: str

    @property
    def split_key(self) -> str:
        """What the train/validation split hashes: the same problem in two datasets shares its title."""
        return self.title or self.problem_id

    @property
    def problem(self) -> tuple[str, str]:
        """Candidates with the same (dataset, problem id) compete in one selection."""
        return self.dataset, self.problem_id

    def names(self) -> set[str]:
        """The identifiers an exclusion list or a weights file may name this problem by."""
        return {name for name in (self.problem_id, self.title) if name}

    def input_vector(self) -> np.ndarray:
        return lens_input(self.embedding, self.features.vector())

    def to_json(self) -> str:
        return json.dumps(
            {
                "problem_id": self.problem_id,
                "dataset": self.dataset,
                "title": self.title,
                "origin": self.origin,
                "code": self.code,
                "embedding": encode_embedding(self.embedding),
                "embedding_dim": int(self.embedding.shape[0]),
                "features": asdict(self.features),
                "behaviour": asdict(self.behaviour),
                "label": self.label,
                "judge": self.judge,
                "model": self.model,
                "model_sha256": self.model_sha256,
                "prompt_set": self.prompt_set,
            }
        )

    @classmethod
    def from_json(cls, line: str) -> LensRecord:
        raw = json.loads(line)
        behaviour = raw["behaviour"]
        return cls(
            problem_id=raw["problem_id"],
            dataset=raw["dataset"],
            title=raw["title"],
            origin=raw["origin"],
            code=raw["code"],
            embedding=decode_embedding(raw["embedding"], raw["embedding_dim"]),
            features=CandidateFeatures(**raw["features"]),
            behaviour=Behaviour(
                examples_passed=behaviour["examples_passed"],
                examples_total=behaviour["examples_total"],
                outputs=tuple(behaviour["outputs"]),
                predictions_matched=behaviour["predictions_matched"],
            ),
            label=raw["label"],
            judge=raw["judge"],
            model=raw["model"],
            model_sha256=raw["model_sha256"],
            prompt_set=raw["prompt_set"],
        )


def encode_embedding(embedding: np.ndarray) -> str:
    """base64 of little-endian float16: a quarter of the JSON size, and finer than the signal."""
    return base64.b64encode(embedding.astype("<f2").tobytes()).decode("ascii")


def decode_embedding(text: str, dim: int) -> np.ndarray:
    values = np.frombuffer(base64.b64decode(text), dtype="<f2")
    if values.shape != (dim,):
        raise ValueError(f"embedding has {values.size} values, expected {dim}")
    return values.astype(np.float32)


def compact_behaviour(behaviour: Behaviour) -> Behaviour:
    """The same behaviour with each output replaced by a 12-character digest (None stays None)."""
    outputs = tuple(
        None if output is None else hashlib.sha256(output.encode()).hexdigest()[:12] for output in behaviour.outputs
    )
    return Behaviour(behaviour.examples_passed, behaviour.examples_total, outputs, behaviour.predictions_matched)


def append_records(folder: Path, records: Sequence[LensRecord]) -> None:
    """Append one problem's records in a single write, so an interruption loses whole problems."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / RECORDS_FILE).open("a", encoding="utf-8") as handle:
        handle.write("".join(record.to_json() + "\n" for record in records))
        handle.flush()


def read_records(folders: Iterable[Path]) -> list[LensRecord]:
    """Every complete record in the folders' records.jsonl files, in file order."""
    records = []
    for folder in folders:
        path = folder / RECORDS_FILE
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(LensRecord.from_json(line))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):  # a line cut by a crash
                continue
    return records


def recorded_problems(folder: Path) -> set[tuple[str, str]]:
    """(dataset, problem id) of the problems that already have records in `folder`."""
    return {record.problem for record in read_records([folder])}
