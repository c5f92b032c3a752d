"""Random distortions of a training batch, drawn per image and applied in one grid_sample.

An affine map (shift, rotation, zoom) and, optionally, Simard et al.'s (2003) elastic
distortion: a random displacement field, smoothed by a Gaussian, scaled by alpha.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from digitlab.core.config import require


@dataclass(frozen=True)
class AugmentParams:
    """Params `train.augment.*`: the largest shift, rotation and zoom to draw."""

    shift_pixels: float = 0.0  # up to this many pixels in x and y
    rotate_degrees: float = 0.0  # up to ± this angle
    scale: float = 0.0  # zoom by a factor in [1 − scale, 1 + scale]
    elastic_alpha: float = 0.0  # elastic displacement scale in pixels (Simard: 34); 0: off
    elastic_sigma: float = 4.0  # smoothness of the displacement field, in pixels

    def __post_init__(self) -> None:
        require(
            0 <= self.shift_pixels <= 8, "shift_pixels", self.shift_pixels, "a number in [0, 8]"
        )
        require(0 <= self.rotate_degrees <= 90, "rotate_degrees", self.rotate_degrees, "in [0, 90]")
        require(0 <= self.scale < 1, "scale", self.scale, "a number in [0, 1)")
        require(0 <= self.elastic_alpha <= 100, "elastic_alpha", self.elastic_alpha, "in [0, 100]")
        require(0.5 <= self.elastic_sigma <= 8, "elastic_sigma", self.elastic_sigma, "in [0.5, 8]")

    @property
    def active(self) -> bool:
        """Whether any distortion is switched on."""
        return bool(self.shift_pixels or self.rotate_degrees or self.scale or self.elastic_alpha)


def gaussian_blur(planes: torch.Tensor, sigma: float) -> torch.Tensor:
    """Each channel of planes (n, c, h, w) blurred by a Gaussian of `sigma` pixels, zero-padded."""
    radius = math.ceil(3 * sigma)
    offsets = torch.arange(-radius, radius + 1, dtype=planes.dtype, device=planes.device)
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()  # (2r+1,)
    n, channels, height, width = planes.shape
    flat = planes.reshape(n * channels, 1, height, width)
    rows = nn.functional.conv2d(flat, kernel.view(1, 1, -1, 1), padding=(radius, 0))
    both = nn.functional.conv2d(rows, kernel.view(1, 1, 1, -1), padding=(0, radius))
    return both.reshape(n, channels, height, width)


def distort(
    images: torch.Tensor, params: AugmentParams, generator: torch.Generator
) -> torch.Tensor:
    """Images (batch, 784) -> (batch, 784), each under its own random affine map and field."""
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
    if params.elastic_alpha:
        noise = torch.rand(n, 2, 28, 28, generator=generator) * 2 - 1  # (n, 2, 28, 28)
        field = gaussian_blur(noise, params.elastic_sigma) * params.elastic_alpha  # pixels
        grid = grid + field.permute(0, 2, 3, 1).to(images.device) * (2 / 28)  # one pixel: 2/28
    planes = images.view(n, 1, 28, 28)
    return nn.functional.grid_sample(planes, grid, align_corners=False).view(n, 784)
