"""Starting the engine for a headless mode: a progress bar while a packaged model is assembled, and
a one-line error instead of a traceback when the model, the prompt set or the sandbox cannot be used."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from atlas_lsp.terminal import ProgressBar

if TYPE_CHECKING:
    from engine.config import EngineConfig
    from engine.service import Engine


async def start_engine(config: EngineConfig) -> Engine | None:
    """The open engine, or None after printing what is wrong with the model or the sandbox."""
    from engine.models import ModelError
    from engine.runtime.base import RuntimeFailure
    from engine.service import Engine
    from sandbox.uids import NoFreeUidRange

    model_bar = ProgressBar(f"preparing model {config.runtime.model}")
    try:
        return await Engine.open(config, lambda done, total: model_bar.update(done, total))
    except (ModelError, RuntimeFailure, NoFreeUidRange) as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def prompt_set_exists(name: str) -> bool:
    """True when `name` is a prompt set; otherwise False after printing which ones exist.

    Checked before the model loads, which takes seconds."""
    from engine.prompts import UnknownPromptSet, load_prompt_set

    try:
        load_prompt_set(name)
    except UnknownPromptSet as error:
        print(f"error: {error}", file=sys.stderr)
        return False
    return True
