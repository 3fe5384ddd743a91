"""The prompt-lookup replay: which guesses a completion would have confirmed, from the tokens alone."""

from __future__ import annotations

from benchmarks.draft_replay import replay
from engine.runtime.drafting import GuessPolicy

COPY = GuessPolicy(ngrams=(2,), limit=4, adaptive=False)


def test_a_completion_copying_its_prompt_takes_fewer_steps_than_tokens() -> None:
    prompt = [7, 8, 10, 11, 12, 13, 14, 15, 16, 7, 8]
    steps = replay(prompt, [10, 11, 12, 13, 14, 15, 16], COPY)
    assert sum(1 + accepted for _, accepted in steps) == 7
    assert len(steps) < 7


def test_a_guess_counts_only_up_to_its_first_wrong_token() -> None:
    steps = replay([5, 6, 1, 2, 3, 5, 6], [1, 9, 9], COPY)
    assert steps[0] == (3, 1)  # guessed [1, 2]: 1 confirmed, 2 wrong; the model's own 9 follows
