"""The three actions — solve, verify, repair — from a parsed file to an engine call and its outcome.

Shared by the language server and the headless commands, so both build the same task and the same
edit from the same file.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from atlas_lsp.context import FunctionContext
from atlas_lsp.features.rewrite import Rewrite, rewrite
from atlas_lsp.features.targets import Target, build_task, program_of, runs_in_sandbox
from atlas_lsp.functions import FunctionSite, ModuleSource
from engine.task import Answer, CaseResult, Event, Example, VerifyReport
from sandbox import decode_value

if TYPE_CHECKING:  # the engine pulls in numpy and the model runtime: imported when the first job opens it
    from engine.service import Engine


class Action(enum.Enum):
    SOLVE = "solve"
    VERIFY = "verify"
    REPAIR = "repair"

    @property
    def title(self) -> str:
        return f"ATLAS: {self.value.capitalize()}"

    @property
    def command(self) -> str:
        return f"atlas.{self.value}"

    def offered_for(self, target: Target) -> bool:
        """Solve writes stubs; verify and repair work on written code the sandbox can run."""
        if self is Action.SOLVE:
            return target.is_stub
        return not target.is_stub and runs_in_sandbox(target)


@dataclass(frozen=True)
class Edit:
    """Solve's or repair's outcome: the rewrite of the file and the answer it came from."""

    rewrite: Rewrite
    answer: Answer


@dataclass(frozen=True)
class Verdict:
    """Verify's outcome."""

    report: VerifyReport


async def run_action(
    engine: Engine,
    action: Action,
    module: ModuleSource,
    target: Target,
    path: str,
    known_failures: Sequence[Example] = (),
    on_event: Callable[[Event], None] | None = None,
    workspace: FunctionContext = FunctionContext(),
    warn: Callable[[str], None] = lambda message: None,
) -> Edit | Verdict:
    """Raises `UnusableAnswer` when the engine's answer cannot be put into the file. `warn` hears of
    inputs that were left out (tests that cannot run) as soon as they are known."""
    if action is Action.REPAIR:
        workspace = await _without_hanging_tests(engine, module, target, path, workspace, warn)
    task = build_task(module, target, path, workspace)
    if action is Action.VERIFY:
        return Verdict(await engine.verify(task, program_of(module, target), on_event))
    if action is Action.SOLVE:
        answer = await engine.solve(task, on_event)
    else:
        answer = await engine.repair(task, program_of(module, target), known_failures, on_event)
    return Edit(rewrite(module, target, answer.code), answer)


async def _without_hanging_tests(
    engine: Engine,
    module: ModuleSource,
    target: Target,
    path: str,
    workspace: FunctionContext,
    warn: Callable[[str], None],
) -> FunctionContext:
    """The workspace without the test calls the code does not finish: such a test cannot run, and a repair
    held to it would rewrite a function against a broken test (or spend minutes on a case that cannot pass).
    The function's own doctests stay: they are its specification."""
    if not workspace.test_examples:
        return workspace
    tests_only = replace(build_task(module, target, path, workspace), examples=workspace.test_examples)
    cases = await engine.check(tests_only, program_of(module, target))
    hanging = [case for case in cases if case.status == "timeout"]
    for case in hanging:
        warn(f"left out a test that does not finish: {describe_case(case, target)}")
    left_out = {case.input for case in hanging}
    return replace(workspace, test_examples=tuple(e for e in workspace.test_examples if e.input not in left_out))


def failures_worth_repairing(report: VerifyReport) -> tuple[Example, ...]:
    """Failing cases with a trusted expected answer: the ones a repair can be held to."""
    return tuple(Example(case.input, case.expected) for case in report.failing if case.expected is not None)


def describe_case(case: CaseResult, target: Target) -> str:
    """One failing case as the user reads it: the call (or input), what came out, what was expected."""
    if isinstance(target, FunctionSite):
        subject = f"{target.name}({_arguments(case.input)})"
        outcome = {"failed": f"returned {_value(case.actual)}", "timeout": "timed out", "error": "raised an error"}
        expected = _value(case.expected) if case.expected is not None else None
    else:
        subject = f"On input {case.input!r} the program"
        outcome = {"failed": f"printed {case.actual!r}", "timeout": "timed out", "error": "crashed"}
        expected = repr(case.expected) if case.expected is not None else None
    expectation = f", expected {expected}" if expected is not None and case.status == "failed" else ""
    detail = f": {case.detail.strip().splitlines()[-1]}" if case.detail.strip() else ""
    return f"{subject} {outcome[case.status]}{expectation}{detail}"


def _value(encoded: str) -> str:
    """A value in the sandbox's encoding, written as Python writes it."""
    try:
        return repr(decode_value(encoded))
    except ValueError:
        return encoded


def _arguments(encoded: str) -> str:
    try:
        arguments = decode_value(encoded)
    except ValueError:
        return encoded
    if not isinstance(arguments, list):
        return encoded
    return ", ".join(repr(argument) for argument in arguments)
