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
