"""The embedded runtime on the real small model, shared by a test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from engine.config import EmbeddedSettings
from engine.runtime.embedded import EmbeddedRuntime


@pytest.fixture(scope="module")
def runtime(small_model_file: Path) -> Iterator[EmbeddedRuntime]:
    # Built synchronously: the runtime binds to no event loop, each call wakes its own caller.
    runtime = EmbeddedRuntime(small_model_file, EmbeddedSettings(context_tokens=8192, max_sequences=8), "small")
    yield runtime
    anyio.run(runtime.aclose)
