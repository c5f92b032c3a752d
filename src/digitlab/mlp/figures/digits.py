"""A captioned grid of digits: what the evaluate and predict figures are made of."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure


def digit_grid(images: np.ndarray, captions: Sequence[str], title: str, columns: int = 8) -> Figure:
    """Images (n, 28, 28) in a grid, each with its caption above it."""
    rows = max(1, -(-len(images) // columns))
    figure = Figure(figsize=(columns * 1.25, rows * 1.45 + 0.4), layout="constrained")
    figure.suptitle(title, fontsize=11)
    axes = figure.subplots(rows, columns, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < len(images):
            ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=1)
            ax.set_title(captions[i], fontsize=8)
    return figure
