"""The engine end to end on the real small model and the real sandbox: honesty and cancellation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import anyio
import pytest

from engine.config import EngineConfig, PipelineConfig, RuntimeConfig
from engine.service import Engine
from engine.task import Example, Task
from sandbox.isolation import FIRST_SANDBOX_UID

pytestmark = pytest.mark.model

CANARY = "CANARY-5e1f0c2a-hidden"
FAST_PIPELINE = PipelineConfig(candidates=2, max_tokens=256, repair_rounds=1)


def problem_row_with_canary() -> dict:
    public = [{"input": "2 3\n", "output": "5\n", "testtype": "stdin"}]
    private = [{"input": f"# {CANARY}\n4 5\n", "output": f"9 {CANARY}\n", "testtype": "stdin"}]
    return {
        "question_title": "add",
        "question_content": (
            "Read two integers A and B and print A + B.\n\nSample Input 1\n\n2 3\n\nSample Output 1\n\n5"
        ),
        "platform": "atcoder",
        "question_id": "canary_add",
        "contest_id": "t",
        "contest_date": "2026-01-01T00:00:00",
        "starter_code": "",
        "difficulty": "easy",
        "public_test_cases": json.dumps(public),
        "private_test_cases": json.dumps(private),
        "metadata": "{}",
        "judge": "full",
    }


def test_hidden_tests_reach_no_prompt_and_no_stage(tmp_path: Path) -> None:
    dataset = tmp_path / "canary.jsonl"
    dataset.write_text(json.dumps(problem_row_with_canary()) + "\n")
    trace = tmp_path / "trace"
    command = [
        sys.executable,
        "-m",
        "atlas_lsp.cli",
        "--bench",
        str(dataset),
        "--mode",
        "pipeline",
        "--model",
        "small",
        "--candidates",
        "2",
        "--max-tokens",
        "200",
        "--enable",
        "plan",
        "repair",
        "--trace",
        str(trace),
        # Recording writes the whole pool and always generates inputs: every stage meets the task.
        "--record",
        str(tmp_path / "records"),
        "--out",
        str(tmp_path / "run"),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stderr[-2000:]
    traced = "".join(path.read_text() for path in trace.glob("*.jsonl"))
    assert '"kind": "prompt"' in traced and '"kind": "self_tests"' in traced
    assert CANARY not in traced
    assert CANARY not in (tmp_path / "records" / "records.jsonl").read_text()
    # The judge did read the hidden test: it grades on the public and the private test, as LiveCodeBench
    # does, so the canary is in the verdict's inputs, not in the engine's.
    row = json.loads((tmp_path / "run" / "results.jsonl").read_text())
    assert row["tests_total"] == 2


def sandbox_or_child_processes() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields["Uid"].split()[0])
        if int(fields["PPid"]) == os.getpid() or FIRST_SANDBOX_UID <= uid < FIRST_SANDBOX_UID + 1000:
            found.append(f"{entry.name} {fields['Name'].strip()}")
    return found


async def test_cancelling_a_solve_returns_at_once_and_leaves_no_process() -> None:
    task = Task(
        task_id="slow",
        kind="stdin",
        statement="Read N and print the N-th prime number.\n\nSample Input 1\n\n3\n\nSample Output 1\n\n5",
        examples=(Example("3\n", "5\n"),),
    )
    # Without the router the job goes past its first attempt whatever that attempt does.
    pipeline = replace(FAST_PIPELINE, router=False)
    engine = await Engine.open(EngineConfig(runtime=RuntimeConfig(model="small"), pipeline=pipeline))
    stages: list[str] = []
    try:
        with anyio.move_on_after(60) as scope:
            async with anyio.create_task_group() as group:
                group.start_soon(engine.solve, task, lambda event: stages.append(event.stage))
                while "sample" not in stages:
                    await anyio.sleep(0.05)
                await anyio.sleep(1.0)
                cancelled_at = time.monotonic()
                group.cancel_scope.cancel()
        assert not scope.cancelled_caught, "the pipeline never reached its sample stage"
        assert time.monotonic() - cancelled_at < 1.0
        await anyio.sleep(0.5)
        assert sandbox_or_child_processes() == []
    finally:
        await engine.aclose()
