"""`--bench DATASET --task repair`: repair each buggy function as the editor would, then judge the file.

The engine gets what the editor's Repair gets from a file and its test file (`RepairTask.editor_view`):
the buggy function with its docstring, and the public check's asserts as examples; running them gives
the failing call, the expected and the actual value or the traceback. Its answer goes back into the
file the way the editor puts it there (`RepairTask.edited`), and only then does the judge run the
hidden check on that file. The public check is run on the buggy and the repaired file too (it is
public): a repair that breaks a public check the buggy code passed is counted.

`pipeline` mode is the engine's Repair; `single` mode is the baseline, one greedy rewrite of the
function from its code and docstring, nothing run.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from atlas_lsp.bench.repair_judge import CheckOutcome, CheckVerdict, judge_answer, run_check
from atlas_lsp.bench.repair_tasks import RepairProblem
from atlas_lsp.bench.runner import Attempted, Clock, answer_fields
from atlas_lsp.features.rewrite import UnusableAnswer
from engine.service import Engine
from sandbox.executor import Sandbox

RepairMode = Literal["pipeline", "single"]
"""The engine's Repair, or one rewrite with nothing run."""
UNUSABLE = "unusable"
"""The verdict of an answer the editor could not put into the file."""


def repairing(engine: Engine, judge: Sandbox, mode: RepairMode) -> Callable[[RepairProblem], Awaitable[Attempted]]:
    """The attempt of a repair run: `repair_and_judge` with this engine, judge and mode."""

    async def attempt(problem: RepairProblem) -> Attempted:
        return await repair_and_judge(problem, engine, judge, mode), []

    return attempt


async def repair_and_judge(problem: RepairProblem, engine: Engine, judge: Sandbox, mode: RepairMode) -> dict[str, Any]:
    task, program = problem.task.editor_view()
    clock = Clock.start()
    answer = await (engine.repair(task, program) if mode == "pipeline" else engine.rewrite(task, program))
    clock = clock.stop()
    buggy = problem.task.buggy_function
    try:
        edited = problem.task.edited(answer.code)
    except UnusableAnswer as error:
        edited, unusable = buggy, str(error)
    else:
        unusable = ""
    entry_point = problem.task.entry_point
    public_before = await run_check(buggy, problem.task.example_test, entry_point, judge)
    public_after = await run_check(edited, problem.task.example_test, entry_point, judge)
    # The file is fixed: only now is the hidden check read, by the judge alone.
    verdict = (
        CheckVerdict(CheckOutcome.ERROR, error=f"unusable answer: {unusable}")
        if unusable
        else await judge_answer(problem, edited, judge)
    )
    return {
        "question_id": problem.task.task_id,
        # Reports group by difficulty: a repair task's is the kind of its bug.
        "difficulty": problem.bug_kind or "unknown",
        "platform": "repair",
        "contest_date": "",
        "judge": "full",
        "kind": task.kind,
        "task": "repair",
        "passed": verdict.passed,
        "verdict": UNUSABLE if unusable else verdict.outcome.value,
        "verdict_detail": verdict.describe(problem.hidden.test),
        "unchanged": same_code(edited, buggy),
        "public_before": public_before.passed,
        "public_after": public_after.passed,
        "broke_public": public_before.passed and not public_after.passed,
        "examples_unread": 0,
        "repaired_file": edited,
        **answer_fields(answer, clock),
    }


def same_code(first: str, second: str) -> bool:
    """The two programs are the same code, whatever their layout and comments."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (DeprecationWarning, SyntaxWarning))
            return ast.dump(ast.parse(first)) == ast.dump(ast.parse(second))
    except SyntaxError:
        return first.strip() == second.strip()
