"""The lab's figures: two revisions' curves, confusion matrices and robustness bars, for the
offline report, and the accuracy-against-time frontier of several runs."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

Curve = tuple[np.ndarray, np.ndarray]  # (seconds into training, accuracy) per epoch


def curves_figure(
    title: str, x: str, ys: list[str], tables: Mapping[str, dict[str, list[str]]]
) -> Figure:
    """Columns ys against x, one line per (revision, column); tables maps revision -> columns.
    Per-epoch series (x = step) are drawn against the fraction of training done, so a
    9-epoch run and a 200-epoch run span the same width; the legend sits below the axes."""
    figure = Figure(figsize=(6.4, 3.8), layout="constrained")
    axes = figure.subplots()
    for (revision, table), style in zip(tables.items(), ("-", "--", ":"), strict=False):
        for y in ys:
            if x in table and y in table:
                xs = np.asarray(table[x], float)
                if x == "step":  # epochs 0..n−1 -> 1/n..1: the fraction of training done
                    xs = (xs + 1) / len(xs)
                axes.plot(xs, np.asarray(table[y], float), style, label=f"{y} @ {revision}")
    axes.set_title(title, fontsize=10)
    axes.set_xlabel("fraction of training done (epochs scaled to 0–1)" if x == "step" else x)
    if axes.lines:
        axes.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2)
    else:  # e.g. validation accuracy of a run that held nothing out
        axes.text(0.5, 0.5, "no data at either revision", ha="center", transform=axes.transAxes)
    return figure


def confusion_figure(title: str, tables: Mapping[str, dict[str, list[str]]]) -> Figure:
    """One 10×10 confusion matrix per revision, from actual/predicted columns."""
    figure = Figure(figsize=(5.2 * max(1, len(tables)), 5.2), layout="constrained")
    axes = figure.subplots(1, max(1, len(tables)), squeeze=False)[0]
    for ax, (revision, table) in zip(axes, tables.items(), strict=False):
        counts = np.zeros((10, 10), dtype=int)  # (actual, predicted)
        np.add.at(
            counts, (np.asarray(table["actual"], int), np.asarray(table["predicted"], int)), 1
        )
        shade = np.log1p(counts)
        ax.imshow(shade, cmap="Blues")
        for (i, j), n in np.ndenumerate(counts):
            ink = "white" if shade[i, j] > shade.max() / 2 else "black"
            ax.text(j, i, str(n), ha="center", va="center", fontsize=7, color=ink)
        ax.set_title(f"{title} @ {revision}", fontsize=9)
        ax.set_xticks(range(10))
        ax.set_yticks(range(10))
        ax.set_xlabel("predicted digit")
        ax.set_ylabel("true digit")
    return figure


def robustness_figure(title: str, metrics: Mapping[str, Mapping[str, float]]) -> Figure:
    """Grouped bars: clean test accuracy, each robust_* metric and real_accuracy, one bar per
    revision; the axis reaches below the worst bar, so no result is cut off."""
    robust = {k for m in metrics.values() for k in m if k.startswith("robust_")}
    real = ["real_accuracy"] if any("real_accuracy" in m for m in metrics.values()) else []
    names = ["test_accuracy", *sorted(robust - {"robust_min"}), *real]
    figure = Figure(figsize=(8, 3.8), layout="constrained")
    axes = figure.subplots()
    width = 0.8 / max(1, len(metrics))
    for i, (revision, values) in enumerate(metrics.items()):
        xs = np.arange(len(names)) + i * width
        heights = [100 * values.get(name, np.nan) for name in names]
        axes.bar(xs, heights, width, label=revision)
    axes.set_xticks(np.arange(len(names)) + width * (len(metrics) - 1) / 2)
    axes.set_xticklabels([n.removeprefix("robust_") for n in names], rotation=30, fontsize=7)
    shown = [100 * v.get(n, np.nan) for v in metrics.values() for n in names]
    worst = np.nanmin(shown) if not np.all(np.isnan(shown)) else 50.0
    axes.set_ylim(max(0.0, min(50.0, worst - 5)), 100)
    axes.set_ylabel("test accuracy (%)")
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.32), ncols=len(metrics))
    return figure


RUN_COLOURS = ("tab:gray", "tab:blue", "tab:red", "tab:green", "tab:orange", "tab:purple")


def frontier_figure(runs: list[tuple[str, dict[str, float], Curve | None]]) -> Figure:
    """Left: each run's `metric` per epoch against training seconds, and its test accuracy
    once, at the end; right: MNIST test against real-scan accuracy, one point per run.
    runs: (label, train and evaluate metrics merged, curve or None)."""
    figure = Figure(figsize=(12, 4.2), layout="constrained")
    axes, real_axes = figure.subplots(1, 2, width_ratios=(1.6, 1))
    for index, (label, metrics, curve) in enumerate(runs):
        colour = RUN_COLOURS[index % len(RUN_COLOURS)]
        if curve is not None:
            kind = "validation" if "val_accuracy" in metrics else "training"
            axes.plot(curve[0], 100 * curve[1], color=colour, linewidth=1,
                      label=f"{label}: {kind} accuracy per epoch")  # fmt: skip
        at = (metrics["train_seconds"], 100 * metrics["test_accuracy"])
        axes.plot(*at, "*", color=colour, markersize=12,
                  label=f"{label}: test accuracy, once, at the end")  # fmt: skip
        if "real_accuracy" in metrics:
            point = (100 * metrics["real_accuracy"], 100 * metrics["test_accuracy"])
            real_axes.plot(*point, "*", color=colour, markersize=12)
            real_axes.annotate(label, point, textcoords="offset points", xytext=(6, -10),
                               fontsize=8)  # fmt: skip
    axes.set_xscale("log")
    lowest = min(100 * min(m["test_accuracy"], m.get("val_accuracy", 1)) for _, m, _ in runs)
    axes.set_ylim(min(96.0, lowest - 0.5), 100)  # the worst run stays in view
    axes.set_xlabel("training seconds on 2 CPU cores (log scale)")
    axes.set_ylabel("accuracy (%)")
    axes.set_title("MNIST accuracy against training time, pure MLPs", fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="upper left")
    real_axes.set_xlabel("real scans, test half (%)")
    real_axes.set_ylabel("MNIST test (%)")
    real_axes.set_title("MNIST against real handwriting, once each", fontsize=10)
    real_axes.grid(alpha=0.3)
    real_axes.margins(0.15)
    return figure
