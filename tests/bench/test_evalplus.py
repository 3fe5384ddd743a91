"""MBPP+ graded as evalplus grades it: arguments with their real types, answers compared as evalplus does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atlas_lsp.bench.evalplus import call_match, load_evalplus, typed_arguments
from sandbox.executor import Sandbox
from sandbox.limits import Limits
from sandbox.results import Verdict
from sandbox.worker import decode_value

JUDGE = Sandbox(Limits(wall_seconds=10.0))

# Shaped like MBPP+ Mbpp/2: the reference needs tuples (it adds one to a tuple), MBPP+ stores lists,
# and evalplus compares the answers as sets.
SHARED_ELEMENTS = {
    "task_id": "Mbpp/2",
    "entry_point": "similar_elements",
    "prompt": '"""\nWrite a function to find the shared elements from the given two lists.\n'
    'assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))\n"""\n',
    "canonical_solution": "def similar_elements(a, b):\n    return tuple(sorted(set(a + ()) & set(b)))\n",
    "base_input": [[[3, 4, 5, 6], [5, 7, 4, 10]]],
    "plus_input": [[[1, 2], [2, 1]]],
    "atol": 0,
}


@pytest.fixture
def shared_elements_file(tmp_path: Path) -> Path:
    path = tmp_path / "MbppPlus.jsonl"
    path.write_text(json.dumps(SHARED_ELEMENTS) + "\n")
    return path


def test_mbpp_arguments_stored_as_lists_become_tuples_again() -> None:
    assert typed_arguments("Mbpp/2", [[3, 4], [5]]) == [(3, 4), (5,)]


def test_nested_lists_become_nested_tuples_where_evalplus_says_so() -> None:
    assert typed_arguments("Mbpp/580", [[1, [2, [3]]], 4]) == [(1, (2, (3,))), 4]


def test_complex_numbers_stored_as_strings_are_rebuilt() -> None:
    assert typed_arguments("Mbpp/252", ["1+2j"]) == [1 + 2j]


def test_other_problems_keep_their_arguments() -> None:
    assert typed_arguments("Mbpp/3", [[1, 2]]) == [[1, 2]]
    assert typed_arguments("HumanEval/2", [[1, 2]]) == [[1, 2]]


def test_answers_are_compared_as_sets_or_on_presence_only_where_evalplus_does() -> None:
    assert call_match("Mbpp/2", "similar_elements") == "as_sets"
    assert call_match("Mbpp/737", "check_str") == "not_none"
    assert call_match("Mbpp/3", "is_not_prime") == "equal"


async def test_the_reference_runs_on_tuples_and_every_hidden_test_keeps_its_expected_value(
    shared_elements_file: Path,
) -> None:
    (problem,), errors = await load_evalplus(shared_elements_file, JUDGE)
    assert errors == [] and len(problem.hidden_tests) == 2
    assert all(test.match == "as_sets" for test in problem.hidden_tests)


async def test_an_answer_listing_the_shared_elements_in_another_order_passes(shared_elements_file: Path) -> None:
    (problem,), _ = await load_evalplus(shared_elements_file, JUDGE)
    answer = "def similar_elements(a, b):\n    return [x for x in reversed(b) if x in a]\n"
    result = await JUDGE.run(answer, problem.hidden_tests, entry_point="similar_elements")
    assert [test.verdict for test in result.tests] == [Verdict.PASSED, Verdict.PASSED]


async def test_an_answer_missing_a_shared_element_fails(shared_elements_file: Path) -> None:
    (problem,), _ = await load_evalplus(shared_elements_file, JUDGE)
    answer = "def similar_elements(a, b):\n    return [x for x in a if x in b][:1]\n"
    result = await JUDGE.run(answer, problem.hidden_tests, entry_point="similar_elements")
    assert result.tests[0].verdict is Verdict.WRONG_ANSWER


async def test_a_prompt_assert_comparing_sets_gives_an_example_compared_as_the_hidden_tests_are(
    shared_elements_file: Path,
) -> None:
    (problem,), _ = await load_evalplus(shared_elements_file, JUDGE)
    (example,) = problem.task.examples
    assert (decode_value(example.output), example.match) == ({4, 5}, "as_sets")


