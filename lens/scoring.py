"""A trained Lens: its network, what it was trained for, and energies for candidate readings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from lens.features import CandidateReading
from lens.model import LensNet
from lens.weights import LensMetadata


class Lens:
    def __init__(self, net: LensNet, metadata: LensMetadata) -> None:
        self.net = net.eval()
        self.metadata = metadata

    def energies(self, readings: Sequence[CandidateReading]) -> list[float]:
        if not readings:
            return []
        return [
            float(energy) for energy in self.energies_of(np.stack([reading.input_vector() for reading in readings]))
        ]

    def energies_of(self, inputs: np.ndarray) -> np.ndarray:
        """Energies of stacked input vectors (see lens.features.lens_input)."""
        with torch.no_grad():
            energies: np.ndarray = self.net(torch.from_numpy(inputs.astype(np.float32))).numpy()
            return energies
