"""The selection lab: score selection and budget rules on recorded candidates, without the model.

A bench run with `--record DIR` keeps every candidate of every problem (code, origin, tokens, what it
did on the public examples and on the generated inputs; its reading, the model's embedding, with
`--lens-records` or after `--lens-read`) and, once the run's answer is judged, the hidden-test label of
each. Here every rule chooses one candidate per problem from what the engine
saw at inference (`Seen`: no label), and only then is the choice scored by the label. A rule also
says how many candidates it paid for, so an adaptive budget is compared with fixed ones at its cost.

The order of a problem's records is the engine's order of writing them (greedy first, then the
samples by seed), so the first k records are what a run with k candidates would have had.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from atlas_lsp.bench.report import difficulty_order, pass_rate
from atlas_lsp.bench.runner import read_results
from atlas_lsp.bench.stats import mcnemar_exact
from engine.candidates import Behaviour
from engine.config import BUDGETS, PipelineConfig
from engine.stages.select import rank_clusters, viable_indices
from lens.features import candidate_features, lens_input
from lens.records import LensRecord, read_records

if TYPE_CHECKING:
    from lens.scoring import Lens


@dataclass(frozen=True)
class Seen:
    """One candidate as the engine saw it at inference: everything a record holds but its label."""

    origin: str
    behaviour: Behaviour
    tokens: int
    code: str = ""
    embedding: np.ndarray | None = None
    lens: Lens | None = None
    """The Lens that scores this problem (in the replay, one trained without it); None without readings."""


@dataclass(frozen=True)
class Pick:
    index: int
    """The candidate chosen, by its position in the problem's records."""
    used: int
    """How many candidates (the first `used`) the rule paid for."""
    reads_inputs: bool = True
    """Whether the rule read the candidates' outputs on generated inputs, and so paid for writing them."""


Rule = Callable[[Sequence[Seen]], Pick]


@dataclass(frozen=True)
class Pool:
    """One problem's recorded candidates, in the order the engine wrote them."""

    dataset: str
    problem_id: str
    difficulty: str
    records: tuple[LensRecord, ...]
    self_test_tokens: int = 0
    """Tokens the run spent writing the problem's generated inputs (0 when unknown)."""
    lens: Lens | None = None
    """The Lens that scores this problem's candidates (the replay's: one trained on other problems)."""

    @property
    def seen(self) -> tuple[Seen, ...]:
        return tuple(Seen(r.origin, r.behaviour, r.tokens, r.code, r.embedding, self.lens) for r in self.records)

    @property
    def read(self) -> bool:
        """Whether every candidate was read (embedded), so that a Lens can score them."""
        return all(record.embedding is not None for record in self.records)

    @property
    def any_passes(self) -> bool:
        return any(record.label for record in self.records)


def read_pools(folders: Sequence[Path]) -> list[Pool]:
    """Every recorded problem of `folders`, with its difficulty and self-test tokens from the results.jsonl
    beside records.jsonl when the folder is also the run's output."""
    pools = []
    for folder in folders:
        rows = {row["question_id"]: row for row in read_results(folder)}
        grouped: dict[tuple[str, str], list[LensRecord]] = {}
        for record in read_records([folder]):
            grouped.setdefault(record.problem, []).append(record)
        for (dataset, problem_id), records in grouped.items():
            row = rows.get(problem_id, {})
            self_tests = row.get("stages", {}).get("self_tests", {})
            pools.append(
                Pool(
                    dataset,
                    problem_id,
                    row.get("difficulty") or "unknown",
                    tuple(records),
                    int(self_tests.get("tokens_out", 0)),
                )
            )
    return pools


def _greedy(seen: Sequence[Seen]) -> int:
    return next((i for i, candidate in enumerate(seen) if candidate.origin == "greedy"), 0)


def greedy() -> Rule:
    """The first attempt and nothing else: the baseline."""
    return lambda seen: Pick(_greedy(seen), 1)


def examples_filter(k: int) -> Rule:
    """Of the first k candidates, the first that passes every public example (else the greedy one)."""

    def rule(seen: Sequence[Seen]) -> Pick:
        used = min(k, len(seen))
        passing = [i for i in range(used) if seen[i].behaviour.proves_itself]
        return Pick(passing[0] if passing else _greedy(seen), used, reads_inputs=False)

    return rule


