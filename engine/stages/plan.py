"""PlanSearch: observations about the problem, then several different plans written from them."""

from __future__ import annotations

import anyio

from engine.calls import TaskCalls
from engine.candidates import statement_of
from engine.stages import Sampling
from engine.task import Task


async def make_plans(calls: TaskCalls, task: Task, count: int, seed: int, sampling: Sampling) -> list[str]:
    """`count` plans, each steered towards a different kind of approach."""
    variants = calls.prompts.data["plan"]["variants"]
    plans: list[str] = [""] * count

    async def sketch(index: int) -> None:
        params = [sampling.params(seed, 0, index)]
        (generation,) = await calls.ask(
            "plan",
            "plan.sketch",
            params,
            statement=statement_of(calls.prompts, task),
            variant=variants[index % len(variants)],
        )
        plans[index] = generation.text.strip()

    # Different prompts cannot share one sampling call, but running them together lets the runtime
    # decode them in one batch and reuse the problem's cached prefix.
    async with anyio.create_task_group() as group:
        for index in range(count):
            group.start_soon(sketch, index)
    return [plan for plan in plans if plan]
