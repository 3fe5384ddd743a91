"""Selection among candidates: public examples first, then the largest agreeing cluster."""

from engine.candidates import Behaviour
from engine.stages.select import choose, rank_clusters


def behaviour(passed: int, outputs: tuple, total: int = 2, matched: int = 0) -> Behaviour:
    return Behaviour(examples_passed=passed, examples_total=total, outputs=outputs, predictions_matched=matched)


def test_a_candidate_failing_the_examples_loses_to_one_passing_them() -> None:
    choice = choose([behaviour(1, ("a",)), behaviour(2, ("b",))])
    assert choice.index == 1


def test_the_largest_cluster_of_identical_behaviour_wins() -> None:
    choice = choose([behaviour(2, ("x",)), behaviour(2, ("y",)), behaviour(2, ("y",))])
    assert choice.index in (1, 2) and choice.cluster_size == 2


def test_the_preferred_candidate_wins_inside_the_best_cluster() -> None:
    choice = choose([behaviour(2, ("y",)), behaviour(2, ("y",)), behaviour(2, ("x",))], prefer=1)
    assert choice.index == 1


def test_agreement_with_predicted_outputs_outweighs_a_bare_majority() -> None:
    choice = choose([behaviour(2, ("x",), matched=3), behaviour(2, ("y",)), behaviour(2, ("y",))])
    assert choice.index == 0


def test_crashes_on_generated_inputs_count_against_a_cluster() -> None:
    choice = choose([behaviour(2, (None, None)), behaviour(2, ("a", "b"))])
    assert choice.index == 1


def test_confidence_grows_with_cluster_share() -> None:
    split = choose([behaviour(2, ("x",)), behaviour(2, ("y",))])
    agreed = choose([behaviour(2, ("x",)), behaviour(2, ("x",))])
    assert agreed.confidence > split.confidence


def test_energies_prefer_the_low_energy_cluster_when_cluster_sizes_tie() -> None:
    behaviours = [behaviour(2, ("x",)), behaviour(2, ("y",)), behaviour(2, ("z",))]
    assert choose(behaviours, prefer=0).index == 0
    assert choose(behaviours, prefer=0, energies=[0.5, 0.2, -0.3]).index == 2


def test_energies_do_not_outvote_a_larger_cluster() -> None:
    behaviours = [behaviour(2, ("x",)), behaviour(2, ("x",)), behaviour(2, ("y",))]
    assert choose(behaviours, energies=[1.0, 1.0, -5.0]).index == 0


def test_clusters_are_ranked_by_support_with_the_runner_up_second() -> None:
    ranking = rank_clusters([behaviour(2, ("x",)), behaviour(2, ("y",)), behaviour(2, ("y",)), behaviour(2, ("z",))])
    assert [choice.index for choice in ranking[:2]] == [1, 0]
    assert [choice.cluster_size for choice in ranking] == [2, 1, 1]
