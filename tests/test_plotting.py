"""Figures are built in memory from arrays: what they draw is checked without touching disk."""

from __future__ import annotations

import numpy as np

from digitlab.fits import classical as c
from digitlab.fits.figure import fit_figure
from digitlab.fits.synthetic import Dataset
from digitlab.mlp.figures.digits import digit_grid
from digitlab.mlp.figures.train import history_figure


def test_fit_figure_draws_the_data_and_the_fitted_line(line: Dataset) -> None:
    """The scatter holds every point, the line follows predict, and the title gives w."""
    fit = c.fit_online(line, c.OnlineParams())
    title = f"online: {fit.caption()}"
    axes = fit_figure(line.x, line.y, fit.predict, title, classifier=False).axes[0]
    assert len(axes.collections[0].get_offsets()) == len(line.x)
    xs, ys = axes.lines[0].get_data()
    np.testing.assert_allclose(ys, fit.predict(np.asarray(xs)))
    assert axes.get_title() == f"online: w={fit.params['w']:.4g}"


def test_digit_grid_captions_each_image_and_hides_spare_cells() -> None:
    """Ten digits in a 4-column grid: 12 cells, 10 captioned images, 2 blank."""
    images = np.random.default_rng(0).random((10, 28, 28))
    figure = digit_grid(images, [f"d{i}" for i in range(10)], "title", columns=4)
    titled = [ax.get_title() for ax in figure.axes if ax.images]
    assert len(figure.axes) == 12
    assert titled == [f"d{i}" for i in range(10)]


def test_history_figure_plots_loss_and_both_accuracies() -> None:
    """Left: loss per epoch on a log axis; right: train and validation accuracy in percent."""
    rows = [{"epoch": e, "train_loss": 1 / e, "train_accuracy": 0.5 + e / 10, "val_accuracy": 0.5}
            for e in (1, 2, 3)]  # fmt: skip
    loss_axes, accuracy_axes = history_figure(rows, "t").axes
    assert loss_axes.get_yscale() == "log"
    assert list(loss_axes.lines[0].get_ydata()) == [1.0, 0.5, 1 / 3]
    assert [line.get_label() for line in accuracy_axes.lines[:2]] == ["train", "validation"]
    assert list(accuracy_axes.lines[0].get_ydata()) == [60.0, 70.0, 80.0]
