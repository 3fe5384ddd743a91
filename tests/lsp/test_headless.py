"""`atlas-lsp --solve/--verify/--repair FILE::FUNCTION`, run as a user runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lsp.conftest import FIXTURES

ATLAS = [sys.executable, "-m", "atlas_lsp.cli"]


def atlas(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ATLAS, *arguments], capture_output=True, text=True, timeout=900)


@pytest.fixture
def add_file(tmp_path: Path) -> Path:
    return Path(shutil.copy(FIXTURES / "add.py", tmp_path / "add.py"))


def test_unknown_function_is_an_error(add_file: Path) -> None:
    run = atlas("--solve", f"{add_file}::subtract")
    assert run.returncode == 2
    assert "has no function subtract" in run.stderr


def test_solve_of_a_written_function_is_refused_with_the_reason(tmp_path: Path) -> None:
    written = Path(shutil.copy(FIXTURES / "buggy.py", tmp_path / "buggy.py"))
    run = atlas("--solve", f"{written}::largest")
    assert run.returncode == 2
    assert "solve writes functions whose body is a stub" in run.stderr


def test_file_without_a_problem_statement_is_an_error(add_file: Path) -> None:
    run = atlas("--solve", str(add_file))
    assert run.returncode == 2
    assert "no problem statement" in run.stderr


def test_missing_model_prints_the_fix(add_file: Path) -> None:
    run = atlas("--solve", f"{add_file}::add", "--model", "/nonexistent/model.gguf")
    assert run.returncode == 2
    assert "Fix: check the path" in run.stderr


@pytest.mark.model
def test_solve_with_write_rewrites_the_file_so_its_function_works(add_file: Path) -> None:
    original = add_file.read_text()
    run = atlas("--solve", f"{add_file}::add", "--model", "small", "--write")
    assert run.returncode == 0, run.stderr
    assert add_file.read_text() != original
    namespace: dict = {}
    exec(add_file.read_text(), namespace)
    assert namespace["add"](2, 3) == 5
