"""Fixed, seeded degradations of test images that mimic what real inputs do to digits.

MNIST is clean: centred, anti-aliased, one stroke width. A user's photo or drawing
is none of these. Each function maps images (n, 784) in [0, 1] to images of the
same shape; `evaluate` scores the model on each, so robustness is a metric that
`dvc exp show` compares like accuracy.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from digitlab.core.config import require
from digitlab.mlp.imageops import affine, dilate, erode, gaussian_blur, planes
from digitlab.mlp.preprocess import to_mnist


@dataclass(frozen=True)
class RobustnessParams:
    """Params `evaluate.robustness`: how hard each degradation is, and the seed of its draws."""

    seed: int = 0
    low_resolution: int = 10  # down to this many pixels a side, back up through to_mnist
    shift_pixels: int = 3  # each image moved this far in a seeded direction
    rotate_degrees: float = 15.0  # each image turned by + or − this, seeded
    blur_sigma: float = 1.0  # Gaussian blur, in pixels
    jpeg_quality: int = 20  # PIL's JPEG quality, 1 (worst) to 95
    aspect_min: float = 1.3  # stretched by a factor in [aspect_min, aspect_max] along x or y,
    aspect_max: float = 1.6  # seeded, then re-fitted as read_digit fits a stretched photo
    slant: float = 0.3  # sheared by + or − this, seeded: x moves by slant · y

    def __post_init__(self) -> None:
        require(4 <= self.low_resolution <= 27, "low_resolution", self.low_resolution, "in [4, 27]")
        require(1 <= self.shift_pixels <= 8, "shift_pixels", self.shift_pixels, "in [1, 8]")
        require(0 < self.rotate_degrees <= 90, "rotate_degrees", self.rotate_degrees, "in (0, 90]")
        require(0 < self.blur_sigma <= 3, "blur_sigma", self.blur_sigma, "in (0, 3]")
        require(1 <= self.jpeg_quality <= 95, "jpeg_quality", self.jpeg_quality, "in [1, 95]")
        require(1 <= self.aspect_min <= 3, "aspect_min", self.aspect_min, "in [1, 3]")
        low, high = self.aspect_min, self.aspect_max
        require(low <= high <= 3, "aspect_max", high, f"a number in [{low}, 3]")
        require(0 < self.slant <= 1, "slant", self.slant, "a number in (0, 1]")


def shift(images: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """Move image i by (rows[i], cols[i]) whole pixels, filling with black; (n, 784)."""
    n = len(images)
    source = planes(images)
    out = torch.zeros_like(source)
    for i in range(n):  # per image: each has its own offset
        r, c = int(rows[i]), int(cols[i])
        out[i, :, max(r, 0) : 28 + min(r, 0), max(c, 0) : 28 + min(c, 0)] = source[
            i, :, max(-r, 0) : 28 + min(-r, 0), max(-c, 0) : 28 + min(-c, 0)
        ]
    return out.reshape(n, 784)


def rotate(images: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Turn image i by degrees[i] about the centre, bilinear; (n, 784)."""
    angle = torch.deg2rad(degrees.float())  # (n,)
    cos, sin, zero = torch.cos(angle), torch.sin(angle), torch.zeros_like(angle)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    return affine(planes(images), theta).reshape(-1, 784)


def thicken(images: torch.Tensor) -> torch.Tensor:
    """Strokes one pixel wider on every side: a 3×3 grey-level dilation; (n, 784)."""
    return dilate(planes(images)).reshape(-1, 784)


def thin(images: torch.Tensor) -> torch.Tensor:
    """Strokes one pixel narrower: a 2×2 grey-level erosion, the thin pen of a user; (n, 784)."""
    return erode(planes(images)).reshape(-1, 784)


def blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """A Gaussian blur of `sigma` pixels, zero beyond the frame; (n, 784)."""
    return gaussian_blur(planes(images), sigma).reshape(-1, 784)


def jpeg(images: torch.Tensor, quality: int) -> torch.Tensor:
    """Each image through an 8-bit JPEG file of `quality` and back; (n, 784)."""
    out = []
    for pixels in (images.reshape(-1, 28, 28).numpy() * 255).round().astype(np.uint8):
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="jpeg", quality=quality)
        out.append(np.asarray(Image.open(buffer), dtype=np.float32) / 255)
    return torch.from_numpy(np.stack(out)).reshape(-1, 784)


