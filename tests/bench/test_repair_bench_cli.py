"""`atlas-lsp --bench FILE --task repair` end to end: the real CLI, the small model, the real sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from atlas_lsp.bench.runner import read_results

pytestmark = pytest.mark.model

FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "repair" / "humanevalpack_rows.jsonl"


def repair_bench(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "atlas_lsp.cli", "--bench", str(FIXTURE), "--task", "repair"]
    command += ["--model", "small", "--max-tokens", "256", "--out", str(out), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def test_a_repair_run_reports_bad_rows_by_line_and_judges_every_good_task(tmp_path: Path) -> None:
    finished = repair_bench(tmp_path / "run")
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "line 3 (Fixture/2): field `test`: missing" in finished.stderr
    rows = {row["question_id"]: row for row in read_results(tmp_path / "run")}
    assert rows.keys() == {"Fixture/0", "Fixture/1"}
    assert {row["verdict"] for row in rows.values()} <= {"passed", "wrong_answer", "error", "timeout", "unusable"}
    # add_one's bug is `x - 1` for `x + 1`, and its public assert shows the expected value.
    assert rows["Fixture/0"]["passed"] and not rows["Fixture/0"]["public_before"]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["task"] == "repair" and summary["problems"] == 2
    assert "fixed@1" in (tmp_path / "run" / "report.md").read_text()


def test_the_single_baseline_makes_one_model_call_and_runs_nothing_before_answering(tmp_path: Path) -> None:
    finished = repair_bench(tmp_path / "run", "--mode", "single", "--ids", str(write_ids(tmp_path, "Fixture/0")))
    assert finished.returncode == 0, finished.stderr[-2000:]
    (row,) = read_results(tmp_path / "run")
    assert row["evidence"] == {**row["evidence"], "candidates": 1, "examples_total": 0}
    assert list(row["stages"]) == ["repair"]
    assert row["stages"]["repair"]["sandbox_runs"] == 0


def write_ids(folder: Path, *ids: str) -> Path:
    path = folder / "ids.txt"
    path.write_text("\n".join(ids) + "\n")
    return path


CANARY = "CANARY-9b3e-hidden-repair-test"


def test_the_hidden_test_reaches_no_prompt_of_a_repair(tmp_path: Path) -> None:
    row = json.loads(FIXTURE.read_text().splitlines()[0])
    row["test"] = f"def check(add_one):\n    # {CANARY}\n    assert add_one(7) == 8, '{CANARY}'\ncheck(add_one)\n"
    dataset = tmp_path / "canary.jsonl"
    dataset.write_text(json.dumps(row) + "\n")
    trace = tmp_path / "trace"
    command = [sys.executable, "-m", "atlas_lsp.cli", "--bench", str(dataset), "--task", "repair"]
    command += ["--model", "small", "--max-tokens", "256", "--trace", str(trace), "--out", str(tmp_path / "run")]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-2000:]
    traced = "".join(path.read_text() for path in trace.glob("*.jsonl"))
    assert '"kind": "prompt"' in traced
    assert CANARY not in traced
    # The task was judged, on the hidden check (tests/bench/test_repair_run.py shows the judge reads it).
    (result,) = read_results(tmp_path / "run")
    assert result["verdict"] in {"passed", "wrong_answer"}
