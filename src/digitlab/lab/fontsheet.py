"""The handwriting fonts' digits as training sees them: `make fonts` writes docs/fonts.png.

    python -m digitlab.lab.fontsheet [--fonts data/fonts] [--out docs/fonts.png]

One row per font in data/fonts (`dvc repro download_fonts`), 0–9 at the middle pen
width, each fitted into 28×28 the way `train.fonts` and a user's picture are.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from digitlab.core.errors import UserError
from digitlab.core.io import save_figure
from digitlab.mlp.fonts import PENS, font_digits, font_files


def sheet(names: list[str], images: np.ndarray) -> Figure:
    """images (fonts, 10, 28, 28) as one row of digits per font, named on the left, in two
    columns of fonts."""
    columns = min(2, len(names))
    half = -(-len(names) // columns)
    figure = Figure(figsize=(8, 0.3 * half + 0.5), layout="constrained")
    figure.suptitle(
        f"train.fonts: the {len(names)} fonts' digits, as training sees them", fontsize=10
    )
    panels = figure.subplots(1, columns, squeeze=False)[0]
    for axes, first in zip(panels, range(0, len(names), half), strict=True):
        block = images[first : first + half]  # (rows, 10, 28, 28)
        mosaic = block.transpose(0, 2, 1, 3).reshape(len(block) * 28, 10 * 28)
        axes.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        axes.set_yticks(np.arange(len(block)) * 28 + 13.5, names[first : first + half], fontsize=7)
        axes.set_xticks([])
    return figure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fonts", type=Path, default=Path("data/fonts"))
    parser.add_argument("--out", type=Path, default=Path("docs/fonts.png"))
    args = parser.parse_args(argv)
    try:
        names = [path.stem for path in font_files(args.fonts)]
        images, _ = font_digits(args.fonts)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    middle = images.reshape(len(names), 10, len(PENS), 28, 28)[:, :, len(PENS) // 2]
    save_figure(args.out, sheet(names, middle))
    print(f"fonts: {args.out} ({len(names)} fonts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
