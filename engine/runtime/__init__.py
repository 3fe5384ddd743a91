"""Model runtimes: one interface (`Runtime`), an embedded and an HTTP backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

from engine.config import RuntimeConfig
from engine.models import PACKAGED_MODELS, Progress, resolve_model_file
from engine.runtime.base import Generation, Message, Runtime, RuntimeFailure, SamplingParams

if TYPE_CHECKING:
    from engine.runtime.embedded import EmbeddedRuntime

__all__ = ["Generation", "Message", "Runtime", "RuntimeFailure", "SamplingParams", "open_runtime"]


async def open_runtime(config: RuntimeConfig, progress: Progress | None = None) -> Runtime:
    """Start the backend that `config.model` names; packaged models are assembled on first use."""
    if config.uses_server:
        from engine.runtime.openai_http import OpenAIRuntime

        return await OpenAIRuntime.open(config)
    path = await anyio.to_thread.run_sync(resolve_model_file, config.model, None, progress)
    model_id = config.model if config.model in PACKAGED_MODELS else path.name
    embedded_runtime = await anyio.to_thread.run_sync(_embedded_runtime_class)
    return await embedded_runtime.open(path, config.embedded, model_id)


def _embedded_runtime_class() -> type[EmbeddedRuntime]:
    # Importing llama_cpp takes a tenth of a second or more: in a worker thread, a server's event loop keeps
    # answering (code actions during a job's first moments) while the first job opens the model.
    from engine.runtime.embedded import EmbeddedRuntime

    return EmbeddedRuntime
