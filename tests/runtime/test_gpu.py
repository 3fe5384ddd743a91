"""GPU offload: what `gpu_layers` resolves to, how many layers that puts on a GPU, and the error when they
do not fit. The rules are checked on given build descriptions; what this machine's build reports, on it."""

from __future__ import annotations

import llama_cpp
import pytest

from engine.runtime.gpu import Device, GpuSupport, gpu_support, offload_failure, offloaded_layers, resolve_gpu_layers

CPU_BUILD = GpuSupport(offload=False)
GPU_BUILD = GpuSupport(
    offload=True, backends=("CUDA",), devices=(Device("CUDA0", "NVIDIA L4", 2 * 1024**3, 24 * 1024**3),)
)
cpu_build_only = pytest.mark.skipif(llama_cpp.llama_supports_gpu_offload(), reason="this llama.cpp build can offload")


def test_auto_is_every_layer_when_the_build_can_offload() -> None:
    assert resolve_gpu_layers("auto", GPU_BUILD) == -1


def test_auto_is_no_layer_when_the_build_cannot_offload() -> None:
    assert resolve_gpu_layers("auto", CPU_BUILD) == 0


def test_a_number_of_layers_is_passed_on_as_given() -> None:
    assert resolve_gpu_layers(12, GPU_BUILD) == 12
    assert resolve_gpu_layers(12, CPU_BUILD) == 12


def test_every_layer_of_a_24_layer_model_is_25_with_its_output_layer() -> None:
    assert offloaded_layers(-1, 24, GPU_BUILD) == 25
    assert offloaded_layers(99, 24, GPU_BUILD) == 25
    assert offloaded_layers(10, 24, GPU_BUILD) == 10


def test_no_layer_is_offloaded_without_a_gpu_whatever_the_setting() -> None:
    assert offloaded_layers(10, 24, CPU_BUILD) == 0


def test_an_offload_that_does_not_fit_names_the_setting_to_lower_in_both_spellings() -> None:
    error = offload_failure("load /m.gguf", 20, GPU_BUILD, "unable to allocate CUDA0 buffer")
    assert "20 layers on CUDA0 (NVIDIA L4, 2.0 of 24.0 GiB free)" in error.problem
    assert "unable to allocate CUDA0 buffer" in error.problem
    assert "`gpuLayers`" in error.fix and "`--gpu-layers`" in error.fix
    assert "for example 10" in error.fix


def test_a_context_that_does_not_fit_with_every_layer_suggests_half_of_them() -> None:
    error = offload_failure("create a context of 16384 tokens", -1, GPU_BUILD, None, offloadable=29)
    assert "with every layer" in error.problem
    assert "for example 14" in error.fix


@cpu_build_only
def test_this_cpu_build_reports_no_offload_no_gpu_backend_and_no_gpu() -> None:
    support = gpu_support()
    assert support == GpuSupport(offload=False, backends=(), devices=(), listed=True)
    assert not support.gpu_build


def test_an_rpc_build_with_no_local_gpu_offloads_no_layer() -> None:
    # llama_supports_gpu_offload() is also true when only the RPC backend is built in.
    assert offloaded_layers(-1, 24, GpuSupport(offload=True)) == 0
