"""Continuous batched decoding on one llama.cpp context, owned by one thread.

On a CPU every decode step re-reads all the weights, so a step that advances many sequences costs
little more than a step that advances one. The decoder keeps one running batch: a request's prompt
is evaluated once into one sequence, its KV cells are shared with the request's other sequences
(`kv_unified`), and every active sequence of every request advances at least one token per step. Requests
join and leave between steps. All llama.cpp calls happen on the decoder's own thread because a
context is not thread-safe.

Where a sequence copies text it has seen (a solve copying the docstring of its prompt, a repair the
unchanged lines of the function), the step also feeds the tokens that followed that text before
(`engine.runtime.drafting`): on this CPU a forward pass of 16 tokens costs about 6 passes of one, and each
guessed token the model confirms is a pass saved. Each token is still drawn from its own row of logits
with one draw of the sequence's generator, as without guesses; only the logits of a pass of several
tokens may differ in the last bits, as they do between any two batch shapes.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import llama_cpp
import numpy as np

from engine.runtime.base import FinishReason, Generation, RuntimeFailure, SamplingParams, TokenCallback
from engine.runtime.drafting import EMBEDDED_GUESSES, GuessPolicy, TokenHistory, next_limit
from engine.runtime.sampling import sample_row, sample_tokens


@dataclass(frozen=True)
class DecoderLimits:
    context_tokens: int
    max_sequences: int
    batch_tokens: int
    cached_prefixes: int = 4
    """Recent prompts kept in the KV cache, so a later prompt that starts the same way (the
    pipeline's calls on one problem all start with its statement) skips that part of prefill."""
    guesses: GuessPolicy = EMBEDDED_GUESSES
    """How prompt-lookup tokens are guessed; a limit of 0 turns guessing off."""


MIN_CACHED_PROMPT = 64


@dataclass
class DecoderStats:
    """Counters since the decoder started; read them from any thread (they only grow)."""

    decode_steps: int = 0
    tokens_decoded: int = 0
    prompt_tokens_evaluated: int = 0
    prompt_tokens_reused: int = 0
    most_requests_in_one_step: int = 0
    most_sequences_in_one_step: int = 0
    prefill_seconds: float = 0.0
    """Time spent evaluating prompts (embeddings included)."""
    decode_seconds: float = 0.0
    """Time spent in decode steps: the model's forward pass and sampling."""
    guessed_tokens_fed: int = 0
    guessed_tokens_kept: int = 0


@dataclass
class Request:
    """Work handed to the decoder; the decoder fills `results` or `error` and then calls `on_done`."""

    prompt: list[int]
    params: Sequence[SamplingParams]
    on_token: TokenCallback | None
    on_done: Callable[[], None]
    cancel: threading.Event = field(default_factory=threading.Event)
    results: list[Generation] = field(default_factory=list)
    error: Exception | None = None
    # Embedding requests carry no sampling params; they return a vector instead.
    embedding: np.ndarray | None = None
    finished: list[_Sequence] = field(default_factory=list)

    @property
    def wants_embedding(self) -> bool:
        return not self.params

    @property
    def reserved_cells(self) -> int:
        return len(self.prompt) + sum(p.max_tokens for p in self.params)


@dataclass
class _CachedPrefix:
    seq_id: int
    tokens: list[int]
    last_used: int
    last_logits: np.ndarray
    """The logits after the prompt's last token: a request for exactly this prompt starts from them, so its
    completion is the one a fresh prefill would give (a one-token re-evaluation differs in the last bits)."""


@dataclass
class _Sequence:
    request: Request
    index: int
    seq_id: int
    params: SamplingParams
    generator: np.random.Generator
    position: int
    history: TokenHistory
    guess_limit: int
    pending_token: int = -1
    generated: int = 0
    text_bytes: bytearray = field(default_factory=bytearray)
    emitted_chars: int = 0
    finish: FinishReason | None = None
    final_text: str = ""


class Decoder:
    """Owns a llama.cpp context and serves generation and embedding requests from its thread."""

    def __init__(
        self, model: llama_cpp.llama_model_p, vocab: llama_cpp.llama_vocab_p, limits: DecoderLimits, n_threads: int
    ) -> None:
        self._model = model
        self._vocab = vocab
        self._limits = limits
        self._n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)
        self._n_embd = llama_cpp.llama_model_n_embd(model)
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = limits.context_tokens
        params.n_batch = limits.batch_tokens
        params.n_ubatch = limits.batch_tokens
        # Cached prompts get sequence ids of their own: a cache survives while `max_sequences` decode.
        params.n_seq_max = limits.max_sequences + limits.cached_prefixes
        # One prompt token can belong to several sequences only with a unified KV buffer.
        params.kv_unified = True
        params.n_threads = n_threads
        params.n_threads_batch = n_threads
        params.pooling_type = llama_cpp.LLAMA_POOLING_TYPE_NONE
        self._ctx = llama_cpp.llama_init_from_model(model, params)
        if not self._ctx:
            raise RuntimeFailure(
                f"llama.cpp could not create a context of {limits.context_tokens} tokens; "
                "lower the context size (`contextSize` in the editor) or free memory."
            )
        self._memory = llama_cpp.llama_get_memory(self._ctx)
        self._batch = llama_cpp.llama_batch_init(max(limits.batch_tokens, limits.max_sequences), 0, 1)
        self._queue: deque[Request] = deque()
        self._active: list[_Sequence] = []
        self._free_ids = list(range(limits.max_sequences + limits.cached_prefixes))
        self._reserved = 0
        self._prefixes: list[_CachedPrefix] = []
        self._pieces: dict[int, bytes] = {}
        self._clock = 0
        self._wake = threading.Condition()
        self._closing = False
        self.stats = DecoderStats()
        self._thread = threading.Thread(target=self._run, name="atlas-decoder", daemon=True)
        self._thread.start()

    def submit(self, request: Request) -> None:
        needed_ids = max(1, len(request.params))
        if needed_ids > self._limits.max_sequences:
            raise RuntimeFailure(
                f"{needed_ids} sequences asked for at once; this runtime decodes at most "
                f"{self._limits.max_sequences} (setting `max_sequences`)."
            )
        if request.reserved_cells > self._limits.context_tokens:
            raise RuntimeFailure(
                f"The request needs {request.reserved_cells} context tokens (prompt {len(request.prompt)} plus "
                f"the completions' max_tokens) but the context holds {self._limits.context_tokens}; "
                "shorten the prompt, lower the completion length (`maxTokens` in the editor, `--max-tokens`) or "
                "the candidates, or raise the context window (`contextSize` in the editor)."
            )
        with self._wake:
            if self._closing:
                raise RuntimeFailure("The model runtime is closed.")
            self._queue.append(request)
            self._wake.notify()

    def close(self) -> None:
        with self._wake:
            self._closing = True
            self._wake.notify()
        self._thread.join()
        llama_cpp.llama_batch_free(self._batch)
        llama_cpp.llama_free(self._ctx)

    # Everything below runs on the decoder thread.

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._closing and not self._queue and not self._active:
                    self._wake.wait()
                if self._closing:
                    break
            self._admit_waiting()
            if self._active:
                try:
                    self._step()
                except Exception as error:  # the thread serves every request: fail the batch, keep serving
                    self._fail_active(RuntimeFailure(f"Decoding failed: {error}"))
        for sequence in self._active:
            sequence.finish = "cancelled"
        self._retire_finished()
        for request in self._queue:
            request.error = RuntimeFailure("The model runtime was closed before the request ran.")
            request.on_done()

    def _admit_waiting(self) -> None:
        while True:
            with self._wake:
                if not self._queue:
                    return
                request = self._queue[0]
                if request.cancel.is_set():
                    self._queue.popleft()
                else:
                    if not self._make_room(max(1, len(request.params)), request.reserved_cells):
                        return
                    self._queue.popleft()
            if request.cancel.is_set():
                request.results = [_cancelled(len(request.prompt)) for _ in request.params]
                request.on_done()
                continue
            try:
                if request.wants_embedding:
                    self._embed(request)
                else:
                    self._start(request)
            except Exception as error:  # a failed decode must not kill the thread that serves everyone
                request.error = error if isinstance(error, RuntimeFailure) else RuntimeFailure(str(error))
                request.on_done()

    def _make_room(self, ids: int, cells: int) -> bool:
        """True when `ids` sequences and `cells` KV cells are free, evicting cached prompts if needed."""
        if len(self._active) + ids > self._limits.max_sequences:
            return False
        while len(self._free_ids) < ids or self._reserved + cells > self._limits.context_tokens:
            if not self._prefixes:
                return False
            self._forget(min(self._prefixes, key=lambda p: p.last_used))
        return True

    def _forget(self, prefix: _CachedPrefix) -> None:
        self._prefixes.remove(prefix)
        self._release([prefix.seq_id], len(prefix.tokens))

    def _start(self, request: Request) -> None:
        seq_ids = [self._free_ids.pop() for _ in request.params]
        self._reserved += request.reserved_cells
        first = seq_ids[0]
        reused, logits = self._reuse_prefix(request.prompt, first)
        if logits is None:
            try:
                self._decode_prompt(request.prompt[reused:], first, start=reused)
            except Exception:
                self._release(seq_ids, request.reserved_cells)
                raise
            logits = self._logits_view(1)
            self._remember_prefix(request.prompt, first, logits[0])
        for seq_id in seq_ids[1:]:
            llama_cpp.llama_memory_seq_cp(self._memory, first, seq_id, -1, -1)
        sequences = [
            _Sequence(
                request=request,
                index=index,
                seq_id=seq_id,
                params=params,
                generator=np.random.default_rng(params.seed),
                position=len(request.prompt),
                history=TokenHistory(request.prompt),
                guess_limit=self._limits.guesses.limit,
            )
            for index, (seq_id, params) in enumerate(zip(seq_ids, request.params, strict=True))
        ]
        # Every sequence of the request starts from the prompt's last logits: one row, seen k times.
        shared_logits = np.broadcast_to(logits, (len(sequences), self._n_vocab))
        tokens = sample_tokens(shared_logits, [s.params for s in sequences], [s.generator for s in sequences])
        for sequence, token in zip(sequences, tokens, strict=True):
            self._accept(sequence, token)
        self._active.extend(sequences)
        self._retire_finished()

    def _reuse_prefix(self, prompt: list[int], seq_id: int) -> tuple[int, np.ndarray | None]:
        """Share the longest cached start of `prompt` into `seq_id`; return how many tokens it covers and,
        when it covers the whole prompt, the logits the completion starts from."""
        best, length, exact = None, 0, False
        for prefix in self._prefixes:
            common = _common_length(prefix.tokens, prompt)
            # Of equally long matches, the one that is the prompt itself: no duplicate of it gets cached.
            if (common, common == len(prefix.tokens)) > (length, exact):
                best, length, exact = prefix, common, common == len(prefix.tokens)
        if best is None or length < MIN_CACHED_PROMPT:
            return 0, None
        self._clock += 1
        best.last_used = self._clock
        whole = exact and length == len(prompt)
        if not whole:
            # The last prompt token is evaluated: its logits start the completion.
            length = min(length, len(prompt) - 1)
        llama_cpp.llama_memory_seq_cp(self._memory, best.seq_id, seq_id, 0, length)
        self.stats.prompt_tokens_reused += length
        return length, best.last_logits[np.newaxis, :] if whole else None

    def _remember_prefix(self, prompt: list[int], seq_id: int, last_logits: np.ndarray) -> None:
        if self._limits.cached_prefixes <= 0 or len(prompt) < MIN_CACHED_PROMPT:
            return
        self._clock += 1
        if len(self._prefixes) >= self._limits.cached_prefixes:
            self._forget(min(self._prefixes, key=lambda p: p.last_used))
        if not self._free_ids or self._reserved + len(prompt) > self._limits.context_tokens:
            return
        cache_id = self._free_ids.pop()
        self._reserved += len(prompt)
        llama_cpp.llama_memory_seq_cp(self._memory, seq_id, cache_id, 0, len(prompt))
        self._prefixes.append(_CachedPrefix(cache_id, list(prompt), self._clock, last_logits.copy()))

    def _decode_prompt(
        self, tokens: list[int], seq_id: int, start: int = 0, output_all: bool = False
    ) -> list[np.ndarray]:
        """Evaluate `tokens` into `seq_id` from position `start`; return every token's hidden state if `output_all`."""
        size = self._limits.batch_tokens
        hidden: list[np.ndarray] = []
        for offset in range(0, len(tokens), size):
            chunk = tokens[offset : offset + size]
            self._batch.n_tokens = len(chunk)
            for index, token in enumerate(chunk):
                self._put(index, token, start + offset + index, seq_id, output_all)
            if offset + size >= len(tokens):
                self._batch.logits[len(chunk) - 1] = True
            started = time.perf_counter()
            self._decode()
            self.stats.prefill_seconds += time.perf_counter() - started
            self.stats.prompt_tokens_evaluated += len(chunk)
            if output_all:
                hidden.append(self._embeddings_rows(len(chunk)))
        return hidden

    def _put(self, slot: int, token: int, position: int, seq_id: int, output: bool) -> None:
        batch = self._batch
        batch.token[slot] = token
        batch.pos[slot] = position
        batch.n_seq_id[slot] = 1
        batch.seq_id[slot][0] = seq_id
        batch.logits[slot] = output

    def _decode(self) -> None:
        status = llama_cpp.llama_decode(self._ctx, self._batch)
        if status != 0:
            raise RuntimeFailure(
                f"llama_decode failed with status {status} (1 means the KV cache is full); "
                "raise the context window (`contextSize` in the editor) or lower the candidates or the completion "
                "length (`maxTokens`, `--max-tokens`)."
            )

    def _logits_view(self, rows: int) -> np.ndarray:
        """The last decode's logits, read in place: valid only until the next `llama_decode`.

        Sampling reads them before the next step, so no copy is needed; a copy allocated a fresh
        600 KB per sequence per step (past malloc's mmap threshold: page faults on every token)."""
        pointer = llama_cpp.llama_get_logits(self._ctx)
        return np.ctypeslib.as_array(pointer, shape=(rows, self._n_vocab))

    def _embeddings_rows(self, rows: int) -> np.ndarray:
        pointer = llama_cpp.llama_get_embeddings(self._ctx)
        return np.ctypeslib.as_array(pointer, shape=(rows, self._n_embd)).copy()

    def _step(self) -> None:
        for sequence in self._active:
            if sequence.request.cancel.is_set():
                sequence.finish = "cancelled"
        self._retire_finished()
        if not self._active:
            return
        started = time.perf_counter()
        room = self._limits.batch_tokens - len(self._active)
        fed: list[tuple[_Sequence, int, list[int]]] = []
        slot = 0
        for sequence in self._active:
            guess = self._guess(sequence, room)
            room -= len(guess)
            for offset, token in enumerate([sequence.pending_token, *guess]):
                self._put(slot + offset, token, sequence.position + offset, sequence.seq_id, True)
            fed.append((sequence, slot, guess))
            slot += 1 + len(guess)
        self._batch.n_tokens = slot
        self._decode()
        self.stats.decode_steps += 1
        requests_in_step = len({id(s.request) for s in self._active})
        self.stats.most_requests_in_one_step = max(self.stats.most_requests_in_one_step, requests_in_step)
        self.stats.most_sequences_in_one_step = max(self.stats.most_sequences_in_one_step, len(self._active))
        logits = self._logits_view(slot)
        for sequence, first_row, guess in fed:
            self._confirm(sequence, logits[first_row : first_row + len(guess) + 1], guess)
        self.stats.decode_seconds += time.perf_counter() - started
        self._retire_finished()

    def _guess(self, sequence: _Sequence, room: int) -> list[int]:
        # A guess never reaches past the sequence's max_tokens: its cells stay inside the request's reservation.
        limit = min(sequence.guess_limit, room, sequence.params.max_tokens - sequence.generated - 1)
        return sequence.history.guess(self._limits.guesses.ngrams, limit) if limit > 0 else []

    def _confirm(self, sequence: _Sequence, rows: np.ndarray, guess: list[int]) -> None:
        """Take the sequence's tokens from the rows of its pending token and its guess: each row gives the
        token after the one fed there, drawn as it would be without a guess, and the guess holds up to the
        first guessed token that differs from the token drawn."""
        kept = 0
        for index, row in enumerate(rows):
            token = sample_row(row, sequence.params, sequence.generator)
            sequence.position += 1
            self._accept(sequence, token)
            self.stats.tokens_decoded += 1
            if sequence.finish or index == len(guess) or token != guess[index]:
                break
            kept += 1
        if not sequence.finish and kept < len(guess):
            # The cells from here on hold guessed tokens the sequence did not keep.
            llama_cpp.llama_memory_seq_rm(self._memory, sequence.seq_id, sequence.position, -1)
        self.stats.guessed_tokens_fed += len(guess)
        self.stats.guessed_tokens_kept += kept
        sequence.guess_limit = next_limit(self._limits.guesses, sequence.guess_limit, len(guess), kept)

    def _accept(self, sequence: _Sequence, token: int) -> None:
        """Record a sampled token; it is fed back to the model at the next step unless the sequence ends."""
        if llama_cpp.llama_vocab_is_eog(self._vocab, token):
            sequence.finish = "stop"
            return
        sequence.generated += 1
        sequence.pending_token = token
        sequence.history.extend([token])
        sequence.text_bytes += self._token_bytes(token)
        text = sequence.text_bytes.decode("utf-8", errors="ignore")
        stop_at = _first_stop(text, sequence.params.stop, sequence.emitted_chars)
        if stop_at is not None:
            text = text[:stop_at]
            sequence.finish = "stop"
        elif sequence.generated >= sequence.params.max_tokens:
            sequence.finish = "length"
        # Hold back a tail that could still become a stop string, so callers never see its start.
        visible = len(text) if sequence.finish else _safe_length(text, sequence.params.stop)
        if visible > sequence.emitted_chars:
            if sequence.request.on_token:
                sequence.request.on_token(sequence.index, text[sequence.emitted_chars : visible])
            sequence.emitted_chars = visible
        sequence.final_text = text

    def _token_bytes(self, token: int) -> bytes:
        # The vocabulary never changes: each token's bytes are looked up once, not once per use.
        piece = self._pieces.get(token)
        if piece is None:
            piece = self._pieces[token] = _piece(self._vocab, token)
        return piece

    def _fail_active(self, error: RuntimeFailure) -> None:
        for sequence in self._active:
            sequence.request.error = error
            sequence.finish = "cancelled"
        self._retire_finished()

    def _retire_finished(self) -> None:
        finished = [s for s in self._active if s.finish]
        if not finished:
            return
        self._active = [s for s in self._active if not s.finish]
        for sequence in finished:
            llama_cpp.llama_memory_seq_rm(self._memory, sequence.seq_id, -1, -1)
            self._free_ids.append(sequence.seq_id)
            sequence.request.finished.append(sequence)
        still_running = {id(s.request) for s in self._active}
        done = {id(s.request): s.request for s in finished if id(s.request) not in still_running}
        self._finish_requests(done.values())

    def _finish_requests(self, requests: Iterable[Request]) -> None:
        for request in requests:
            self._reserved -= request.reserved_cells
            request.results = [
                Generation(
                    text=s.final_text,
                    prompt_tokens=len(request.prompt),
                    completion_tokens=s.generated,
                    finish_reason=s.finish or "cancelled",
                )
                for s in sorted(request.finished, key=lambda s: s.index)
            ]
            request.on_done()

    def _release(self, seq_ids: list[int], cells: int) -> None:
        for seq_id in seq_ids:
            llama_cpp.llama_memory_seq_rm(self._memory, seq_id, -1, -1)
            self._free_ids.append(seq_id)
        self._reserved -= cells

    def _embed(self, request: Request) -> None:
        seq_id = self._free_ids.pop()
        self._reserved += request.reserved_cells
        llama_cpp.llama_set_embeddings(self._ctx, True)
        try:
            hidden = self._decode_prompt(request.prompt, seq_id, output_all=True)
            request.embedding = np.concatenate(hidden).mean(axis=0).astype(np.float32)
        finally:
            llama_cpp.llama_set_embeddings(self._ctx, False)
            self._release([seq_id], request.reserved_cells)
        request.on_done()


