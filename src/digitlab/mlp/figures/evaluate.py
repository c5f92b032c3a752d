"""Evaluate's figures: the most confident mistakes on a test set, captioned truth → guess."""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from digitlab.mlp.evaluation import Evaluation
from digitlab.mlp.figures.digits import digit_grid


def mistakes_figure(evaluation: Evaluation, images: torch.Tensor, count: int, what: str) -> Figure:
    """The `count` most confident mistakes among images (n, 784), captioned truth → guess."""
    worst = evaluation.confident_mistakes(count).tolist()
    captions = [
        f"true {evaluation.labels[i]} → {evaluation.predicted[i]}\n{evaluation.confidence[i]:.0%}"
        for i in worst
    ]
    n_wrong = int((evaluation.predicted != evaluation.labels).sum())
    title = f"The {len(worst)} most confident mistakes on {what} (of {n_wrong})"
    return digit_grid(images[worst].reshape(-1, 28, 28).numpy(), captions, title)
