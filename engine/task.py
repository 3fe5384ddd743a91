"""What the engine is asked to do and what it answers.

A `Task` carries only what a solver may read: the statement, the starter code and the public
examples the statement shows. Hidden tests have no field here, so no stage can reach them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from sandbox.testcases import CallMatch

TaskKind = Literal["stdin", "functional", "call"]
"""stdin: a program reading stdin; functional: a LeetCode `Solution` method; call: a plain function."""


@dataclass(frozen=True)
class Example:
    """A public example: an input and its expected output, encoded as the task kind's tests are, and how
    a call's answer is held to the output (`sandbox.testcases.TestCase` reads `atol` and `match` the same way)."""

    input: str
    output: str
    atol: float = 0.0
    """Absolute tolerance on a float answer, as `math.isclose(f(x), 4.19, rel_tol=0.001)` allows."""
    match: CallMatch = "equal"
    """`as_sets` when the example compares the answer's items as a set (`set(f(x)) == {1, 2}`)."""


@dataclass(frozen=True)
class Task:
    task_id: str
    kind: TaskKind
    statement: str
    starter_code: str = ""
    entry_point: str | None = None
    examples: tuple[Example, ...] = ()
    context: str = ""
    """Code around the function in the user's workspace (helpers it may call), if any."""
    project_root: str | None = None
    """The user's workspace folder: its modules are importable (read-only) when candidates run."""
    imports: tuple[str, ...] = ()
    """The import lines of the user's file: a candidate may use the names they bind without writing them."""

    @property
    def function_body_start(self) -> str:
        """The starter code, when it is the entry point's own header (its `def` line and docstring, as the
        editor's Solve and HumanEval give it), followed by the indentation its body starts at: where a reply
        that writes only the body begins. Empty otherwise (MBPP's starter is a docstring alone)."""
        if self.entry_point is None:
            return ""
        opens = re.search(rf"^([ \t]*)(async\s+)?def\s+{re.escape(self.entry_point)}\s*\(", self.starter_code, re.M)
        if opens is None:
            return ""
        header = self.starter_code.rstrip()
        last_line = header.rsplit("\n", 1)[-1]
        last_indent = last_line[: len(last_line) - len(last_line.lstrip())]
        # Below a docstring the body is at the docstring's indentation; below the signature, one level in.
        body_indent = last_indent if len(last_indent) > len(opens.group(1)) else opens.group(1) + "    "
        return f"{header}\n{body_indent}"


@dataclass(frozen=True)
class StageUsage:
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0
    candidates: int = 0
    sandbox_runs: int = 0


@dataclass(frozen=True)
class Evidence:
    """Why the engine chose its answer; shown to users and written to bench results."""

    candidates: int
    examples_total: int
    examples_passed: int
    cluster_size: int = 1
    energy: float | None = None
    repaired: bool = False
    origin: str = ""
    """The stage that wrote the answer: greedy, sample, plan:N, original, repair:direct, repair:sampled, repair:N."""

    @property
    def fails_examples(self) -> bool:
        """Some public example (or a test the user's code failed) is still not passed."""
        return self.examples_passed < self.examples_total


@dataclass(frozen=True)
class Answer:
    code: str
    confidence: float
    evidence: Evidence
    usage: dict[str, StageUsage] = field(default_factory=dict)

    @property
    def tokens_in(self) -> int:
        return sum(stage.tokens_in for stage in self.usage.values())

    @property
    def tokens_out(self) -> int:
        return sum(stage.tokens_out for stage in self.usage.values())


@dataclass(frozen=True)
class Event:
    """Progress of a running task, for editor progress and bench progress bars."""

    stage: str
    done: int
    total: int
    tokens: int = 0
    message: str = ""


CaseStatus = Literal["passed", "failed", "error", "timeout", "ran", "not_run"]
"""not_run: a candidate's test after one it timed out on (the engine does not wait for a second hang)."""


@dataclass(frozen=True)
class CaseResult:
    """One test of a verify run. `expected` is None when no trusted expected output exists."""

    input: str
    expected: str | None
    actual: str
    status: CaseStatus
    detail: str = ""
    origin: Literal["example", "generated"] = "example"


@dataclass(frozen=True)
class VerifyReport:
    cases: tuple[CaseResult, ...]

    @property
    def failing(self) -> tuple[CaseResult, ...]:
        return tuple(case for case in self.cases if case.status in ("failed", "error", "timeout"))

    @property
    def passed(self) -> bool:
        return not self.failing
