"""Torch image operations on ink planes (n, 1, 28, 28), shared by training's random
distortions (augment) and evaluate's fixed degradations (degrade).

Nothing here draws a random number: callers pass every amount in. The user-file path
(`read_digit`) stays in numpy and PIL, so the app never imports this module.
"""

from __future__ import annotations

import functools
import math

import torch
from torch import nn


def planes(images: torch.Tensor) -> torch.Tensor:
    """(n, 784) -> (n, 1, 28, 28), the layout convolutions and grid_sample take."""
    return images.reshape(-1, 1, 28, 28)


def affine(planes: torch.Tensor, theta: torch.Tensor, field: torch.Tensor | None = None
           ) -> torch.Tensor:  # fmt: skip
    """Planes (n, 1, 28, 28) resampled bilinearly through affine maps theta (n, 2, 3), which
    send output to input coordinates in [−1, 1]; field (n, 2, 28, 28), in pixels, is added."""
    grid = affine_grid(theta.to(planes))
    if field is not None:  # (n, 28, 28, 2) grid; one pixel is 2/28
        grid = grid + field.permute(0, 2, 3, 1).to(planes.device) * (2 / 28)
    return nn.functional.grid_sample(planes, grid, align_corners=False)


def affine_grid(theta: torch.Tensor) -> torch.Tensor:
    """Maps theta (n, 2, 3) -> sampling grid (n, 28, 28, 2): where each output pixel centre
    reads from, in [−1, 1] (torch's affine_grid with align_corners=False)."""
    # One (2n, 3) @ (3, 784) product, each image's grid in one block of memory, as
    # grid_sample reads it image by image. The einsum this replaced gave the same bits (from
    # 6 maps up) with the images interleaved, (784, n, 2), and grid plus grid_sample took
    # 2.2-2.7 ms a `fast` batch (512 images, 2 cores) where they now take 0.8-0.9.
    centres = torch.linspace(-1, 1, 28, dtype=theta.dtype, device=theta.device) * (27 / 28)
    y, x = torch.meshgrid(centres, centres, indexing="ij")  # (28, 28) each
    points = torch.stack([x.reshape(-1), y.reshape(-1), torch.ones_like(x).reshape(-1)], 1)
    n = len(theta)
    grid = theta.reshape(2 * n, 3) @ points.T  # (2n, 784): row 2i + j is output coord j of i
    return grid.view(n, 2, 784).transpose(1, 2).reshape(n, 28, 28, 2)


def ink_box(planes: torch.Tensor, level: float = 0.2) -> torch.Tensor:
    """(n, 4) first row, last row, first column, last column of ink above level × each
    plane's maximum, in pixels; a blank plane gives the whole frame."""
    side = planes.shape[-1]
    # A row holds ink above the threshold exactly when its maximum does: (n, side) maxima,
    # not an (n, side, side) comparison.
    row_peaks, col_peaks = planes[:, 0].amax(2), planes[:, 0].amax(1)  # (n, side) each
    threshold = level * row_peaks.amax(1, keepdim=True)  # (n, 1)
    blank = threshold <= 0  # (n, 1): no ink, so the whole frame and no stretch
    index = torch.arange(side, device=planes.device)
    edges = []
    for peaks in (row_peaks, col_peaks):
        inked = (peaks > threshold) | blank  # (n, side)
        edges += [torch.where(inked, index, side).amin(1), torch.where(inked, index, -1).amax(1)]
    return torch.stack(edges, 1)


