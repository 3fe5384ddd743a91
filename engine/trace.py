"""`--trace DIR`: every prompt and completion on disk, for debugging and for audits of honesty."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any


class Tracer:
    """Appends one JSON line per event to DIR/<task id>.jsonl; a Tracer without a folder does nothing."""

    def __init__(self, folder: str | Path | None) -> None:
        self._folder = Path(folder) if folder else None
        self._lock = threading.Lock()
        if self._folder:
            self._folder.mkdir(parents=True, exist_ok=True)

    def record(self, task_id: str, kind: str, **payload: Any) -> None:
        if not self._folder:
            return
        line = json.dumps({"time": time.time(), "task": task_id, "kind": kind, **payload}, default=str)
        safe_name = "".join(c if c.isalnum() or c in "-_." else "_" for c in task_id)
        with self._lock, (self._folder / f"{safe_name}.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
