"""`--bench` options that cannot work together are refused before the model loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atlas_lsp.commands.bench import _resume_mismatch

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "problems.jsonl"


def bench(*args: str) -> int:
    from atlas_lsp.cli import main

    return main(["--bench", str(EXAMPLES), "--model", "small", *args])


def test_single_mode_refuses_pipeline_switches(tmp_path: Path, capsys) -> None:
    assert bench("--mode", "single", "--disable", "plan", "--out", str(tmp_path)) == 2
    assert "single mode" in capsys.readouterr().err


def test_resume_refuses_to_mix_a_run_with_other_pipeline_settings(tmp_path: Path, capsys) -> None:
    (tmp_path / "summary.json").write_text(
        json.dumps(
            {"dataset": f"elsewhere/{EXAMPLES.name}", "mode": "pipeline", "pipeline": {"plan": True, "candidates": 4}}
        )
    )
    assert bench("--mode", "pipeline", "--disable", "plan", "--resume", "--out", str(tmp_path)) == 2
    assert "pipeline plan was True, now False" in capsys.readouterr().err


def test_an_unknown_prompt_set_is_refused_before_the_model_loads(tmp_path: Path, capsys) -> None:
    assert bench("--mode", "single", "--prompt-set", "v0", "--out", str(tmp_path)) == 2
    assert "no prompt set 'v0'" in capsys.readouterr().err


def test_resume_refuses_to_mix_a_run_of_another_packaged_model(tmp_path: Path, capsys) -> None:
    (tmp_path / "summary.json").write_text(json.dumps({"dataset": str(EXAMPLES), "mode": "single", "model": "default"}))
    assert bench("--mode", "single", "--resume", "--out", str(tmp_path)) == 2
    assert "model was 'default', now 'small'" in capsys.readouterr().err


def test_lens_records_are_refused_in_single_mode(tmp_path: Path, capsys) -> None:
    assert bench("--mode", "single", "--lens-records", str(tmp_path / "records"), "--out", str(tmp_path)) == 2
    assert "--lens-records needs --mode pipeline" in capsys.readouterr().err


def test_lens_records_are_refused_in_a_folder_of_another_models_records(tmp_path: Path, capsys) -> None:
    from fakes import synthetic_record

    from lens.records import append_records

    append_records(tmp_path / "records", [synthetic_record("p1", True)])
    assert bench("--mode", "pipeline", "--lens-records", str(tmp_path / "records"), "--out", str(tmp_path)) == 2
    assert "one folder trains one Lens" in capsys.readouterr().err


def test_a_budget_out_of_range_is_refused_naming_the_allowed_values(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        bench("--budget", "huge", "--out", str(tmp_path))
    assert stopped.value.code == 2
    assert "'low', 'normal', 'high'" in capsys.readouterr().err


def test_replay_of_a_folder_without_records_says_how_to_make_them(tmp_path: Path, capsys) -> None:
    from atlas_lsp.cli import main

    assert main(["--replay", str(tmp_path), "--out", str(tmp_path / "replay")]) == 2
    assert "--record DIR" in capsys.readouterr().err


def test_resuming_a_repair_run_as_a_solve_run_is_a_mismatch() -> None:
    now = {"dataset": "d.jsonl", "task": "solve", "mode": "single", "model": "small", "pipeline": {}}
    assert "task was 'repair', now 'solve'" in _resume_mismatch({**now, "task": "repair"}, now)


def test_a_run_from_before_tasks_resumes_as_a_solve_run() -> None:
    now = {"dataset": "d.jsonl", "task": "solve", "mode": "single", "model": "small", "pipeline": {}}
    earlier = {key: value for key, value in now.items() if key != "task"}
    assert _resume_mismatch(earlier, now) == ""
