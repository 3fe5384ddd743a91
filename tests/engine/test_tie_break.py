"""S*-style tie-break: the model judges the two best clusters on an input where they differ."""

from __future__ import annotations

from collections.abc import Sequence

from fakes import PROGRAMS, FakeRuntime, FakeSandbox

from engine.config import EngineConfig, PipelineConfig
from engine.execute import CaseOutcome, Execution
from engine.runtime.base import Generation, Message, SamplingParams
from engine.service import Engine
from engine.stages.tie_break import duel_of, is_close, verdict_of
from engine.task import Example, Task
from sandbox.worker import encode_value

# Every program passes f(2) == 4. The one generated input, f(5), splits them: x*2 and x+x (three
# candidates with the greedy one) print 10, x+2 prints 7 and x**2 prints 25. The model predicted 7,
# so the lone x+2 earns agreement and comes close to the larger cluster.
TASK = Task("t", "call", "Return x plus two.", "def f(x):\n", "f", (Example("[2]", encode_value(4)),))
SELF_TEST = "```python\nassert f(5) == 7\n```"


def config(tie_break: bool) -> EngineConfig:
    """The tie-break judges outputs on generated inputs: the self-tests stage writes them."""
    pipeline = PipelineConfig(
        candidates=4, wave=0, plan=False, router=False, repair=False, self_tests=True, tie_break=tie_break
    )
    return EngineConfig(pipeline=pipeline)


class JudgingRuntime(FakeRuntime):
    """The fake model, writing one self-test, and judging by `judge(prompt)`."""

    def __init__(self, judge: str) -> None:
        super().__init__()
        self.judge = judge

    async def generate_many(
        self, messages: Sequence[Message], params: Sequence[SamplingParams], on_token=None
    ) -> list[Generation]:
        prompt = messages[-1].content
        if "assert f(" in prompt:
            self.seen.append(prompt)
            return [Generation(SELF_TEST, 10, 10, "stop")]
        if "### Output A" in prompt:
            self.seen.append(prompt)
            output_a = prompt.split("### Output A\n```\n")[1].split("\n```")[0]
            if self.judge == "right answer":
                letter = "A" if output_a == "7" else "B"
            else:
                letter = "A"
            return [Generation(f"f(5) = 5 + 2 = 7.\nAnswer: {letter}", 10, 10, "stop")]
        return await super().generate_many(messages, params, on_token)

    @property
    def judgements(self) -> list[str]:
        return [p for p in self.seen if "### Output A" in p]


def outcome(output: str | None) -> CaseOutcome:
    return CaseOutcome("ran" if output is not None else "error", output, output or "runtime error", "")


async def test_a_judgement_that_holds_in_both_orders_overturns_the_larger_cluster() -> None:
    runtime = JudgingRuntime("right answer")
    answer = await Engine(runtime, FakeSandbox(), config(tie_break=True)).solve(TASK)
    assert answer.code.strip() == PROGRAMS[2].strip()
    assert len(runtime.judgements) == 2
    assert "f(5)" in runtime.judgements[0]


async def test_a_judge_that_always_names_the_first_output_changes_nothing() -> None:
    runtime = JudgingRuntime("always A")
    answer = await Engine(runtime, FakeSandbox(), config(tie_break=True)).solve(TASK)
    assert answer.code.strip() == PROGRAMS[0].strip()


async def test_with_the_tie_break_off_no_judgement_is_asked() -> None:
    runtime = JudgingRuntime("right answer")
    answer = await Engine(runtime, FakeSandbox(), config(tie_break=False)).solve(TASK)
    assert runtime.judgements == [] and answer.code.strip() == PROGRAMS[0].strip()


def test_a_runner_up_with_half_the_support_is_close_and_one_with_less_is_not() -> None:
    assert is_close(4.0, 2.0) and not is_close(4.0, 1.5)


def test_a_runner_up_without_support_is_never_close() -> None:
    assert not is_close(0.0, 0.0)


def test_the_duel_input_is_the_first_where_both_ran_and_differ() -> None:
    leader = Execution((), (outcome("1"), outcome(None), outcome("3")))
    challenger = Execution((), (outcome("1"), outcome("2"), outcome("4")))
    duel = duel_of(TASK, ["[1]", "[2]", "[3]"], leader, challenger)
    assert duel is not None
    assert (duel.input, duel.leader_output, duel.challenger_output) == ("f(3)", "3", "4")


def test_clusters_that_differ_only_where_one_crashed_have_no_duel() -> None:
    leader = Execution((), (outcome("1"), outcome(None)))
    challenger = Execution((), (outcome("1"), outcome("2")))
    assert duel_of(TASK, ["[1]", "[2]"], leader, challenger) is None


def test_a_stdin_duel_shows_the_input_text_as_it_is() -> None:
    task = Task("s", "stdin", "Add two numbers.", "", None, ())
    duel = duel_of(task, ["1 2\n"], Execution((), (outcome("3"),)), Execution((), (outcome("4"),)))
    assert duel is not None and duel.input == "1 2\n"


def test_the_verdict_is_the_last_answer_line() -> None:
    assert verdict_of("Answer: A would be wrong because ...\n**Answer: B**") == "B"


def test_a_judgement_naming_neither_output_has_no_verdict() -> None:
    assert verdict_of("Both look plausible.") is None
