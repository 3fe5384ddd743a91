"""HumanEval+ and MBPP+ as evalplus grades them.

Expected values come from running each problem's canonical solution in the sandbox on its inputs. Two
of evalplus's rules change what a program is called with and how its answer is compared, and both are
followed here (read from evalplus's `mbpp_deserialize_inputs` and `MBPP_OUTPUT_*_TASKS`):
- MBPP+ stores tuples, sets and complex numbers as JSON lists and strings; evalplus turns them back,
  problem by problem, before calling anything. Without that a function written for tuples is handed
  lists, and the canonical solution itself computes different expected values.
- Eight MBPP+ problems compare answers as sets, and three only on whether a value was returned.
Known difference: evalplus's hand-written oracles for four problems (HumanEval/32 find_zero, Mbpp/558,
Mbpp/581, and the always-passing Mbpp/164) are not reproduced; those are graded by plain comparison.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from atlas_lsp.bench.runner import BenchProblem
from engine.examples import prompt_examples
from engine.task import Example, Task
from sandbox.dataset import DatasetError
from sandbox.executor import Sandbox
from sandbox.testcases import CallMatch, TestCase, TestKind
from sandbox.worker import encode_value

Arguments = list[Any]


def _as_tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def _each_argument_a_tuple(arguments: Arguments) -> Arguments:
    return [_as_tuple(argument) for argument in arguments]


def _items_of_each_argument_tuples(arguments: Arguments) -> Arguments:
    return [[_as_tuple(item) for item in argument] for argument in arguments]


def _items_of_first_argument_tuples(arguments: Arguments) -> Arguments:
    return [[_as_tuple(item) for item in arguments[0]], *arguments[1:]]


def _first_argument_a_tuple(arguments: Arguments) -> Arguments:
    return [_as_tuple(arguments[0]), *arguments[1:]]


def _second_argument_a_tuple(arguments: Arguments) -> Arguments:
    return [arguments[0], _as_tuple(arguments[1]), *arguments[2:]]


def _tuples_of_tuples(arguments: Arguments) -> Arguments:
    return _each_argument_a_tuple(_items_of_each_argument_tuples(arguments))


def _first_argument_of_tuples_then_each_a_tuple(arguments: Arguments) -> Arguments:
    return _each_argument_a_tuple(_items_of_first_argument_tuples(arguments))


def _every_list_a_tuple(value: object) -> object:
    if isinstance(value, list):
        return tuple(_every_list_a_tuple(item) for item in value)
    return value


def _all_lists_tuples(arguments: Arguments) -> Arguments:
    return [_every_list_a_tuple(argument) for argument in arguments]


def _sets_or_empty_dicts(arguments: Arguments) -> Arguments:
    # evalplus writes an empty one as `{}`: a dict, not a set. Kept, since the expected values depend on it.
    return [[set(item) if isinstance(item, list) and item else {} for item in arguments[0]]]


def _float_and_complex(arguments: Arguments) -> Arguments:
    return [float(arguments[0]), complex(arguments[1])]


def _complex(arguments: Arguments) -> Arguments:
    return [complex(arguments[0])]


def _dict_values_tuples(arguments: Arguments) -> Arguments:
    return [{key: _as_tuple(value) for key, value in arguments[0].items()}, *arguments[1:]]


_MBPP_ARGUMENT_TYPES: dict[Callable[[Arguments], Arguments], tuple[int, ...]] = {
    _each_argument_a_tuple: (
        2,
        116,
        132,
        143,
        222,
        261,
        273,
        394,
        399,
        421,
        424,
        429,
        470,
        560,
        579,
        596,
        616,
        630,
        726,
        740,
        744,
        809,
    ),
    _items_of_each_argument_tuples: (63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780),
    _items_of_first_argument_tuples: (75, 413, 444, 753),
    _second_argument_a_tuple: (106, 750),
    _sets_or_empty_dicts: (115,),
    _float_and_complex: (124,),
    _first_argument_a_tuple: (250, 307, 405, 446, 617, 720, 763, 808),
    _complex: (252,),
    _tuples_of_tuples: (259, 401, 445),
    _first_argument_of_tuples_then_each_a_tuple: (278,),
    _all_lists_tuples: (580, 615, 791),
    _dict_values_tuples: (722,),
}
_MBPP_TYPING = {number: typing for typing, numbers in _MBPP_ARGUMENT_TYPES.items() for number in numbers}
_AS_SETS = frozenset(
    {
        "similar_elements",
        "find_char_long",
        "common_in_nested_lists",
        "extract_singly",
        "larg_nnum",
        "intersection_array",
        "find_dissimilar",
        "Diff",
    }
)
_NOT_NONE = frozenset({"check_str", "text_match_three", "text_starta_endb"})


def typed_arguments(task_id: str, arguments: Arguments) -> Arguments:
    """The arguments as evalplus passes them: MBPP+'s JSON lists turned back into tuples, sets, complex numbers."""
    dataset, _, number = task_id.partition("/")
    typing = _MBPP_TYPING.get(int(number)) if dataset == "Mbpp" and number.isdigit() else None
    return typing(arguments) if typing else arguments


