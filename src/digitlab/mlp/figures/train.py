"""Train's figure: loss and accuracy per epoch, a matplotlib `Figure` built from history rows."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure

ACCURACY_COLOURS = {"train_accuracy": "tab:blue", "val_accuracy": "tab:green"}


def history_figure(rows: Sequence[dict[str, float]], title: str) -> Figure:
    """Training loss (log scale) and the accuracies each row holds, per epoch, side by side."""
    figure = Figure(figsize=(9, 3.4), layout="constrained")
    figure.suptitle(title, fontsize=11)
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    epochs = [row["epoch"] for row in rows]
    loss_axes.plot(epochs, [row["train_loss"] for row in rows], color="tab:red")
    loss_axes.set_yscale("log")
    loss_axes.set_xlabel("epoch")
    loss_axes.set_ylabel("training loss")
    shown = [key for key in ACCURACY_COLOURS if key in rows[-1]]
    for key in shown:
        label = "validation" if key == "val_accuracy" else "train"
        values = [100 * row[key] for row in rows]
        accuracy_axes.plot(epochs, values, color=ACCURACY_COLOURS[key], label=label)
    final = 100 * rows[-1][shown[-1]]  # validation when held out, else train
    accuracy_axes.axhline(final, color="gray", linewidth=0.6, linestyle=":")
    accuracy_axes.set_ylim(max(0.0, final - 15), 100)
    accuracy_axes.set_xlabel("epoch")
    accuracy_axes.set_ylabel("accuracy (%)")
    accuracy_axes.legend(loc="lower right", fontsize=8)
    return figure
