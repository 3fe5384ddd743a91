"""Fixtures of the Lens tests."""

from __future__ import annotations

import pytest
from fakes import synthetic_record


@pytest.fixture
def make_record():
    """Build a synthetic LensRecord: no model, no sandbox; the embedding is whatever a test needs."""
    return synthetic_record
