"""Building the engine's task, and the program verify and repair run, from a function or a problem file."""

from __future__ import annotations

import textwrap
from pathlib import Path

from atlas_lsp.bench.problems import load_livecodebench
from atlas_lsp.features.actions import Action
from atlas_lsp.features.targets import build_task, program_of, target_at, target_named
from atlas_lsp.functions import parse_module, problem_file
from engine.task import Example

SOURCE = textwrap.dedent(
    '''\
    import math
    from typing import List

    OFFSET = 1


    def shifted(x):
        return x + OFFSET


    def norm(values: List[float]) -> float:
        """Euclidean norm.

        >>> norm([3, 4])
        5.0
        """
        ...


    def total(values):
        return sum(shifted(v) for v in values)


    class Vector:
        def length(self):
            raise NotImplementedError
    '''
)


def test_function_task_is_a_call_task_named_after_the_function() -> None:
    module = parse_module(SOURCE)
    task = build_task(module, target_named(module, "norm"), "/project/geometry.py")
    assert task.kind == "call"
    assert task.entry_point == "norm"
    assert task.task_id == "geometry::norm"


def test_function_task_statement_holds_imports_signature_and_docstring() -> None:
    module = parse_module(SOURCE)
    task = build_task(module, target_named(module, "norm"), "geometry.py")
    assert task.statement.startswith("import math\nfrom typing import List\n\n")
    assert task.statement.endswith(task.starter_code)
    assert task.starter_code.startswith("def norm(values: List[float]) -> float:\n")
    assert task.starter_code.rstrip().endswith('"""')


def test_function_task_offers_the_files_imports_to_its_candidates() -> None:
    module = parse_module(SOURCE)
    task = build_task(module, target_named(module, "norm"), "geometry.py")
    assert task.imports == ("import math", "from typing import List")


def test_function_task_examples_come_from_doctests() -> None:
    module = parse_module(SOURCE)
    task = build_task(module, target_named(module, "norm"), "geometry.py")
    assert task.examples == (Example("[[3, 4]]", "5.0"),)


def test_function_task_examples_keep_the_comparison_their_asserts_make() -> None:
    module = parse_module(
        'def common(a, b):\n    """Shared items.\n\n    assert set(common((1, 2), (2,))) == {2}\n    """\n'
    )
    (example,) = build_task(module, target_named(module, "common"), "common.py").examples
    assert example.match == "as_sets"


def test_function_task_context_holds_the_helpers_it_calls() -> None:
    module = parse_module(SOURCE)
    task = build_task(module, target_named(module, "total"), "geometry.py")
    assert "def shifted(x)" in task.context
    assert "OFFSET = 1" in task.context


def test_program_of_a_function_runs_on_its_own() -> None:
    module = parse_module(SOURCE)
    namespace: dict = {}
    exec(program_of(module, target_named(module, "total")), namespace)
    assert namespace["total"]([1, 2]) == 5


def test_problem_file_task_reads_stdin_with_its_samples() -> None:
    module = parse_module('"""Print the sum of two numbers.\n\nInput:\n1 2\nOutput:\n3\n"""\n')
    task = build_task(module, target_at(module, 0), "sum.py")
    assert task.kind == "stdin"
    assert task.entry_point is None
    assert task.examples == (Example("1 2\n", "3\n"),)
    assert task.statement.startswith("Print the sum of two numbers.")


def test_cursor_outside_functions_targets_the_problem() -> None:
    module = parse_module('"""Read the input, write the output."""\n\nimport sys\n\n\ndef helper():\n    pass\n')
    assert target_at(module, 2) is module.problem
    assert target_at(module, 6).qualified_name == "helper"


def test_stub_is_offered_solve_only() -> None:
    module = parse_module(SOURCE)
    norm = target_named(module, "norm")
    assert [action for action in Action if action.offered_for(norm)] == [Action.SOLVE]


def test_written_function_is_offered_verify_and_repair() -> None:
    module = parse_module(SOURCE)
    total = target_named(module, "total")
    assert [action for action in Action if action.offered_for(total)] == [Action.VERIFY, Action.REPAIR]


def test_method_is_never_verified_or_repaired() -> None:
    module = parse_module("class A:\n    def f(self):\n        return 1\n")
    method = target_named(module, "A.f")
    assert [action for action in Action if action.offered_for(method)] == []


def test_written_program_is_offered_verify_and_repair() -> None:
    module = parse_module('"""Echo the input to the output."""\nprint(input())\n')
    assert [action for action in Action if action.offered_for(module.problem)] == [Action.VERIFY, Action.REPAIR]


def test_a_problem_file_gives_the_engine_the_task_the_benchmark_gives_it() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "problems.jsonl"
    stdin = [p.task for p in load_livecodebench(examples).problems if p.task.kind == "stdin"]
    for bench_task in stdin:
        module = parse_module(problem_file(bench_task.statement))
        editor_task = build_task(module, target_named(module, "<module>"), "problem.py")
        assert (editor_task.statement, editor_task.examples) == (bench_task.statement, bench_task.examples)
    assert len(stdin) == 3
