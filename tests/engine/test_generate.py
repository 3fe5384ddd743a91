"""Where the engine starts a reply that writes only a function's body."""

from __future__ import annotations

from engine.stages.generate import body_reply_start, program_of
from engine.task import Task


def task(starter_code: str) -> Task:
    return Task("t", "call", "Twice x.", starter_code, "f")


def test_a_body_reply_starts_one_space_short_of_the_body_indentation() -> None:
    assert body_reply_start(task('def f(x):\n    """Twice x."""\n')) == 'def f(x):\n    """Twice x."""\n   '


def test_a_two_space_body_starts_one_space_in() -> None:
    assert body_reply_start(task('def f(x):\n  """Twice x."""\n')) == 'def f(x):\n  """Twice x."""\n '


def test_a_body_indented_by_one_space_gets_no_started_reply() -> None:
    assert body_reply_start(task('def f(x):\n """Twice x."""\n')) == ""


def test_a_tab_indented_body_gets_no_started_reply() -> None:
    assert body_reply_start(task('def f(x):\n\t"""Twice x."""\n')) == ""


def test_a_task_without_a_function_header_gets_no_started_reply() -> None:
    assert body_reply_start(task('"""\nWrite a function f.\n"""\n')) == ""


def test_a_candidate_that_uses_the_files_import_gets_it() -> None:
    header = 'def f(x):\n    """Root of x."""\n'
    reply = f"```python\n{header}    return math.sqrt(x)\n```"
    with_file_import = Task("t", "call", "Root of x.", header, "f", imports=("import math",))
    assert program_of(with_file_import, reply) == f"import math\n{header}    return math.sqrt(x)\n"