def energies(seen: Sequence[Seen]) -> list[float]:
    """The Lens's energy of each candidate, its features computed among `seen` alone (the candidates paid
    for), as the engine computes them among the candidates it wrote."""
    lens = seen[0].lens
    embeddings = [s.embedding for s in seen if s.embedding is not None]
    if lens is None or len(embeddings) < len(seen):
        raise ValueError("a Lens rule needs candidates that were read and a Lens to score them")
    features = candidate_features([s.behaviour for s in seen], [s.code for s in seen])
    inputs = np.stack([lens_input(e, f.vector()) for e, f in zip(embeddings, features, strict=True)])
    return [float(energy) for energy in lens.energies_of(inputs)]


def lens_only(k: int) -> Rule:
    """Of the first k candidates, the one with the lowest energy: the Lens alone (its features include the
    public examples passed and the agreement on generated inputs)."""

    def rule(seen: Sequence[Seen]) -> Pick:
        used = min(k, len(seen))
        scores = energies(seen[:used])
        return Pick(min(range(used), key=lambda i: (scores[i], i)), used)

    return rule


def examples_then_lens(k: int) -> Rule:
    """Of the first k candidates, among those passing the most public examples, the lowest energy: the Lens
    instead of behaviour clusters."""

    def rule(seen: Sequence[Seen]) -> Pick:
        used = min(k, len(seen))
        scores = energies(seen[:used])
        viable = viable_indices([s.behaviour for s in seen[:used]])
        return Pick(min(viable, key=lambda i: (scores[i], i)), used)

    return rule


def clusters(k: int, router: bool = True, examples: bool = True, predictions: bool = True, lens: bool = False) -> Rule:
    """The engine's selection over the first k candidates: those passing the most public examples, clustered
    by behaviour on the generated inputs, the greedy candidate's cluster first on ties. With `router`, a
    greedy answer that passes every public example is kept without sampling (as the engine does). Without
    `examples`, the public examples are ignored: selection by generated inputs alone. Without `predictions`,
    the outputs the model predicted for its generated inputs do not add to a cluster's support. With `lens`,
    Lens energies rank equally supported clusters, as the engine does when it has a Lens."""

    def seen_as(behaviour: Behaviour) -> Behaviour:
        if not examples:
            behaviour = replace(behaviour, examples_passed=0, examples_total=0)
        return behaviour if predictions else replace(behaviour, predictions_matched=0)

    def rule(seen: Sequence[Seen]) -> Pick:
        first = _greedy(seen)
        if router and seen[first].behaviour.proves_itself:
            return Pick(first, 1)
        used = min(k, len(seen))
        behaviours = [seen_as(s.behaviour) for s in seen[:used]]
        scores: list[float | None] | None = list(energies(seen[:used])) if lens else None
        return Pick(rank_clusters(behaviours, prefer=first if first < used else 0, energies=scores)[0].index, used)

    return rule


def adaptive(wave: int, agreeing: int = 1, limit: int | None = None, inputs: bool = True, lens: bool = False) -> Rule:
    """Greedy first; then waves of `wave` samples until `agreeing` candidates that pass every public example
    behave alike on the generated inputs, or `limit` candidates (the pool by default) are spent; then the
    engine's selection among those paid for (with `lens`, Lens energies rank equally supported clusters).
    A task without public examples gets them all (nothing can say it is enough). Without `inputs` (the
    engine with its self-tests stage off) the choice is the first candidate paid for that passes every
    public example."""

    def enough(behaviours: Sequence[Behaviour]) -> bool:
        proven = [b.outputs for b in behaviours if b.proves_itself]
        return any(proven.count(outputs) >= agreeing for outputs in proven)

    def rule(seen: Sequence[Seen]) -> Pick:
        most = min(len(seen), limit or len(seen))
        used = 1
        while used < most and not enough([s.behaviour for s in seen[:used]]):
            used = min(most, used + wave)
        return clusters(used, router=False, lens=lens)(seen) if inputs else examples_filter(used)(seen)

    return rule


