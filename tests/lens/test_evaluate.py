"""Evaluation metrics on hand-made examples whose answers are worked out by hand."""

from __future__ import annotations

from dataclasses import replace

import pytest

from atlas_lsp.commands.lens import selection_rules
from lens.evaluate import evaluate, roc_auc


def test_roc_auc_counts_ordered_pairs_and_half_of_ties() -> None:
    # Positives 0.9, 0.5; negatives 0.5, 0.1: pairs (0.9>0.5) (0.9>0.1) (0.5=0.5 half) (0.5>0.1) -> 3.5/4.
    assert roc_auc([0.9, 0.5, 0.5, 0.1], [True, True, False, False]) == pytest.approx(0.875)


def test_roc_auc_is_undefined_with_one_class() -> None:
    assert roc_auc([0.1, 0.2], [True, True]) is None


def test_top1_random_and_self_test_selection_on_a_tiny_example(make_record) -> None:
    records = [
        # p1: the greedy fails and sits alone; the two passing samples agree, so self-tests pick a passer.
        make_record("p1", False, origin="greedy", outputs=("a",)),
        make_record("p1", True, outputs=("b",)),
        make_record("p1", True, outputs=("b",)),
        # p2: two failing candidates agree; the passing one is alone, so self-tests pick wrong.
        make_record("p2", True, origin="greedy", outputs=("c",)),
        make_record("p2", False, outputs=("d",)),
        make_record("p2", False, outputs=("d",)),
        # p3: everything passes, so it is not mixed and counts for no accuracy.
        make_record("p3", True, origin="greedy"),
        make_record("p3", True),
    ]
    # The Lens ranks p1 right (0.1 on a passer) and p2 wrong (lowest energy on a failer).
    energies = [0.9, 0.1, 0.5, 0.8, 0.2, 0.3, 0.0, 0.0]
    result = evaluate(records, energies, selection_rules())
    assert (result.problems, result.mixed.problems, result.records) == (3, 2, 8)
    methods = result.mixed.methods
    assert methods["lens"].correct == 1 and methods["lens"].problems == 2
    assert methods["random"].correct == pytest.approx(2 / 3 + 1 / 3)
    assert methods["examples_then_self_tests"].correct == 1
    # p1: both passers (0.1, 0.5) sit below the failer (0.9), 2 of 2 pairs; p2: the passer (0.8) is above both failers.
    assert result.pairwise_accuracy == pytest.approx(2 / 4)
    # AUC over all 8 records, scored by -energy.
    assert result.auc == pytest.approx(roc_auc([-e for e in energies], [r.label for r in records]))


def test_the_engine_rule_with_energies_takes_the_lens_side_only_between_equal_clusters(make_record) -> None:
    records = [
        make_record("p", False, origin="greedy", outputs=("a",)),
        make_record("p", True, outputs=("b",)),
    ]
    result = evaluate(records, [0.9, 0.1], selection_rules())
    assert result.mixed.methods["examples_then_self_tests"].correct == 0  # the greedy wins a tie without energies
    assert result.mixed.methods["examples_then_self_tests_with_lens"].correct == 1


def test_only_problems_whose_greedy_candidate_fails_an_example_count_as_escalated(make_record) -> None:
    def failing_examples(record):
        return replace(record, behaviour=replace(record.behaviour, examples_passed=0))

    records = [
        # p1: the greedy candidate passes the examples, so the router would answer with it.
        make_record("p1", False, origin="greedy"),
        make_record("p1", True),
        # p2: the greedy candidate fails an example, so selection (and the Lens) choose.
        failing_examples(make_record("p2", False, origin="greedy")),
        make_record("p2", True),
    ]
    result = evaluate(records, [0.9, 0.1, 0.9, 0.1], selection_rules())
    assert (result.mixed.problems, result.escalated.problems) == (2, 1)
    assert result.escalated.methods["lens"].correct == 1
    assert result.escalated.methods["examples_then_self_tests"].correct == 1


def test_self_tests_only_follows_the_largest_cluster_where_the_engine_reads_the_examples_first(make_record) -> None:
    def failing_examples(record):
        return replace(record, behaviour=replace(record.behaviour, examples_passed=0))

    records = [
        make_record("p", True, origin="greedy", outputs=("right",)),
        failing_examples(make_record("p", False, outputs=("wrong",))),
        failing_examples(make_record("p", False, outputs=("wrong",))),
    ]
    methods = evaluate(records, [0.5, 0.5, 0.5], selection_rules()).mixed.methods
    assert methods["self_tests_only"].correct == 0
    assert methods["examples_then_self_tests"].correct == 1
