"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.models import resolve_model_file


@pytest.fixture(scope="session")
def small_model_file() -> Path:
    """The real 0.5B model, assembled into the user cache from its PyPI part packages."""
    return resolve_model_file("small")
