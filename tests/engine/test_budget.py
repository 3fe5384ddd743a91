"""The adaptive budget: greedy first, then waves of samples until one passes every public example."""

from __future__ import annotations

from collections.abc import Sequence

from fakes import SELF_TESTS, FakeSandbox

from engine.config import EngineConfig, PipelineConfig
from engine.runtime.base import Generation, Message, SamplingParams
from engine.service import Engine
from engine.task import Example, Task
from sandbox.worker import encode_value

TASK = Task("t", "call", "Return twice x.", "def f(x):\n", "f", (Example("[2]", encode_value(4)),))
WRONG = "def f(x):\n    return x + 1\n"
RIGHT = "def f(x):\n    return x * 2\n"
RIGHT_TOO = "def f(x):\n    return x + x\n"


class SeededRuntime:
    """Greedy (temperature 0) and samples with a seed below `first_right` write a wrong program; later ones
    write `programs` in turn."""

    model_id = "small"
    continues_answers = False
    embedding_dim = 4
    backend = "fake runtime (scripted replies)"

    def __init__(self, first_right: int, programs: Sequence[str] = (RIGHT,)) -> None:
        self.first_right = first_right
        self.programs = programs
        self.sample_seeds: list[int] = []
        self.self_test_calls = 0

    async def generate_many(
        self, messages: Sequence[Message], params: Sequence[SamplingParams], on_token=None
    ) -> list[Generation]:
        if "assert f(" in messages[-1].content:
            self.self_test_calls += 1
            return [Generation(SELF_TESTS, 10, 10, "stop") for _ in params]
        replies = []
        for p in params:
            if p.temperature == 0:
                code = WRONG
            else:
                self.sample_seeds.append(p.seed)
                code = WRONG if p.seed < self.first_right else self.programs[p.seed % len(self.programs)]
            replies.append(f"```python\n{code}```")
        return [Generation(reply, 10, 10, "stop") for reply in replies]

    async def embed(self, text: str):
        raise AssertionError("the budget tests read no candidate")

    async def aclose(self) -> None:
        """Nothing to release."""


def engine(runtime: SeededRuntime, **pipeline: object) -> Engine:
    settings = dict(candidates=8, wave=2, plan=False, repair=False, lens=False) | pipeline
    return Engine(runtime, FakeSandbox(), EngineConfig(pipeline=PipelineConfig(**settings)))  # type: ignore[arg-type]


async def test_sampling_stops_after_the_first_wave_holding_a_candidate_that_passes_the_examples() -> None:
    runtime = SeededRuntime(first_right=3)
    answer = await engine(runtime).solve(TASK)
    assert runtime.sample_seeds == [0, 1, 2, 3]
    assert answer.code.strip() == RIGHT.strip()


async def test_a_budget_spent_without_a_passing_candidate_ends_the_sampling() -> None:
    runtime = SeededRuntime(first_right=100)
    await engine(runtime).solve(TASK)
    assert runtime.sample_seeds == list(range(8))


async def test_a_task_without_examples_spends_the_whole_budget() -> None:
    runtime = SeededRuntime(first_right=0)
    await engine(runtime).solve(Task("t", "call", "Return twice x.", "def f(x):\n", "f", ()))
    assert len(runtime.sample_seeds) == 8


async def test_wave_zero_writes_every_sample_at_once() -> None:
    runtime = SeededRuntime(first_right=0)
    await engine(runtime, wave=0).solve(TASK)
    assert runtime.sample_seeds == list(range(8))


async def test_no_inputs_are_generated_when_the_candidates_passing_the_examples_are_one_program() -> None:
    runtime = SeededRuntime(first_right=0)
    await engine(runtime, self_tests=True).solve(TASK)
    assert runtime.self_test_calls == 0


async def test_inputs_are_generated_to_tell_apart_different_programs_that_pass_the_examples() -> None:
    runtime = SeededRuntime(first_right=0, programs=(RIGHT, RIGHT_TOO))
    exploration = await engine(runtime, self_tests=True).explore(TASK)
    assert runtime.self_test_calls == 1 and exploration.tests
    assert all(len(execution.tests) == len(exploration.tests) for execution in exploration.executions)


async def test_inputs_are_generated_for_a_recorded_pool_even_when_nothing_is_contested() -> None:
    runtime = SeededRuntime(first_right=0)
    await engine(runtime, self_tests=True, self_tests_always=True).solve(TASK)
    assert runtime.self_test_calls == 1


def test_a_recording_writes_generated_inputs_though_the_default_pipeline_does_not() -> None:
    recording = PipelineConfig().recording()
    assert (recording.self_tests, recording.self_tests_always, PipelineConfig().self_tests) == (True, True, False)


async def test_by_default_no_inputs_are_generated_even_for_different_programs_that_pass() -> None:
    runtime = SeededRuntime(first_right=0, programs=(RIGHT, RIGHT_TOO))
    await engine(runtime).explore(TASK)
    assert runtime.self_test_calls == 0


def test_a_recording_asked_for_no_inputs_writes_none() -> None:
    recording = PipelineConfig().recording(inputs=False)
    assert (recording.self_tests, recording.self_tests_always) == (False, False)
