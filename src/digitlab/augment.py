"""Random affine distortions of a training batch, drawn per image and applied in one call."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from digitlab.config import require


@dataclass(frozen=True)
class AugmentParams:
    """Params `train.augment.*`: the largest shift, rotation and zoom to draw."""

    shift_pixels: float = 0.0  # up to this many pixels in x and y
    rotate_degrees: float = 0.0  # up to ± this angle
    scale: float = 0.0  # zoom by a factor in [1 − scale, 1 + scale]

    def __post_init__(self) -> None:
        require(
            0 <= self.shift_pixels <= 8, "shift_pixels", self.shift_pixels, "a number in [0, 8]"
        )
        require(0 <= self.rotate_degrees <= 90, "rotate_degrees", self.rotate_degrees, "in [0, 90]")
        require(0 <= self.scale < 1, "scale", self.scale, "a number in [0, 1)")

    @property
    def active(self) -> bool:
        """Whether any distortion is switched on."""
        return bool(self.shift_pixels or self.rotate_degrees or self.scale)


def distort(
    images: torch.Tensor, params: AugmentParams, generator: torch.Generator
) -> torch.Tensor:
    """Images (batch, 784) -> (batch, 784), each under its own random affine map."""
    n = len(images)

    def uniform(bound: float) -> torch.Tensor:  # (n,) in [−bound, bound]
        return (torch.rand(n, generator=generator) * 2 - 1) * bound

    angle = uniform(math.radians(params.rotate_degrees))
    zoom = 1 + uniform(params.scale)
    shift = torch.stack([uniform(params.shift_pixels), uniform(params.shift_pixels)], dim=1)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    # affine_grid maps output to input coordinates in [−1, 1]: one pixel is 2/28.
    theta = torch.stack(
        [
            torch.stack([cos, -sin, shift[:, 0] * 2 / 28], 1),
            torch.stack([sin, cos, shift[:, 1] * 2 / 28], 1),
        ],
        dim=1,
    ).to(images.device)  # (n, 2, 3)
    grid = nn.functional.affine_grid(theta, [n, 1, 28, 28], align_corners=False)  # (n, 28, 28, 2)
    planes = images.view(n, 1, 28, 28)
    return nn.functional.grid_sample(planes, grid, align_corners=False).view(n, 784)