def shrink_and_refit(images: torch.Tensor, side: int) -> torch.Tensor:
    """Down to side×side (PIL's box filter), then up again through to_mnist, as a user's small
    picture: the digit is re-fitted and re-centred (imageops' area_bilinear_round_trip keeps
    it where it was); (n, 784)."""
    out = []
    for pixels in (images.reshape(-1, 28, 28).numpy() * 255).round().astype(np.uint8):
        small = Image.fromarray(pixels).resize((side, side), Image.Resampling.BOX)
        out.append(to_mnist(small) if np.asarray(small).max() > 0 else np.zeros((28, 28)))
    return torch.from_numpy(np.stack(out).astype(np.float32)).reshape(-1, 784)


def stretch_and_refit(
    images: torch.Tensor, factors: torch.Tensor, along_x: torch.Tensor
) -> torch.Tensor:
    """Image i stretched factors[i]× along x (along_x[i]) or y, then re-fitted and centred
    through to_mnist, as `read_digit` reads a photo taken at an angle; (n, 784)."""
    out = []
    pixels = (images.reshape(-1, 28, 28).numpy() * 255).round().astype(np.uint8)
    for image, factor, wide in zip(pixels, factors.tolist(), along_x.tolist(), strict=True):
        size = (round(28 * factor), 28) if wide else (28, round(28 * factor))  # (w, h)
        stretched = Image.fromarray(image).resize(size, Image.Resampling.BILINEAR)
        blank = np.asarray(stretched).max() == 0
        out.append(np.zeros((28, 28)) if blank else to_mnist(stretched))
    return torch.from_numpy(np.stack(out).astype(np.float32)).reshape(-1, 784)


def slant(images: torch.Tensor, shears: torch.Tensor) -> torch.Tensor:
    """Image i sheared by shears[i] about the centre: the pixel at height y moves sideways by
    shears[i] · y, as a slanted hand writes; bilinear, (n, 784)."""
    one, zero = torch.ones_like(shears), torch.zeros_like(shears)
    # affine_grid maps output to input: sampling x + s·y draws the ink leaning by −s.
    theta = torch.stack([torch.stack([one, shears, zero], 1), torch.stack([zero, one, zero], 1)], 1)
    return affine(planes(images), theta.float()).reshape(-1, 784)


Degradation = Callable[[torch.Tensor], torch.Tensor]


def degradations(params: RobustnessParams, n: int) -> dict[str, Degradation]:
    """Each degradation by metric name; the per-image draws for n images come from params.seed."""
    generator = torch.Generator().manual_seed(params.seed)
    # A direction per image on the square of side 2·shift: whole-pixel, never (0, 0).
    angle = torch.rand(n, generator=generator) * 2 * math.pi
    rows = (params.shift_pixels * torch.sin(angle)).round()
    cols = (params.shift_pixels * torch.cos(angle)).round()
    signs = torch.randint(0, 2, (n,), generator=generator) * 2 - 1  # ±1
    # Drawn after the draws above, so adding these moved none of the earlier figures.
    span = params.aspect_max - params.aspect_min
    factors = params.aspect_min + torch.rand(n, generator=generator, dtype=torch.float64) * span
    along_x = torch.rand(n, generator=generator) < 0.5
    lean = (torch.randint(0, 2, (n,), generator=generator) * 2 - 1) * params.slant  # ±slant
    # Names carry no settings, so `dvc metrics diff` compares one key when a setting changes.
    return {
        "low_resolution": lambda x: shrink_and_refit(x, params.low_resolution),
        "thick_strokes": thicken,
        "thin_strokes": thin,
        "shift": lambda x: shift(x, rows, cols),
        "rotate": lambda x: rotate(x, signs * params.rotate_degrees),
        "blur": lambda x: blur(x, params.blur_sigma),
        "jpeg": lambda x: jpeg(x, params.jpeg_quality),
        "aspect": lambda x: stretch_and_refit(x, factors, along_x),
        "slant": lambda x: slant(x, lean),
    }
