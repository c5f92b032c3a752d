"""The line-fit figure, kept apart from the MNIST figures so neither side reruns the other."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure


def fit_figure(
    x: np.ndarray,
    y: np.ndarray,
    predict: Callable[[np.ndarray], np.ndarray],
    title: str,
    *,
    classifier: bool,
) -> Figure:
    """The training points (n,) with the fitted line or curve drawn through them."""
    figure = Figure(figsize=(5, 3.6), layout="constrained")
    axes = figure.subplots()
    axes.scatter(x, y, s=14, color="tab:blue", label="data")
    grid = np.linspace(float(x.min()), float(x.max()), 400)  # (400,)
    axes.plot(grid, predict(grid), color="tab:red", label="fit")
    axes.set_title(title, fontsize=10)
    axes.set_xlabel("x")
    axes.set_ylabel("p(y=1)" if classifier else "y")
    axes.legend(loc="best", fontsize=8)
    return figure
