"""`atlas-lsp --bench` end to end: the real CLI, the small model, the project's example problems."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from atlas_lsp.bench.report import summarize
from atlas_lsp.bench.runner import read_results

pytestmark = pytest.mark.model

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "problems.jsonl"


def bench(*args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "atlas_lsp.cli",
        "--bench",
        *args,
        "--model",
        "small",
        "--mode",
        "single",
        "--max-tokens",
        "256",
    ]


def test_malformed_rows_are_reported_by_line_and_a_row_with_unreadable_examples_runs_without_them(
    tmp_path: Path,
) -> None:
    good = EXAMPLES.read_text().splitlines()[:2]
    broken_row = json.loads(good[0]) | {"question_id": "no_tests", "public_test_cases": "not json"}
    dataset = tmp_path / "mixed.jsonl"
    dataset.write_text("\n".join([good[0], "{this is not json", json.dumps(broken_row), good[1]]) + "\n")
    finished = subprocess.run(
        bench(str(dataset), "--out", str(tmp_path / "run")), capture_output=True, text=True, timeout=600
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "line 2" in finished.stderr and "no_tests" in finished.stderr and "run without them" in finished.stderr
    assert {row["question_id"] for row in read_results(tmp_path / "run")} >= {"no_tests"}
    assert len(read_results(tmp_path / "run")) == 3
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["problems_with_unread_examples"] == 1


def test_resume_after_a_kill_neither_redoes_nor_loses_problems(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = subprocess.Popen(
        bench(str(EXAMPLES), "--out", str(out)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    results = out / "results.jsonl"
    deadline = time.monotonic() + 600
    while not (results.exists() and results.read_text().count("\n") >= 2) and time.monotonic() < deadline:
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = results.read_text().splitlines()
    assert 2 <= len(before) < 6
    finished = subprocess.run(
        bench(str(EXAMPLES), "--out", str(out), "--resume"), capture_output=True, text=True, timeout=600
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    after = results.read_text().splitlines()
    assert after[: len(before)] == before
    ids = [json.loads(line)["question_id"] for line in after]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 6


def test_summary_agrees_with_results_recomputed(tmp_path: Path) -> None:
    out = tmp_path / "run"
    finished = subprocess.run(
        bench(str(EXAMPLES), "--out", str(out), "--limit", "3"), capture_output=True, text=True, timeout=600
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    written = json.loads((out / "summary.json").read_text())
    recomputed = summarize(read_results(out), {})
    for key in ("problems", "passed", "pass_at_1", "ci95", "by_difficulty", "by_platform", "tokens_per_problem"):
        assert written[key] == recomputed[key]
    assert (out / "report.md").exists() and (out / "pass_at_1.png").stat().st_size > 1000


def test_a_run_stopped_by_sigterm_writes_the_summary_of_its_finished_problems(tmp_path: Path) -> None:
    out = tmp_path / "run"
    running = subprocess.Popen(
        bench(str(EXAMPLES), "--out", str(out)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    results = out / "results.jsonl"
    deadline = time.monotonic() + 600
    while not (results.exists() and results.read_text().count("\n") >= 1) and time.monotonic() < deadline:
        time.sleep(0.2)
    running.send_signal(signal.SIGTERM)
    _, stderr = running.communicate(timeout=120)
    assert running.returncode == 128 + signal.SIGTERM, stderr[-2000:]
    assert "--resume" in stderr and "Traceback" not in stderr
    finished = len(read_results(out))
    assert finished < 6
    assert json.loads((out / "summary.json").read_text())["problems"] == finished


def test_a_pipeline_run_records_every_candidate_for_the_lens_labelled_as_its_answer_was_judged(tmp_path: Path) -> None:
    from lens.records import read_records

    records, out = tmp_path / "records", tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "atlas_lsp.cli",
        "--bench",
        str(EXAMPLES),
        "--limit",
        "1",
        "--model",
        "small",
        "--mode",
        "pipeline",
        "--disable",
        "router",
        "plan",
        "self_tests",
        "repair",
        "--candidates",
        "2",
        "--max-tokens",
        "256",
        "--lens-records",
        str(records),
        "--out",
        str(out),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stderr[-2000:]
    recorded = read_records([records])
    assert [r.origin for r in recorded] == ["greedy", "sample", "sample"]
    assert {r.embedding.shape for r in recorded} == {(896,)} and {r.judge for r in recorded} == {"full"}
    [row] = read_results(out)
    assert {r.label for r in recorded if r.code == row["answer"]} == {row["passed"]}
    assert json.loads((out / "summary.json").read_text())["lens_records"] == str(records)


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pipeline run of one example problem that recorded its candidates (without reading them)."""
    out = tmp_path_factory.mktemp("recorded") / "run"
    command = [
        sys.executable,
        "-m",
        "atlas_lsp.cli",
        "--bench",
        str(EXAMPLES),
        "--limit",
        "1",
        "--model",
        "small",
        "--mode",
        "pipeline",
        "--candidates",
        "2",
        "--max-tokens",
        "256",
        "--record",
        str(out),
        "--out",
        str(out),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stderr[-2000:]
    return out


def test_a_recorded_run_replays_its_rules_and_their_oracle_ceiling_without_the_model(
    recorded_run: Path, tmp_path: Path
) -> None:
    from lens.records import read_records

    out = recorded_run
    recorded = read_records([out])
    assert [r.origin for r in recorded] == ["greedy", "sample", "sample"] and {r.embedding_dim for r in recorded} == {0}
    assert all(r.tokens > 0 for r in recorded)
    replayed = subprocess.run(
        [sys.executable, "-m", "atlas_lsp.cli", "--replay", str(out), "--out", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert replayed.returncode == 0, replayed.stderr[-2000:]
    rules = {row["rule"]: row for row in json.loads((tmp_path / "r" / "replay.json").read_text())["rules"]}
    [row] = read_results(out)
    assert rules["greedy"]["passed"] == int(next(r.label for r in recorded if r.origin == "greedy"))
    assert rules["oracle"]["passed"] == int(any(r.label for r in recorded)) and row["question_id"]


def test_reading_a_recording_adds_the_models_embedding_to_every_candidate_and_keeps_the_rest(
    recorded_run: Path, tmp_path: Path
) -> None:
    from lens.records import read_records

    out = tmp_path / "read"
    command = [sys.executable, "-m", "atlas_lsp.cli", "--lens-read", str(recorded_run), str(EXAMPLES)]
    finished = subprocess.run(
        [*command, "--model", "small", "--out", str(out)], capture_output=True, text=True, timeout=600
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    before, after = read_records([recorded_run]), read_records([out])
    assert {r.embedding_dim for r in after} == {896}
    assert [(r.code, r.label, r.behaviour, r.tokens) for r in after] == [
        (r.code, r.label, r.behaviour, r.tokens) for r in before
    ]
    assert read_results(out) == read_results(recorded_run)
