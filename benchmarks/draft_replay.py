"""Would prompt-lookup drafting speed up decoding here? A replay of traced completions, without the model.

Prompt-lookup decoding guesses a sequence's next tokens from what followed the latest earlier occurrence
of its last few tokens (in the prompt or its own output), feeds the guess with the next token in one
step, and keeps the part the model itself would have produced: the output is unchanged, and a copied run
(a docstring, the unchanged lines of a repaired function) takes a few steps instead of one per token.

Since the output is unchanged, a traced completion says exactly which guesses would have been accepted.
This replays every completion of the given traces (`--trace DIR` runs) under each drafting policy and
prices the steps with the measured forward-pass cost of n tokens (benchmarks/decode_step_cost.py), so the
estimate is decode seconds of one sequence:

    python benchmarks/draft_replay.py --model small TRACE_DIR [TRACE_DIR ...]

Policies: the n-gram sizes tried (longest first), the most tokens guessed per step, and `adaptive`
(after a miss the next guess is one token longer than the accepted part; after a full hit, twice as long).
The prompt is tokenized as text, without the chat template's few special tokens.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from llama_cpp import Llama

from engine.models import resolve_model_file

RESULTS = Path(__file__).parent / "results"


@dataclass(frozen=True)
class Policy:
    ngrams: tuple[int, ...]
    limit: int
    adaptive: bool

    def __str__(self) -> str:
        return f"n-grams {'/'.join(map(str, self.ngrams))}, up to {self.limit}{', adaptive' if self.adaptive else ''}"


POLICIES = [
    Policy(ngrams, limit, adaptive)
    for ngrams in ((3, 2), (4, 3), (5, 4))
    for limit in (4, 8, 16)
    for adaptive in (False, True)
]


class History:
    """A sequence's tokens as int32 bytes: finding its last n tokens' latest earlier occurrence is one C-level
    `rfind` (a Python scan of thousands of tokens at each of tens of thousands of steps would take hours)."""

    def __init__(self, tokens: Sequence[int]) -> None:
        self._bytes = bytearray(np.asarray(tokens, dtype=np.int32).tobytes())

    def extend(self, tokens: Sequence[int]) -> None:
        self._bytes += np.asarray(tokens, dtype=np.int32).tobytes()

    def draft(self, ngrams: tuple[int, ...], limit: int) -> list[int]:
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


def replay(prompt: list[int], completion: list[int], policy: Policy) -> list[tuple[int, int]]:
    """(tokens fed, tokens accepted from the guess) for each step decoding `completion`."""
    history, done, limit, steps = History(prompt), 0, policy.limit, []
    while done < len(completion):
        guess = history.draft(policy.ngrams, min(limit, len(completion) - done - 1))
        accepted = 0
        while accepted < len(guess) and guess[accepted] == completion[done + accepted]:
            accepted += 1
        history.extend(completion[done : done + accepted + 1])
        done += accepted + 1
        steps.append((len(guess) + 1, accepted))
        if policy.adaptive and guess:
            limit = min(policy.limit, 2 * limit) if accepted == len(guess) else accepted + 1
    return steps


def traced_completions(folder: Path) -> Iterator[tuple[str, str]]:
    """(prompt and the answer's given start, completion) for every completion in a trace folder."""
    for path in sorted(folder.glob("*.jsonl")):
        prompt = None
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["kind"] == "prompt":
                prompt = record["prompt"] + record.get("answer_start", "")
            elif record["kind"] == "completion" and prompt is not None and record.get("text"):
                yield prompt, record["text"]


def step_ms(costs: dict[int, float]) -> Callable[[int], float]:
    """Milliseconds of a forward pass of n tokens, interpolated between the measured sizes."""
    fed, ms = zip(*sorted(costs.items()), strict=True)
    return lambda tokens: float(np.interp(tokens, fed, ms))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("traces", nargs="+", type=Path)
    parser.add_argument("--model", default="small")
    args = parser.parse_args()
    measured = json.loads((RESULTS / f"decode_step_cost-{args.model}.json").read_text())
    cost = step_ms({row["tokens"]: row["ms"] for row in measured["tokens_fed_to_one_sequence"]})
    vocab = Llama(model_path=str(resolve_model_file(args.model)), vocab_only=True, verbose=False)

    def tokens(text: str) -> list[int]:
        return vocab.tokenize(text.encode(), add_bos=False, special=False)

    pairs = [(tokens(p), tokens(c)) for folder in args.traces for p, c in traced_completions(folder)]
    baseline = sum(len(completion) for _, completion in pairs) * cost(1) / 1000
    print(f"{len(pairs)} completions, {sum(len(c) for _, c in pairs)} tokens, from {' '.join(map(str, args.traces))}")
    print(f"without drafts: {baseline:.1f} s of decoding (one sequence, {cost(1):.1f} ms a step)\n")
    print("| policy | steps | guessed tokens fed | accepted | est. decode s | vs without |")
    print("| --- | --- | --- | --- | --- | --- |")
    for policy in POLICIES:
        steps = [step for prompt, completion in pairs for step in replay(prompt, completion, policy)]
        seconds = sum(cost(fed) for fed, _ in steps) / 1000
        guessed, accepted = sum(fed - 1 for fed, _ in steps), sum(a for _, a in steps)
        print(f"| {policy} | {len(steps)} | {guessed} | {accepted} | {seconds:.1f} | {seconds / baseline:.2f}x |")


if __name__ == "__main__":
    main()
