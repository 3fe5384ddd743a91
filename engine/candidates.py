"""The data every stage shares: a candidate, the inputs it runs on, what it did there, how it failed,
and the problem statement (and clipped outputs) as prompts show them.

Below the stages and the Lens: stages, execution, selection and `lens.features` import these types;
this module imports only the task and the prompts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.prompts import PromptSet
from engine.task import Task

_UNKNOWN = object()

SHOWN_CHARS = 600
NO_EXAMPLES = 0.5
"""examples_passed when a task shows no example: neither evidence for nor against."""


@dataclass(frozen=True)
class Candidate:
    code: str
    origin: str
    """greedy, sample, plan:N or repair:N — kept for the trace and the ablation tables."""
    tokens: int = 0
    """Completion tokens the model spent writing it."""
    seconds: float = 0.0
    """Its share of the wall time of the call that wrote it (candidates sampled together split it)."""


@dataclass(frozen=True)
class GeneratedTest:
    input: str
    """Encoded like the task's tests: stdin text, JSON lines (functional) or a JSON list (call)."""
    predicted: Any = _UNKNOWN

    @property
    def has_prediction(self) -> bool:
        return self.predicted is not _UNKNOWN


@dataclass(frozen=True)
class Failure:
    """One public example (or user test) a program fails, as the program's user would see it."""

    input: str
    expected: str
    actual: str
    error: str = ""


@dataclass(frozen=True)
class Behaviour:
    """What the sandbox saw one candidate do."""

    examples_passed: int
    examples_total: int
    outputs: tuple[str | None, ...]
    """Output on each generated input; None where the candidate crashed or timed out there."""
    predictions_matched: int = 0

    @property
    def passes_examples(self) -> bool:
        return self.examples_passed == self.examples_total

    @property
    def proves_itself(self) -> bool:
        """Passes every public example of a task that shows some: the engine's router stops at a first
        attempt that does, so the Lens never ranks candidates of such a task."""
        return self.examples_total > 0 and self.passes_examples


def clip(text: str) -> str:
    """`text`, cut after SHOWN_CHARS: a prompt shows enough of a long input or output to judge it."""
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "\n... (cut)"


def statement_of(prompts: PromptSet, task: Task) -> str:
    """The problem as every prompt shows it: the statement, then the workspace code around it, if any."""
    if task.context:
        return prompts.render("context.with_project_code", statement=task.statement, context=task.context)
    return task.statement
