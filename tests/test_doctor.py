"""`atlas-lsp --doctor` on GPU offload: what the build supports, and the layers a model puts on a GPU."""

from __future__ import annotations

from pathlib import Path

import anyio
import llama_cpp
import pytest

from atlas_lsp.commands.doctor import Findings, _check_gpu, _check_model
from engine.config import EmbeddedSettings
from engine.runtime.gpu import Device, GpuSupport, gpu_support

cpu_build_only = pytest.mark.skipif(llama_cpp.llama_supports_gpu_offload(), reason="this llama.cpp build can offload")


@cpu_build_only
def test_the_doctor_says_this_build_has_no_gpu_support_and_how_to_get_one(capsys: pytest.CaptureFixture[str]) -> None:
    findings = Findings()
    _check_gpu(gpu_support(), findings)
    shown = capsys.readouterr().out
    assert shown.startswith("GPU: no, this llama.cpp build has no GPU support")
    assert 'ATLAS_LLAMA_CMAKE_ARGS="-DGGML_CUDA=on"' in shown
    assert findings.problems == []  # a CPU build is a working installation


def test_a_gpu_build_that_finds_no_gpu_is_a_problem_with_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    findings = Findings()
    _check_gpu(GpuSupport(offload=False, backends=("CUDA",)), findings)
    assert "GPU: yes (CUDA), but no device found" in capsys.readouterr().out
    (problem,) = findings.problems
    assert "found no GPU" in problem and "nvidia-smi" in problem


def test_a_gpu_build_with_a_device_names_it(capsys: pytest.CaptureFixture[str]) -> None:
    device = Device("CUDA0", "NVIDIA L4", 21 * 1024**3, 22 * 1024**3)
    _check_gpu(GpuSupport(offload=True, backends=("CUDA",), devices=(device,)), Findings())
    assert capsys.readouterr().out == "GPU: yes (CUDA); device CUDA0 (NVIDIA L4, 21.0 of 22.0 GiB free)\n"


@pytest.mark.model
@cpu_build_only
def test_the_doctor_reports_the_layers_offloaded_before_the_tokens_per_second(
    small_model_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    findings = Findings()
    anyio.run(_check_model, str(small_model_file), EmbeddedSettings(), findings)
    shown = capsys.readouterr().out
    assert findings.problems == []
    assert "  gpu layers: 0 of 25 offloaded (gpuLayers auto, n_gpu_layers 0; the model runs on the CPU)\n" in shown
    assert shown.index("gpu layers:") < shown.index("tokens/s")
