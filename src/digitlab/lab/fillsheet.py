"""What `train.augment.fill_probability` does, beside the scans it imitates: docs/fill.png.

    python -m digitlab.lab.fillsheet [--data data/mnist] [--real data/real/digits.csv.gz]
                                     [--out docs/fill.png]

Top row: real validation 1s, 4s and 7s as `read_digit` gives them to the model (the UCI
scanner sized each digit to fill its frame). Below: MNIST training digits of the same
classes with their ink box stretched toward a square by (long / short)^u, for u = 0, ½, 1.
Only the real validation half is shown; the test half is evaluate's alone.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

from digitlab.core.errors import UserError
from digitlab.core.io import save_figure
from digitlab.mlp.data import load_split
from digitlab.mlp.imageops import fill_box
from digitlab.mlp.real import as_mnist, load_real

CLASSES = (1, 4, 7)
PER_CLASS = 4
AMOUNTS = (0.0, 0.5, 1.0)


def first_of_each(labels: torch.Tensor) -> torch.Tensor:
    """Indices of the first PER_CLASS images of each class in CLASSES, class by class."""
    picks = [torch.nonzero(labels == k).flatten()[:PER_CLASS] for k in CLASSES]
    return torch.cat(picks)


def rows(mnist: torch.Tensor, real: torch.Tensor) -> dict[str, np.ndarray]:
    """Row title -> images (k, 28, 28): the real scans, then MNIST at each stretch amount."""
    planes = mnist.reshape(-1, 1, 28, 28)
    shown = {"real scans, as read": real.reshape(-1, 28, 28).numpy()}
    for amount in AMOUNTS:
        filled = fill_box(planes, torch.full((len(planes),), amount))
        shown[f"MNIST, u = {amount:g}"] = filled[:, 0].numpy()
    return shown


def sheet(shown: dict[str, np.ndarray]) -> Figure:
    """One labelled strip of digits per row."""
    figure = Figure(figsize=(8, 0.75 * len(shown) + 0.6), layout="constrained")
    figure.suptitle("train.augment.fill_probability: a digit's box stretched toward a "
                    "square, as the UCI scanner filled its frame", fontsize=9)  # fmt: skip
    axes = figure.subplots(len(shown), 1, squeeze=False)[:, 0]
    for ax, (title, images) in zip(axes, shown.items(), strict=True):
        ax.imshow(np.hstack(list(images)), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_ylabel(title, rotation=0, ha="right", va="center", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    return figure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/mnist"))
    parser.add_argument("--real", type=Path, default=Path("data/real/digits.csv.gz"))
    parser.add_argument("--out", type=Path, default=Path("docs/fill.png"))
    args = parser.parse_args(argv)
    try:
        images, labels = load_split(args.data, train=True)
        real_images, real_labels = as_mnist(load_real(args.real).half("validation"))
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    shown = rows(images[first_of_each(labels)], real_images[first_of_each(real_labels)])
    save_figure(args.out, sheet(shown))
    print(f"fill: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
