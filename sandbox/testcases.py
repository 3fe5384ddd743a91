"""Test cases: what a program is run on and, optionally, what it must produce."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

CallMatch = Literal["equal", "as_sets", "not_none"]
"""How a CALL answer is held to the expected value (evalplus's rules): `equal` is equality with
evalplus's float tolerance; `as_sets` compares set(returned) with set(expected) (order and repeats
do not count); `not_none` grades on whether something was returned (a returned bool must equal the
expected one)."""


class TestKind(str, enum.Enum):
    """How a test feeds the program and how its answer is read.

    STDIN: `input` is the whole standard input; the answer is standard output (LiveCodeBench `stdin`).
    FUNCTIONAL: `input` holds JSON arguments, one per line; the answer is the return value of
        `Solution().<entry_point>(*args)` (LiveCodeBench `functional`, LeetCode problems).
    CALL: `input` is the list of positional arguments in the sandbox's type-preserving encoding
        (`sandbox.encode_value`: plain JSON, with tuples, sets and dicts tagged); the answer is the
        return value of `<entry_point>(*args)` (HumanEval+/MBPP+ style, compared like evalplus).
    """

    __test__ = False  # not a pytest test class, despite the name

    STDIN = "stdin"
    FUNCTIONAL = "functional"
    CALL = "call"


@dataclass(frozen=True)
class TestCase:
    """One input and, when known, the expected answer.

        `expected` is None for inputs whose answer is unknown (self-generated inputs): the program is run
        and its raw output returned, nothing is graded. Its format depends on the kind:
        STDIN the expected standard output; FUNCTIONAL the JSON of the return value (LiveCodeBench);
        CALL the value in the sandbox's type-preserving encoding (`sandbox.encode_value`), so tuples, sets
        and non-string dictionary keys survive. `atol` is the evalplus absolute tolerance for CALL tests and
    `match` how their answer is compared.

        The expected answer never enters the sandbox; only `kind` and `input` are sent to the worker.
    """

    __test__ = False  # not a pytest test class, despite the name

    kind: TestKind
    input: str
    expected: str | None = None
    atol: float = 0.0
    match: CallMatch = "equal"

    def __post_init__(self) -> None:
        # Callers may give the kind's string ("stdin"); a member maps to itself.
        object.__setattr__(self, "kind", TestKind(self.kind))
        if not isinstance(self.input, str):
            raise TypeError(f"TestCase.input must be str, got {type(self.input).__name__}")
        if self.expected is not None and not isinstance(self.expected, str):
            raise TypeError(f"TestCase.expected must be str or None, got {type(self.expected).__name__}")
        if self.atol < 0:
            raise ValueError(f"TestCase.atol must not be negative, got {self.atol!r}")
