"""Input normalisation that the model itself applies: deskewing by image moments.

MNIST's recipe (to_mnist) fits a digit's box and centres its mass, but keeps its slant;
a slanted hand then reads as a different shape. Deskewing shears each image so that its
ink's principal axis is upright (LeCun et al. list it as cutting an MLP's error about
threefold). This numpy version is what the app runs; the torch model runs the same steps
from mlp/imageops.py in eval mode, and training deskews its images once before
augmentation; tests/test_normalize.py holds the two versions to 1e-6, so training,
evaluate and `digitlab predict` apply one step.
"""

from __future__ import annotations

import numpy as np


def deskew(images: np.ndarray) -> np.ndarray:
    """Images (n, 784) in [0, 1] -> (n, 784): row y of image i resampled at x + s_i·(y − ȳ_i),
    where s_i = cov(x, y) / var(y) of its ink and ȳ_i its centre row; blank images and
    images with no vertical spread are returned as they are."""
    n = len(images)
    planes = images.reshape(n, 28, 28).astype(np.float64)
    coords = np.arange(28, dtype=np.float64)
    # Moments from row sums and one matrix product: (n, 28) sums, not (n, 28, 28) products.
    rows, cols = planes.sum(axis=2), planes.sum(axis=1)  # (n, 28) each
    total = rows.sum(axis=1)  # (n,)
    safe = np.where(total > 0, total, 1.0)
    cy, cx = rows @ coords / safe, cols @ coords / safe
    var_y = rows @ coords**2 / safe - cy**2
    cov_xy = (planes @ coords) @ coords / safe - cx * cy  # Σ x·y·ink / Σ ink − x̄·ȳ
    flat = var_y <= 1e-6
    skew = np.where((total > 0) & ~flat, cov_xy / np.where(flat, 1.0, var_y), 0.0)
    # Each row moves by one offset: row y of image i reads from x + shift[i, y].
    shift = skew[:, None] * (coords[None, :] - cy[:, None])  # (n, 28)
    whole = np.floor(shift)
    frac = (shift - whole)[:, :, None]  # (n, 28, 1)
    padded = np.pad(planes, ((0, 0), (0, 0), (29, 30))).reshape(n * 28, 87)  # paper around
    start = (np.clip(whole, -29, 29).astype(np.int64) + 29).reshape(n * 28, 1)
    index = start + np.arange(28)[None, :]  # (n·28, 28) columns of the padded rows
    line = np.arange(n * 28)[:, None]
    left, right = padded[line, index], padded[line, index + 1]
    out = (1 - frac) * left.reshape(n, 28, 28) + frac * right.reshape(n, 28, 28)
    return np.asarray(out.reshape(n, 784), dtype=images.dtype)
