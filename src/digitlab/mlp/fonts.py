"""Digits drawn in handwriting fonts, read the way a user's picture is read.

MNIST's writers were American: their 1s are a bare stroke, their 9s a loop on a straight
stem. Other hands write a 1 with a long upstroke and a foot, a 7 crossed, a 4 open.
Each font draws 0–9 at a few pen widths, and `to_mnist` fits each drawing as it fits a
user's file, so the digits join training in MNIST's form. Torch-free and deterministic:
the same font files give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from digitlab.core.errors import DataError, ImageError
from digitlab.mlp.preprocess import to_mnist

EM = 96  # the drawing's font size in pixels: large, so to_mnist scales down, as for a photo
PENS = (0, 2, 4)  # extra stroke width in pixels at EM: the font's own pen, a pen, a marker


def draw(font: ImageFont.FreeTypeFont, digit: int, pen: int) -> Image.Image:
    """One digit in white on black, on a canvas with room for any glyph's overhangs."""
    canvas = Image.new("L", (2 * EM, 2 * EM), 0)
    ImageDraw.Draw(canvas).text(
        (EM // 2, EM // 4), str(digit), fill=255, font=font, stroke_width=pen, stroke_fill=255
    )
    return canvas


def font_files(folder: Path) -> list[Path]:
    """The .woff and .ttf files in folder, by name; DataError naming the stage if none."""
    paths = sorted([*folder.glob("*.woff"), *folder.glob("*.ttf")])
    if not paths:
        raise DataError(f"{folder}: no .woff or .ttf fonts; run `dvc repro download_fonts`")
    return paths


def font_digits(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Every font file in folder (by name) drawing 0–9 at each pen width, font by font:
    images (n, 784) float32 in [0, 1] and labels (n,) int64. DataError, in one line, if
    it can't."""
    images, labels = [], []
    for path in font_files(folder):
        try:
            font = ImageFont.truetype(str(path), EM)
        except OSError as err:
            raise DataError(
                f"{path}: not a font FreeType can read ({err}); rerun download_fonts"
            ) from None
        for digit in range(10):
            for pen in PENS:
                try:
                    images.append(to_mnist(draw(font, digit, pen)).reshape(784))
                except ImageError:  # a font without digits draws nothing
                    raise DataError(f"{path}: draws no {digit}; remove it from the fonts") from None
                labels.append(digit)
    return np.stack(images), np.array(labels, dtype=np.int64)
