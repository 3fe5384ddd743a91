"""Records on disk: compact, lossless where it matters, and robust to a write cut by a crash."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.candidates import Behaviour
from lens.records import (
    RECORDS_FILE,
    LensRecord,
    UnreadableRecords,
    append_records,
    compact_behaviour,
    read_records,
    recorded_problems,
)


def test_a_record_survives_a_json_round_trip_with_a_float16_embedding(make_record) -> None:
    embedding = np.array([0.1, -2.5, 1000.0, 3.0], dtype=np.float32)
    record = make_record("p1", True, embedding=embedding, title="slug", origin="plan:1")
    restored = LensRecord.from_dict(record.to_dict())
    assert np.allclose(restored.embedding, embedding, rtol=1e-3)
    assert (restored.problem, restored.title, restored.origin, restored.label) == (
        record.problem,
        "slug",
        "plan:1",
        True,
    )
    assert restored.features == record.features and restored.behaviour == record.behaviour


def test_compact_behaviour_keeps_equality_and_crashes_but_not_the_outputs() -> None:
    long_output = "x" * 10_000
    compact = compact_behaviour(Behaviour(1, 2, (long_output, None, long_output), predictions_matched=1))
    assert compact.outputs[0] == compact.outputs[2] and compact.outputs[1] is None
    assert len(compact.outputs[0]) == 12
    assert (compact.examples_passed, compact.examples_total, compact.predictions_matched) == (1, 2, 1)


def test_a_problem_cut_by_a_crash_counts_as_not_recorded(make_record, tmp_path: Path) -> None:
    append_records(tmp_path, [make_record("p1", True), make_record("p1", False)])
    append_records(tmp_path, [make_record("p2", True), make_record("p2", False)])
    path = tmp_path / RECORDS_FILE
    path.write_bytes(path.read_bytes()[:-200])
    assert [r.problem_id for r in read_records([tmp_path])] == ["p1", "p1"]
    assert recorded_problems(tmp_path) == {("synthetic.jsonl", "p1")}


def test_a_complete_line_without_its_newline_counts_as_cut(make_record, tmp_path: Path) -> None:
    append_records(tmp_path, [make_record("p1", True)])
    path = tmp_path / RECORDS_FILE
    path.write_bytes(path.read_bytes()[:-1])
    assert read_records([tmp_path]) == []


def test_the_next_problem_is_appended_after_cutting_off_the_unfinished_one(make_record, tmp_path: Path) -> None:
    append_records(tmp_path, [make_record("p1", True)])
    append_records(tmp_path, [make_record("p2", True), make_record("p2", False)])
    path = tmp_path / RECORDS_FILE
    path.write_bytes(path.read_bytes()[:-100])
    append_records(tmp_path, [make_record("p3", False)])
    assert [r.problem_id for r in read_records([tmp_path])] == ["p1", "p3"]


def test_a_damaged_line_before_the_last_is_an_error_naming_it(make_record, tmp_path: Path) -> None:
    append_records(tmp_path, [make_record("p1", True)])
    path = tmp_path / RECORDS_FILE
    path.write_text(path.read_text() + "{not json\n")
    append_records(tmp_path, [make_record("p2", True)])
    with pytest.raises(UnreadableRecords, match="line 2"):
        read_records([tmp_path])


def test_an_embedding_that_overflowed_float16_is_refused(make_record) -> None:
    record = make_record("p1", True, embedding=np.array([1.0, 1e6], dtype=np.float32))
    with pytest.raises(ValueError, match="float16"):
        record.to_dict()


def test_a_folder_in_the_one_candidate_per_line_format_is_refused_with_what_to_do(make_record, tmp_path: Path) -> None:
    (tmp_path / RECORDS_FILE).write_text(json.dumps(make_record("p1", True).to_dict()) + "\n")
    with pytest.raises(UnreadableRecords, match="format before"):
        read_records([tmp_path])
