"""The embedded backend: llama-cpp-python in this process, on the CPU by default."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import anyio
import llama_cpp
import numpy as np
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from engine.config import EmbeddedSettings
from engine.models import ModelError, check_gguf_file
from engine.runtime.base import Generation, Message, RuntimeFailure, SamplingParams, TokenCallback
from engine.runtime.decoder import Decoder, DecoderLimits, DecoderStats, Request


class EmbeddedRuntime:
    """A GGUF model served from this process with continuous batched decoding."""

    def __init__(self, path: Path, settings: EmbeddedSettings, model_id: str) -> None:
        self._model_id = model_id
        # llama.cpp logs every load detail to stderr; an editor shows stderr to the user.
        logging.getLogger("llama-cpp-python").setLevel(logging.DEBUG if settings.show_llama_log else logging.ERROR)
        llama_cpp.llama_backend_init()
        params = llama_cpp.llama_model_default_params()
        self._model = llama_cpp.llama_model_load_from_file(str(path).encode(), params)
        if not self._model:
            raise ModelError(
                f"llama.cpp could not load {path}: the file is damaged, truncated or of an unsupported "
                "architecture.",
                "delete the file so it is assembled again (packaged models), or download it again.",
            )
        self._vocab = llama_cpp.llama_model_get_vocab(self._model)
        self._embedding_dim = llama_cpp.llama_model_n_embd(self._model)
        self._formatter = _chat_formatter(self._model, self._vocab)
        self._max_sequences = settings.max_sequences
        threads = settings.threads or os.cpu_count() or 1
        self._decoder = Decoder(
            self._model,
            self._vocab,
            DecoderLimits(settings.context_tokens, settings.max_sequences, settings.batch_tokens),
            threads,
        )

    @classmethod
    async def open(cls, path: Path, settings: EmbeddedSettings, model_id: str) -> EmbeddedRuntime:
        check_gguf_file(path)
        # Loading maps ~0.5-1 GB and takes seconds: keep the event loop free meanwhile.
        return await anyio.to_thread.run_sync(cls, path, settings, model_id)

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def embedding_dim(self) -> int:
        return self._embedding_dim

    @property
    def backend(self) -> str:
        # The CPU kernels compiled in change speed and, slightly, the numbers a model produces.
        features = llama_cpp.llama_print_system_info().decode(errors="replace").strip(" |")
        return f"embedded llama-cpp-python {llama_cpp.__version__} ({features})"

    @property
    def stats(self) -> DecoderStats:
        return self._decoder.stats

    def count_tokens(self, text: str) -> int:
        return len(self._tokenize(text))

    async def generate(
        self, messages: Sequence[Message], params: SamplingParams, on_token: TokenCallback | None = None
    ) -> Generation:
        (generation,) = await self.generate_many(messages, [params], on_token)
        return generation

    async def generate_many(
        self,
        messages: Sequence[Message],
        params: Sequence[SamplingParams],
        on_token: TokenCallback | None = None,
    ) -> list[Generation]:
        prompt = self._tokenize(self._formatter(messages=[{"role": m.role, "content": m.content} for m in messages]).prompt)
        # More samples than sequence slots are decoded slot-sized group after group; each later group
        # finds the prompt in the prefix cache.
        width = self._max_sequences
        results: list[Generation] = []
        for first in range(0, len(params), width):
            shifted = None if on_token is None else _shifted(on_token, first)
            request = await self._run(prompt, list(params[first : first + width]), shifted)
            results.extend(request.results)
        return results

    async def embed(self, text: str) -> np.ndarray:
        request = await self._run(self._tokenize(text), [], None)
        assert request.embedding is not None
        return request.embedding

    async def aclose(self) -> None:
        await anyio.to_thread.run_sync(self._close)

    def _close(self) -> None:
        self._decoder.close()
        llama_cpp.llama_model_free(self._model)

    async def _run(self, prompt: list[int], params: list[SamplingParams], on_token: TokenCallback | None) -> Request:
        done = anyio.Event()
        request = Request(prompt=prompt, params=params, on_token=on_token, on_done=waker(done))
        self._decoder.submit(request)
        try:
            await done.wait()
        except anyio.get_cancelled_exc_class():
            request.cancel.set()
            raise
        if request.error:
            raise request.error
        return request

    def _tokenize(self, text: str) -> list[int]:
        data = text.encode()
        capacity = len(data) + 16
        buffer = (llama_cpp.llama_token * capacity)()
        count = llama_cpp.llama_tokenize(self._vocab, data, len(data), buffer, capacity, False, True)
        if count < 0:
            raise RuntimeFailure(f"Tokenizing {len(data)} bytes failed.")
        return list(buffer[:count])


def waker(done: anyio.Event) -> Callable[[], None]:
    """A callback the decoder thread calls to set `done` on the calling event loop.

    It hands the wake-up over without waiting for the loop to run it: the decoder thread serves every
    request, and a caller whose loop stopped before running a blocking hand-off (a cancelled request
    that finishes after its caller left) would stall all of them.
    """
    loop = asyncio.get_running_loop()

    def wake() -> None:
        try:
            loop.call_soon_threadsafe(done.set)
        except RuntimeError:  # the awaiting event loop is closed: nobody waits any more
            pass

    return wake


def _shifted(on_token: TokenCallback, offset: int) -> TokenCallback:
    """`on_token` for a group of samples that starts at index `offset` of the caller's list."""
    return lambda index, text: on_token(index + offset, text)


def _chat_formatter(model, vocab) -> Jinja2ChatFormatter:
    template = _metadata(model, "tokenizer.chat_template")
    if not template:
        raise ModelError(
            "The model file has no chat template (metadata `tokenizer.chat_template`).",
            "use an instruction-tuned GGUF that carries its chat template.",
        )
    eos = llama_cpp.llama_vocab_eos(vocab)
    bos = llama_cpp.llama_vocab_bos(vocab)
    return Jinja2ChatFormatter(
        template=template,
        eos_token=_token_text(vocab, eos),
        bos_token=_token_text(vocab, bos),
        stop_token_ids=[eos],
    )


def _token_text(vocab, token: int) -> str:
    if token < 0:
        return ""
    return llama_cpp.llama_vocab_get_text(vocab, token).decode("utf-8", errors="replace")


def _metadata(model, key: str) -> str | None:
    size = llama_cpp.llama_model_meta_val_str(model, key.encode(), None, 0)
    if size < 0:
        return None
    buffer = ctypes.create_string_buffer(size + 1)
    llama_cpp.llama_model_meta_val_str(model, key.encode(), buffer, size + 1)
    return buffer.value.decode("utf-8", errors="replace")
