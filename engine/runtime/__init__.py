"""Model runtimes: one interface (`Runtime`), an embedded and an HTTP backend."""

from __future__ import annotations

import anyio

from engine.config import RuntimeConfig
from engine.models import PACKAGED_MODELS, Progress, resolve_model_file
from engine.runtime.base import Generation, Message, Runtime, RuntimeFailure, SamplingParams

__all__ = ["Generation", "Message", "Runtime", "RuntimeFailure", "SamplingParams", "open_runtime"]


async def open_runtime(config: RuntimeConfig, progress: Progress | None = None) -> Runtime:
    """Start the backend that `config.model` names; packaged models are assembled on first use."""
    if config.uses_server:
        from engine.runtime.openai_http import OpenAIRuntime

        return await OpenAIRuntime.open(config)
    from engine.runtime.embedded import EmbeddedRuntime

    path = await anyio.to_thread.run_sync(resolve_model_file, config.model, None, progress)
    model_id = config.model if config.model in PACKAGED_MODELS else path.name
    return await EmbeddedRuntime.open(path, config.embedded, model_id)
