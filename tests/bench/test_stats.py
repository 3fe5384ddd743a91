"""Interval and significance arithmetic behind the bench reports."""

import pytest

from atlas_lsp.bench.stats import mcnemar_exact, wilson_interval


def test_wilson_interval_matches_a_published_value() -> None:
    # 8 of 10: Wilson 95% interval 0.490 .. 0.943 (standard tables).
    interval = wilson_interval(8, 10)
    assert interval.low == pytest.approx(0.4902, abs=1e-3)
    assert interval.high == pytest.approx(0.9433, abs=1e-3)


def test_wilson_interval_at_zero_passes_is_not_degenerate() -> None:
    interval = wilson_interval(0, 60)
    assert interval.low == 0.0 and 0.05 < interval.high < 0.07


def test_mcnemar_counts_only_shared_problems() -> None:
    result = mcnemar_exact({"a": True, "b": False, "c": True}, {"a": True, "b": True, "d": False})
    assert (result.shared, result.only_first, result.only_second) == (2, 0, 1)


def test_mcnemar_exact_p_value_for_a_lopsided_split() -> None:
    first = {str(i): i < 10 for i in range(20)}
    second = {str(i): False for i in range(20)}
    # 10 discordant, all one way: p = 2 * 0.5**10.
    assert mcnemar_exact(first, second).p_value == pytest.approx(2 / 1024)