def default_rules(pool_size: int) -> dict[str, Rule]:
    """The rules the lab reports, by name: fixed budgets at each power of two up to the pool, and adaptive ones."""
    sizes = sorted({k for k in (2, 4, 8, 16, pool_size) if k <= pool_size})
    rules: dict[str, Rule] = {"greedy": greedy()}
    # The engine's own rule at each budget: the first attempt plus at most that many samples, in its waves.
    for name, candidates in BUDGETS.items():
        if candidates < pool_size:
            rules[f"engine_budget_{name}"] = adaptive(PipelineConfig().wave, limit=1 + candidates)
            rules[f"engine_budget_{name}_no_self_tests"] = adaptive(
                PipelineConfig().wave, limit=1 + candidates, inputs=False
            )
    for k in sizes:
        rules[f"examples_filter@{k}"] = examples_filter(k)
        rules[f"clusters@{k}"] = clusters(k)
        rules[f"clusters_no_router@{k}"] = clusters(k, router=False)
        rules[f"clusters_no_predictions@{k}"] = clusters(k, predictions=False)
        rules[f"self_tests_only@{k}"] = clusters(k, router=False, examples=False)
    for wave in (1, 2, 4):
        rules[f"adaptive_wave{wave}"] = adaptive(wave)
        rules[f"adaptive_wave{wave}_agree2"] = adaptive(wave, agreeing=2)
    return rules


def lens_rules(pool_size: int) -> tuple[dict[str, Rule], dict[str, str]]:
    """The rules that read Lens energies, for pools whose candidates were read: the engine's budgets with the
    Lens ranking equally supported clusters, and the Lens choosing alone or among the example-passers; and
    for each, the rule without the Lens it is compared with (the same budget, or the engine's rule over the
    whole pool)."""
    rules: dict[str, Rule] = {}
    compared_with: dict[str, str] = {}
    for name, candidates in BUDGETS.items():
        if candidates < pool_size:
            rules[f"engine_budget_{name}_lens"] = adaptive(PipelineConfig().wave, limit=1 + candidates, lens=True)
            compared_with[f"engine_budget_{name}_lens"] = f"engine_budget_{name}"
    whole_pool = {
        f"clusters_no_router_lens@{pool_size}": clusters(pool_size, router=False, lens=True),
        f"examples_then_lens@{pool_size}": examples_then_lens(pool_size),
        f"lens_only@{pool_size}": lens_only(pool_size),
    }
    rules |= whole_pool
    compared_with |= {name: f"clusters_no_router@{pool_size}" for name in whole_pool}
    return rules, compared_with


@dataclass(frozen=True)
class RuleResult:
    name: str
    outcomes: dict[str, bool]
    """Problem id -> whether the chosen candidate passed the hidden tests."""
    by_difficulty: dict[str, dict[str, Any]]
    candidates_per_problem: float
    tokens_per_problem: float


def replay(pools: Sequence[Pool], rules: Mapping[str, Rule]) -> list[RuleResult]:
    """Each rule's choice on every pool, scored by the labels; the oracle (any candidate right) last."""
    results = []
    for name, rule in rules.items():
        picks = {pool.problem_id: (pool, rule(pool.seen)) for pool in pools}
        results.append(_result(name, picks))
    oracle = {
        pool.problem_id: (pool, Pick(next((i for i, r in enumerate(pool.records) if r.label), 0), len(pool.records)))
        for pool in pools
    }
    results.append(_result("oracle", oracle))
    return results


def _result(name: str, picks: Mapping[str, tuple[Pool, Pick]]) -> RuleResult:
    outcomes = {problem: pool.records[pick.index].label for problem, (pool, pick) in picks.items()}
    groups: dict[str, list[dict[str, Any]]] = {}
    for problem, (pool, _) in picks.items():
        groups.setdefault(pool.difficulty, []).append({"passed": outcomes[problem]})
    count = max(1, len(picks))
    tokens = sum(
        sum(r.tokens for r in pool.records[: pick.used])
        + (pool.self_test_tokens if pick.used > 1 and pick.reads_inputs else 0)
        for pool, pick in picks.values()
    )
    return RuleResult(
        name=name,
        outcomes=outcomes,
        by_difficulty={key: pass_rate(groups[key]) for key in sorted(groups, key=difficulty_order)},
        candidates_per_problem=round(sum(pick.used for _, pick in picks.values()) / count, 2),
        tokens_per_problem=round(tokens / count, 1),
    )


