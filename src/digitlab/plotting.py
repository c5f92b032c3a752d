"""Figures as matplotlib `Figure` objects; stages decide where to save them."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from digitlab.classical import Fit


def fit_figure(fit: Fit, title: str) -> Figure:
    """The training points with the fitted line or curve drawn through them."""
    figure = Figure(figsize=(5, 3.6), layout="constrained")
    axes = figure.subplots()
    axes.scatter(fit.data.x, fit.data.y, s=14, color="tab:blue", label="data")
    grid = np.linspace(float(fit.data.x.min()), float(fit.data.x.max()), 200)  # (200,)
    axes.plot(grid, fit.predict(grid), color="tab:red", label="fit")
    shown = ", ".join(f"{k}={v:.4g}" for k, v in fit.params.items() if k in ("w", "b", "w_clean"))
    axes.set_title(f"{title}" + (f": {shown}" if shown else ""), fontsize=10)
    axes.set_xlabel("x")
    axes.set_ylabel("p(y=1)" if fit.classifier else "y")
    axes.legend(loc="best", fontsize=8)
    return figure


def digit_grid(images: np.ndarray, captions: list[str], title: str, columns: int = 8) -> Figure:
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


def history_figure(rows: list[dict[str, float]], title: str) -> Figure:
    """Training loss (log scale) and train/test accuracy per epoch, side by side."""
    figure = Figure(figsize=(9, 3.4), layout="constrained")
    figure.suptitle(title, fontsize=11)
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    epochs = [row["epoch"] for row in rows]
    loss_axes.plot(epochs, [row["train_loss"] for row in rows], color="tab:red")
    loss_axes.set_yscale("log")
    loss_axes.set_xlabel("epoch")
    loss_axes.set_ylabel("training loss")
    for key, color in (("train_accuracy", "tab:blue"), ("test_accuracy", "tab:green")):
        accuracy_axes.plot(
            epochs, [100 * row[key] for row in rows], color=color, label=key.split("_")[0]
        )
    final = rows[-1]["test_accuracy"]
    accuracy_axes.axhline(100 * final, color="gray", linewidth=0.6, linestyle=":")
    accuracy_axes.set_ylim(max(0.0, 100 * final - 15), 100)
    accuracy_axes.set_xlabel("epoch")
    accuracy_axes.set_ylabel("accuracy (%)")
    accuracy_axes.legend(loc="lower right", fontsize=8)
    return figure
