"""The shared engine's lifecycle: lazy open, retry after failure, reopen on a settings change.

`Engine.open` is replaced by a recorder here: these tests are about when the session opens and
closes engines, not about the engine (the end-to-end tests run the real one). A reopened engine is a
reloaded model; a reconfigured one keeps the model it was made from.
"""

from __future__ import annotations

import pytest

from atlas_lsp.features.engine_session import EngineSession
from atlas_lsp.settings import merge_settings
from engine.config import EngineConfig, RuntimeConfig
from engine.models import ModelError
from engine.service import Engine

SMALL = EngineConfig(runtime=RuntimeConfig(model="small"))
DEFAULT = EngineConfig(runtime=RuntimeConfig(model="default"))


class RecordedEngine:
    def __init__(self, config: EngineConfig, reconfigured_from: RecordedEngine | None = None) -> None:
        self.config = config
        self.reconfigured_from = reconfigured_from
        self.closed = False

    async def reconfigured(self, config: EngineConfig) -> RecordedEngine:
        assert self.config.opens_same(config)
        return RecordedEngine(config, self)

    async def aclose(self) -> None:
        self.closed = True


def editor_config(**settings: object) -> EngineConfig:
    """The engine config of the editor's settings (camelCase keys, as the client sends them)."""
    merged, problems = merge_settings({"model": "small", **settings})
    assert problems == []
    return merged.engine_config()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[RecordedEngine]:
    engines: list[RecordedEngine] = []

    async def open_engine(config: EngineConfig, progress=None) -> RecordedEngine:
        if config.runtime.model == "missing":
            raise ModelError("The model is missing.", "install it")
        engines.append(RecordedEngine(config))
        return engines[-1]

    monkeypatch.setattr(Engine, "open", staticmethod(open_engine))
    return engines


async def test_nothing_is_opened_before_the_first_lease(opened: list[RecordedEngine]) -> None:
    EngineSession()
    assert opened == []


async def test_leases_with_the_same_config_share_one_engine(opened: list[RecordedEngine]) -> None:
    session = EngineSession()
    async with session.lease(SMALL) as first:
        pass
    async with session.lease(SMALL) as second:
        pass
    assert first is second
    assert len(opened) == 1


async def test_failed_open_is_tried_again_on_the_next_lease(opened: list[RecordedEngine]) -> None:
    session = EngineSession()
    missing = EngineConfig(runtime=RuntimeConfig(model="missing"))
    with pytest.raises(ModelError):
        async with session.lease(missing):
            pass
    async with session.lease(SMALL) as engine:
        assert engine is opened[0]


async def test_changed_config_closes_the_idle_engine_and_opens_another(opened: list[RecordedEngine]) -> None:
    session = EngineSession()
    async with session.lease(SMALL):
        pass
    async with session.lease(DEFAULT) as engine:
        assert engine.config == DEFAULT
    assert opened[0].closed


async def test_engine_replaced_while_in_use_closes_when_its_job_ends(opened: list[RecordedEngine]) -> None:
    session = EngineSession()
    async with session.lease(SMALL) as busy:
        async with session.lease(DEFAULT):
            assert not busy.closed
    assert busy.closed
    assert not opened[1].closed


async def test_aclose_closes_the_engine(opened: list[RecordedEngine]) -> None:
    session = EngineSession()
    async with session.lease(SMALL):
        pass
    await session.aclose()
    assert opened[0].closed


@pytest.mark.parametrize(
    "change",
    [
        {"candidates": 8},
        {"budget": "high"},
        {"maxTokens": 2048},
        {"testSeconds": 20},
        {"lens": False},
        {"repairAnalysis": True},
        {"traceDir": "/tmp/atlas-traces"},
        {"workspaceContext": False},
    ],
    ids=lambda change: next(iter(change)),
)
async def test_a_pipeline_or_sandbox_setting_change_keeps_the_loaded_model(
    opened: list[RecordedEngine], change: dict[str, object]
) -> None:
    session = EngineSession()
    async with session.lease(editor_config()):
        pass
    async with session.lease(editor_config(**change)):
        pass
    assert len(opened) == 1
    assert not opened[0].closed


@pytest.mark.parametrize(
    "change",
    [
        {"model": "default"},
        {"gpuLayers": 0},
        {"servedModel": "coder"},
        {"apiKey": "key"},
        {"requestTimeout": 30},
        {"threads": 2},
        {"contextSize": 8192},
    ],
    ids=lambda change: next(iter(change)),
)
async def test_a_model_loading_setting_change_reloads_the_model(
    opened: list[RecordedEngine], change: dict[str, object]
) -> None:
    session = EngineSession()
    async with session.lease(editor_config()):
        pass
    async with session.lease(editor_config(**change)):
        pass
    assert len(opened) == 2
    assert opened[0].closed


async def test_the_next_job_runs_with_the_changed_pipeline_and_sandbox_settings(opened: list[RecordedEngine]) -> None:
    session = EngineSession()
    async with session.lease(editor_config()):
        pass
    changed = editor_config(maxTokens=2048, testSeconds=20, traceDir="/tmp/atlas-traces")
    async with session.lease(changed) as engine:
        assert engine.config == changed
        assert engine.reconfigured_from is opened[0]


async def test_leases_with_the_same_changed_config_share_one_reconfigured_engine(
    opened: list[RecordedEngine],
) -> None:
    session = EngineSession()
    async with session.lease(editor_config()):
        pass
    async with session.lease(editor_config(candidates=8)) as first:
        pass
    async with session.lease(editor_config(candidates=8)) as second:
        pass
    assert first is second


async def test_a_model_change_after_a_settings_change_closes_the_loaded_model(opened: list[RecordedEngine]) -> None:
    session = EngineSession()
    async with session.lease(editor_config()):
        pass
    async with session.lease(editor_config(candidates=8)):
        pass
    async with session.lease(editor_config(model="default")) as engine:
        assert engine is opened[1]
    assert opened[0].closed


async def test_a_model_replaced_while_a_reconfigured_job_runs_closes_when_that_job_ends(
    opened: list[RecordedEngine],
) -> None:
    session = EngineSession()
    async with session.lease(editor_config()):
        pass
    async with session.lease(editor_config(candidates=8)):
        async with session.lease(editor_config(model="default")):
            assert not opened[0].closed
    assert opened[0].closed
    assert not opened[1].closed


async def test_aclose_closes_the_loaded_model_after_a_settings_change(opened: list[RecordedEngine]) -> None:
    session = EngineSession()
    async with session.lease(editor_config()):
        pass
    async with session.lease(editor_config(candidates=8)):
        pass
    await session.aclose()
    assert opened[0].closed
