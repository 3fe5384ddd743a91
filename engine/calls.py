"""Model calls of one task: rendered from the prompt set, traced, metered, reported as events."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from engine.prompts import PromptSet
from engine.runtime.base import Generation, Message, Runtime, SamplingParams
from engine.task import Event, StageUsage, TaskKind
from engine.trace import Tracer


@dataclass
class Meter:
    """Accounting per stage: tokens in and out, seconds, candidates, sandbox runs."""

    stages: dict[str, StageUsage] = field(default_factory=lambda: defaultdict(StageUsage))

    def add(self, stage: str, **amounts: float) -> None:
        current = self.stages[stage]
        self.stages[stage] = replace(current, **{k: getattr(current, k) + v for k, v in amounts.items()})

    def snapshot(self) -> dict[str, StageUsage]:
        return dict(self.stages)


class TaskCalls:
    """Everything a stage needs to talk to the model about one task."""

    def __init__(
        self,
        runtime: Runtime,
        prompts: PromptSet,
        tracer: Tracer,
        meter: Meter,
        task_id: str,
        emit: Callable[[Event], None],
        task_kind: TaskKind,
    ) -> None:
        self.runtime = runtime
        self.prompts = prompts
        self._tracer = tracer
        self.meter = meter
        self._task_id = task_id
        self._task_kind = task_kind
        self._emit = emit

    async def ask(
        self, stage: str, prompt_key: str, params: Sequence[SamplingParams], statement: str, **fields: str
    ) -> list[Generation]:
        """Send one rendered prompt about `statement` and sample `len(params)` completions of it together."""
        prompt = self.prompts.user_message(prompt_key, statement, **fields)
        if stops := self.prompts.stops(prompt_key, self._task_kind):
            params = [replace(p, stop=(*p.stop, *stops)) for p in params]
        messages = [Message("system", self.prompts.system), Message("user", prompt)]
        greedy = all(p.temperature == 0 for p in params)
        answer_start = self.prompts.answer_prefix(prompt_key, greedy, statement=statement, **fields)
        if answer_start and self.runtime.continues_answers:
            messages.append(Message("assistant", answer_start))
        else:
            answer_start = ""
        self._tracer.record(
            self._task_id,
            "prompt",
            stage=stage,
            key=prompt_key,
            prompt=prompt,
            answer_start=answer_start,
            n=len(params),
        )
        started = time.monotonic()
        continued = await self.runtime.generate_many(messages, params)
        seconds = time.monotonic() - started
        generations = [replace(g, text=answer_start + g.text) for g in continued]
        for generation in generations:
            self._tracer.record(
                self._task_id,
                "completion",
                stage=stage,
                text=generation.text,
                tokens=generation.completion_tokens,
                finish=generation.finish_reason,
            )
        self.meter.add(
            stage,
            tokens_in=generations[0].prompt_tokens if generations else 0,
            tokens_out=sum(g.completion_tokens for g in generations),
            seconds=seconds,
        )
        return generations

    def event(self, stage: str, done: int, total: int, message: str = "") -> None:
        tokens = sum(usage.tokens_out for usage in self.meter.stages.values())
        self._emit(Event(stage=stage, done=done, total=total, tokens=tokens, message=message))

    def trace(self, kind: str, **payload: object) -> None:
        self._tracer.record(self._task_id, kind, **payload)
