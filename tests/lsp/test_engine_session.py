"""The shared engine's lifecycle: lazy open, retry after failure, reopen on a settings change.

`Engine.open` is replaced by a recorder here: these tests are about when the session opens and
closes engines, not about the engine (the end-to-end tests run the real one).
"""

from __future__ import annotations

import pytest

from atlas_lsp.features.engine_session import EngineSession
from engine.config import EngineConfig, RuntimeConfig
from engine.models import ModelError
from engine.service import Engine

SMALL = EngineConfig(runtime=RuntimeConfig(model="small"))
DEFAULT = EngineConfig(runtime=RuntimeConfig(model="default"))


class RecordedEngine:
    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


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
