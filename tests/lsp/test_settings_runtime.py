"""The settings of the model runtime: the server's model name, key and timeout, and the embedded model's
threads and context window; and the completion length they bound."""

from __future__ import annotations

import pytest

from atlas_lsp.settings import API_KEY_VARIABLE, Settings, merge_settings
from engine.config import CONTEXT_TOKENS, EmbeddedSettings, RuntimeConfig


def test_the_runtime_settings_default_to_the_engines_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(API_KEY_VARIABLE, raising=False)
    assert Settings().engine_config().runtime == RuntimeConfig()


def test_the_served_model_reaches_the_runtime() -> None:
    settings, problems = merge_settings({"servedModel": "qwen2.5-coder-7b"})
    assert problems == []
    assert settings.engine_config().runtime.served_model == "qwen2.5-coder-7b"


def test_the_api_key_setting_reaches_the_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_VARIABLE, "from-the-environment")
    settings, _ = merge_settings({"apiKey": "from-the-settings"})
    assert settings.engine_config().runtime.api_key == "from-the-settings"


def test_an_unset_api_key_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_VARIABLE, "from-the-environment")
    assert Settings().engine_config().runtime.api_key == "from-the-environment"


def test_no_api_key_is_sent_when_neither_the_setting_nor_the_environment_has_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(API_KEY_VARIABLE, "")
    assert Settings().engine_config().runtime.api_key is None


def test_the_api_key_is_not_in_the_settings_repr() -> None:
    assert "secret-key" not in repr(Settings(api_key="secret-key"))


def test_a_rejected_api_key_message_repeats_no_key() -> None:
    _, (problem,) = merge_settings({"apiKey": "secret-key"}, {"apiKey": 12345})
    assert "secret-key" not in problem.describe()
    assert "12345" not in problem.describe()
    assert "atlas.apiKey" in problem.describe()


def test_the_request_timeout_reaches_the_runtime() -> None:
    settings, problems = merge_settings({"requestTimeout": 90})
    assert problems == []
    assert settings.engine_config().runtime.request_timeout == 90.0


def test_the_threads_reach_the_embedded_runtime() -> None:
    settings, problems = merge_settings({"threads": 4})
    assert problems == []
    assert settings.engine_config().runtime.embedded.threads == 4


def test_zero_threads_means_one_per_core_as_in_the_engine() -> None:
    assert Settings().threads == EmbeddedSettings().threads == 0


def test_the_context_size_sets_the_embedded_models_context_window() -> None:
    settings, problems = merge_settings({"contextSize": 8192})
    assert problems == []
    assert settings.engine_config().runtime.embedded.context_tokens == 8192


def test_the_context_size_is_not_the_workspace_context_budget() -> None:
    settings, _ = merge_settings({"contextTokens": 600})
    assert settings.workspace_context_tokens == 600
    assert settings.engine_config().runtime.embedded.context_tokens == CONTEXT_TOKENS


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("servedModel", ""),
        ("servedModel", 3),
        ("apiKey", ""),
        ("requestTimeout", 0),
        ("requestTimeout", "60"),
        ("threads", -1),
        ("threads", 2.5),
        ("contextSize", 100),
        ("contextSize", True),
    ],
)
def test_an_invalid_runtime_setting_is_named_and_the_default_kept(key: str, value: object) -> None:
    settings, (problem,) = merge_settings({key: value})
    assert settings == Settings()
    assert f"atlas.{key}" in problem.describe()


def test_max_tokens_accepts_the_embedded_models_whole_context() -> None:
    settings, problems = merge_settings({"maxTokens": CONTEXT_TOKENS})
    assert problems == []
    assert settings.max_tokens == CONTEXT_TOKENS


def test_max_tokens_beyond_the_context_window_is_refused_with_the_real_range() -> None:
    settings, (problem,) = merge_settings({"maxTokens": CONTEXT_TOKENS + 1})
    assert settings.max_tokens == Settings().max_tokens
    assert f"expected a whole number from 16 to {CONTEXT_TOKENS}" in problem.describe()


def test_max_tokens_is_bounded_by_the_embedded_models_default_context() -> None:
    assert EmbeddedSettings().context_tokens == CONTEXT_TOKENS


def test_max_tokens_beyond_the_context_size_are_refused_naming_both() -> None:
    settings, (problem,) = merge_settings({"contextSize": 2048, "maxTokens": 4096})
    assert (settings.context_size, settings.max_tokens) == (2048, Settings().max_tokens)
    assert "atlas.maxTokens" in problem.describe()
    assert "max tokens 4096 exceed the context size 2048" in problem.describe()


def test_a_context_size_below_max_tokens_is_refused_and_the_window_kept() -> None:
    settings, (problem,) = merge_settings({"maxTokens": 4096}, {"contextSize": 2048})
    assert (settings.context_size, settings.max_tokens) == (CONTEXT_TOKENS, 4096)
    assert "atlas.contextSize" in problem.describe()


def test_the_smallest_context_size_holds_the_default_max_tokens() -> None:
    settings, problems = merge_settings({"contextSize": 1024})
    assert problems == []
    assert settings.context_size == settings.max_tokens == 1024
