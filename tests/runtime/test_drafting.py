"""Prompt-lookup guesses: what a sequence's history says comes next (no model needed)."""

from __future__ import annotations

from engine.runtime.drafting import GuessPolicy, TokenHistory, next_limit

ADAPTIVE = GuessPolicy(ngrams=(2,), limit=16, adaptive=True)


def test_a_guess_is_what_followed_the_latest_earlier_occurrence_of_the_last_tokens() -> None:
    history = TokenHistory([1, 2, 3, 9, 1, 2, 4, 5, 1, 2])
    assert history.guess((2,), 3) == [4, 5, 1]


def test_no_earlier_occurrence_gives_no_guess() -> None:
    assert TokenHistory([1, 2, 3, 4]).guess((2,), 4) == []


def test_tokens_added_to_the_history_are_guessed_from() -> None:
    history = TokenHistory([7, 8, 9])
    history.extend([7, 8])
    assert history.guess((2,), 4) == [9, 7, 8]


def test_after_a_full_hit_the_next_guess_may_be_twice_as_long() -> None:
    assert next_limit(ADAPTIVE, 4, guessed=4, confirmed=4) == 8
    assert next_limit(ADAPTIVE, 16, guessed=16, confirmed=16) == 16


def test_after_a_miss_the_next_guess_is_one_longer_than_what_held() -> None:
    assert next_limit(ADAPTIVE, 16, guessed=16, confirmed=2) == 3


def test_a_step_without_a_guess_keeps_the_limit() -> None:
    assert next_limit(ADAPTIVE, 3, guessed=0, confirmed=0) == 3
