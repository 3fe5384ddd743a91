"""MBPP+ problems written as the editor's stubs: the function's header with the statement as its docstring."""

from __future__ import annotations

import pytest

from atlas_lsp.bench.evalplus import prompt_examples
from engine.task import Task
from scripts.mbpp_stubs import stub_row
from scripts.plant_bugs import Skip

ROW = {
    "task_id": "Mbpp/1",
    "entry_point": "twice",
    "prompt": '"""\nWrite a function to double a number.\nassert twice(2) == 4\n"""\n',
    "canonical_solution": "import math\ndef twice(x):\n    return 2 * x\n",
    "base_input": [[2]],
    "plus_input": [],
}


def test_a_stub_is_the_functions_header_with_the_statement_as_its_docstring() -> None:
    assert stub_row(ROW)["prompt"] == (
        'import math\ndef twice(x):\n    """\n'
        "    Write a function to double a number.\n    assert twice(2) == 4\n"
        '    """\n'
    )


def test_a_stub_keeps_every_other_field() -> None:
    stub = stub_row(ROW)
    assert {key: value for key, value in stub.items() if key != "prompt"} == {
        key: value for key, value in ROW.items() if key != "prompt"
    }


def test_a_stub_shows_the_same_public_example_as_the_problem() -> None:
    assert (
        prompt_examples(stub_row(ROW)["prompt"], "twice").examples == prompt_examples(ROW["prompt"], "twice").examples
    )


def test_a_stub_starts_its_functions_body_where_a_reply_can_begin() -> None:
    stub = stub_row(ROW)["prompt"]
    assert Task("Mbpp/1", "call", stub, stub, "twice").function_body_start.endswith('"""\n    ')


def test_a_solution_with_a_helper_before_the_function_gives_no_stub() -> None:
    with pytest.raises(Skip, match="more than imports"):
        stub_row(ROW | {"canonical_solution": "def helper(x):\n    return x\ndef twice(x):\n    return 2 * x\n"})
