"""The prompt set: every prompt about a problem starts with the same problem text."""

from collections.abc import Sequence

import pytest

from engine.calls import Meter, TaskCalls
from engine.candidates import statement_of
from engine.prompts import UnknownPromptSet, load_prompt_set
from engine.runtime.base import Generation, Message, SamplingParams
from engine.task import Task
from engine.trace import Tracer

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
    with pytest.raises(UnknownPromptSet, match="v1, v2, v3, v4, v5"):
        load_prompt_set("v0")


CODE_ONLY = (
    "solve.stdin",
    "solve.functional",
    "solve.call",
    "solve_with_plan.call",
    "repair.direct",
    "repair.unchecked",
)
SEVERAL_BLOCKS = ("repair.analysis", "self_tests.call", "self_tests.stdin", "plan.sketch", "tie_break.judge")


def test_v3_ends_a_code_only_reply_at_its_closing_fence() -> None:
    v3 = load_prompt_set("v3")
    assert all(v3.stops(key, "stdin") == ("\n```\n",) for key in CODE_ONLY)


def test_v3_lets_replies_that_may_hold_several_blocks_run_on() -> None:
    v3 = load_prompt_set("v3")
    assert all(v3.stops(key, kind) == () for key in SEVERAL_BLOCKS for kind in ("stdin", "call"))


def test_earlier_prompt_sets_have_no_stops() -> None:
    assert load_prompt_set("v2").stops("solve.call", "call") == ()


def test_v3_ends_a_function_reply_where_module_level_code_follows_the_function() -> None:
    v3 = load_prompt_set("v3")
    for key in ("solve.call", "solve_with_plan.call", "repair.direct", "repair.unchecked"):
        assert v3.stops(key, "call") == ("\n```\n", "\nassert ", "\nprint(", "\nif __name__")


def test_v3_lets_a_program_reply_run_its_module_level_code() -> None:
    assert load_prompt_set("v3").stops("repair.direct", "stdin") == ("\n```\n",)


class RecordingRuntime:
    model_id = "recording"
    embedding_dim = 1

    def __init__(self, continues_answers: bool = False, reply: str = "```python\nx = 1\n") -> None:
        self.continues_answers = continues_answers
        self.reply = reply
        self.params: list[SamplingParams] = []
        self.messages: list[Message] = []

    async def generate_many(
        self, messages: Sequence[Message], params: Sequence[SamplingParams], on_token: object = None
    ) -> list[Generation]:
        self.params.extend(params)
        self.messages = list(messages)
        return [Generation(self.reply, 1, 1, "stop") for _ in params]


async def solve_f(
    runtime: RecordingRuntime, prompt_set: str, params: list[SamplingParams] | None = None
) -> list[Generation]:
    """Ask `runtime`, through the prompt set's solve prompt, for `def f(x):` whose header is its starter code."""
    calls = TaskCalls(runtime, load_prompt_set(prompt_set), Tracer(None), Meter(), "t", lambda event: None, "call")  # type: ignore[arg-type]
    return await calls.ask(
        "generate",
        "solve.call",
        params or [SamplingParams()],
        "S",
        starter_code="def f(x):",
        body_start="def f(x):\n    ",
    )


async def test_a_call_sends_its_prompts_stops_with_every_sample() -> None:
    runtime = RecordingRuntime()
    calls = TaskCalls(runtime, load_prompt_set("v3"), Tracer(None), Meter(), "t", lambda event: None, "stdin")  # type: ignore[arg-type]
    params = [SamplingParams(stop=("STOP",)), SamplingParams(seed=1)]
    await calls.ask("generate", "solve.call", params, "STATEMENT", starter_code="def f(): ...")
    assert [p.stop for p in runtime.params] == [("STOP", "\n```\n"), ("\n```\n",)]


def test_v4_starts_a_solve_reply_inside_its_code_block_after_the_starter_code() -> None:
    v4 = load_prompt_set("v4")
    assert v4.answer_prefix("solve.call", statement="S", body_start="def f(x):\n    ") == "```python\ndef f(x):\n    "


def test_v4_starts_no_other_reply() -> None:
    v4 = load_prompt_set("v4")
    assert [v4.answer_prefix(key, statement="S", body_start="def f(x):\n    ") for key in SEVERAL_BLOCKS] == [""] * len(
        SEVERAL_BLOCKS
    )


def test_v4_starts_no_reply_for_a_task_without_a_function_header() -> None:
    assert load_prompt_set("v4").answer_prefix("solve.call", statement="S", body_start="") == ""


async def test_a_runtime_that_continues_answers_is_sent_the_start_of_the_reply() -> None:
    runtime = RecordingRuntime(continues_answers=True)
    await solve_f(runtime, "v4")
    assert (runtime.messages[-1].role, runtime.messages[-1].content) == ("assistant", "```python\ndef f(x):\n    ")


async def test_the_reply_a_runtime_continues_reads_whole_with_the_start_it_was_given() -> None:
    runtime = RecordingRuntime(continues_answers=True, reply="return x\n")
    (generation,) = await solve_f(runtime, "v4")
    assert generation.text == "```python\ndef f(x):\n    return x\n"


async def test_a_runtime_that_cannot_continue_answers_gets_the_prompt_alone() -> None:
    runtime = RecordingRuntime(continues_answers=False)
    await solve_f(runtime, "v4")
    assert [message.role for message in runtime.messages] == ["system", "user"]


async def test_v5_starts_a_greedy_solve_reply_after_the_function_header() -> None:
    runtime = RecordingRuntime(continues_answers=True)
    await solve_f(runtime, "v5")
    assert (runtime.messages[-1].role, runtime.messages[-1].content) == ("assistant", "```python\ndef f(x):\n    ")


async def test_v5_samples_a_solve_reply_from_its_start() -> None:
    runtime = RecordingRuntime(continues_answers=True)
    samples = [SamplingParams(temperature=0.8, seed=seed) for seed in range(2)]
    await solve_f(runtime, "v5", samples)
    assert [message.role for message in runtime.messages] == ["system", "user"]
