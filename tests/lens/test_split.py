"""Training and validation are split by problem, deterministically."""

from lens.train import in_validation, split_by_problem


def test_split_by_problem_never_puts_one_problem_on_both_sides(make_record) -> None:
    records = [make_record(f"p{problem}", candidate % 2 == 0) for problem in range(200) for candidate in range(5)]
    training, validation = split_by_problem(records, share=0.2)
    assert training and validation
    assert not {r.problem_id for r in training} & {r.problem_id for r in validation}


def test_the_same_problem_under_two_ids_lands_on_one_side_through_its_title(make_record) -> None:
    in_lcb = make_record("3248", True, title="snake-in-matrix")
    in_leetcode = make_record("3533", True, title="snake-in-matrix")
    assert in_validation(in_lcb.split_key, 0.5) == in_validation(in_leetcode.split_key, 0.5)
    assert in_lcb.split_key == in_leetcode.split_key


def test_the_split_depends_only_on_the_problem_key() -> None:
    keys = [f"problem-{n}" for n in range(100)]
    assert [in_validation(k, 0.2) for k in keys] == [in_validation(k, 0.2) for k in keys]
    assert 5 < sum(in_validation(k, 0.2) for k in keys) < 40
