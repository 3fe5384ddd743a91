"""The editor's Repair: a direct fix from the failure first; the analysed rounds only when it fails."""

from __future__ import annotations

from collections.abc import Sequence

from fakes import FakeSandbox

from engine.config import EngineConfig, PipelineConfig
from engine.runtime.base import Generation, Message, SamplingParams
from engine.service import Engine
from engine.task import Example, Task
from sandbox.worker import encode_value

TASK = Task("t", "call", "Return twice x.", "def f(x):\n", "f", (Example("[2]", encode_value(4)),))
BUGGY = "def f(x):\n    return x + 1\n"
FIXED = "def f(x):\n    return x * 2\n"


class RepairRuntime:
    """Answers the direct-fix prompt with `direct` and the analysed-repair prompt with `analysed`."""

    model_id = "small"
    embedding_dim = 4
    backend = "fake runtime (scripted replies)"

    def __init__(self, direct: str, analysed: str) -> None:
        self.direct, self.analysed = direct, analysed
        self.prompts: list[str] = []

    async def generate_many(
        self, messages: Sequence[Message], params: Sequence[SamplingParams], on_token=None
    ) -> list[Generation]:
        prompt = messages[-1].content
        self.prompts.append("analysed" if "two angles" in prompt else "direct")
        code = self.analysed if "two angles" in prompt else self.direct
        return [Generation(f"```python\n{code}```", 10, 10, "stop") for _ in params]

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


async def test_a_direct_fix_that_fails_leads_to_the_analysed_rounds() -> None:
    runtime = RepairRuntime(direct=BUGGY, analysed=FIXED)
    answer = await engine(runtime).repair(TASK, BUGGY)
    assert answer.code.strip() == FIXED.strip()
    assert runtime.prompts == ["direct", "analysed"]


async def test_with_the_direct_fix_off_the_repair_starts_with_the_analysis() -> None:
    runtime = RepairRuntime(direct=FIXED, analysed=FIXED)
    await engine(runtime, direct_repair=False).repair(TASK, BUGGY)
    assert runtime.prompts == ["analysed"]
