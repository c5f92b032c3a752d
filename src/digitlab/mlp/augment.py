"""Random distortions of a training batch, drawn per image from the training generator.

Geometric: an affine map (shift, rotation, zoom) and, optionally, Simard et al.'s (2003)
elastic distortion, applied together in one grid_sample. Then what real scans do to a
digit that MNIST never shows: a stroke made wider or narrower, a low-resolution round
trip, blur, and fainter or harsher ink. Each is off at 0, and draws nothing when off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from digitlab.core.config import require
from digitlab.mlp.imageops import (
    affine,
    area_bilinear_round_trip,
    blur_each,
    dilate,
    erode,
    fill_box,
    gaussian_blur,
)


@dataclass(frozen=True)
class AugmentParams:
    """Params `train.augment.*`: the largest shift, rotation and zoom to draw."""

    shift_pixels: float = 0.0  # up to this many pixels in x and y
    rotate_degrees: float = 0.0  # up to ± this angle
    scale: float = 0.0  # zoom by a factor in [1 − scale, 1 + scale]
    aspect: float = 0.0  # x and y each stretched by a factor in [1/(1 + aspect), 1 + aspect]
    shear: float = 0.0  # slanted: x moves by a factor in [−shear, shear] of y
    elastic_alpha: float = 0.0  # elastic displacement scale in pixels (Simard: 34); 0: off
    elastic_sigma: float = 4.0  # smoothness of the displacement field, in pixels
    dilate_probability: float = 0.0  # chance of a stroke one pixel wider (3×3 dilation)
    erode_probability: float = 0.0  # chance of a stroke one pixel narrower (2×2 erosion)
    lowres_probability: float = 0.0  # chance of a trip down to a random side and back up
    lowres_min_side: int = 6  # that side is drawn from [min_side, max_side] pixels
    lowres_max_side: int = 14
    blur_sigma: float = 0.0  # each image blurred by a Gaussian of sigma in [0, blur_sigma]
    ink_level: float = 0.0  # each image's ink scaled by a factor in [1 − ink_level, 1]
    contrast: float = 0.0  # each image's ink raised to a power in [e^−contrast, e^contrast]
    # Chance that the ink's box is stretched toward a square, as scanners that size each
    # digit to fill their frame do (the UCI scans' fat 1s): by (long/short)**u, u ~ U(0, 1).
    fill_probability: float = 0.0

    def __post_init__(self) -> None:
        require(
            0 <= self.shift_pixels <= 8, "shift_pixels", self.shift_pixels, "a number in [0, 8]"
        )
        require(0 <= self.rotate_degrees <= 90, "rotate_degrees", self.rotate_degrees, "in [0, 90]")
        require(0 <= self.scale < 1, "scale", self.scale, "a number in [0, 1)")
        require(0 <= self.aspect <= 1, "aspect", self.aspect, "a number in [0, 1]")
        require(0 <= self.shear <= 1, "shear", self.shear, "a number in [0, 1]")
        require(0 <= self.elastic_alpha <= 100, "elastic_alpha", self.elastic_alpha, "in [0, 100]")
        require(0.5 <= self.elastic_sigma <= 8, "elastic_sigma", self.elastic_sigma, "in [0.5, 8]")
        for key in ("dilate_probability", "erode_probability", "lowres_probability",
                    "fill_probability"):  # fmt: skip
            require(0 <= getattr(self, key) <= 1, key, getattr(self, key), "a number in [0, 1]")
        both = self.dilate_probability + self.erode_probability
        require(both <= 1, "erode_probability", self.erode_probability, "at most 1 − dilate")
        low, high = self.lowres_min_side, self.lowres_max_side
        require(4 <= low <= 28, "lowres_min_side", low, "an integer in [4, 28]")
        require(low <= high <= 28, "lowres_max_side", high, f"an integer in [{low}, 28]")
        require(0 <= self.blur_sigma <= 3, "blur_sigma", self.blur_sigma, "a number in [0, 3]")
        require(0 <= self.ink_level <= 0.9, "ink_level", self.ink_level, "a number in [0, 0.9]")
        require(0 <= self.contrast <= 2, "contrast", self.contrast, "a number in [0, 2]")

    @property
    def geometric(self) -> bool:
        """Whether the affine map or the elastic field is switched on."""
        affine = self.shift_pixels or self.rotate_degrees or self.scale or self.aspect or self.shear
        return bool(affine or self.elastic_alpha)

    @property
    def active(self) -> bool:
        """Whether any distortion is switched on."""
        strokes = self.dilate_probability or self.erode_probability or self.lowres_probability
        tones = self.blur_sigma or self.ink_level or self.contrast
        return bool(self.geometric or strokes or tones or self.fill_probability)


def distort(
    images: torch.Tensor, params: AugmentParams, generator: torch.Generator
) -> torch.Tensor:
    """Images (batch, 784) -> (batch, 784), each under its own draw of every distortion on."""
    if params.geometric:
        images = warp(images, params, generator)
    n = len(images)

    def draw() -> torch.Tensor:  # (n,) in [0, 1), on the images' device
        return torch.rand(n, generator=generator).to(images.device)

    planes = images.reshape(n, 1, 28, 28)
    strokes = params.dilate_probability or params.erode_probability
    in_place = strokes or params.lowres_probability or params.fill_probability
    if in_place and not params.geometric:
        planes = planes.clone()  # written in place below: the caller's images stay as they are
    if params.fill_probability:  # before the strokes and the trip: the scanner's own order
        chosen, amount = draw() < params.fill_probability, draw()
        planes[chosen] = fill_box(planes[chosen], amount[chosen])
    if strokes:
        u = draw()
        wider = u < params.dilate_probability
        narrower = ~wider & (u < params.dilate_probability + params.erode_probability)
        planes[wider] = dilate(planes[wider])  # only the chosen images: the others would
        planes[narrower] = erode(planes[narrower])  # cost as much for nothing
    if params.lowres_probability:
        chosen = draw() < params.lowres_probability
        span = params.lowres_max_side - params.lowres_min_side + 1
        sides = params.lowres_min_side + (draw() * span).long().clamp(max=span - 1)
        planes[chosen] = area_bilinear_round_trip(planes[chosen], sides[chosen])
    if params.blur_sigma:
        planes = blur_each(planes, draw() * params.blur_sigma)
    if params.ink_level or params.contrast:
        level = 1 - draw() * params.ink_level  # (n,)
        power = torch.exp((draw() * 2 - 1) * params.contrast)  # (n,)
        planes = level.view(n, 1, 1, 1) * planes.clamp(min=0) ** power.view(n, 1, 1, 1)
    return planes.reshape(n, 784)


def warp(images: torch.Tensor, params: AugmentParams, generator: torch.Generator) -> torch.Tensor:
    """Images (batch, 784) -> (batch, 784), each under its own random affine map and field."""
    n = len(images)

    def uniform(bound: float) -> torch.Tensor:  # (n,) in [−bound, bound]
        return (torch.rand(n, generator=generator) * 2 - 1) * bound

    angle = uniform(math.radians(params.rotate_degrees))
    zoom = 1 + uniform(params.scale)
    shift = torch.stack([uniform(params.shift_pixels), uniform(params.shift_pixels)], dim=1)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    rows = [[cos, -sin], [sin, cos]]  # output -> input: rotation and zoom undone
    # Stretch and slant come after every older draw, and only when on: the older configs
    # train the same bytes. Composed as rows @ [[1/sx, lean/sy], [0, 1/sy]].
    if params.aspect or params.shear:
        log_bound = math.log1p(params.aspect)
        sx = torch.exp(uniform(log_bound)) if params.aspect else torch.ones(n)
        sy = torch.exp(uniform(log_bound)) if params.aspect else torch.ones(n)
        lean = uniform(params.shear) if params.shear else torch.zeros(n)
        rows = [[a / sx, (a * lean + b) / sy] for a, b in rows]
    # affine_grid maps output to input coordinates in [−1, 1]: one pixel is 2/28.
    theta = torch.stack(
        [
            torch.stack([*rows[0], shift[:, 0] * 2 / 28], 1),
            torch.stack([*rows[1], shift[:, 1] * 2 / 28], 1),
        ],
        dim=1,
    ).to(images.device)  # (n, 2, 3)
    field = None
    if params.elastic_alpha:
        noise = torch.rand(n, 2, 28, 28, generator=generator) * 2 - 1  # (n, 2, 28, 28)
        field = gaussian_blur(noise, params.elastic_sigma) * params.elastic_alpha  # pixels
    return affine(images.view(n, 1, 28, 28), theta, field).view(n, 784)