def fill_box(planes: torch.Tensor, amount: torch.Tensor, longest: float = 8.0) -> torch.Tensor:
    """Planes (n, 1, 28, 28) with each ink box's shorter side stretched toward its longer one
    by (long / short) ** amount (n,) in [0, 1], at most `longest`-fold, about the box's
    centre: what a scanner that sizes each digit to fill a square frame does (a 1 becomes
    a bar). amount 0 leaves a plane as it is."""
    box = ink_box(planes).to(planes.dtype)  # (n, 4)
    height, width = box[:, 1] - box[:, 0] + 1, box[:, 3] - box[:, 2] + 1  # (n,) each
    ratio = (torch.maximum(height, width) / torch.minimum(height, width)).clamp(max=longest)
    stretch = ratio**amount  # (n,)
    sy = torch.where(height < width, stretch, torch.ones_like(stretch))
    sx = torch.where(width <= height, stretch, torch.ones_like(stretch))
    # Output -> input in [−1, 1], where pixel p sits at (2p + 1)/28 − 1: the box's centre c
    # stays put, and the rest reads from c + (out − c)/s.
    cy, cx = (box[:, 0] + box[:, 1] + 1) / 28 - 1, (box[:, 2] + box[:, 3] + 1) / 28 - 1
    zero = torch.zeros_like(sx)
    rows = [torch.stack([1 / sx, zero, cx * (1 - 1 / sx)], 1),
            torch.stack([zero, 1 / sy, cy * (1 - 1 / sy)], 1)]  # fmt: skip
    theta = torch.stack(rows, 1)  # (n, 2, 3)
    return affine(planes, theta)


def gaussian_blur(planes: torch.Tensor, sigma: float) -> torch.Tensor:
    """Each channel of planes (n, c, h, w) blurred by a Gaussian of `sigma` pixels, zero-padded."""
    # A zero-padded blur is linear and separable: G X Gᵀ, with G (h, h) what it does to one
    # column. Two small products took 0.6 ms where two 25-tap convolutions took 5 to 20 ms
    # for a `best` batch's elastic fields (256 × 2 planes), most of its distortions' time.
    sigmas = torch.tensor([sigma], dtype=planes.dtype, device=planes.device)
    rows, cols = _blur_matrices(sigmas, planes.shape[-2:], math.ceil(3 * sigma))
    return rows[0] @ planes @ cols[0].T


