"""Reading benchmark datasets into engine tasks."""

from __future__ import annotations

import sys

import pytest

from atlas_lsp.bench.problems import load_livecodebench_hub
from sandbox.dataset import DatasetError


def test_hub_dataset_without_the_datasets_package_names_the_install_command(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)  # makes `import datasets` fail
    with pytest.raises(DatasetError, match="pip install datasets"):
        load_livecodebench_hub("release_v5")


def test_unreachable_hub_says_to_use_a_local_file(monkeypatch) -> None:
    class OfflineDatasets:
        @staticmethod
        def load_dataset(*args, **kwargs):
            raise ConnectionError("huggingface.co is unreachable")

    monkeypatch.setitem(sys.modules, "datasets", OfflineDatasets)
    with pytest.raises(DatasetError, match="local JSONL file"):
        load_livecodebench_hub("release_v6")