def call_match(task_id: str, entry_point: str) -> CallMatch:
    if not task_id.startswith("Mbpp/"):
        return "equal"
    return "as_sets" if entry_point in _AS_SETS else "not_none" if entry_point in _NOT_NONE else "equal"


async def load_evalplus(
    path: Path, sandbox: Sandbox, ids: set[str] | None = None, limit: int | None = None
) -> tuple[list[BenchProblem], list[str]]:
    """HumanEval+/MBPP+ rows and the errors of unreadable ones; expected outputs come from running the
    canonical solution in the sandbox, for the rows in `ids` (all by default) up to `limit` of them."""
    rows, errors = read_evalplus_rows(path, ids, limit)
    return await expected_problems(rows, sandbox), errors


def read_evalplus_rows(
    path: Path, ids: set[str] | None = None, limit: int | None = None
) -> tuple[list[EvalplusRow], list[str]]:
    """The readable rows in `ids` (all by default) up to `limit` of them, and an error per unreadable row."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError as error:
        raise DatasetError(f"cannot read {path}: {error}") from None
    rows: list[EvalplusRow] = []
    errors: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or (limit is not None and len(rows) >= limit):
            continue
        try:
            row = json.loads(line)
            if ids is not None and row.get("task_id") not in ids:
                continue
            rows.append(EvalplusRow.read(row))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
            errors.append(f"line {number}: {type(error).__name__}: {error}")
    return rows, errors


async def expected_problems(rows: list[EvalplusRow], sandbox: Sandbox) -> list[BenchProblem]:
    """Each row as a problem whose hidden tests carry the canonical solution's outputs, in row order."""
    problems: dict[int, BenchProblem] = {}

    async def expect(index: int) -> None:
        problems[index] = await rows[index].problem(sandbox)

    # The sandbox runs up to its `jobs` references at once; starting one worker is most of their cost.
    async with anyio.create_task_group() as group:
        for index in range(len(rows)):
            group.start_soon(expect, index)
    return [problems[index] for index in range(len(rows))]


@dataclass(frozen=True)
class EvalplusRow:
    """One row as read: its task, the canonical program and every input it gives, typed as evalplus types them."""

    task: Task
    reference: str
    inputs: list[str]
    atol: float
    match: CallMatch

    examples_unread: int = 0

    @classmethod
    def read(cls, row: dict[str, Any]) -> EvalplusRow:
        task_id = row["task_id"]
        if not isinstance(row["entry_point"], str) or not row["entry_point"]:
            raise ValueError(f"{task_id} names no entry_point")
        # Mbpp/793 stores its (empty) plus inputs as {}.
        given = row["base_input"] + (row["plus_input"] or [])
        inputs = [encode_value(typed_arguments(task_id, args)) for args in given]
        shown = prompt_examples(row["prompt"], row["entry_point"])
        return cls(
            _evalplus_task(row, shown.examples),
            row["prompt"] + "\n" + row["canonical_solution"],
            inputs,
            float(row.get("atol") or 0.0),
            call_match(task_id, row["entry_point"]),
            shown.unread,
        )

    async def problem(self, sandbox: Sandbox) -> BenchProblem:
        reference = await sandbox.run(
            self.reference, [TestCase(TestKind.CALL, text) for text in self.inputs], entry_point=self.task.entry_point
        )
        hidden = tuple(
            TestCase(TestKind.CALL, text, result.returned, self.atol, self.match)
            for text, result in zip(self.inputs, reference.tests, strict=False)
            if result.returned is not None
        )
        return BenchProblem(self.task, "", "evalplus", "", hidden, "full", examples_unread=self.examples_unread)


def _evalplus_task(row: dict[str, Any], examples: tuple[Example, ...]) -> Task:
    prompt = row["prompt"]
    return Task(
        task_id=row["task_id"],
        kind="call",
        statement=prompt,
        starter_code=prompt,
        entry_point=row["entry_point"],
        examples=examples,
    )
