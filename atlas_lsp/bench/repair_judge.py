"""The repair judge: a program runs with a check appended, in the sandbox; it passes when the check runs to the end.

HumanEvalFix grades this way: the answer, then `test` (`def check(...)` and its call), as one script.
The script ends by printing a fresh nonce, so a program that exits early (`sys.exit()`, `os._exit(0)`)
before the check is done does not pass. A failure is read from the traceback the sandbox keeps: an
`AssertionError` raised by the check itself is a wrong answer at that assert's line; any other exception
is an error (its type and message, and the check's line that made the failing call); the wall-time
limit is a timeout.

`judge_answer` reads the hidden test and so quotes hidden material (a line of `test`, an exception
message that may echo an input): its verdicts are for result files, never for a prompt. `run_check`
on a task's public `example_test` gives what a developer would read from their own failing test.
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass

from atlas_lsp.bench.repair_tasks import RepairProblem, calls_check
from sandbox.executor import Sandbox
from sandbox.limits import Limits
from sandbox.results import TestResult, Verdict
from sandbox.testcases import TestCase, TestKind

# How the worker names the program in tracebacks (it compiles the code as "<solution>").
_FRAME = re.compile(r'^\s*File "<solution>", line (\d+)', re.MULTILINE)
_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::\s?(.*))?$")
ERROR_CHARS = 300


class CheckOutcome(str, enum.Enum):
    PASSED = "passed"
    WRONG_ANSWER = "wrong_answer"
    ERROR = "error"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class CheckVerdict:
    """How a program fared on a check."""

    outcome: CheckOutcome
    line: int | None = None
    """Line in the check's source of the failing assert (wrong answer) or of the call that raised (error);
    None when the traceback does not reach the check (a crash at import, a lost worker)."""
    error: str = ""
    """`Type: message` of the exception (AssertionError and its message, if any, for a wrong answer), or
    what stopped the program (a limit, an early exit)."""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.outcome is CheckOutcome.PASSED

    def describe(self, check_source: str) -> str:
        """One line for a report: the outcome, the check's line and its text, the error."""
        parts = [self.outcome.value]
        if self.line is not None:
            lines = check_source.splitlines()
            text = lines[self.line - 1].strip() if 0 < self.line <= len(lines) else ""
            parts.append(f"at line {self.line}" + (f": {text}" if text else ""))
        if self.error:
            parts.append(f"({self.error})")
        return " ".join(parts)


async def judge_answer(
    problem: RepairProblem, answer: str, sandbox: Sandbox, limits: Limits | None = None
) -> CheckVerdict:
    """The answer (a whole function, imports included) on the problem's hidden test."""
    return await run_check(answer, problem.hidden.test, problem.task.entry_point, sandbox, limits)


async def run_check(
    program: str, check_source: str, entry_point: str, sandbox: Sandbox, limits: Limits | None = None
) -> CheckVerdict:
    """`program` with `check_source` appended, run once as a script in the sandbox."""
    nonce = secrets.token_hex(8)
    script, check_start = check_script(program, check_source, entry_point, nonce)
    result = await sandbox.run(script, [TestCase(TestKind.STDIN, "")], limits=limits)
    return verdict_of(result.tests[0], check_start, nonce)


def check_script(program: str, check_source: str, entry_point: str, nonce: str) -> tuple[str, int]:
    """The script and the line (1-based) at which the check starts in it."""
    head = program.rstrip("\n") + "\n\n\n"
    tail = ""
    if not calls_check(check_source):
        # HumanEval's tests leave the call to the harness; HumanEvalPack's make it themselves.
        tail = f"\n\ncheck({entry_point})\n"
    done = f"\nprint({nonce!r})\n"
    return head + check_source.rstrip("\n") + "\n" + tail + done, head.count("\n") + 1


def verdict_of(test: TestResult, check_start: int, nonce: str) -> CheckVerdict:
    seconds = round(test.seconds, 3)
    if test.verdict is Verdict.RAN:
        if nonce in test.stdout:
            return CheckVerdict(CheckOutcome.PASSED, seconds=seconds)
        return CheckVerdict(CheckOutcome.ERROR, error="the program exited before the check finished", seconds=seconds)
    if test.verdict is Verdict.TIME_LIMIT:
        return CheckVerdict(CheckOutcome.TIMEOUT, error=test.detail, seconds=seconds)
    if test.verdict is not Verdict.RUNTIME_ERROR:  # memory or output limit
        return CheckVerdict(CheckOutcome.ERROR, error=f"{test.verdict.value}: {test.detail}", seconds=seconds)
    error = _exception(test.stderr_tail) or test.detail
    frames = [int(number) for number in _FRAME.findall(test.stderr_tail)]
    in_check = [number - check_start + 1 for number in frames if number >= check_start]
    line = in_check[-1] if in_check else None
    # An assert of the check failed only when the innermost frame is the check's own: an AssertionError
    # raised inside the program (its own contract asserts) is the program's error.
    innermost_in_check = bool(frames) and frames[-1] >= check_start
    wrong = innermost_in_check and error.split(":", 1)[0] == "AssertionError"
    outcome = CheckOutcome.WRONG_ANSWER if wrong else CheckOutcome.ERROR
    return CheckVerdict(outcome, line=line, error=error[:ERROR_CHARS], seconds=seconds)


def _exception(stderr_tail: str) -> str:
    """The traceback's last line, `Type: message` (or `Type`)."""
    for line in reversed(stderr_tail.strip().splitlines()):
        if line.startswith((" ", "\t")):
            continue
        if _EXCEPTION_LINE.match(line):
            return line.strip()
    return ""
