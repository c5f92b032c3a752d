"""Input normalisation that the model itself applies: deskewing by image moments.

MNIST's recipe (to_mnist) fits a digit's box and centres its mass, but keeps its slant;
a slanted hand then reads as a different shape. Deskewing shears each image so that its
ink's principal axis is upright (LeCun et al. list it as cutting an MLP's error about
threefold). Written once, in numpy, and called by the torch model and the numpy app
alike, so training, evaluate and `digitlab predict` apply the very same step.
"""

from __future__ import annotations

import numpy as np


def deskew(images: np.ndarray) -> np.ndarray:
    """Images (n, 784) in [0, 1] -> (n, 784): row y of image i resampled at x + s_i·(y − ȳ_i),
    where s_i = cov(x, y) / var(y) of its ink and ȳ_i its centre row; blank images and
    images with no vertical spread are returned as they are."""
    n = len(images)
    planes = images.reshape(n, 28, 28).astype(np.float64)
    ys, xs = np.mgrid[0:28, 0:28].astype(np.float64)  # (28, 28) each
    total = planes.sum(axis=(1, 2))  # (n,)
    safe = np.where(total > 0, total, 1.0)
    cy = (planes * ys).sum(axis=(1, 2)) / safe
    cx = (planes * xs).sum(axis=(1, 2)) / safe
    dy, dx = ys - cy[:, None, None], xs - cx[:, None, None]  # (n, 28, 28)
    var_y = (planes * dy**2).sum(axis=(1, 2)) / safe
    cov_xy = (planes * dx * dy).sum(axis=(1, 2)) / safe
    skew = np.where((total > 0) & (var_y > 1e-6), cov_xy / np.where(var_y > 1e-6, var_y, 1), 0.0)
    source = xs + skew[:, None, None] * dy  # (n, 28, 28): where each output pixel reads
    left = np.floor(source)
    frac = source - left
    padded = np.pad(planes, ((0, 0), (0, 0), (1, 2)))  # beyond the frame is paper
    index = np.clip(left.astype(np.int64) + 1, 0, 29)  # +1: the pad column on the left
    a = np.take_along_axis(padded, index, axis=2)
    b = np.take_along_axis(padded, np.clip(index + 1, 0, 30), axis=2)
    inside = (source > -1) & (source < 28)
    out = np.where(inside, (1 - frac) * a + frac * b, 0.0)
    return out.reshape(n, 784).astype(images.dtype)
