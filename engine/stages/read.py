"""The Lens's reading of candidates: the model embeds each candidate together with its problem."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import numpy as np

from engine.candidates import Behaviour, statement_of
from engine.prompts import PromptSet
from engine.runtime.base import Runtime
from engine.task import Task
from lens.features import CandidateReading, candidate_features


def reading_text(prompts: PromptSet, task: Task, code: str) -> str:
    return prompts.render("lens.reading", statement=statement_of(prompts, task), code=code)


async def read_candidates(
    runtime: Runtime,
    prompts: PromptSet,
    task: Task,
    codes: Sequence[str],
    behaviours: Sequence[Behaviour],
    indices: Sequence[int],
) -> list[CandidateReading]:
    """Embed the candidates at `indices`; features still compare each with every candidate."""
    features = candidate_features(behaviours, codes)
    embeddings: dict[int, np.ndarray] = {}

    async def embed(index: int) -> None:
        embeddings[index] = await runtime.embed(reading_text(prompts, task, codes[index]))

    async with anyio.create_task_group() as group:
        for index in indices:
            group.start_soon(embed, index)
    return [CandidateReading(index, embeddings[index], features[index]) for index in indices]
