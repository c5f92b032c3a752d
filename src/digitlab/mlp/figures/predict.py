"""Predict's figure: the exported test PNGs as the model read them, misses marked."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from digitlab.app.predict import Prediction
from digitlab.mlp.figures.digits import digit_grid


def predictions_figure(labels: Sequence[int], predictions: Sequence[Prediction]) -> Figure:
    """Each readable prediction's image captioned with its label and confidence, and the
    true digit under a miss; the title counts the right ones."""
    pairs = list(zip(labels, predictions, strict=True))
    correct = sum(p.label == label for label, p in pairs)
    shown = [(label, p, p.image) for label, p in pairs if p.image is not None]
    captions = [
        f"{p.label} ({p.confidence:.0%})" + ("" if p.label == label else f"\ntrue {label}")
        for label, p, _ in shown
    ]
    images = np.stack([image for *_, image in shown]) if shown else np.zeros((0, 28, 28))
    title = f"Predictions on {len(pairs)} exported test PNGs: {correct} right"
    return digit_grid(images, captions, title)
