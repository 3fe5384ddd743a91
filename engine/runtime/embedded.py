"""The embedded backend: llama-cpp-python in this process, on the CPU by default."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import cast

import anyio
import llama_cpp
import numpy as np
from llama_cpp.llama_chat_format import Jinja2ChatFormatter
from llama_cpp.llama_types import ChatCompletionRequestMessage

from engine.config import EmbeddedSettings
from engine.models import ModelError, check_gguf_file
from engine.runtime.base import Generation, Message, RuntimeFailure, SamplingParams, TokenCallback
from engine.runtime.decoder import Decoder, DecoderLimits, DecoderStats, Request
from engine.runtime.drafting import EMBEDDED_GUESSES
from engine.runtime.gpu import GpuSupport, gpu_support, offload_failure, offloaded_layers, resolve_gpu_layers


def llama_build() -> str:
    """llama-cpp-python's version and the CPU kernels compiled into its llama.cpp (AVX2, AVX-512, ...),
    which change the speed and, slightly, the numbers a model produces."""
    features = llama_cpp.llama_print_system_info().decode(errors="replace").strip(" |")
    return f"llama-cpp-python {llama_cpp.__version__} ({features})"


class EmbeddedRuntime:
    """A GGUF model served from this process with continuous batched decoding."""

    def __init__(self, path: Path, settings: EmbeddedSettings, model_id: str) -> None:
        self._model_id = model_id
        # llama.cpp logs every load detail to stderr; an editor shows stderr to the user.
        logging.getLogger("llama-cpp-python").setLevel(logging.DEBUG if settings.show_llama_log else logging.ERROR)
        self._gpu = gpu_support()
        params = llama_cpp.llama_model_default_params()
        params.n_gpu_layers = resolve_gpu_layers(settings.gpu_layers, self._gpu)
        self.model_params = params
        """What the model was loaded with (`n_gpu_layers` resolved from the `gpu_layers` setting)."""
        offloading = self._gpu.has_gpu and params.n_gpu_layers != 0
        with _llama_errors() as errors:
            self._model = llama_cpp.llama_model_load_from_file(str(path).encode(), params)
        if not self._model:
            if offloading:
                raise offload_failure(f"load {path}", params.n_gpu_layers, self._gpu, errors[-1] if errors else None)
            raise ModelError(
                f"llama.cpp could not load {path}: the file is damaged, truncated or of an unsupported architecture.",
                "delete the file so it is assembled again (packaged models), or download it again.",
            )
        try:
            self._open_model(settings, offloading)
        except BaseException:
            llama_cpp.llama_model_free(self._model)
            raise

    def _open_model(self, settings: EmbeddedSettings, offloading: bool) -> None:
        self._vocab = llama_cpp.llama_model_get_vocab(self._model)
        self._embedding_dim: int = llama_cpp.llama_model_n_embd(self._model)
        self._layers: int = llama_cpp.llama_model_n_layer(self._model)
        self._formatter = _chat_formatter(self._model, self._vocab)
        self._max_sequences = settings.max_sequences
        threads = settings.threads or os.cpu_count() or 1
        limits = DecoderLimits(
            settings.context_tokens,
            settings.max_sequences,
            settings.batch_tokens,
            guesses=replace(EMBEDDED_GUESSES, limit=settings.guessed_tokens),
        )
        with _llama_errors() as errors:
            try:
                self._decoder = Decoder(self._model, self._vocab, limits, threads)
            except RuntimeFailure as failure:
                if not offloading:
                    raise
                # With layers on the GPU, their share of the KV cache is allocated there too.
                raise offload_failure(
                    f"create a context of {settings.context_tokens} tokens",
                    self.model_params.n_gpu_layers,
                    self._gpu,
                    errors[-1] if errors else None,
                    self._layers + 1,
                ) from failure

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
    def gpu(self) -> GpuSupport:
        """What this llama.cpp build can offload to, and the GPUs it found."""
        return self._gpu

    @property
    def offloaded_layers(self) -> int:
        """Layers on the GPU, out of `offloadable_layers`; 0 on a CPU build."""
        return offloaded_layers(self.model_params.n_gpu_layers, self._layers, self._gpu)

    @property
    def offloadable_layers(self) -> int:
        return self._layers + 1

    @property
    def backend(self) -> str:
        # Runs on a GPU are told apart in their records; a CPU run's backend reads as it always did.
        offloaded = self.offloaded_layers
        on_gpu = f"; {offloaded} of {self.offloadable_layers} layers on the GPU" if offloaded else ""
        return f"embedded {llama_build()}{on_gpu}"

    @property
    def stats(self) -> DecoderStats:
        return self._decoder.stats

    def count_tokens(self, text: str) -> int:
        return len(self._tokenize(text))

    @property
    def continues_answers(self) -> bool:
        return True

    def chat_prompt_tokens(self, messages: Sequence[Message]) -> list[int]:
        """The tokens the model reads for `messages`: the chat template's rendering, tokenized. A last message
        from the assistant follows the template's opening of the reply, unclosed, so the model continues it."""
        answer_start = messages[-1].content if messages and messages[-1].role == "assistant" else ""
        asked = messages[:-1] if answer_start else messages
        return self._tokenize(self._formatter(messages=[_chat_message(m) for m in asked]).prompt + answer_start)

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
        prompt = self.chat_prompt_tokens(messages)
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


# llama.cpp has one log callback per process: one collector at a time may stand in for the usual one.
_log_swap = threading.Lock()


@contextmanager
def _llama_errors() -> Iterator[list[str]]:
    """The reasons llama.cpp gives for a failed model load or context while the block runs.

    It says why only in its log ("error loading model: unable to allocate CUDA0 buffer"), which
    llama-cpp-python's callback keeps quiet by default; every line still goes on to that callback."""
    from llama_cpp import _logger

    reasons: list[str] = []

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]  # a ctypes CFUNCTYPE, untyped upstream
    def collect(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        line = text.decode("utf-8", errors="replace")
        for marker in ("error loading model: ", "failed to initialize the context: "):
            if marker in line:
                reasons.append(line.split(marker, 1)[1].strip())
        _logger.llama_log_callback(level, text, user_data)

    with _log_swap:
        llama_cpp.llama_log_set(collect, ctypes.c_void_p(0))
        try:
            yield reasons
        finally:
            llama_cpp.llama_log_set(_logger.llama_log_callback, ctypes.c_void_p(0))


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


def _chat_message(message: Message) -> ChatCompletionRequestMessage:
    # llama-cpp-python types one TypedDict per role; the role here is a plain string.
    return cast(ChatCompletionRequestMessage, {"role": message.role, "content": message.content})


def _chat_formatter(model: llama_cpp.llama_model_p, vocab: llama_cpp.llama_vocab_p) -> Jinja2ChatFormatter:
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


def _token_text(vocab: llama_cpp.llama_vocab_p, token: int) -> str:
    if token < 0:
        return ""
    text: bytes = llama_cpp.llama_vocab_get_text(vocab, token)
    return text.decode("utf-8", errors="replace")


def _metadata(model: llama_cpp.llama_model_p, key: str) -> str | None:
    size = llama_cpp.llama_model_meta_val_str(model, key.encode(), None, 0)
    if size < 0:
        return None
    buffer = ctypes.create_string_buffer(size + 1)
    llama_cpp.llama_model_meta_val_str(model, key.encode(), buffer, size + 1)
    return buffer.value.decode("utf-8", errors="replace")
