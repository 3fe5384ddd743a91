"""The `atlas-lsp` command itself, as editors and users start it."""

from __future__ import annotations

import json
import subprocess
import sys


def lsp_message(payload: dict) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_the_bare_command_serves_lsp_on_stdio() -> None:
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "processId": None}}
    shutdown = {"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None}
    exit_notification = {"jsonrpc": "2.0", "method": "exit", "params": None}
    finished = subprocess.run(
        [sys.executable, "-m", "atlas_lsp.cli"],
        input=lsp_message(initialize) + lsp_message(shutdown) + lsp_message(exit_notification),
        capture_output=True,
        timeout=60,
    )
    assert b'"codeActionProvider"' in finished.stdout, finished.stderr.decode()[-2000:]
    assert finished.returncode == 0


def test_every_mode_is_listed_in_the_help() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "atlas_lsp.cli", "--help"], capture_output=True, text=True, timeout=60
    )
    for flag in ("--doctor", "--bench", "--judge", "--solve", "--verify", "--repair", "--tcp", "--install-model"):
        assert flag in shown.stdout


def test_gpu_layers_takes_auto_or_a_layer_count() -> None:
    from atlas_lsp.cli import build_parser

    assert build_parser().parse_args(["--doctor"]).gpu_layers is None
    assert build_parser().parse_args(["--doctor", "--gpu-layers", "auto"]).gpu_layers == "auto"
    assert build_parser().parse_args(["--doctor", "--gpu-layers", "12"]).gpu_layers == 12


def test_an_invalid_gpu_layers_is_refused_with_the_allowed_values() -> None:
    for value in ("lots", "-3"):
        shown = subprocess.run(
            [sys.executable, "-m", "atlas_lsp.cli", "--doctor", "--gpu-layers", value],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shown.returncode == 2
        assert f"argument --gpu-layers: expected `auto` or a whole number >= 0, got '{value}'" in shown.stderr
