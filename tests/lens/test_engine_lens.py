"""The Lens inside the engine: read only viable candidates, rank by energy, say when it is off."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from fakes import PROGRAMS, FakeRuntime, FakeSandbox

from engine.config import EngineConfig, PipelineConfig
from engine.service import Engine, _open_lens
from engine.task import Example, Task
from lens.features import CandidateReading
from sandbox.worker import encode_value

# x = 2 is the one example: every program passes it (2*2 = 2+2 = 2**2 = 4), and the generated inputs
# (f(2), f(5)) split them into {x*2, x+x}, {x+2}, {x**2}.
TASK = Task("t", "call", "Return twice x.", "def f(x):\n", "f", (Example("[2]", encode_value(4)),))
PIPELINE = PipelineConfig(candidates=4, plan=False, router=False, repair=False)


class FakeLens:
    """Lowest energy for `favourite`; remembers which candidates it was asked about."""

    def __init__(self, favourite: str) -> None:
        self.favourite = favourite
        self.scored: list[int] = []

    def energies(self, readings: Sequence[CandidateReading]) -> list[float]:
        self.scored.extend(r.index for r in readings)
        return [-1.0 if PROGRAMS.index(self.favourite) == r.index - 1 else 1.0 for r in readings]


async def test_the_engine_without_a_lens_answers_and_leaves_energy_empty() -> None:
    runtime = FakeRuntime()
    answer = await Engine(runtime, FakeSandbox(), EngineConfig(pipeline=PIPELINE)).solve(TASK)
    assert answer.code.strip() == PROGRAMS[0].strip() and answer.evidence.energy is None
    assert runtime.embedded == []


async def test_a_lens_reads_only_the_candidates_passing_the_most_examples_and_its_energy_is_evidence() -> None:
    # A second example, f(3) == 6, drops x + 2 and x ** 2 (candidates 3 and 4).
    task = replace(TASK, examples=(*TASK.examples, Example("[3]", encode_value(6))))
    lens = FakeLens(PROGRAMS[1])
    answer = await Engine(FakeRuntime(), FakeSandbox(), EngineConfig(pipeline=PIPELINE), lens).solve(task)
    assert sorted(lens.scored) == [0, 1, 2]
    assert answer.evidence.energy is not None


async def test_a_lens_cannot_outvote_a_larger_cluster() -> None:
    lens = FakeLens(PROGRAMS[3])  # x ** 2 sits alone; x * 2 has three agreeing candidates
    answer = await Engine(FakeRuntime(), FakeSandbox(), EngineConfig(pipeline=PIPELINE), lens).solve(TASK)
    assert answer.code.strip() == PROGRAMS[0].strip()


async def test_with_the_lens_setting_off_no_candidate_is_read() -> None:
    lens = FakeLens(PROGRAMS[0])
    config = EngineConfig(pipeline=PipelineConfig(candidates=4, plan=False, router=False, repair=False, lens=False))
    answer = await Engine(FakeRuntime(), FakeSandbox(), config, lens).solve(TASK)
    assert lens.scored == [] and answer.evidence.energy is None


def test_the_engine_says_why_the_lens_is_off() -> None:
    class UnknownModel(FakeRuntime):
        model_id = "my-own.gguf"

    assert _open_lens(UnknownModel(), PipelineConfig()) == (
        None,
        "Lens off: no Lens weights for model 'my-own.gguf' yet",
    )
    assert _open_lens(UnknownModel(), PipelineConfig(lens=False))[1] == "Lens off: turned off in the settings"


def test_on_a_server_that_embeds_nothing_the_lens_is_off_and_the_engine_says_so() -> None:
    class ChatOnlyServer(FakeRuntime):
        embedding_dim = None
        backend = "OpenAI-compatible server at http://gpu-box:8080"

    assert _open_lens(ChatOnlyServer(), PipelineConfig()) == (
        None,
        "Lens off: OpenAI-compatible server at http://gpu-box:8080 embeds no text",
    )
