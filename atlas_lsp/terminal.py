"""What the headless commands show: a live progress bar on a terminal, sparse lines in logs, and
errors as one readable line."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Redraws one line on a terminal; elsewhere prints at most every 10% so CI logs stay short."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self._label = label
        self._stream = stream or sys.stderr
        self._width = width
        self._interactive = self._stream.isatty()
        self._started = time.monotonic()
        self._last_decile = -1

    def update(self, done: float, total: float, detail: str = "") -> None:
        fraction = done / total if total else 1.0
        if self._interactive:
            filled = int(fraction * self._width)
            bar = "#" * filled + "-" * (self._width - filled)
            eta = self._eta(fraction)
            self._stream.write(f"\r{self._label} [{bar}] {fraction:6.1%} {detail} {eta}\x1b[K")
            if fraction >= 1.0:
                self._stream.write("\n")
            self._stream.flush()
            return
        decile = int(fraction * 10)
        if decile > self._last_decile:
            self._last_decile = decile
            self._stream.write(f"{self._label}: {fraction:.0%} {detail}\n")
            self._stream.flush()

    def _eta(self, fraction: float) -> str:
        if fraction <= 0 or fraction >= 1:
            return ""
        elapsed = time.monotonic() - self._started
        return f"ETA {elapsed / fraction - elapsed:.0f}s"


def innermost(error: BaseException) -> BaseException:
    """The first real exception inside nested task-group exception groups: the one worth telling the user."""
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error
