"""The `gpuLayers` setting: `auto` or a layer count, checked like every setting, carried to the runtime."""

from __future__ import annotations

import pytest

from atlas_lsp.settings import Settings, merge_settings


def test_gpu_layers_is_auto_by_default() -> None:
    assert Settings().gpu_layers == "auto"
    assert Settings().engine_config().runtime.embedded.gpu_layers == "auto"


@pytest.mark.parametrize(("value", "read"), [("auto", "auto"), (0, 0), (20, 20), ("20", 20), (20.0, 20)])
def test_gpu_layers_reads_auto_or_a_whole_number(value: object, read: object) -> None:
    settings, problems = merge_settings({"gpuLayers": value})
    assert problems == []
    assert settings.gpu_layers == read


@pytest.mark.parametrize("value", ["lots", -3, -1, 2.5, True, "", [8]])
def test_an_invalid_gpu_layers_is_named_with_the_allowed_values(value: object) -> None:
    settings, (problem,) = merge_settings({"gpuLayers": value})
    assert settings.gpu_layers == "auto"
    assert problem.describe() == (
        f"Setting atlas.gpuLayers = {value!r} is ignored (expected `auto` or a whole number >= 0); using 'auto'."
    )


def test_gpu_layers_reaches_the_embedded_runtime_settings() -> None:
    settings, _ = merge_settings({"gpuLayers": 12})
    assert settings.engine_config().runtime.embedded.gpu_layers == 12


def test_gpu_layers_changes_only_the_model_loading_part_of_the_engine_config() -> None:
    # The session reopens the engine, and so reloads the model, when its config differs.
    before, after = Settings().engine_config(), Settings(gpu_layers=8).engine_config()
    assert before.runtime != after.runtime
    assert (before.pipeline, before.sandbox) == (after.pipeline, after.sandbox)
