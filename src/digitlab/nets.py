"""The two networks of the tutorial, built from seeded layers.

Layers are initialised from an explicit torch.Generator with PyTorch's own default
scheme, so a model depends on its stage's seed and never on global RNG state.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def seeded_linear(n_in: int, n_out: int, generator: torch.Generator) -> nn.Linear:
    """nn.Linear(n_in, n_out) with PyTorch's default init, drawn from `generator`."""
    # Built on the meta device: nn.Linear's own init would advance the global generator.
    layer = nn.Linear(n_in, n_out, device="meta").to_empty(device="cpu")
    bound = 1.0 / math.sqrt(n_in)
    with torch.no_grad():
        # kaiming_uniform_(a=√5), PyTorch's default for Linear weights, is U(−1/√n_in, 1/√n_in)
        layer.weight.uniform_(-bound, bound, generator=generator)
        layer.bias.uniform_(-bound, bound, generator=generator)
    return layer


class TinyNet(nn.Module):
    """The tutorial's 1 → hidden → 1 network with a sigmoid after both layers."""

    def __init__(self, hidden: int, generator: torch.Generator) -> None:
        super().__init__()
        self.fc1 = seeded_linear(1, hidden, generator)
        self.fc2 = seeded_linear(hidden, 1, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, 1) -> (batch, 1) probabilities."""
        return torch.sigmoid(self.fc2(torch.sigmoid(self.fc1(x))))