def replay_report(
    pools: Sequence[Pool],
    results: Sequence[RuleResult],
    sources: Sequence[str],
    compared_with: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The lab's table: every rule's pass@1 with its interval, per difficulty, its cost, and the exact paired
    test against greedy on the same problems; and for each rule in `compared_with`, the same test against
    the rule it names (a Lens rule against the choice without the Lens)."""
    by_name = {result.name: result for result in results}
    baseline = by_name["greedy"]
    rows = []
    comparisons = []
    for rule, other in (compared_with or {}).items():
        paired = mcnemar_exact(by_name[rule].outcomes, by_name[other].outcomes)
        comparisons.append(
            {
                "rule": rule,
                "against": other,
                "only_rule": paired.only_first,
                "only_against": paired.only_second,
                "p_value": round(paired.p_value, 4),
            }
        )
    for result in results:
        paired = mcnemar_exact(result.outcomes, baseline.outcomes)
        rows.append(
            {
                "rule": result.name,
                **pass_rate([{"passed": passed} for passed in result.outcomes.values()]),
                "by_difficulty": result.by_difficulty,
                "candidates_per_problem": result.candidates_per_problem,
                "tokens_per_problem": result.tokens_per_problem,
                "vs_greedy": {
                    "only_rule": paired.only_first,
                    "only_greedy": paired.only_second,
                    "p_value": round(paired.p_value, 4),
                },
            }
        )
    sizes = sorted({len(pool.records) for pool in pools})
    return {
        "sources": list(sources),
        "problems": len(pools),
        "candidates_per_pool": sizes,
        "problems_with_a_passing_candidate": sum(pool.any_passes for pool in pools),
        "rules": rows,
        **({"comparisons": comparisons} if comparisons else {}),
    }


def replay_markdown(report: dict[str, Any], command: str) -> str:
    lines = [
        f"# Selection replay: {report['problems']} problems",
        "",
        f"Records: {', '.join(report['sources'])}; candidates per problem: {report['candidates_per_pool']}. "
        f"Oracle ceiling (some candidate passes the hidden tests): {report['problems_with_a_passing_candidate']}"
        f"/{report['problems']}. Rules read only what the engine saw at inference; labels score their choices.",
        *([f"Lens rules: {report['lens']}."] if report.get("lens") else []),
        "",
        "| rule | passed | pass@1 | 95% CI | candidates | tokens | only rule / only greedy | McNemar p |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in report["rules"]:
        low, high = row["ci95"]
        paired = row["vs_greedy"]
        lines.append(
            f"| {row['rule']} | {row['passed']}/{row['problems']} | {row['pass_at_1']:.1%} | {low:.1%}-{high:.1%} | "
            f"{row['candidates_per_problem']} | {row['tokens_per_problem']} | "
            f"{paired['only_rule']} / {paired['only_greedy']} | {paired['p_value']} |"
        )
    difficulties = sorted({d for row in report["rules"] for d in row["by_difficulty"]}, key=difficulty_order)
    if difficulties != ["unknown"]:
        lines += [
            "",
            "Per difficulty (passed/problems):",
            "",
            "| rule | " + " | ".join(difficulties) + " |",
            "| --- |" + " --- |" * len(difficulties),
        ]
        for row in report["rules"]:
            cells = [row["by_difficulty"].get(d) for d in difficulties]
            lines.append(
                f"| {row['rule']} | "
                + " | ".join(f"{cell['passed']}/{cell['problems']}" if cell else "-" for cell in cells)
                + " |"
            )
    if report.get("comparisons"):
        lines += [
            "",
            "Each rule against another on the same problems (exact McNemar):",
            "",
            "| rule | against | only rule | only against | p |",
            "| --- | --- | --- | --- | --- |",
        ]
        for row in report["comparisons"]:
            lines.append(
                f"| {row['rule']} | {row['against']} | {row['only_rule']} | {row['only_against']} | {row['p_value']} |"
            )
    lines += [
        "",
        "Tokens count the completions of the candidates a rule paid for, plus the generated inputs' call "
        "when it went past the first attempt (prompt tokens are not counted).",
        "",
        f"Command: `{command}`",
        "",
    ]
    return "\n".join(lines)
