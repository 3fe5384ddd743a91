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
    embeddings = await embed_readings(runtime, prompts, task, [codes[index] for index in indices])
    return [
        CandidateReading(index, embedding, features[index])
        for index, embedding in zip(indices, embeddings, strict=True)
    ]


async def embed_readings(runtime: Runtime, prompts: PromptSet, task: Task, codes: Sequence[str]) -> list[np.ndarray]:
    """The model's embedding of each code read together with its problem, in the order of `codes`."""
    embeddings: dict[int, np.ndarray] = {}

    async def embed(index: int) -> None:
        embeddings[index] = await runtime.embed(reading_text(prompts, task, codes[index]))

    async with anyio.create_task_group() as group:
        for index in range(len(codes)):
            group.start_soon(embed, index)
    return [embeddings[index] for index in range(len(codes))]
