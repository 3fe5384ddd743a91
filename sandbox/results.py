"""What running a program on its tests produced."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sandbox.worker import decode_value


class Verdict(str, enum.Enum):
    PASSED = "passed"
    WRONG_ANSWER = "wrong_answer"
    TIME_LIMIT = "time_limit"
    MEMORY_LIMIT = "memory_limit"
    RUNTIME_ERROR = "runtime_error"
    OUTPUT_LIMIT = "output_limit"
    # The program finished normally on a test without an expected answer; its output is the result.
    RAN = "ran"
    # Skipped because an earlier test failed and the caller asked to stop there.
    NOT_RUN = "not_run"


@dataclass(frozen=True)
class TestResult:
    """One test. `detail` says why it failed without quoting the expected answer, so results can be
    shown to a solver without leaking hidden tests; `stdout` and `returned` are the program's own."""

    __test__ = False  # not a pytest test class, despite the name

    verdict: Verdict
    seconds: float = 0.0
    stdout: str = ""
    stderr_tail: str = ""
    # The return value of FUNCTIONAL and CALL tests in the type-preserving encoding (see sandbox.worker).
    returned: str | None = None
    detail: str = ""
    max_rss_bytes: int = 0

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASSED

    def returned_value(self) -> object:
        """The return value as a Python object (tuples, sets and dict keys preserved)."""
        if self.returned is None:
            raise ValueError(f"no return value: the test ended with {self.verdict.value}")
        return decode_value(self.returned)


@dataclass(frozen=True)
class ProgramResult:
    """All tests of one program, in the order given."""

    tests: tuple[TestResult, ...]

    @property
    def passed(self) -> bool:
        """The program verdict: every test passed (a program without tests passes nothing)."""
        return bool(self.tests) and all(test.passed for test in self.tests)

    @property
    def verdict(self) -> Verdict:
        """PASSED, or the verdict of the first test that did not pass."""
        for test in self.tests:
            if not test.passed:
                return test.verdict
        return Verdict.PASSED if self.tests else Verdict.NOT_RUN

    @property
    def tests_run(self) -> int:
        return sum(test.verdict is not Verdict.NOT_RUN for test in self.tests)

    @property
    def tests_passed(self) -> int:
        return sum(test.passed for test in self.tests)
