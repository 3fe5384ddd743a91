"""Running candidates in the sandbox and reading what they did, in the engine's terms."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.candidates import Failure, GeneratedTest
from engine.counters import BusyClock
from engine.task import CaseStatus, Task
from sandbox.executor import Sandbox
from sandbox.limits import Limits
from sandbox.results import TestResult
from sandbox.testcases import TestCase, TestKind
from sandbox.worker import encode_value

# Sandbox statuses as an editor user reads them.
VERDICTS: dict[str, CaseStatus] = {
    "passed": "passed",
    "wrong_answer": "failed",
    "ran": "ran",
    "time_limit": "timeout",
    "memory_limit": "error",
    "output_limit": "error",
    "runtime_error": "error",
    "not_run": "not_run",
}


@dataclass(frozen=True)
class CaseOutcome:
    verdict: CaseStatus
    output: str | None
    """Comparable output (normalised stdout or encoded return value); None when the run failed."""
    shown: str
    error: str


@dataclass(frozen=True)
class Execution:
    examples: tuple[CaseOutcome, ...]
    tests: tuple[CaseOutcome, ...]
    predictions_matched: int = 0

    @property
    def examples_passed(self) -> int:
        return sum(outcome.verdict == "passed" for outcome in self.examples)

    @property
    def passes_examples(self) -> bool:
        return self.examples_passed == len(self.examples)

    def failures(self, task: Task) -> list[Failure]:
        """The examples this program fails, in the task's order (empty when it passes them all)."""
        return [
            Failure(example.input, example.output, outcome.shown, outcome.error)
            for example, outcome in zip(task.examples, self.examples, strict=False)
            if outcome.verdict not in ("passed", "not_run")
        ]

    def improves_on(self, original: Execution, task: Task, repaired_input: str) -> bool:
        """Passes every example the original passed, and the one it was repaired on."""
        required = [
            new
            for example, new, old in zip(task.examples, self.examples, original.examples, strict=False)
            if old.verdict == "passed" or example.input == repaired_input
        ]
        return all(new.verdict == "passed" for new in required) and self.examples_passed > original.examples_passed


class Executor:
    def __init__(self, sandbox: Sandbox, limits: Limits | None = None) -> None:
        self._sandbox = sandbox
        self._limits = limits
        """Each run's limits; None: the sandbox's own."""
        self.busy = BusyClock()
        """Wall time with a sandbox run in flight, for `Engine.counters`."""

    async def run(
        self, task: Task, code: str, tests: Sequence[GeneratedTest], *, stop_after_timeout: bool = False
    ) -> Execution:
        """`code` on the task's examples, then on `tests`. With `stop_after_timeout`, the cases after one
        that exceeds the wall-time limit are not run: a hanging candidate costs the limit once."""
        kind = TestKind(task.kind)
        cases = [
            TestCase(kind, example.input, example.output, example.atol, example.match) for example in task.examples
        ]
        cases += [TestCase(kind, test.input) for test in tests]
        project_root = Path(task.project_root) if task.project_root else None
        with self.busy.running():
            result = await self._sandbox.run(
                code,
                cases,
                entry_point=task.entry_point,
                limits=self._limits,
                stop_after_timeout=stop_after_timeout,
                project_root=project_root,
            )
        outcomes = [_outcome(kind, test) for test in result.tests]
        examples, generated = outcomes[: len(task.examples)], outcomes[len(task.examples) :]
        matched = sum(
            1
            for test, outcome in zip(tests, generated, strict=False)
            if test.has_prediction and outcome.output == encode_value(test.predicted)
        )
        return Execution(tuple(examples), tuple(generated), matched)


def _outcome(kind: TestKind, result: TestResult) -> CaseOutcome:
    status = result.verdict.value
    verdict = VERDICTS.get(status, "error")
    if verdict in ("error", "timeout", "not_run"):
        return CaseOutcome(verdict, None, status.replace("_", " "), result.stderr_tail or result.detail or status)
    if kind is TestKind.STDIN:
        output = "\n".join(line.strip() for line in result.stdout.strip().split("\n"))
        return CaseOutcome(verdict, output, result.stdout, "")
    returned = result.returned if result.returned is not None else "null"
    return CaseOutcome(verdict, returned, _readable(returned), "")


def _readable(encoded: str) -> str:
    try:
        return json.dumps(json.loads(encoded))
    except ValueError:
        return encoded
