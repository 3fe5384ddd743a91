"""Records on disk: compact, lossless where it matters, and robust to a cut last line."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lens.features import Behaviour
from lens.records import RECORDS_FILE, LensRecord, append_records, compact_behaviour, read_records


def test_a_record_survives_a_json_round_trip_with_a_float16_embedding(make_record) -> None:
    embedding = np.array([0.1, -2.5, 1000.0, 3.0], dtype=np.float32)
    record = make_record("p1", True, embedding=embedding, title="slug", origin="plan:1")
    restored = LensRecord.from_json(record.to_json())
    assert np.allclose(restored.embedding, embedding, rtol=1e-3)
    assert (restored.problem, restored.title, restored.origin, restored.label) == (record.problem, "slug", "plan:1", True)
    assert restored.features == record.features and restored.behaviour == record.behaviour


def test_compact_behaviour_keeps_equality_and_crashes_but_not_the_outputs() -> None:
    long_output = "x" * 10_000
    compact = compact_behaviour(Behaviour(1, 2, (long_output, None, long_output), predictions_matched=1))
    assert compact.outputs[0] == compact.outputs[2] and compact.outputs[1] is None
    assert len(compact.outputs[0]) == 12
    assert (compact.examples_passed, compact.examples_total, compact.predictions_matched) == (1, 2, 1)


def test_a_line_cut_by_a_crash_is_skipped(make_record, tmp_path: Path) -> None:
    append_records(tmp_path, [make_record("p1", True), make_record("p1", False)])
    with (tmp_path / RECORDS_FILE).open("a") as handle:
        handle.write(make_record("p2", True).to_json()[:50])
    assert [r.problem_id for r in read_records([tmp_path])] == ["p1", "p1"]

