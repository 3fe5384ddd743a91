"""Runtime configuration: which model, served how. One object, fully defaulted."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EmbeddedSettings:
    """How the in-process llama.cpp model is run."""

    context_tokens: int = 16384
    max_sequences: int = 16
    batch_tokens: int = 512
    threads: int = 0  # 0 = one per core
    show_llama_log: bool = False


@dataclass(frozen=True)
class RuntimeConfig:
    """`model` is `small`, `default`, a GGUF path, or the base URL of an OpenAI-compatible server.

    The same pipeline runs on either: going from the embedded CPU model to a GPU server is a change
    of `model` (and `served_model` / `embedding_model` when the server hosts several).
    """

    model: str = "default"
    embedded: EmbeddedSettings = field(default_factory=EmbeddedSettings)
    served_model: str | None = None
    embedding_model: str | None = None
    api_key: str | None = None
    request_timeout: float = 600.0

    @property
    def uses_server(self) -> bool:
        return self.model.startswith(("http://", "https://"))
