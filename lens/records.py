"""Candidate records in `<folder>/records.jsonl`: one JSON line per problem, the list of its labelled candidates.

A record holds what selection and the Lens read at inference (behaviour, features, and the embedding
when the candidates were read) plus the label the judge gave afterwards. Labels exist only here, for
training, evaluation and the replay of selection rules; the engine never reads records. A problem is one
line so that a crash in the middle of writing it leaves a cut last line, never a problem that looks
recorded with some of its candidates missing.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from engine.candidates import Behaviour
from lens.features import CandidateFeatures, lens_input

RECORDS_FILE = "records.jsonl"
JudgeKind = Literal["full", "public-only", "use"]
"""full: hidden tests; public-only: the dataset has only public tests (weak labels); use: an outcome seen in use."""


class UnreadableRecords(ValueError):
    """A records file with a damaged line that no crash of the writer explains."""


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
    embedding: np.ndarray | None
    """The model's reading of the candidate; None when the run recorded candidates without reading them."""
    features: CandidateFeatures
    behaviour: Behaviour
    """Outputs on generated inputs as short digests: equality is all selection needs."""
    label: bool
    judge: JudgeKind
    model: str
    model_sha256: str
    prompt_set: str
    tokens: int = 0
    """Completion tokens spent writing the candidate (0 in records made before 2026-12-03)."""
    seconds: float = 0.0
    """Its share of the wall time of the call that wrote it."""

    @property
    def split_key(self) -> str:
        """The problem's name across datasets, which the split hashes and weights list: its title (the same
        LeetCode problem in two datasets shares it), or its id when it has none."""
        return self.title or self.problem_id

    @property
    def problem(self) -> tuple[str, str]:
        """Candidates with the same (dataset, problem id) compete in one selection."""
        return self.dataset, self.problem_id

    @property
    def embedding_dim(self) -> int:
        """The embedding's size; 0 for a candidate recorded without reading it."""
        return 0 if self.embedding is None else int(self.embedding.shape[0])

    def input_vector(self) -> np.ndarray:
        if self.embedding is None:
            raise UnreadableRecords(
                f"problem {self.problem_id} of {self.dataset} was recorded without reading its candidates: the Lens "
                "needs records made with --lens-records or --lens-collect"
            )
        return lens_input(self.embedding, self.features.vector())

    def to_dict(self) -> dict[str, Any]:
        embedding = (
            {}
            if self.embedding is None
            else {
                "embedding": encode_embedding(self.embedding),
                "embedding_dim": self.embedding_dim,
            }
        )
        return {
            "problem_id": self.problem_id,
            "dataset": self.dataset,
            "title": self.title,
            "origin": self.origin,
            "code": self.code,
            **embedding,
            "features": asdict(self.features),
            "behaviour": asdict(self.behaviour),
            "label": self.label,
            "judge": self.judge,
            "model": self.model,
            "model_sha256": self.model_sha256,
            "prompt_set": self.prompt_set,
            "tokens": self.tokens,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> LensRecord:
        behaviour = raw["behaviour"]
        return cls(
            problem_id=raw["problem_id"],
            dataset=raw["dataset"],
            title=raw["title"],
            origin=raw["origin"],
            code=raw["code"],
            embedding=decode_embedding(raw["embedding"], raw["embedding_dim"]) if "embedding" in raw else None,
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
            tokens=raw.get("tokens", 0),
            seconds=raw.get("seconds", 0.0),
        )


def encode_embedding(embedding: np.ndarray) -> str:
    """base64 of little-endian float16: a quarter of the JSON size, and finer than the signal."""
    if np.abs(embedding).max(initial=0.0) > np.finfo(np.float16).max or not np.isfinite(embedding).all():
        # One inf would turn every standardised input into NaN when the Lens trains.
        raise ValueError("embedding has values beyond float16's range: it cannot be stored")
    return base64.b64encode(embedding.astype("<f2").tobytes()).decode("ascii")


def decode_embedding(text: str, dim: int) -> np.ndarray:
    values = np.frombuffer(base64.b64decode(text), dtype="<f2")
    if values.shape != (dim,):
        raise ValueError(f"embedding has {values.size} values, expected {dim}")
    if not np.isfinite(values).all():
        raise ValueError("embedding has values that are not finite")
    return values.astype(np.float32)


def compact_behaviour(behaviour: Behaviour) -> Behaviour:
    """The same behaviour with each output replaced by a 12-character digest (None stays None)."""
    outputs = tuple(
        None if output is None else hashlib.sha256(output.encode()).hexdigest()[:12] for output in behaviour.outputs
    )
    return Behaviour(behaviour.examples_passed, behaviour.examples_total, outputs, behaviour.predictions_matched)


def append_records(folder: Path, records: Sequence[LensRecord]) -> None:
    """Append one problem's records as one line, after cutting off a line a crash left without its newline."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / RECORDS_FILE
    with path.open("a+b") as handle:
        size = handle.seek(0, 2)
        if size:
            handle.seek(size - 1)
            if handle.read(1) != b"\n":
                handle.seek(0)
                handle.truncate(handle.read().rfind(b"\n") + 1)
        handle.write((json.dumps([record.to_dict() for record in records]) + "\n").encode("utf-8"))
        handle.flush()


def read_records(folders: Iterable[Path]) -> list[LensRecord]:
    """Every recorded problem's records in the folders' records.jsonl files, in file order.

    A last line without its newline is a problem a crash cut off: it is skipped and collected again.
    Any other damaged line raises UnreadableRecords, since skipping it would silently lose a problem.
    """
    records: list[LensRecord] = []
    for folder in folders:
        path = folder / RECORDS_FILE
        if not path.exists():
            continue
        # A line is written with its newline in one write: text after the last newline is a cut write.
        complete = path.read_text(encoding="utf-8").rpartition("\n")[0]
        for number, line in enumerate(complete.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                problem = json.loads(line)
                if isinstance(problem, dict):
                    raise UnreadableRecords(
                        f"{path} holds one candidate per line, the format before 2026-11-29: collect these "
                        "problems again into a new folder"
                    )
                records.extend(LensRecord.from_dict(raw) for raw in problem)
            except UnreadableRecords:
                raise
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                raise UnreadableRecords(
                    f"{path}, line {number}: {type(error).__name__}: {error}. Each line is one problem's records; "
                    "delete that line and run --lens-collect again to collect the problem anew."
                ) from None
    return records


def foreign_sources(records: Iterable[LensRecord], model_sha256: str, prompt_set: str) -> str:
    """The model files and prompt sets among `records` other than the given ones ("" if none): records of
    another model or prompt set hold other embeddings and other candidates, so they cannot be mixed."""
    foreign = {(record.model_sha256, record.prompt_set) for record in records} - {(model_sha256, prompt_set)}
    return ", ".join(f"model sha256 {sha256} with prompt set {name!r}" for sha256, name in sorted(foreign))


def recorded_problems(folder: Path) -> set[tuple[str, str]]:
    """(dataset, problem id) of the problems that already have records in `folder`."""
    return {record.problem for record in read_records([folder])}
