"""`gpu_layers` reaches the llama.cpp model parameters the real small model is loaded with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import llama_cpp
import pytest

from engine.config import EmbeddedSettings, GpuLayers
from engine.runtime.base import Message, SamplingParams
from engine.runtime.embedded import EmbeddedRuntime

pytestmark = pytest.mark.model
cpu_build_only = pytest.mark.skipif(llama_cpp.llama_supports_gpu_offload(), reason="this llama.cpp build can offload")


@pytest.fixture
def load(small_model_file: Path) -> Iterator:
    opened: list[EmbeddedRuntime] = []

    def load(gpu_layers: GpuLayers) -> EmbeddedRuntime:
        # The smallest context: these tests are about loading the model, not generating.
        settings = EmbeddedSettings(context_tokens=512, max_sequences=1, gpu_layers=gpu_layers)
        opened.append(EmbeddedRuntime(small_model_file, settings, "small"))
        return opened[-1]

    yield load
    for runtime in opened:
        anyio.run(runtime.aclose)


@cpu_build_only
def test_auto_loads_no_layer_on_the_gpu_on_this_cpu_build(load) -> None:
    runtime = load("auto")
    assert runtime.model_params.n_gpu_layers == 0
    assert (runtime.offloaded_layers, runtime.offloadable_layers) == (0, 25)


def test_an_explicit_layer_count_reaches_the_model_parameters(load) -> None:
    runtime = load(7)
    assert runtime.model_params.n_gpu_layers == 7


@cpu_build_only
def test_an_explicit_layer_count_offloads_nothing_without_a_gpu_and_still_generates(load) -> None:
    runtime = load(7)
    generation = anyio.run(runtime.generate, [Message("user", "Say hi.")], SamplingParams(max_tokens=4))
    assert runtime.offloaded_layers == 0
    assert generation.completion_tokens > 0
