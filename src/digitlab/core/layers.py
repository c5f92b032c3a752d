"""Seeded layers: the tiny net and the MLP are built from these.

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
