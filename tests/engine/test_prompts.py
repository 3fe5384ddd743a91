"""The prompt set: every prompt about a problem starts with the same problem text."""

from engine.prompts import load_prompt_set
from engine.stages.generate import statement_of
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
