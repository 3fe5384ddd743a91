"""The engine the jobs share: opened on first use, reopened when the settings change it.

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
        self._engine: Engine | None = None
        self._config: EngineConfig | None = None
        self._users: dict[Engine, int] = {}
        self._opening = asyncio.Lock()

    @asynccontextmanager
    async def lease(self, config: EngineConfig, progress: Progress | None = None) -> AsyncIterator[Engine]:
        """The engine for `config`, held open while the block runs. Raises `ModelError` when the
        model cannot be used."""
        engine = await self._engine_for(config, progress)
        self._users[engine] = self._users.get(engine, 0) + 1
        try:
            yield engine
        finally:
            self._users[engine] -= 1
            if engine is not self._engine and not self._users[engine]:
                del self._users[engine]
                await engine.aclose()

    async def aclose(self) -> None:
        """Close the current engine; call once no job runs."""
        engine, self._engine, self._config = self._engine, None, None
        if engine is not None:
            await engine.aclose()

    async def _engine_for(self, config: EngineConfig, progress: Progress | None) -> Engine:
        async with self._opening:
            if self._engine is not None and self._config == config:
                return self._engine
            replaced, self._engine, self._config = self._engine, None, None
            if replaced is not None and not self._users.get(replaced):
                self._users.pop(replaced, None)
                await replaced.aclose()
            from engine.service import Engine

            self._engine = await Engine.open(config, progress)
            self._config = config
            return self._engine
