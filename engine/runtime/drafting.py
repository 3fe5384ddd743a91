"""Prompt-lookup guesses: a sequence's next tokens, guessed from what followed the latest earlier
occurrence of its last few tokens in its prompt or its own output.

A sampled solve copies the function's header and docstring from its prompt, and a repair copies the
unchanged lines of the function it fixes; there the guesses are right for tens of tokens in a row. The
decoder feeds a guess with the sequence's next token in one step and keeps the guessed tokens up to
the first that differs from the token drawn there as without a guess (`engine.runtime.sampling.sample_row`),
so guessing changes how fast a sequence is written, not what it draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.config import EmbeddedSettings


@dataclass(frozen=True)
class GuessPolicy:
    ngrams: tuple[int, ...]
    """The lengths of the last tokens' run looked up, longest first."""
    limit: int
    """The most tokens guessed in one step."""
    adaptive: bool
    """After a miss the next guess is one token longer than the confirmed part; after a full hit, twice
    as long (up to `limit`): a sequence writing new text stops paying for long wrong guesses."""


EMBEDDED_GUESSES = GuessPolicy(ngrams=(5, 4), limit=EmbeddedSettings().guessed_tokens, adaptive=True)
"""The best of the policies replayed on the editor's traced Solve and Repair completions
(benchmarks/results/draft_replay-small.md); the settings say how long a guess may be."""


class TokenHistory:
    """A sequence's tokens as int32 bytes: finding its last n tokens' latest earlier occurrence is one C-level
    `rfind` (a Python scan of a thousand tokens at every step would cost more than the step saves)."""

    def __init__(self, tokens: Sequence[int]) -> None:
        self._bytes = bytearray(np.asarray(tokens, dtype=np.int32).tobytes())

    def extend(self, tokens: Sequence[int]) -> None:
        self._bytes += np.asarray(tokens, dtype=np.int32).tobytes()

    def guess(self, ngrams: tuple[int, ...], limit: int) -> list[int]:
        """What followed the latest earlier occurrence of the last n tokens (longest n first), up to `limit`."""
        size = len(self._bytes) // 4
        for n in ngrams if limit > 0 else ():
            if size <= n:
                continue
            key, end = bytes(self._bytes[-4 * n :]), len(self._bytes) - 4
            while (found := self._bytes.rfind(key, 0, end)) >= 0:
                if found % 4 == 0:
                    follows = found // 4 + n
                    guess = np.frombuffer(self._bytes, np.int32, min(limit, size - follows), 4 * follows)
                    return [int(token) for token in guess]
                end = found + len(key) - 1  # a match across two tokens' bytes: look further back
        return []


def next_limit(policy: GuessPolicy, limit: int, guessed: int, confirmed: int) -> int:
    """The most tokens the next guess may have, after a guess of `guessed` tokens of which `confirmed` held."""
    if not policy.adaptive or guessed == 0:
        return limit
    return min(policy.limit, 2 * limit) if confirmed == guessed else confirmed + 1
