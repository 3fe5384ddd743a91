"""Starting the engine for a headless mode: a progress bar while a packaged model is assembled, and
a one-line error instead of a traceback when the model cannot be used."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from atlas_lsp.terminal import ProgressBar

if TYPE_CHECKING:
    from engine.config import EngineConfig
    from engine.service import Engine


async def start_engine(config: EngineConfig) -> Engine | None:
    """The open engine, or None after printing what is wrong with the model."""
    from engine.models import ModelError
    from engine.runtime.base import RuntimeFailure
    from engine.service import Engine

    model_bar = ProgressBar(f"preparing model {config.runtime.model}")
    try:
        return await Engine.open(config, lambda done, total: model_bar.update(done, total))
    except (ModelError, RuntimeFailure) as error:
        print(f"error: {error}", file=sys.stderr)
        return None
