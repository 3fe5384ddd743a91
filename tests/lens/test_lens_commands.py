"""`--lens-train` and `--lens-eval` on a records folder, through the commands' entry points."""

from __future__ import annotations

import json
import shutil
from argparse import Namespace
from pathlib import Path

import pytest
from fakes import separable_records

from atlas_lsp.commands.lens import run_eval, run_train
from lens.records import RECORDS_FILE, LensRecord, append_records


def evaluate(records: Path, weights: Path, out: Path) -> int:
    return run_eval(Namespace(lens_eval=str(records), lens_weights=str(weights), out=str(out), model=None, folds=None))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[LensRecord], Path, Path]:
    """Records in a folder, and weights trained on them by `--lens-train` (once for this module)."""
    folder = tmp_path_factory.mktemp("lens")
    records = separable_records(problems=30)
    append_records(folder / "records", records)
    assert run_train(Namespace(lens_train=[str(folder / "records")], out=str(folder / "weights"))) == 0
    return records, folder / "records", folder / "weights"


def test_eval_reports_only_problems_the_weights_were_neither_trained_nor_validated_on(trained, tmp_path: Path) -> None:
    records, _, weights_dir = trained
    more = separable_records(problems=40)  # the same 30 problems, then 10 new ones
    append_records(tmp_path / "records", more)
    assert evaluate(tmp_path / "records", weights_dir, tmp_path) == 0
    report = json.loads((tmp_path / "lens_report.json").read_text())
    assert report["problems"] == 10
    assert report["records_skipped_as_trained_on"] == len(records)
    lens_top1 = report["selection"]["lens"]
    assert lens_top1["problems"] == report["mixed_problems"] and len(lens_top1["ci95"]) == 2
    assert set(report["selection"]) == {
        "lens",
        "random",
        "self_tests_only",
        "examples_then_self_tests",
        "examples_then_self_tests_with_lens",
    }


def test_eval_refuses_records_of_another_model_than_the_weights(trained, tmp_path: Path) -> None:
    _, records_dir, weights_dir = trained
    other_weights = tmp_path / "weights"
    shutil.copytree(weights_dir, other_weights)
    metadata = other_weights / "small.json"
    metadata.write_text(metadata.read_text().replace("a" * 64, "b" * 64))
    assert evaluate(records_dir, other_weights, tmp_path / "eval") == 2


def test_eval_on_the_records_the_weights_came_from_is_refused(trained, tmp_path: Path, capsys) -> None:
    _, records_dir, weights_dir = trained
    assert evaluate(records_dir, weights_dir, tmp_path / "eval") == 2
    assert "nothing is left to measure" in capsys.readouterr().err
    assert not (tmp_path / "eval" / "lens_report.json").exists()


def test_eval_of_a_damaged_records_file_is_a_clear_error(trained, tmp_path: Path, capsys) -> None:
    records, _, weights_dir = trained
    append_records(tmp_path / "records", records[:2])
    with (tmp_path / "records" / RECORDS_FILE).open("a") as handle:
        handle.write("{damaged\n")
    append_records(tmp_path / "records", records[2:4])
    assert evaluate(tmp_path / "records", weights_dir, tmp_path / "eval") == 2
    assert "line 2" in capsys.readouterr().err


def test_cross_validated_eval_needs_no_weights_and_scores_every_problem(tmp_path: Path) -> None:
    records = separable_records(problems=30)
    append_records(tmp_path / "records", records)
    arguments = Namespace(
        lens_eval=str(tmp_path / "records"),
        folds=3,
        lens_weights=str(tmp_path / "none"),
        out=str(tmp_path / "eval"),
        model=None,
    )
    assert run_eval(arguments) == 0
    report = json.loads((tmp_path / "eval" / "lens_report.json").read_text())
    assert report["folds"] == 3 and report["problems"] == 30 and report["records"] == len(records)


def test_cross_validation_of_a_dataset_instead_of_records_is_refused(tmp_path: Path) -> None:
    dataset = tmp_path / "problems.jsonl"
    dataset.write_text("{}\n")
    arguments = Namespace(lens_eval=str(dataset), folds=3, lens_weights=None, out=str(tmp_path / "eval"), model=None)
    assert run_eval(arguments) == 2


def test_cross_validation_of_an_empty_records_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "records").mkdir()
    arguments = Namespace(
        lens_eval=str(tmp_path / "records"), folds=3, lens_weights=None, out=str(tmp_path / "eval"), model=None
    )
    assert run_eval(arguments) == 2


def test_collect_refuses_to_turn_off_a_stage_the_lens_features_come_from(tmp_path: Path) -> None:
    from atlas_lsp.cli import main

    status = main(
        [
            "--lens-collect",
            str(tmp_path / "problems.jsonl"),
            "--model",
            "small",
            "--out",
            str(tmp_path / "records"),
            "--disable",
            "self_tests",
        ]
    )
    assert status == 2 and not (tmp_path / "records").exists()


def read_recording(source: Path, dataset: str, out: Path) -> int:
    from atlas_lsp.cli import main

    return main(["--lens-read", str(source), dataset, "--model", "small", "--out", str(out)])


def test_reading_a_recording_into_its_own_folder_is_refused(tmp_path: Path, capsys) -> None:
    append_records(tmp_path, separable_records(problems=2))
    assert read_recording(tmp_path, "synthetic.jsonl", tmp_path) == 2
    assert "another folder" in capsys.readouterr().err


def test_reading_a_recording_with_another_dataset_than_it_came_from_is_refused(tmp_path: Path, capsys) -> None:
    append_records(tmp_path / "records", separable_records(problems=2))
    assert read_recording(tmp_path / "records", "MbppPlus.jsonl.gz", tmp_path / "read") == 2
    assert "records of synthetic.jsonl" in capsys.readouterr().err


def test_reading_a_recording_with_another_model_than_wrote_it_is_refused(tmp_path: Path, capsys) -> None:
    append_records(tmp_path / "records", separable_records(problems=2))  # written by model sha256 "aaa..."
    assert read_recording(tmp_path / "records", "synthetic.jsonl", tmp_path / "read") == 2
    assert "the model file that wrote it" in capsys.readouterr().err
    assert not (tmp_path / "read" / RECORDS_FILE).exists()
