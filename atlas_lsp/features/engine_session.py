"""The engine the jobs share: opened on first use, reopened when the settings change its model.

A change of the model or of how it is loaded (`EngineConfig.opens_same`) reopens the engine; a change of
the pipeline, the test limits or the trace folder only reconfigures the open one for the next job.

Opening lazily lets the server answer `initialize` at once; an open that failed (a missing model,
say) is simply tried again by the next job, after the user has had a chance to fix it. An engine
replaced by a settings change is closed as soon as the last job using it ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from engine.config import EngineConfig
from engine.models import Progress

if TYPE_CHECKING:
    from engine.service import Engine


class EngineSession:
    def __init__(self) -> None:
        self._opened: Engine | None = None
        """The engine last opened: it holds the model and the sandbox."""
        self._engine: Engine | None = None
        """The engine for `_config`: `_opened`, or `_opened` reconfigured for other pipeline or test settings."""
        self._config: EngineConfig | None = None
        self._users: dict[Engine, int] = {}
        """Jobs running, by the opened engine whose model they use."""
        self._opening = asyncio.Lock()

    @asynccontextmanager
    async def lease(self, config: EngineConfig, progress: Progress | None = None) -> AsyncIterator[Engine]:
        """The engine for `config`, held open while the block runs. Raises `ModelError` when the
        model cannot be used."""
        opened, engine = await self._engine_for(config, progress)
        self._users[opened] = self._users.get(opened, 0) + 1
        try:
            yield engine
        finally:
            self._users[opened] -= 1
            if opened is not self._opened and not self._users[opened]:
                del self._users[opened]
                await opened.aclose()

    async def aclose(self) -> None:
        """Close the current engine; call once no job runs."""
        opened, self._opened, self._engine, self._config = self._opened, None, None, None
        if opened is not None:
            await opened.aclose()

    async def _engine_for(self, config: EngineConfig, progress: Progress | None) -> tuple[Engine, Engine]:
        """The opened engine holding the model `config` needs, and the engine to run its jobs with."""
        async with self._opening:
            opened = self._opened
            if opened is not None and self._engine is not None and self._config == config:
                return opened, self._engine
            # Only a change of what loads the model (or starts the sandbox) reloads it; the pipeline's and the
            # tests' settings apply to the open one.
            if opened is not None and opened.config.opens_same(config):
                self._engine, self._config = await opened.reconfigured(config), config
                return opened, self._engine
            self._opened = self._engine = self._config = None
            if opened is not None and not self._users.get(opened):
                self._users.pop(opened, None)
                await opened.aclose()
            from engine.service import Engine

            self._opened = self._engine = await Engine.open(config, progress)
            self._config = config
            return self._opened, self._engine
