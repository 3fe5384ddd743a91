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
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from llama_cpp import Llama

from engine.models import resolve_model_file
from engine.runtime.drafting import GuessPolicy, TokenHistory, next_limit

RESULTS = Path(__file__).parent / "results"


POLICIES = [
    GuessPolicy(ngrams, limit, adaptive)
    for ngrams in ((3, 2), (4, 3), (5, 4))
    for limit in (4, 8, 16)
    for adaptive in (False, True)
]


def describe(policy: GuessPolicy) -> str:
    ngrams = "/".join(map(str, policy.ngrams))
    return f"n-grams {ngrams}, up to {policy.limit}{', adaptive' if policy.adaptive else ''}"


def replay(prompt: list[int], completion: list[int], policy: GuessPolicy) -> list[tuple[int, int]]:
    """(tokens fed, tokens accepted from the guess) for each step decoding `completion`."""
    history, done, limit, steps = TokenHistory(prompt), 0, policy.limit, []
    while done < len(completion):
        guess = history.guess(policy.ngrams, min(limit, len(completion) - done - 1))
        accepted = 0
        while accepted < len(guess) and guess[accepted] == completion[done + accepted]:
            accepted += 1
        history.extend(completion[done : done + accepted + 1])
        done += accepted + 1
        steps.append((len(guess) + 1, accepted))
        limit = next_limit(policy, limit, len(guess), accepted)
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
        cells = [describe(policy), len(steps), guessed, accepted, f"{seconds:.1f}", f"{seconds / baseline:.2f}x"]
        print("| " + " | ".join(map(str, cells)) + " |")


if __name__ == "__main__":
    main()
