"""Settings: typed, defaulted, merged from the editor's sources, wrong values named and ignored."""

from __future__ import annotations

import pytest

from atlas_lsp.settings import Settings, merge_settings
from engine.config import BUDGETS


def test_no_sources_give_the_defaults() -> None:
    assert merge_settings() == (Settings(), [])


def test_every_setting_is_read_from_its_camel_case_key() -> None:
    settings, problems = merge_settings(
        {
            "model": "small",
            "budget": "high",
            "candidates": 2,
            "maxTokens": 256,
            "testSeconds": 2.5,
            "lens": False,
            "traceDir": "/tmp/t",
            "workspaceContext": False,
            "contextTokens": 600,
            "contextExclude": ["vendor/**"],
        }
    )
    assert problems == []
    assert settings == Settings(
        model="small",
        budget="high",
        candidates=2,
        max_tokens=256,
        test_seconds=2.5,
        lens=False,
        trace_dir="/tmp/t",
        workspace_context=False,
        workspace_context_tokens=600,
        context_exclude=("vendor/**",),
    )


def test_later_source_overrides_earlier_key_by_key() -> None:
    settings, _ = merge_settings({"model": "small", "candidates": 2}, {"candidates": 8})
    assert (settings.model, settings.candidates) == ("small", 8)


def test_null_means_unset() -> None:
    settings, problems = merge_settings({"model": "small"}, {"model": None})
    assert settings.model == "small"
    assert problems == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("candidates", 0),
        ("candidates", "4"),
        ("candidates", True),
        ("candidates", 2.5),
        ("budget", "huge"),
        ("budget", 8),
        ("maxTokens", 10**9),
        ("testSeconds", -1),
        ("testSeconds", float("nan")),
        ("lens", "yes"),
        ("model", ""),
        ("model", 7),
        ("workspaceContext", 1),
        ("contextTokens", -5),
        ("contextExclude", "vendor"),
        ("contextExclude", ["ok", 3]),
    ],
)
def test_invalid_value_is_named_and_the_default_kept(key: str, value: object) -> None:
    settings, (problem,) = merge_settings({key: value})
    assert settings == Settings()
    assert f"atlas.{key}" in problem.describe()
    assert "ignored" in problem.describe()


def test_invalid_value_keeps_the_earlier_valid_one() -> None:
    settings, (problem,) = merge_settings({"candidates": 2}, {"candidates": -3})
    assert settings.candidates == 2
    assert problem.describe().endswith("using 2.")


def test_unknown_key_is_reported_with_the_known_ones() -> None:
    _, (problem,) = merge_settings({"max_tokens": 100})
    assert "atlas.max_tokens" in problem.describe()
    assert "maxTokens" in problem.describe()


def test_settings_that_are_not_an_object_are_reported() -> None:
    settings, (problem,) = merge_settings(["small"])
    assert settings == Settings()
    assert "expected an object" in problem.describe()


def test_trace_dir_expands_the_home_folder() -> None:
    settings, _ = merge_settings({"traceDir": "~/traces"})
    assert settings.trace_dir is not None and not settings.trace_dir.startswith("~")


def test_engine_config_carries_every_setting() -> None:
    config = Settings(model="small", candidates=2, max_tokens=256, test_seconds=2.5, trace_dir="/tmp/t").engine_config()
    assert config.runtime.model == "small"
    assert (config.pipeline.candidates, config.pipeline.max_tokens) == (2, 256)
    assert config.sandbox.test_seconds == 2.5
    assert config.trace_dir == "/tmp/t"


def test_the_budget_sets_how_many_candidates_a_task_may_cost() -> None:
    assert Settings(budget="low").engine_config().pipeline.candidates == BUDGETS["low"]
    assert Settings(budget="high").engine_config().pipeline.candidates == BUDGETS["high"]


def test_an_exact_candidate_count_overrides_the_budget() -> None:
    assert Settings(budget="high", candidates=3).engine_config().pipeline.candidates == 3


def test_a_budget_out_of_range_is_named_with_the_allowed_values() -> None:
    _, (problem,) = merge_settings({"budget": "huge"})
    assert "low, normal, high" in problem.describe()


def test_the_editor_repairs_without_the_analysed_rounds_unless_repair_analysis_is_on() -> None:
    assert not Settings().engine_config().pipeline.repair_analysis
    settings, problems = merge_settings({"repairAnalysis": True})
    assert problems == []
    assert settings.engine_config().pipeline.repair_analysis
