"""Reading benchmark datasets into engine tasks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from atlas_lsp.bench.problems import load_livecodebench, load_livecodebench_hub, read_names, select_problems
from sandbox.dataset import DatasetError


def test_hub_dataset_without_the_datasets_package_names_the_install_command(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)  # makes `import datasets` fail
    with pytest.raises(DatasetError, match="pip install datasets"):
        load_livecodebench_hub("release_v5")


def test_unreachable_hub_says_to_use_a_local_file(monkeypatch) -> None:
    class OfflineDatasets:
        @staticmethod
        def load_dataset(*args, **kwargs):
            raise ConnectionError("huggingface.co is unreachable")

    monkeypatch.setitem(sys.modules, "datasets", OfflineDatasets)
    with pytest.raises(DatasetError, match="local JSONL file"):
        load_livecodebench_hub("release_v6")


EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "problems.jsonl"


def test_a_problem_is_judged_on_its_public_and_private_tests_together() -> None:
    (problem, *_) = load_livecodebench(EXAMPLES).problems
    assert problem.judge == "full"
    assert [test.input for test in problem.hidden_tests] == [
        "3 5\n",
        "3 5\n",
        "-4 4\n",
        "1000000000 1000000000\n",
        "-7 -8\n",
    ]


def test_a_row_marked_public_only_is_judged_on_its_public_tests(tmp_path: Path) -> None:
    row = json.loads(EXAMPLES.read_text().splitlines()[0]) | {"judge": "public-only"}
    (tmp_path / "marked.jsonl").write_text(json.dumps(row) + "\n")
    loaded = load_livecodebench(tmp_path / "marked.jsonl")
    assert loaded.judge == "public-only"
    assert [test.input for test in loaded.problems[0].hidden_tests] == ["3 5\n"]


def test_a_dataset_names_its_problems_by_title_so_ids_of_another_dataset_do_not_collide(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in EXAMPLES.read_text().splitlines()[:2]]
    rows[1].pop("question_title")
    (tmp_path / "other.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert read_names(tmp_path / "other.jsonl") == {"sum-of-two", "ex_reverse_words"}


def test_problems_are_selected_by_id_or_by_title() -> None:
    problems = load_livecodebench(EXAMPLES).problems
    chosen = select_problems(problems, {"sum-of-two", "ex_max_diff"}, None, None, None)
    assert [p.task.task_id for p in chosen] == ["ex_sum", "ex_max_diff"]


def test_a_statement_reaches_the_engine_as_an_editor_problem_file_holds_it(tmp_path: Path) -> None:
    row = json.loads(EXAMPLES.read_text().splitlines()[0])
    row["question_content"] = "\n\nPrint A + B.\r\n\r\nSample Input 1\r\n\r\n3 5\r\n\r\nSample Output 1\r\n\r\n8\r\n\n"
    (tmp_path / "crlf.jsonl").write_text(json.dumps(row) + "\n")
    (problem,) = load_livecodebench(tmp_path / "crlf.jsonl").problems
    assert problem.task.statement == "Print A + B.\n\nSample Input 1\n\n3 5\n\nSample Output 1\n\n8"