async def test_a_prompt_example_keeps_its_tuple_arguments(tmp_path: Path) -> None:
    row = dict(SHARED_ELEMENTS, prompt='"""\nShared elements.\nassert similar_elements((3, 4), (4,)) == (4,)\n"""\n')
    path = tmp_path / "MbppPlus.jsonl"
    path.write_text(json.dumps(row) + "\n")
    (problem,), _ = await load_evalplus(path, JUDGE)
    (example,) = problem.task.examples
    assert decode_value(example.input) == [(3, 4), (4,)]


async def test_a_problem_storing_its_empty_plus_inputs_as_an_object_keeps_its_base_inputs(tmp_path: Path) -> None:
    row = dict(SHARED_ELEMENTS, plus_input={})  # how MBPP+ stores Mbpp/793
    path = tmp_path / "MbppPlus.jsonl"
    path.write_text(json.dumps(row) + "\n")
    (problem,), errors = await load_evalplus(path, JUDGE)
    assert errors == [] and len(problem.hidden_tests) == 1


async def test_a_row_without_an_entry_point_is_reported_and_the_others_load(tmp_path: Path) -> None:
    path = tmp_path / "MbppPlus.jsonl"
    path.write_text(
        json.dumps(dict(SHARED_ELEMENTS, task_id="Mbpp/1", entry_point="")) + "\n" + json.dumps(SHARED_ELEMENTS) + "\n"
    )
    problems, errors = await load_evalplus(path, JUDGE)
    assert [p.task.task_id for p in problems] == ["Mbpp/2"]
    assert len(errors) == 1 and "line 1" in errors[0] and "entry_point" in errors[0]


# Shaped like HumanEval+: the prompt is the function's signature and docstring, with doctests.
HUMANEVAL_STYLE = dict(
    SHARED_ELEMENTS,
    task_id="HumanEval/0",
    entry_point="add",
    prompt='def add(x: int, y: int) -> int:\n    """Add two numbers.\n\n    >>> add(2, 3)\n    5\n    >>> add(0, (1))\n'
    '    1\n    """\n',
    canonical_solution="    return x + y\n",
    base_input=[[1, 2]],
    plus_input=[],
)


async def editor_task_of(text: str, function_name: str):
    from atlas_lsp.features.targets import build_task
    from atlas_lsp.functions import parse_module

    module = parse_module(text)
    site = module.function_named(function_name)
    assert site is not None
    return build_task(module, site, "problem.py")


async def test_a_humaneval_prompt_gives_the_bench_the_task_the_editor_reads_from_the_same_function(
    tmp_path: Path,
) -> None:
    path = tmp_path / "HumanEvalPlus.jsonl"
    path.write_text(json.dumps(HUMANEVAL_STYLE) + "\n")
    (problem,), _ = await load_evalplus(path, JUDGE)
    editor = await editor_task_of(HUMANEVAL_STYLE["prompt"], "add")
    assert len(problem.task.examples) == 2
    assert (problem.task.examples, problem.task.entry_point) == (editor.examples, editor.entry_point)


async def test_an_mbpp_prompt_gives_the_bench_the_examples_the_editor_reads_from_a_stub_with_that_docstring(
    tmp_path: Path,
) -> None:
    row = dict(SHARED_ELEMENTS, prompt='"""\nShared elements.\nassert similar_elements((3, 4), (4,)) == (4,)\n"""\n')
    path = tmp_path / "MbppPlus.jsonl"
    path.write_text(json.dumps(row) + "\n")
    (problem,), _ = await load_evalplus(path, JUDGE)
    stub = f"def similar_elements(a, b):\n    {row['prompt'].strip()}\n"
    editor = await editor_task_of(stub, "similar_elements")
    assert len(problem.task.examples) == 1 and problem.task.examples == editor.examples


async def test_a_prompt_example_that_cannot_be_read_is_counted_on_the_problem(tmp_path: Path) -> None:
    # Shaped like Mbpp/596: the expected value is a call, not a literal.
    prompt = '"""\nShared elements.\nassert similar_elements((3, 4), (4,)) == sys.getsizeof((4,))\n"""\n'
    path = tmp_path / "MbppPlus.jsonl"
    path.write_text(json.dumps(dict(SHARED_ELEMENTS, prompt=prompt)) + "\n")
    (problem,), _ = await load_evalplus(path, JUDGE)
    assert problem.examples_unread == 1
