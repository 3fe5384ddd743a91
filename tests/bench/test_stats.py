"""Interval, significance and throughput arithmetic behind the bench reports."""

import pytest

from atlas_lsp.bench.report import busy_seconds, summarize
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


def span(start: float, end: float, tokens_out: int = 0) -> dict:
    return {"started_at": start, "finished_at": end, "tokens_out": tokens_out}


def test_busy_time_counts_overlapping_problems_once() -> None:
    assert busy_seconds([span(0, 10), span(5, 12), span(20, 25)]) == 17


def test_a_problem_inside_another_adds_no_busy_time() -> None:
    assert busy_seconds([span(0, 10), span(2, 3)]) == 10


def test_run_throughput_divides_all_output_tokens_by_busy_time() -> None:
    rows = [span(0, 10, 100), span(0, 10, 100)]
    summary = summarize([{**row, "passed": True, "tokens_in": 0, "seconds": 10} for row in rows], {})
    assert summary["aggregate_tokens_out_per_second"] == 20
    assert summary["tokens_out_per_second"] == 10
