"""The selection lab: rules choose from what the engine saw, labels only score the choice."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
from fakes import separable_records, synthetic_record

from atlas_lsp.bench.replay import (
    Pool,
    Seen,
    adaptive,
    clusters,
    examples_filter,
    examples_then_lens,
    greedy,
    lens_only,
    read_pools,
    replay,
    replay_report,
)
from lens.records import append_records

FAILS, PASSES = (0, 1), (1, 1)


def pool(*candidates: tuple[tuple[int, int], str, bool], problem: str = "p1") -> Pool:
    """A problem's pool from (examples passed/total, output on the generated input, hidden label), greedy first."""
    records = tuple(
        synthetic_record(
            problem, label, examples=examples, outputs=(output,), origin="greedy" if i == 0 else "sample", tokens=10
        )
        for i, (examples, output, label) in enumerate(candidates)
    )
    return Pool("synthetic.jsonl", problem, "easy", records, self_test_tokens=5)


def test_rules_are_given_no_label() -> None:
    assert "label" not in {field.name for field in fields(Seen)}


def test_greedy_keeps_the_first_attempt_and_pays_for_one_candidate() -> None:
    problem = pool((FAILS, "a", False), (PASSES, "b", True))
    pick = greedy()(problem.seen)
    assert (pick.index, pick.used) == (0, 1)


def test_the_examples_filter_takes_the_first_candidate_that_passes_every_example() -> None:
    problem = pool((FAILS, "a", False), (FAILS, "a", False), (PASSES, "b", True), (PASSES, "c", False))
    assert examples_filter(4)(problem.seen).index == 2


def test_the_examples_filter_looks_only_at_the_first_k_candidates() -> None:
    problem = pool((FAILS, "a", False), (FAILS, "a", False), (PASSES, "b", True))
    assert examples_filter(2)(problem.seen).index == 0


def test_clusters_keep_a_greedy_answer_that_passes_its_examples_without_sampling() -> None:
    problem = pool((PASSES, "a", False), (PASSES, "b", True), (PASSES, "b", True))
    pick = clusters(3)(problem.seen)
    assert (pick.index, pick.used) == (0, 1)


def test_clusters_without_the_router_choose_the_largest_behaviour_cluster() -> None:
    problem = pool((PASSES, "a", False), (PASSES, "b", True), (PASSES, "b", True))
    assert clusters(3, router=False)(problem.seen).index in (1, 2)


def test_adaptive_sampling_stops_at_the_first_wave_holding_a_candidate_that_passes_the_examples() -> None:
    problem = pool(
        (FAILS, "a", False), (FAILS, "a", False), (PASSES, "b", True), (PASSES, "c", False), (PASSES, "c", False)
    )
    pick = adaptive(wave=2)(problem.seen)
    assert (pick.index, pick.used) == (2, 3)


def test_adaptive_sampling_asking_for_two_agreeing_candidates_goes_on_until_two_agree() -> None:
    problem = pool((FAILS, "a", False), (PASSES, "b", False), (PASSES, "c", True), (PASSES, "c", True))
    pick = adaptive(wave=1, agreeing=2)(problem.seen)
    assert pick.used == 4 and pick.index in (2, 3)


def test_adaptive_sampling_on_a_task_without_examples_spends_the_whole_pool() -> None:
    problem = pool(((0, 0), "a", False), ((0, 0), "b", True), ((0, 0), "b", True))
    assert adaptive(wave=1)(problem.seen).used == 3


def test_the_oracle_counts_a_problem_solved_when_any_candidate_passes() -> None:
    pools = [pool((FAILS, "a", False), (FAILS, "b", True), problem="p1"), pool((FAILS, "a", False), problem="p2")]
    oracle = replay(pools, {})[-1]
    assert oracle.name == "oracle" and oracle.outcomes == {"p1": True, "p2": False}


def test_a_rule_is_charged_the_tokens_of_the_candidates_it_paid_for_and_the_generated_inputs() -> None:
    problem = pool((FAILS, "a", False), (PASSES, "b", True), (PASSES, "b", True))
    [first_only, two] = replay([problem], {"greedy": greedy(), "clusters": clusters(2, router=False)})[:2]
    assert (first_only.tokens_per_problem, two.tokens_per_problem) == (10, 25)


def test_a_rule_that_reads_no_generated_input_is_not_charged_for_writing_them() -> None:
    problem = pool((FAILS, "a", False), (PASSES, "b", True), (PASSES, "b", True))
    [two] = replay([problem], {"filter": examples_filter(2)})[:1]
    assert two.tokens_per_problem == 20


def test_adaptive_sampling_without_generated_inputs_takes_the_first_candidate_that_passes() -> None:
    problem = pool((FAILS, "a", False), (PASSES, "b", False), (PASSES, "c", True), (PASSES, "c", True))
    pick = adaptive(wave=4, inputs=False)(problem.seen)
    assert (pick.index, pick.used, pick.reads_inputs) == (1, 4, False)


def test_the_report_pairs_each_rule_with_greedy_on_the_same_problems() -> None:
    pools = [pool((FAILS, "a", False), (PASSES, "b", True), problem=f"p{i}") for i in range(3)]
    report = replay_report(pools, replay(pools, {"greedy": greedy(), "filter": examples_filter(2)}), ["dir"])
    filtered = next(row for row in report["rules"] if row["rule"] == "filter")
    assert (filtered["passed"], filtered["vs_greedy"]["only_rule"], filtered["vs_greedy"]["only_greedy"]) == (3, 3, 0)
    assert report["problems_with_a_passing_candidate"] == 3