def _common_length(first: list[int], second: list[int]) -> int:
    length = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        length += 1
    return length


def _piece(vocab: llama_cpp.llama_vocab_p, token: int) -> bytes:
    buffer = ctypes.create_string_buffer(64)
    size = llama_cpp.llama_token_to_piece(vocab, token, buffer, len(buffer), 0, False)
    if size < 0:
        buffer = ctypes.create_string_buffer(-size)
        size = llama_cpp.llama_token_to_piece(vocab, token, buffer, len(buffer), 0, False)
    return buffer.raw[:size]


def _first_stop(text: str, stops: Sequence[str], emitted: int) -> int | None:
    # Only text after what was already emitted can hold a new stop string's start.
    window_start = max(0, emitted - max((len(s) for s in stops), default=0))
    positions = [index for stop in stops if stop and (index := text.find(stop, window_start)) >= 0]
    return min(positions) if positions else None


def _safe_length(text: str, stops: Sequence[str]) -> int:
    for keep in range(len(text) - max((len(s) for s in stops), default=0), len(text) + 1):
        tail = text[max(keep, 0) :]
        if not any(stop.startswith(tail) for stop in stops if tail):
            continue
        return max(keep, 0)
    return len(text)


def _cancelled(prompt_tokens: int) -> Generation:
    return Generation(text="", prompt_tokens=prompt_tokens, completion_tokens=0, finish_reason="cancelled")
