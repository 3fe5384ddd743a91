"""The one interface every model backend offers the pipeline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 0.0
    top_p: float = 0.95
    top_k: int = 40
    max_tokens: int = 512
    stop: tuple[str, ...] = ()
    seed: int = 0


FinishReason = Literal["stop", "length", "cancelled"]


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: FinishReason


TokenCallback = Callable[[int, str], None]
"""Called with (sequence index, new text) as tokens arrive.

Backends may call it from a worker thread: keep it cheap and thread-safe (counting, queueing)."""


class RuntimeFailure(Exception):
    """The backend could not serve a request; the message says why and what to do."""


class Runtime(Protocol):
    """A chat model that can sample several completions at once and embed text.

    Cancelling the awaiting task stops generation between tokens.

    When `continues_answers` is true, a last message from the assistant is the start of its reply: the
    completion continues it, and the generation's text is what follows it.
    """

    @property
    def continues_answers(self) -> bool: ...

    @property
    def model_id(self) -> str: ...

    @property
    def embedding_dim(self) -> int | None:
        """The size of `embed`'s vectors; None when this runtime embeds nothing (a chat-only server)."""
        ...

    @property
    def backend(self) -> str:
        """What serves the model, for the record of a run: the llama.cpp build, or the server's address."""
        ...

    async def generate(
        self, messages: Sequence[Message], params: SamplingParams, on_token: TokenCallback | None = None
    ) -> Generation: ...

    async def generate_many(
        self,
        messages: Sequence[Message],
        params: Sequence[SamplingParams],
        on_token: TokenCallback | None = None,
    ) -> list[Generation]:
        """One completion per entry of `params`, all of the same prompt."""
        ...

    async def embed(self, text: str) -> np.ndarray:
        """Mean-pooled last hidden state of the model reading `text` (float32, `embedding_dim`)."""
        ...

    async def aclose(self) -> None: ...
