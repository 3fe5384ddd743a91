"""An open engine under other pipeline, test and trace settings: the same model, no reload."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fakes import FakeRuntime, FakeSandbox

from engine.config import EmbeddedSettings, EngineConfig, PipelineConfig, RuntimeConfig, SandboxConfig
from engine.service import Engine
from engine.task import Example, Task
from sandbox.worker import encode_value

TASK = Task("t", "call", "Return twice x.", "def f(x):\n", "f", (Example("[2]", encode_value(4)),))


class RecordingRuntime(FakeRuntime):
    def __init__(self) -> None:
        super().__init__()
        self.max_tokens: list[int] = []
        self.closed = False

    async def generate_many(self, messages, params, on_token=None):  # type: ignore[no-untyped-def]
        self.max_tokens += [p.max_tokens for p in params]
        return await super().generate_many(messages, params, on_token)

    async def aclose(self) -> None:
        self.closed = True


class RecordingSandbox(FakeSandbox):
    def __init__(self) -> None:
        super().__init__()
        self.wall_seconds: list[float] = []
        self.closed = False

    async def run(self, code, tests, *, limits=None, **options):  # type: ignore[no-untyped-def]
        self.wall_seconds.append(limits.wall_seconds)
        return await super().run(code, tests, limits=limits, **options)

    def close(self) -> None:
        self.closed = True


def open_engine() -> tuple[Engine, RecordingRuntime, RecordingSandbox]:
    runtime, sandbox = RecordingRuntime(), RecordingSandbox()
    return Engine(runtime, sandbox, EngineConfig()), runtime, sandbox  # type: ignore[arg-type]


async def test_a_reconfigured_engine_asks_the_model_for_its_new_completion_length() -> None:
    engine, runtime, _ = open_engine()
    changed = await engine.reconfigured(EngineConfig(pipeline=PipelineConfig(max_tokens=2048)))
    await changed.solve(TASK)
    assert set(runtime.max_tokens) == {2048}


async def test_a_reconfigured_engine_runs_tests_with_its_new_time_limit() -> None:
    engine, _, sandbox = open_engine()
    changed = await engine.reconfigured(EngineConfig(sandbox=SandboxConfig(test_seconds=20.0)))
    await changed.solve(TASK)
    assert set(sandbox.wall_seconds) == {20.0}


async def test_the_engine_reconfigured_from_keeps_its_own_settings() -> None:
    engine, runtime, sandbox = open_engine()
    await engine.reconfigured(EngineConfig(pipeline=PipelineConfig(max_tokens=2048), sandbox=SandboxConfig(20.0)))
    await engine.solve(TASK)
    assert set(runtime.max_tokens) == {PipelineConfig().max_tokens}
    assert set(sandbox.wall_seconds) == {SandboxConfig().test_seconds}


async def test_closing_a_reconfigured_engine_leaves_the_model_and_sandbox_open() -> None:
    engine, runtime, sandbox = open_engine()
    changed = await engine.reconfigured(EngineConfig(pipeline=PipelineConfig(candidates=8)))
    await changed.aclose()
    assert not runtime.closed and not sandbox.closed
    await engine.aclose()
    assert runtime.closed and sandbox.closed


async def test_turning_the_lens_off_reconfigures_the_lens_status() -> None:
    engine, _, _ = open_engine()
    changed = await engine.reconfigured(EngineConfig(pipeline=PipelineConfig(lens=False)))
    assert changed.lens_status == "Lens off: turned off in the settings"


@pytest.mark.parametrize(
    "config",
    [
        EngineConfig(runtime=RuntimeConfig(model="small")),
        EngineConfig(runtime=RuntimeConfig(embedded=EmbeddedSettings(gpu_layers=0))),
        EngineConfig(sandbox=SandboxConfig(parallel=3)),
    ],
    ids=["model", "gpu layers", "sandbox workers"],
)
async def test_a_config_that_loads_another_model_or_sandbox_is_not_reconfigured(config: EngineConfig) -> None:
    engine, _, _ = open_engine()
    with pytest.raises(ValueError, match="newly opened engine"):
        await engine.reconfigured(config)


def test_configs_that_differ_only_in_pipeline_tests_and_trace_open_the_same_engine() -> None:
    config = EngineConfig()
    changed = replace(config, pipeline=PipelineConfig(candidates=8), sandbox=SandboxConfig(20.0), trace_dir="/tmp/t")
    assert config.opens_same(changed)


def test_configs_that_differ_in_any_runtime_field_do_not_open_the_same_engine() -> None:
    config = EngineConfig()
    for runtime in (
        RuntimeConfig(served_model="coder"),
        RuntimeConfig(api_key="key"),
        RuntimeConfig(request_timeout=30.0),
        RuntimeConfig(embedded=EmbeddedSettings(threads=2)),
        RuntimeConfig(embedded=EmbeddedSettings(context_tokens=8192)),
    ):
        assert not config.opens_same(replace(config, runtime=runtime)), runtime
