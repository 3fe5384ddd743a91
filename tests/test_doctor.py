"""`atlas-lsp --doctor`: GPU offload (what the build supports, and the layers a model puts on a GPU), and
the checks of a model server (`--model URL`) against scripted servers."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx
import llama_cpp
import pytest

from atlas_lsp.commands import doctor
from atlas_lsp.commands.doctor import Findings, _check_gpu, _check_model, _check_server
from atlas_lsp.settings import API_KEY_VARIABLE, Settings
from engine.config import RuntimeConfig
from engine.runtime.gpu import Device, GpuSupport, gpu_support

SERVER_URL = "http://model-server.test:8080"


def server_config() -> RuntimeConfig:
    """What `atlas-lsp --doctor --model SERVER_URL` checks: the runtime the shared builder makes of it."""
    return Settings(model=SERVER_URL).engine_config().runtime


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
    anyio.run(_check_model, RuntimeConfig(model=str(small_model_file)), findings)
    shown = capsys.readouterr().out
    assert findings.problems == []
    assert "  gpu layers: 0 of 25 offloaded (gpuLayers auto, n_gpu_layers 0; the model runs on the CPU)\n" in shown
    assert shown.index("gpu layers:") < shown.index("tokens/s")


def _chat_stream() -> bytes:
    events = [
        {"choices": [{"delta": {"content": "def square(x):\n    return x * x"}, "finish_reason": None}]},
        {"choices": [{"delta": {}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"prompt_tokens": 30, "completion_tokens": 12}},
    ]
    return b"".join(f"data: {json.dumps(event)}\n\n".encode() for event in events) + b"data: [DONE]\n\n"


def _llama_server(
    n_ctx: int | None = 8192, authorizations: list[str | None] | None = None, embeds: bool = True
) -> httpx.MockTransport:
    """A llama-server that chats, embeds (unless `embeds` is false: started without `--embeddings`), and
    says its context at /props (none: a server without /props). `authorizations` collects each request's
    Authorization header."""

    def handle(request: httpx.Request) -> httpx.Response:
        if authorizations is not None:
            authorizations.append(request.headers.get("authorization"))
        path = request.url.path
        if path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": "served"}]})
        if path == "/v1/embeddings" and not embeds:
            message = "This server does not support embeddings. Start it with `--embeddings`"
            return httpx.Response(501, json={"error": {"code": 501, "message": message}})
        if path == "/v1/embeddings":
            return httpx.Response(200, json={"data": [{"embedding": [0.5, 0.25, 0.125, 1.0]}]})
        if path == "/v1/chat/completions":
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=_chat_stream())
        if path == "/props" and n_ctx is not None:
            return httpx.Response(200, json={"default_generation_settings": {"n_ctx": n_ctx}})
        return httpx.Response(404, json={"detail": "Not Found"})

    return httpx.MockTransport(handle)


def test_the_doctor_passes_a_servers_chat_embeddings_and_context(capsys: pytest.CaptureFixture[str]) -> None:
    findings = Findings()
    anyio.run(_check_server, server_config(), findings, _llama_server())
    shown = capsys.readouterr().out
    assert findings.problems == []
    assert f"model {SERVER_URL}:\n  serves `served`\n  PASS: chat: 12 tokens in " in shown
    assert "tokens/s (prompt 30 tokens included)\n  PASS: embeddings: dimension 4\n" in shown
    assert shown.endswith(
        "  PASS: context: 8192 tokens per request, at least 3072 tokens: 1024 for a completion (`maxTokens`) and "
        "2048 for a prompt\n"
    )


def test_a_server_without_embeddings_is_no_problem_and_the_note_says_the_lens_stays_off(
    capsys: pytest.CaptureFixture[str],
) -> None:
    findings = Findings()
    anyio.run(_check_server, server_config(), findings, _llama_server(embeds=False))
    assert findings.problems == []
    assert f"  NOTE: embeddings: The server at {SERVER_URL} cannot embed text" in capsys.readouterr().out


def test_a_server_context_too_small_for_atlas_lsp_is_a_problem_with_the_fix() -> None:
    findings = Findings()
    anyio.run(_check_server, server_config(), findings, _llama_server(n_ctx=2048))
    (problem,) = findings.problems
    assert problem.startswith("context: 2048 tokens per request, fewer than 3072 tokens")
    assert "Fix: restart the server with a larger context (llama-server: `-c`" in problem


def test_a_server_that_does_not_report_its_context_is_said_to_be_unchecked(capsys: pytest.CaptureFixture[str]) -> None:
    findings = Findings()
    anyio.run(_check_server, server_config(), findings, _llama_server(n_ctx=None))
    assert findings.problems == []
    assert "  UNKNOWN: context: the server does not report its context size" in capsys.readouterr().out


def test_a_server_slower_than_the_threshold_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "SLOW_TOKENS_PER_SECOND", float("inf"))
    findings = Findings()
    anyio.run(_check_server, server_config(), findings, _llama_server())
    (problem,) = findings.problems
    assert problem.startswith("chat: 12 tokens in ") and ", slower than inf tokens/s. Fix: " in problem


def test_the_doctor_sends_the_api_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_VARIABLE, "from-the-environment")
    authorizations: list[str | None] = []
    anyio.run(_check_server, server_config(), Findings(), _llama_server(authorizations=authorizations))
    assert authorizations and set(authorizations) == {"Bearer from-the-environment"}


def test_a_server_that_refuses_the_key_is_a_problem_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(API_KEY_VARIABLE, raising=False)
    findings = Findings()
    refusing = httpx.MockTransport(lambda request: httpx.Response(401, json={"error": "Invalid API key"}))
    anyio.run(_check_server, server_config(), findings, refusing)
    (problem,) = findings.problems
    assert f"The server at {SERVER_URL} answered GET /v1/models with HTTP 401: Invalid API key" in problem
    assert "ATLAS_API_KEY" in problem