def test_the_report_pairs_a_rule_with_the_rule_it_is_compared_with() -> None:
    pools = [pool((FAILS, "a", False), (PASSES, "b", True), problem=f"p{i}") for i in range(3)]
    rules = {"greedy": greedy(), "filter": examples_filter(2)}
    report = replay_report(pools, replay(pools, rules), ["dir"], {"greedy": "filter"})
    [row] = report["comparisons"]
    assert (row["rule"], row["against"], row["only_rule"], row["only_against"]) == ("greedy", "filter", 0, 3)


def test_pools_take_their_difficulty_from_the_runs_results_beside_the_records(tmp_path: Path) -> None:
    append_records(tmp_path, [synthetic_record("p1", True, origin="greedy")])
    (tmp_path / "results.jsonl").write_text(json.dumps({"question_id": "p1", "difficulty": "hard"}) + "\n")
    [read] = read_pools([tmp_path])
    assert (read.problem_id, read.difficulty, len(read.records)) == ("p1", "hard", 1)


def test_clusters_without_predictions_ignore_the_outputs_the_model_predicted() -> None:
    problem = pool((FAILS, "a", False), (PASSES, "b", False), (PASSES, "c", True), (PASSES, "c", True))
    records = list(problem.records)
    records[1] = replace(records[1], behaviour=replace(records[1].behaviour, predictions_matched=3))
    problem = replace(problem, records=tuple(records))
    assert clusters(4)(problem.seen).index == 1
    assert clusters(4, predictions=False)(problem.seen).index in (2, 3)


def test_adaptive_sampling_within_a_limit_pays_for_no_more_than_the_limit() -> None:
    problem = pool(*[(FAILS, "a", False)] * 6, (PASSES, "b", True))
    assert adaptive(wave=2, limit=5)(problem.seen).used == 5


class FirstDimensionLens:
    """A stand-in Lens whose energy is the first number of the embedding; it records the inputs it scored."""

    def __init__(self) -> None:
        self.scored: list[np.ndarray] = []

    def energies_of(self, inputs: np.ndarray) -> np.ndarray:
        self.scored.append(inputs)
        return inputs[:, 0]


def read_pool(*candidates: tuple[tuple[int, int], str, bool, float], lens: FirstDimensionLens | None = None) -> Pool:
    """`pool`, each candidate read: (examples passed/total, output, hidden label, its energy)."""
    plain = pool(*[(examples, output, label) for examples, output, label, _ in candidates])
    records = tuple(
        replace(record, embedding=np.array([energy, 0, 0, 0], dtype=np.float32))
        for record, (*_, energy) in zip(plain.records, candidates, strict=True)
    )
    return replace(plain, records=records, lens=lens or FirstDimensionLens())  # type: ignore[arg-type]


def test_the_lens_alone_chooses_the_lowest_energy_candidate_even_one_failing_an_example() -> None:
    problem = read_pool((PASSES, "a", False, 0.5), (FAILS, "b", True, -1.0), (PASSES, "c", False, 0.0))
    assert lens_only(3)(problem.seen).index == 1


def test_examples_then_lens_chooses_the_lowest_energy_among_the_candidates_passing_the_examples() -> None:
    problem = read_pool((PASSES, "a", False, 0.5), (FAILS, "b", False, -1.0), (PASSES, "c", True, 0.0))
    assert examples_then_lens(3)(problem.seen).index == 2


def test_with_the_lens_the_engine_rule_breaks_a_tie_between_equal_clusters_by_energy() -> None:
    problem = read_pool((FAILS, "a", False, 0.0), (PASSES, "b", False, 0.5), (PASSES, "c", True, -0.5))
    assert clusters(3, router=False)(problem.seen).index == 1
    assert clusters(3, router=False, lens=True)(problem.seen).index == 2


def test_the_lens_never_outvotes_a_larger_cluster_in_the_engine_rule() -> None:
    problem = read_pool(
        (FAILS, "a", False, 0.0), (PASSES, "b", True, 0.5), (PASSES, "b", True, 0.5), (PASSES, "c", False, -9.0)
    )
    assert clusters(4, router=False, lens=True)(problem.seen).index in (1, 2)


def test_the_lens_reads_features_computed_among_the_candidates_paid_for_only() -> None:
    lens = FirstDimensionLens()
    problem = read_pool(
        (FAILS, "a", False, 0.0),
        (PASSES, "b", True, 0.1),
        (PASSES, "c", True, 0.2),
        (PASSES, "c", True, 0.3),
        lens=lens,
    )
    lens_only(2)(problem.seen)
    [inputs] = lens.scored
    assert len(inputs) == 2


def test_a_replay_of_read_records_adds_the_lens_rules_scored_by_cross_validation(tmp_path: Path) -> None:
    from atlas_lsp.cli import main

    append_records(tmp_path / "records", separable_records(problems=20))
    assert main(["--replay", str(tmp_path / "records"), "--folds", "2", "--out", str(tmp_path / "r")]) == 0
    report = json.loads((tmp_path / "r" / "replay.json").read_text())
    assert {"lens_only@5", "examples_then_lens@5", "engine_budget_normal_lens"} <= {r["rule"] for r in report["rules"]}
    assert report["lens"].startswith("2-fold cross-validation")
    compared = {row["rule"]: row["against"] for row in report["comparisons"]}
    assert compared["engine_budget_normal_lens"] == "engine_budget_normal"


def test_a_replay_asked_for_lens_folds_on_records_without_readings_says_so(tmp_path: Path, capsys) -> None:
    from atlas_lsp.cli import main

    append_records(tmp_path / "records", [replace(synthetic_record("p1", True, origin="greedy"), embedding=None)])
    assert main(["--replay", str(tmp_path / "records"), "--folds", "2", "--out", str(tmp_path / "r")]) == 2
    assert "no readings" in capsys.readouterr().err
