"""Lens weights on disk: `<folder>/<model>.pt` (a torch state dict) beside `<model>.json` (metadata).

The packaged weights live in `lens/weights/`. No file for a model means no Lens for it, which is
normal; a file trained for another model file (sha256) or embedding size is refused with an error
naming both, because its energies would be meaningless.

torch is imported only when weights are read or written, so an engine without weights never pays
for importing it (about 2 s).
"""

from __future__ import annotations

import json
import os
import pickle
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from lens.features import FEATURE_NAMES

if TYPE_CHECKING:
    from lens.scoring import Lens

WEIGHTS_DIR = Path(__file__).parent / "weights"


@dataclass(frozen=True)
class LensMetadata:
    """Everything needed to trust (or refuse) a weights file for a given model."""

    model: str
    """The engine's model id the records came from (`small`, `default`)."""
    model_sha256: str
    embedding_dim: int
    feature_names: tuple[str, ...]
    embedding_components: int
    """Principal components of the embedding the network reads (see lens.model)."""
    hidden: int
    dropout: float
    prompt_set: str
    trained: str
    """UTC date and time of training (ISO 8601)."""
    seed: int
    training_records: int
    training_problems: tuple[str, ...]
    """Names (title, or id without one) of the problems the network was fitted on: never evaluate on these."""
    validation_problems: tuple[str, ...]
    """Names of the problems held out for early stopping."""
    judges: dict[str, int]
    """Training records per judge kind (`full`, `public-only`)."""
    validation: dict[str, float | None]
    """Metrics on the validation problems at the chosen epoch (None where undefined)."""


class LensMismatch(Exception):
    """Weights exist for the model's name but were trained for a different model or features."""


def weights_files(model: str, folder: Path = WEIGHTS_DIR) -> tuple[Path, Path]:
    """(state dict, metadata) paths of `model`'s weights in `folder`."""
    return folder / f"{model}.pt", folder / f"{model}.json"


def save_lens(lens: Lens, folder: Path = WEIGHTS_DIR) -> Path:
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    state_path, metadata_path = weights_files(lens.metadata.model, folder)
    # Both files are written aside and then renamed: an interruption never pairs new weights with old metadata.
    staged_state, staged_metadata = state_path.with_suffix(".pt.new"), metadata_path.with_suffix(".json.new")
    torch.save(lens.net.state_dict(), staged_state)
    staged_metadata.write_text(json.dumps(asdict(lens.metadata), indent=1) + "\n", encoding="utf-8")
    os.replace(staged_state, state_path)
    os.replace(staged_metadata, metadata_path)
    return state_path


def load_lens(
    model: str, model_sha256: str | None, embedding_dim: int, prompt_set: str, folder: Path = WEIGHTS_DIR
) -> Lens | None:
    """The Lens trained for this model, or None when `folder` has no weights for it.

    Raises LensMismatch when the weights were trained for another model file, embedding size,
    feature set or prompt set (other prompts write other candidates, and may read them otherwise).
    """
    state_path, metadata_path = weights_files(model, folder)
    if not (state_path.is_file() and metadata_path.is_file()):
        return None
    try:
        metadata = _read_metadata(metadata_path)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise LensMismatch(
            f"Lens metadata {metadata_path} cannot be read ({error}). Retrain with atlas-lsp --lens-train."
        ) from None
    if metadata.model_sha256 != model_sha256 or metadata.embedding_dim != embedding_dim:
        raise LensMismatch(
            f"Lens weights {state_path} were trained for model sha256 {metadata.model_sha256} "
            f"(embedding dim {metadata.embedding_dim}), but the model in use, {model!r}, has sha256 "
            f"{model_sha256 or 'unknown'} (embedding dim {embedding_dim}). Collect records with this model "
            "and retrain (atlas-lsp --lens-collect, --lens-train)."
        )
    if metadata.feature_names != FEATURE_NAMES:
        raise LensMismatch(
            f"Lens weights {state_path} use features {', '.join(metadata.feature_names)}, but this version "
            f"computes {', '.join(FEATURE_NAMES)}. Retrain with atlas-lsp --lens-train."
        )
    if metadata.prompt_set != prompt_set:
        raise LensMismatch(
            f"Lens weights {state_path} were trained on embeddings read with prompt set {metadata.prompt_set!r}, "
            f"but the engine uses {prompt_set!r}. Collect records with this prompt set and retrain."
        )
    import torch

    from lens.model import LensNet
    from lens.scoring import Lens

    net = LensNet(
        metadata.embedding_dim,
        len(metadata.feature_names),
        metadata.embedding_components,
        metadata.hidden,
        metadata.dropout,
    )
    try:
        net.load_state_dict(torch.load(state_path, weights_only=True))
    except (OSError, RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as error:
        raise LensMismatch(
            f"Lens weights {state_path} cannot be loaded ({error}). Retrain with atlas-lsp --lens-train."
        ) from None
    return Lens(net, metadata)


def _read_metadata(path: Path) -> LensMetadata:
    raw = json.loads(path.read_text(encoding="utf-8"))
    values = {field.name: raw[field.name] for field in fields(LensMetadata)}
    for name in ("feature_names", "training_problems", "validation_problems"):
        values[name] = tuple(values[name])
    return LensMetadata(**values)
