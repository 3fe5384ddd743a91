"""Learning from use, opt-in: labelled candidates seen in real use, kept for a later retraining.

A caller that learns how a candidate fared after the fact (for example the user's own tests passing
or failing on an accepted answer) builds a `LensRecord` with judge kind "use" and appends it to a
samples folder of its choosing. Nothing here trains: `atlas-lsp --lens-train RECORDS_DIR SAMPLES_DIR`
does, when someone runs it.
"""

from __future__ import annotations

from pathlib import Path

from lens.records import LensRecord, append_records


def append_sample(folder: Path, record: LensRecord) -> None:
    """Append one candidate seen in use, labelled by what happened to it, to `folder`/records.jsonl."""
    if record.judge != "use":
        raise ValueError(f"a sample from use has judge kind 'use', not {record.judge!r}")
    append_records(folder, [record])
