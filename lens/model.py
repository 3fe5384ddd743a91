"""C(x): a small MLP from [embedding ⊕ features] to a scalar energy; lower means more likely correct.

The embedding enters through its top principal components, fitted on the training records: a few
hundred records cannot fit an MLP on all of its dimensions, which then drown the execution features.
The projection and the standardization are buffers of the network, so they travel in its state dict
and a loaded network reads its inputs exactly as it was trained to.
"""

from __future__ import annotations

import torch
from torch import nn


class LensNet(nn.Module):
    # Buffers, registered in __init__; declared so their type is a tensor, not "tensor or module".
    embedding_mean: torch.Tensor
    embedding_basis: torch.Tensor
    input_mean: torch.Tensor
    input_std: torch.Tensor

    def __init__(self, embedding_dim: int, feature_count: int, components: int, hidden: int, dropout: float) -> None:
        super().__init__()
        width = components + feature_count
        self.register_buffer("embedding_mean", torch.zeros(embedding_dim))
        self.register_buffer("embedding_basis", torch.zeros(embedding_dim, components))
        self.register_buffer("input_mean", torch.zeros(width))
        self.register_buffer("input_std", torch.ones(width))
        self.layers = nn.Sequential(
            nn.Linear(width, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, 1),
        )

    def fit_input_scaling(self, inputs: torch.Tensor, floor: float = 1e-3) -> None:
        """Fit the embedding's projection and the standardization to these (training) inputs; the
        floor keeps near-constant columns from exploding."""
        embeddings = inputs[:, : self._embedding_dim]
        self.embedding_mean.copy_(embeddings.mean(dim=0))
        components = self.embedding_basis.shape[1]
        if components:
            _, _, directions = torch.linalg.svd(embeddings - self.embedding_mean, full_matrices=False)
            kept = directions[:components].T  # fewer than asked when there are fewer records
            self.embedding_basis.zero_()
            self.embedding_basis[:, : kept.shape[1]] = kept
        projected = self._project(inputs)
        self.input_mean.copy_(projected.mean(dim=0))
        self.input_std.copy_(projected.std(dim=0, unbiased=False).clamp_min(floor))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Energies, one per row of `inputs`."""
        energies: torch.Tensor = self.layers((self._project(inputs) - self.input_mean) / self.input_std)
        return energies.squeeze(-1)

    @property
    def _embedding_dim(self) -> int:
        return int(self.embedding_mean.shape[0])

    def _project(self, inputs: torch.Tensor) -> torch.Tensor:
        embeddings, features = inputs[:, : self._embedding_dim], inputs[:, self._embedding_dim :]
        return torch.cat([(embeddings - self.embedding_mean) @ self.embedding_basis, features], dim=1)
