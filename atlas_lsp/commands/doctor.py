"""`atlas-lsp --doctor`: check the installation end to end and say what to fix.

Every check runs the real thing (hash the model file, load it, generate, embed, run a program in
the sandbox), because a check that only looks for files passes on a machine that then crashes. With
`--model URL` the model is an OpenAI-compatible server's: its chat (and speed), embeddings and context
size are checked instead of a local model, with the API key from ATLAS_API_KEY.
"""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import dataclass, field, replace
from importlib import metadata

import anyio
import httpx

from atlas_lsp import __version__
from atlas_lsp.settings import Settings
from atlas_lsp.terminal import ProgressBar
from engine.config import EmbeddedSettings, PipelineConfig, RuntimeConfig
from engine.models import PACKAGED_MODELS, ModelError, resolve_model_file, verify_checksum
from engine.runtime import Message, Runtime, RuntimeFailure, SamplingParams, open_runtime
from engine.runtime.gpu import GpuSupport, gpu_support

PACKAGES = ("llama-cpp-python", "torch", "numpy", "anyio", "pygls", "lsprotocol")
PROBE = [Message("user", "Write a Python function that returns the square of a number.")]
EMBEDDING_PROBE = "def square(x):\n    return x * x\n"

# What a server's context must hold for one request: the default completion cap (`maxTokens`) and a
# prompt. The longest single-attempt prompt of the LiveCodeBench run was 1371 tokens
# (docs/results/lcb_v5-single-small-v2); a repair prompt adds the code and its failures.
COMPLETION_CAP = PipelineConfig().max_tokens
PROMPT_ROOM = 2048
# Slower than this, a server takes over three minutes to write a completion of the default cap.
SLOW_TOKENS_PER_SECOND = 5.0


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.problems.append(message)
        print(f"  PROBLEM: {message}")

    def passed(self, message: str) -> None:
        print(f"  PASS: {message}")


# Printed with a CPU-only build: how to get a GPU one (README, "Running on a GPU").
GPU_BUILD = 'ATLAS_LLAMA_CMAKE_ARGS="-DGGML_CUDA=on" scripts/install.sh (NVIDIA; -DGGML_METAL=on on Apple silicon)'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`--model` (shared) limits the check to one model, or checks the server at a URL instead; all
    packaged models otherwise. `--gpu-layers` (shared) loads them with that many layers on the GPU."""


def run(args: argparse.Namespace) -> int:
    findings = Findings()
    print(f"atlas-lsp {__version__} on Python {platform.python_version()} ({platform.system()} {platform.machine()})")
    _check_packages(findings)
    runtime = Settings().with_flags(args).engine_config().runtime
    if args.model and runtime.uses_server:
        # The server runs the model: this machine's llama.cpp build and GPU play no part.
        anyio.run(_check_server, runtime, findings)
    else:
        _check_llama_build()
        _check_gpu(gpu_support(), findings)
        for model in [args.model] if args.model else list(PACKAGED_MODELS):
            anyio.run(_check_model, replace(runtime, model=model), findings)
    anyio.run(_check_sandbox, findings)
    if findings.problems:
        print(f"\n{len(findings.problems)} problem(s) found.")
        return 1
    print("\nEverything works.")
    return 0


def _check_packages(findings: Findings) -> None:
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            findings.fail(f"{name} is not installed; run scripts/install.sh")
    print("packages: " + ", ".join(versions))


def _check_llama_build() -> None:
    import llama_cpp

    features = llama_cpp.llama_print_system_info().decode()
    enabled = [part.split("=")[0].strip() for part in features.split("|") if part.strip().endswith("= 1")]
    print(f"llama.cpp build: {', '.join(enabled)}")


def _check_gpu(gpu: GpuSupport, findings: Findings) -> None:
    """Whether the build can offload, and to what. A GPU build that sees no GPU is a problem: the
    user built for one, and every model now runs on the CPU without saying so."""
    built = f" ({', '.join(gpu.backends)})" if gpu.backends else ""
    if gpu.devices:
        print(f"GPU: yes{built}; device {'; '.join(device.describe() for device in gpu.devices)}")
    elif gpu.offload:
        found = "the bindings do not list devices" if not gpu.listed else "no local GPU device listed"
        print(f"GPU: yes, offload supported ({found})")
    elif gpu.backends:
        print(f"GPU: yes{built}, but no device found")
        findings.fail(
            f"this llama.cpp build has {'/'.join(gpu.backends)} GPU support but found no GPU, so models run on "
            f"the CPU. Fix: {_no_device_fix(gpu.backends)}"
        )
    else:
        print(f"GPU: no, this llama.cpp build has no GPU support (models run on the CPU); for a GPU build: {GPU_BUILD}")


def _no_device_fix(backends: tuple[str, ...]) -> str:
    if "CUDA" in backends:
        check = (
            "check that `nvidia-smi` lists the GPU (the driver is installed, and the device is visible to this "
            "process: CUDA_VISIBLE_DEVICES, a container's --gpus)"
        )
    else:
        check = "check that the GPU's driver is installed and its device is visible to this process"
    return f"{check}; or run scripts/install.sh without ATLAS_LLAMA_CMAKE_ARGS for a CPU build."


async def _check_model(config: RuntimeConfig, findings: Findings) -> None:
    model = config.model
    print(f"\nmodel {model}:")
    try:
        path = await anyio.to_thread.run_sync(resolve_model_file, model)
    except ModelError as error:
        findings.fail(f"{error.problem} Fix: {error.fix}")
        return
    print(f"  file: {path}")
    if model in PACKAGED_MODELS:
        bar = ProgressBar("  checking sha256")
        intact = await anyio.to_thread.run_sync(
            verify_checksum, PACKAGED_MODELS[model], path, lambda done, total: bar.update(done, total)
        )
        if not intact:
            findings.fail(f"{path} is damaged (sha256 mismatch); delete it and run: atlas-lsp --install-model {model}")
            return
        print("  sha256: ok")
    try:
        runtime = await open_runtime(config)
    except (ModelError, RuntimeFailure) as error:
        findings.fail(str(error))
        return
    _report_offload(runtime, config.embedded)
    try:
        started = time.monotonic()
        generation = await runtime.generate(PROBE, SamplingParams(max_tokens=48))
        seconds = time.monotonic() - started
        print(
            f"  generation: {generation.completion_tokens} tokens in {seconds:.1f}s "
            f"= {generation.completion_tokens / seconds:.1f} tokens/s "
            f"(prompt {generation.prompt_tokens} tokens included)"
        )
        if not generation.text.strip():
            findings.fail("the model generated no text")
        vector = await runtime.embed(EMBEDDING_PROBE)
        expected = PACKAGED_MODELS[model].hidden_size if model in PACKAGED_MODELS else runtime.embedding_dim
        print(f"  embedding dimension: {vector.shape[0]}")
        if vector.shape[0] != expected:
            findings.fail(f"embedding dimension {vector.shape[0]}, expected {expected}")
    except RuntimeFailure as error:
        findings.fail(str(error))
    finally:
        await runtime.aclose()


async def _check_server(
    config: RuntimeConfig, findings: Findings, transport: httpx.AsyncBaseTransport | None = None
) -> None:
    """An OpenAI-compatible server's chat (and speed), embeddings and context size, each PASS or PROBLEM
    with the fix. `transport` replaces httpx's network transport (tests pass an `httpx.MockTransport`)."""
    from engine.runtime.openai_http import OpenAIRuntime

    print(f"\nmodel {config.model}:")
    try:
        runtime = await OpenAIRuntime.open(config, transport)
    except RuntimeFailure as error:
        findings.fail(str(error))
        return
    print(f"  serves `{runtime.model_id}`")
    try:
        await _check_chat(runtime, findings)
        # Opening embedded a probe: its size, or why the server embeds nothing.
        if runtime.embeddings_missing is not None:
            # Not a problem: only a Lens reads embeddings, and a served model has one only if its user trained it.
            print(f"  NOTE: embeddings: {runtime.embeddings_missing}")
        else:
            findings.passed(f"embeddings: dimension {runtime.embedding_dim}")
        _check_context(runtime.context_tokens, findings)
    finally:
        await runtime.aclose()


