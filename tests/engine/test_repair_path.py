"""The editor's Repair: a direct fix from the failure first, then sampled fixes, the analysed rounds last."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from fakes import FakeSandbox

from engine.config import EngineConfig, PipelineConfig
from engine.runtime.base import Generation, Message, SamplingParams
from engine.service import Engine
from engine.task import Example, Task
from sandbox.worker import encode_value

TASK = Task("t", "call", "Return twice x.", "def f(x):\n", "f", (Example("[2]", encode_value(4)),))
TWO_EXAMPLES = replace(TASK, examples=(Example("[2]", encode_value(4)), Example("[5]", encode_value(10))))
BUGGY = "def f(x):\n    return x + 1\n"
FIXED = "def f(x):\n    return x * 2\n"


class RepairRuntime:
    """Answers the greedy direct-fix prompt with `direct`, sampled direct fixes with `sampled` (the same
    as `direct` unless given) and the analysed-repair prompt with `analysed`."""

    model_id = "small"
    continues_answers = False
    embedding_dim = 4
    backend = "fake runtime (scripted replies)"

    def __init__(self, direct: str, analysed: str, sampled: str | None = None) -> None:
        self.direct, self.analysed, self.sampled = direct, analysed, sampled or direct
        self.prompts: list[str] = []
        self.messages: list[str] = []

    async def generate_many(
        self, messages: Sequence[Message], params: Sequence[SamplingParams], on_token=None
    ) -> list[Generation]:
        self.messages.append(messages[-1].content)
        if "Program with a bug" in messages[-1].content:
            self.prompts.append("unchecked")
            codes = [self.direct] * len(params)
        elif "two angles" in messages[-1].content:
            self.prompts.append("analysed")
            codes = [self.analysed] * len(params)
        elif params[0].temperature == 0.0:
            self.prompts.append("direct")
            codes = [self.direct] * len(params)
        else:
            self.prompts.append(f"sampled x{len(params)}")
            codes = [self.sampled] * len(params)
        return [Generation(f"```python\n{code}```", 10, 10, "stop") for code in codes]

    async def embed(self, text: str):
        raise AssertionError("repair reads no candidate")

    async def aclose(self) -> None:
        """Nothing to release."""


def engine(runtime: RepairRuntime, **pipeline: object) -> Engine:
    config = PipelineConfig(lens=False, **pipeline)  # type: ignore[arg-type]
    return Engine(runtime, FakeSandbox(), EngineConfig(pipeline=config))


async def test_a_direct_fix_that_passes_ends_the_repair_in_one_call() -> None:
    runtime = RepairRuntime(direct=FIXED, analysed=BUGGY)
    answer = await engine(runtime).repair(TASK, BUGGY)
    assert answer.code.strip() == FIXED.strip()
    assert runtime.prompts == ["direct"]


async def test_a_direct_fix_that_fails_leads_to_sampled_fixes_in_waves() -> None:
    runtime = RepairRuntime(direct=BUGGY, analysed=BUGGY, sampled=FIXED)
    answer = await engine(runtime, candidates=4, wave=2).repair(TASK, BUGGY)
    assert answer.code.strip() == FIXED.strip()
    assert runtime.prompts == ["direct", "sampled x2"]


async def test_when_no_direct_fix_passes_the_analysed_rounds_run() -> None:
    runtime = RepairRuntime(direct=BUGGY, analysed=FIXED)
    answer = await engine(runtime, candidates=4, wave=2).repair(TASK, BUGGY)
    assert answer.code.strip() == FIXED.strip()
    assert runtime.prompts == ["direct", "sampled x2", "sampled x2", "analysed"]


async def test_with_sampled_fixes_off_a_failed_direct_fix_goes_to_the_analysis() -> None:
    runtime = RepairRuntime(direct=BUGGY, analysed=FIXED, sampled=FIXED)
    await engine(runtime, repair_samples=False).repair(TASK, BUGGY)
    assert runtime.prompts == ["direct", "analysed"]


async def test_with_the_analysis_off_the_repair_ends_after_the_sampled_fixes() -> None:
    runtime = RepairRuntime(direct=BUGGY, analysed=FIXED)
    answer = await engine(runtime, candidates=2, wave=2, repair_analysis=False).repair(TASK, BUGGY)
    assert answer.code.strip() == BUGGY.strip()
    assert runtime.prompts == ["direct", "sampled x2"]


async def test_with_the_direct_fix_off_the_repair_starts_with_the_analysis() -> None:
    runtime = RepairRuntime(direct=FIXED, analysed=FIXED)
    await engine(runtime, direct_repair=False, repair_samples=False).repair(TASK, BUGGY)
    assert runtime.prompts == ["analysed"]


async def test_with_no_example_to_check_the_repair_is_one_unchecked_rewrite() -> None:
    runtime = RepairRuntime(direct=FIXED, analysed=FIXED)
    answer = await engine(runtime).repair(replace(TASK, examples=()), BUGGY)
    assert answer.code.strip() == FIXED.strip()
    assert runtime.prompts == ["unchecked"]


async def test_one_failing_example_is_shown_once_in_the_repair_prompt() -> None:
    runtime = RepairRuntime(direct=FIXED, analysed=FIXED)
    await engine(runtime).repair(TASK, BUGGY)
    assert runtime.messages[0].count("On this input:") == 1


async def test_every_failing_example_reaches_the_repair_prompt_in_order() -> None:
    runtime = RepairRuntime(direct=FIXED, analysed=FIXED)
    await engine(runtime).repair(TWO_EXAMPLES, BUGGY)
    prompt = runtime.messages[0]
    assert prompt.count("On this input:") == 2
    assert prompt.index("\n[2]\n") < prompt.index("\n[5]\n")


async def test_feedback_failures_caps_the_failing_examples_a_repair_prompt_shows() -> None:
    runtime = RepairRuntime(direct=FIXED, analysed=FIXED)
    await engine(runtime, feedback_failures=1).repair(TWO_EXAMPLES, BUGGY)
    assert runtime.messages[0].count("On this input:") == 1
    assert "\n[5]\n" not in runtime.messages[0]


async def test_the_original_runs_every_example_and_a_fix_stops_after_a_hang() -> None:
    sandbox = FakeSandbox()
    config = EngineConfig(pipeline=PipelineConfig(lens=False))
    await Engine(RepairRuntime(direct=FIXED, analysed=BUGGY), sandbox, config).repair(TASK, BUGGY)  # type: ignore[arg-type]
    assert sandbox.stops_after_timeout == [False, True]
