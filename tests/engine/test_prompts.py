"""The prompt set: every prompt about a problem starts with the same problem text."""

import pytest

from engine.candidates import statement_of
from engine.prompts import UnknownPromptSet, load_prompt_set
from engine.task import Task

PROMPTS = load_prompt_set("v1")


def test_workspace_code_follows_the_statement_in_the_problem_text() -> None:
    task = Task("t", "call", "def price_tag(cents): ...", context="def cents_to_str(cents): ...")
    problem = statement_of(PROMPTS, task)
    assert problem.startswith("def price_tag(cents): ...")
    assert "```python\ndef cents_to_str(cents): ...\n```" in problem


def test_without_workspace_code_the_problem_text_is_the_statement() -> None:
    assert statement_of(PROMPTS, Task("t", "stdin", "Read n.")) == "Read n."


def test_every_stage_message_starts_with_the_same_problem_header() -> None:
    first = PROMPTS.user_message("solve.call", "STATEMENT", starter_code="def f(): ...")
    second = PROMPTS.user_message("plan.sketch", "STATEMENT", variant="the most direct approach")
    header = PROMPTS.render("header", statement="STATEMENT")
    assert first.startswith(header) and second.startswith(header)


def test_a_prompt_set_that_extends_another_takes_the_prompts_it_does_not_give() -> None:
    v2 = load_prompt_set("v2")
    assert v2.version == "v2"
    assert v2.render("solve.call", starter_code="def f(): ...") == PROMPTS.render(
        "solve.call", starter_code="def f(): ..."
    )
    assert v2.render("solve.stdin") != PROMPTS.render("solve.stdin")


def test_v2_solve_instructions_show_no_placeholder_to_copy() -> None:
    v2 = load_prompt_set("v2")
    for key in ("solve.stdin", "solve_with_plan.stdin"):
        assert "YOUR CODE HERE" not in v2.render(key, plan="1. read n")


def test_an_unknown_prompt_set_is_an_error_naming_the_ones_there_are() -> None:
    with pytest.raises(UnknownPromptSet, match="v1, v2"):
        load_prompt_set("v0")