async def _check_chat(runtime: Runtime, findings: Findings) -> None:
    try:
        started = time.monotonic()
        generation = await runtime.generate(PROBE, SamplingParams(max_tokens=48))
        seconds = time.monotonic() - started
    except RuntimeFailure as error:
        findings.fail(f"chat: {error}")
        return
    speed = generation.completion_tokens / seconds
    measured = (
        f"{generation.completion_tokens} tokens in {seconds:.1f} s = {speed:.1f} tokens/s "
        f"(prompt {generation.prompt_tokens} tokens included)"
    )
    if not generation.text.strip():
        findings.fail(f"chat: the model generated no text. Fix: check that `{runtime.model_id}` is a chat model.")
    elif speed < SLOW_TOKENS_PER_SECOND:
        findings.fail(
            f"chat: {measured}, slower than {SLOW_TOKENS_PER_SECOND:g} tokens/s. Fix: check what else loads the "
            "server, and serve the model on a GPU or serve a smaller one."
        )
    else:
        findings.passed(f"chat: {measured}")


def _check_context(context_tokens: int | None, findings: Findings) -> None:
    needed = COMPLETION_CAP + PROMPT_ROOM
    room = f"{needed} tokens: {COMPLETION_CAP} for a completion (`maxTokens`) and {PROMPT_ROOM} for a prompt"
    if context_tokens is None:
        # Not counted as a problem, since none was found; said, since such a server cuts requests silently.
        print(
            "  UNKNOWN: context: the server does not report its context size, so atlas-lsp cannot refuse a "
            "request the server cannot hold, and the server may cut such a request short without saying so. "
            f"Fix: give it a context of at least {room} (llama-cpp-python's server: `--n_ctx {needed}`)."
        )
    elif context_tokens < needed:
        findings.fail(
            f"context: {context_tokens} tokens per request, fewer than {room}. Fix: restart the server with a "
            "larger context (llama-server: `-c`, which its `--parallel` slots share; vLLM: `--max-model-len`)."
        )
    else:
        findings.passed(f"context: {context_tokens} tokens per request, at least {room}")


def _report_offload(runtime: Runtime, embedded: EmbeddedSettings) -> None:
    from engine.runtime.embedded import EmbeddedRuntime

    if not isinstance(runtime, EmbeddedRuntime):  # a server decides its own offload
        return
    where = "" if runtime.offloaded_layers else "; the model runs on the CPU"
    print(
        f"  gpu layers: {runtime.offloaded_layers} of {runtime.offloadable_layers} offloaded "
        f"(gpuLayers {embedded.gpu_layers}, n_gpu_layers {runtime.model_params.n_gpu_layers}{where})"
    )


async def _check_sandbox(findings: Findings) -> None:
    from sandbox.doctor import check_sandbox

    print("\nsandbox:")
    report = await check_sandbox()
    for line in report.lines:
        print(f"  {line}")
    for problem in report.problems:
        findings.fail(problem)
