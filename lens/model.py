"""C(x): a small MLP from [embedding ⊕ features] to a scalar energy; lower means more likely correct.

Standardization statistics are buffers of the network, so they travel in its state dict and a
loaded network applies exactly the scaling it was trained with.
"""

from __future__ import annotations

import torch
from torch import nn


class LensNet(nn.Module):
    def __init__(self, input_dim: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.register_buffer("input_mean", torch.zeros(input_dim))
        self.register_buffer("input_std", torch.ones(input_dim))
        self.layers = nn.Sequential(
            nn.Linear(input_dim, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, 1),
        )

    def set_standardization(self, inputs: torch.Tensor, floor: float = 1e-3) -> None:
        """Scale from these (training) inputs; the floor keeps near-constant columns from exploding."""
        self.input_mean.copy_(inputs.mean(dim=0))
        self.input_std.copy_(inputs.std(dim=0, unbiased=False).clamp_min(floor))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Energies, one per row of `inputs`."""
        return self.layers((inputs - self.input_mean) / self.input_std).squeeze(-1)
