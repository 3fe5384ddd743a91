"""Candidate records: each problem's candidates, as selection (and the Lens) saw them, then labelled by the judge.

For one problem: the engine explores (candidates and their executions on public examples and
generated inputs, from the `Task` alone), reads every candidate when the records are for the Lens
(embedding and features; features alone otherwise), and only then does the judge run each
candidate on the hidden tests to label it. One problem's records are
appended to records.jsonl in one write as soon as it is done; problems already there are skipped,
so an interrupted collection continues where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import anyio
import numpy as np

from engine.pipeline import Exploration
from engine.task import Task
from lens.features import CandidateReading, candidate_features
from lens.records import LensRecord, append_records, compact_behaviour, recorded_problems
from sandbox.executor import Sandbox

if TYPE_CHECKING:
    # Type-only: the runner imports this module to record a bench's explorations.
    from atlas_lsp.bench.runner import BenchProblem


class Explorer(Protocol):
    """The part of `engine.service.Engine` collection uses."""

    @property
    def model_id(self) -> str: ...

    async def explore(self, task: Task) -> Exploration: ...

    async def read_candidates(self, task: Task, exploration: Exploration) -> list[CandidateReading]: ...


@dataclass(frozen=True)
class CollectSettings:
    out: Path
    dataset: str
    """The dataset's file name, stored in every record."""
    model_sha256: str
    prompt_set: str
    jobs: int = 1
    read: bool = True
    """Read every candidate (the model's embedding, for the Lens); without it, records hold behaviour and
    features only, which is all the replay of selection rules needs, and cost no model call."""


def pending_problems(problems: Sequence[BenchProblem], settings: CollectSettings) -> list[BenchProblem]:
    """The problems without records in `settings.out` yet."""
    done = recorded_problems(settings.out)
    return [p for p in problems if (settings.dataset, p.task.task_id) not in done]


async def collect(
    problems: Sequence[BenchProblem],
    engine: Explorer,
    judge: Sandbox,
    settings: CollectSettings,
    on_done: Callable[[BenchProblem, list[LensRecord]], None],
) -> None:
    pending = pending_problems(problems, settings)
    write_lock = anyio.Lock()
    limiter = anyio.CapacityLimiter(max(1, settings.jobs))

    async def one(problem: BenchProblem) -> None:
        async with limiter:
            records = await collect_problem(problem, engine, judge, settings)
        async with write_lock:
            append_records(settings.out, records)
            on_done(problem, records)

    async with anyio.create_task_group() as group:
        for problem in pending:
            group.start_soon(one, problem)


async def collect_problem(
    problem: BenchProblem, engine: Explorer, judge: Sandbox, settings: CollectSettings
) -> list[LensRecord]:
    exploration = await engine.explore(problem.task)
    return await record_exploration(problem, exploration, engine, judge, settings)


async def record_exploration(
    problem: BenchProblem, exploration: Exploration, engine: Explorer, judge: Sandbox, settings: CollectSettings
) -> list[LensRecord]:
    """Read every candidate as the Lens would (if `settings.read`), then label each with the hidden tests."""
    task = problem.task
    behaviours = exploration.behaviours
    codes = [candidate.code for candidate in exploration.candidates]
    features = candidate_features(behaviours, codes)
    embeddings: list[np.ndarray | None] = [None] * len(codes)
    if settings.read:
        for reading in await engine.read_candidates(task, exploration):
            embeddings[reading.index] = reading.embedding
    # Every reading is fixed: only now are the hidden tests read, by the judge alone.
    labels: dict[str, bool] = {}
    for candidate in exploration.candidates:
        if candidate.code not in labels:
            result = await judge.run(
                candidate.code, problem.hidden_tests, entry_point=task.entry_point, stop_at_first_failure=True
            )
            labels[candidate.code] = result.passed
    return [
        LensRecord(
            problem_id=task.task_id,
            dataset=settings.dataset,
            title=problem.title,
            origin=candidate.origin,
            code=candidate.code,
            embedding=embeddings[index],
            features=features[index],
            behaviour=compact_behaviour(behaviours[index]),
            label=labels[candidate.code],
            judge=problem.judge,
            model=engine.model_id,
            model_sha256=settings.model_sha256,
            prompt_set=settings.prompt_set,
            tokens=candidate.tokens,
            seconds=candidate.seconds,
        )
        for index, candidate in enumerate(exploration.candidates)
    ]