def blur_each(planes: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
    """Image i of (n, 1, h, w) blurred by a Gaussian of sigmas[i] pixels (0: unchanged)."""
    radius = max(1, math.ceil(3 * float(sigmas.max())))
    rows, cols = _blur_matrices(sigmas.to(planes), planes.shape[-2:], radius)
    return (rows @ planes[:, 0] @ cols.transpose(1, 2)).unsqueeze(1)  # (n, h, h) @ (n, h, w)


def _blur_matrices(sigmas: torch.Tensor, shape: tuple[int, ...] | torch.Size, radius: int
                   ) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """For each sigma (m,), a zero-padded Gaussian of taps −radius..radius, normalised over
    those taps, as matrices on a column (m, h, h) and on a row (m, w, w) of a (h, w) frame
    (sigma 0: the identity); a square frame builds one and uses it twice."""
    spread = sigmas.clamp(min=1e-3).view(-1, 1, 1)  # (m, 1, 1)
    taps = torch.arange(-radius, radius + 1, dtype=sigmas.dtype, device=sigmas.device)
    total = torch.exp(-(taps**2) / (2 * spread**2)).sum(2, keepdim=True)  # (m, 1, 1)

    def on(side: int) -> torch.Tensor:  # (m, side, side)
        index = torch.arange(side, device=sigmas.device)
        offset = (index[None, :] - index[:, None]).to(sigmas.dtype)  # (side, side): j − i
        return torch.exp(-(offset**2) / (2 * spread**2)) * (offset.abs() <= radius) / total

    height, width = shape[-2:]
    rows = on(height)
    return rows, rows if width == height else on(width)


def dilate(planes: torch.Tensor) -> torch.Tensor:
    """Strokes one pixel wider on every side: a 3×3 dilation of ink (n, 1, h, w) >= 0."""
    # Shifted maxima, rows then columns: the 3×3 max pool's result on ink >= 0 (the zero
    # border is its −inf padding there), in a fraction of max_pool2d's time on the CPU.
    padded = nn.functional.pad(planes, (1, 1, 1, 1))
    rows = torch.maximum(
        torch.maximum(padded[..., :-2, :], padded[..., 1:-1, :]), padded[..., 2:, :]
    )
    return torch.maximum(torch.maximum(rows[..., :-2], rows[..., 1:-1]), rows[..., 2:])


def erode(planes: torch.Tensor) -> torch.Tensor:
    """Strokes one pixel narrower: a 2×2 erosion of ink (n, 1, h, w) >= 0 (down and right)."""
    padded = nn.functional.pad(planes, (0, 1, 0, 1))  # beyond the frame is paper
    rows = torch.minimum(padded[..., :-1, :], padded[..., 1:, :])
    return torch.minimum(rows[..., :-1], rows[..., 1:])


def area_bilinear_round_trip(planes: torch.Tensor, side: int | torch.Tensor) -> torch.Tensor:
    """(n, 1, 28, 28) area-averaged down to side×side, then bilinear back up: a coarse scan
    whose digit stays where it was (degrade's shrink_and_refit re-centres it instead).
    `side` is one int for all, or (n,) ints, one per image."""
    # Both steps are separable and linear: each image is M X Mᵀ, with M (28, 28) what the
    # trip does to one row. All sides in two batched products, not two resamplings a side.
    sides = torch.as_tensor(side, device=planes.device).expand(len(planes))
    trips = _trip_matrices(planes.dtype, planes.device)[sides - 4]  # (n, 28, 28)
    return (trips @ planes[:, 0] @ trips.transpose(1, 2)).unsqueeze(1)


@functools.cache
def _trip_matrices(dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """(25, 28, 28): for each side 4..28, torch's area-then-bilinear trip on a column of 28."""
    basis = torch.eye(28, dtype=torch.float64).view(28, 1, 28, 1)  # 28 one-pixel columns
    trips = []
    for side in range(4, 29):
        small = nn.functional.interpolate(basis, size=(side, 1), mode="area")
        back = nn.functional.interpolate(small, size=(28, 1), mode="bilinear", align_corners=False)
        trips.append(back[:, 0, :, 0].T)  # column j: what pixel j becomes
    return torch.stack(trips).to(dtype=dtype, device=device)


def deskew(images: torch.Tensor) -> torch.Tensor:
    """Images (n, 784) -> (n, 784) deskewed by moments, in torch for the training loop: the
    same steps as digitlab.mlp.normalize.deskew (numpy, what the app runs), held to it by
    tests/test_normalize.py. Row y of image i reads x + s_i·(y − ȳ_i), s_i = cov(x, y)/var(y)."""
    n = len(images)
    planes = images.reshape(n, 28, 28).double()  # float64, as numpy computes it
    coords = torch.arange(28, dtype=planes.dtype, device=planes.device)
    rows, cols = planes.sum(dim=2), planes.sum(dim=1)  # (n, 28) each
    total = rows.sum(dim=1)  # (n,)
    safe = torch.where(total > 0, total, torch.ones_like(total))
    cy, cx = rows @ coords / safe, cols @ coords / safe
    var_y = rows @ coords**2 / safe - cy**2
    cov_xy = (planes @ coords) @ coords / safe - cx * cy
    flat = var_y <= 1e-6
    divisor = torch.where(flat, torch.ones_like(var_y), var_y)
    skew = torch.where((total > 0) & ~flat, cov_xy / divisor, torch.zeros_like(var_y))
    shift = skew[:, None] * (coords[None, :] - cy[:, None])  # (n, 28): one offset a row
    whole = torch.floor(shift)
    frac = (shift - whole)[:, :, None]  # (n, 28, 1)
    padded = nn.functional.pad(planes, (29, 30))  # (n, 28, 87): paper around
    index = (whole.clamp(-29, 29).long() + 29)[:, :, None] + torch.arange(28, device=planes.device)
    left, right = padded.gather(2, index), padded.gather(2, index + 1)
    return ((1 - frac) * left + frac * right).reshape(n, 784).to(images.dtype)
