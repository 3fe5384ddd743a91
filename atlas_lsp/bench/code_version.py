"""Which code a bench run ran: the commit of the checkout its modules were imported from.

A run's folder is not enough to tell: `python -c` puts the current directory before PYTHONPATH, so a run
started in one checkout with another on PYTHONPATH imports the first. The version is read from where the
modules actually are.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
ENGINE_CODE = ("atlas_lsp", "engine", "sandbox", "lens")
"""The folders whose uncommitted changes make a run's code differ from its commit."""


def code_version(checkout: Path = CHECKOUT) -> str:
    """`<commit> (<checkout>)`, marked when the engine's code had uncommitted changes; or why it is unknown."""
    commit = _git(checkout, "rev-parse", "--short=12", "HEAD")
    if not commit:
        return f"unknown: {checkout} is not a git checkout"
    changed = _git(checkout, "status", "--porcelain", "--", *ENGINE_CODE)
    return f"{commit} ({checkout})" + (" with uncommitted changes" if changed else "")


def _git(checkout: Path, *arguments: str) -> str:
    try:
        result = subprocess.run(["git", *arguments], cwd=checkout, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""
