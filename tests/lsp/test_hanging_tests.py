"""Repair and a test that does not finish: the test is left out and the user told, rather than the function
rewritten against it (a scripted model; the real sandbox)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from atlas_lsp.context import FunctionContext
from atlas_lsp.features.actions import Action, Edit, run_action
from atlas_lsp.functions import FunctionSite, ModuleSource, parse_module
from engine.config import EngineConfig, PipelineConfig
from engine.runtime.base import Generation, Message, SamplingParams
from engine.service import Engine
from engine.task import Example
from sandbox.executor import Sandbox
from sandbox.limits import Limits

COLLATZ = '''def collatz_steps(n):
    """Steps of the Collatz map from n >= 1 down to 1.

    >>> collatz_steps(6)
    8
    """
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps
'''
STOPS_AT_ZERO = COLLATZ.replace("while n != 1:", "while n > 1:")
TEST_CALLS = FunctionContext(test_examples=(Example("[1]", "0"), Example("[0]", "0")))


class ScriptedModel:
    """Answers every prompt with one program, and counts the calls."""

    model_id = "small"
    continues_answers = False
    embedding_dim = 4

    def __init__(self, program: str) -> None:
        self.program = program
        self.calls = 0

    async def generate_many(
        self, messages: Sequence[Message], params: Sequence[SamplingParams], on_token: object = None
    ) -> list[Generation]:
        self.calls += 1
        return [Generation(f"```python\n{self.program}```", 10, 10, "stop") for _ in params]

    async def embed(self, text: str) -> object:
        raise AssertionError("repair reads no candidate")

    async def aclose(self) -> None:
        """Nothing to release."""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(Limits(wall_seconds=1.0), jobs=2) as sandbox:
        yield sandbox


async def repair(model: ScriptedModel, sandbox: Sandbox, source: str, warnings: list[str]) -> Edit:
    module: ModuleSource = parse_module(source)
    site: FunctionSite = module.functions[0]
    engine = Engine(model, sandbox, EngineConfig(pipeline=PipelineConfig(lens=False)))  # type: ignore[arg-type]
    edit = await run_action(
        engine, Action.REPAIR, module, site, "collatz.py", workspace=TEST_CALLS, warn=warnings.append
    )
    assert isinstance(edit, Edit)
    return edit


async def test_a_test_that_does_not_finish_is_left_out_and_named(sandbox: Sandbox) -> None:
    warnings: list[str] = []
    await repair(ScriptedModel(STOPS_AT_ZERO), sandbox, COLLATZ, warnings)
    assert len(warnings) == 1
    assert warnings[0].startswith("left out a test that does not finish: collatz_steps(0) timed out")


async def test_without_the_hanging_test_a_right_function_is_left_as_it_is(sandbox: Sandbox) -> None:
    model = ScriptedModel(STOPS_AT_ZERO)
    edit = await repair(model, sandbox, COLLATZ, [])
    assert edit.rewrite.apply(COLLATZ) == COLLATZ
    assert model.calls == 0
    assert (edit.answer.evidence.examples_passed, edit.answer.evidence.examples_total) == (2, 2)


async def test_a_doctest_that_does_not_finish_is_kept_as_the_repair_target(sandbox: Sandbox) -> None:
    hangs_in_its_doctest = COLLATZ.replace(">>> collatz_steps(6)\n    8", ">>> collatz_steps(0)\n    0")
    warnings: list[str] = []
    edit = await repair(ScriptedModel(STOPS_AT_ZERO), sandbox, hangs_in_its_doctest, warnings)
    assert "while n > 1:" in edit.rewrite.apply(hangs_in_its_doctest)
    assert len(warnings) == 1  # the test file's call of collatz_steps(0) is left out; the doctest is not
