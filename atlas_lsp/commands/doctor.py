"""`atlas-lsp --doctor`: check the installation end to end and say what to fix.

Every check runs the real thing (hash the model file, load it, generate, embed, run a program in
the sandbox), because a check that only looks for files passes on a machine that then crashes.
"""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import dataclass, field
from importlib import metadata

import anyio

from atlas_lsp import __version__
from atlas_lsp.terminal import ProgressBar
from engine.config import RuntimeConfig
from engine.models import PACKAGED_MODELS, ModelError, resolve_model_file, verify_checksum
from engine.runtime import Message, RuntimeFailure, SamplingParams, open_runtime

PACKAGES = ("llama-cpp-python", "torch", "numpy", "anyio", "pygls", "lsprotocol")
PROBE = [Message("user", "Write a Python function that returns the square of a number.")]


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.problems.append(message)
        print(f"  PROBLEM: {message}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`--model` (shared) limits the check to one model; all packaged models otherwise."""


def run(args: argparse.Namespace) -> int:
    findings = Findings()
    print(f"atlas-lsp {__version__} on Python {platform.python_version()} ({platform.system()} {platform.machine()})")
    _check_packages(findings)
    _check_llama_build()
    for model in [args.model] if args.model else list(PACKAGED_MODELS):
        anyio.run(_check_model, model, findings)
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


async def _check_model(model: str, findings: Findings) -> None:
    print(f"\nmodel {model}:")
    config = RuntimeConfig(model=model)
    if not config.uses_server:
        try:
            path = await anyio.to_thread.run_sync(resolve_model_file, model)
        except ModelError as error:
            findings.fail(f"{error.problem} {error.fix}")
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
    try:
        started = time.monotonic()
        generation = await runtime.generate(PROBE, SamplingParams(max_tokens=48))
        seconds = time.monotonic() - started
        print(
            f"  generation: {generation.completion_tokens} tokens in {seconds:.1f}s "
            f"= {generation.completion_tokens / seconds:.1f} tokens/s (prompt {generation.prompt_tokens} tokens included)"
        )
        if not generation.text.strip():
            findings.fail("the model generated no text")
        vector = await runtime.embed("def square(x):\n    return x * x\n")
        expected = PACKAGED_MODELS[model].hidden_size if model in PACKAGED_MODELS else runtime.embedding_dim
        print(f"  embedding dimension: {vector.shape[0]}")
        if vector.shape[0] != expected:
            findings.fail(f"embedding dimension {vector.shape[0]}, expected {expected}")
    except RuntimeFailure as error:
        findings.fail(str(error))
    finally:
        await runtime.aclose()


async def _check_sandbox(findings: Findings) -> None:
    from sandbox.doctor import check_sandbox

    print("\nsandbox:")
    report = await check_sandbox()
    for line in report.lines:
        print(f"  {line}")
    for problem in report.problems:
        findings.fail(problem)
