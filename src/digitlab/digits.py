"""Turn a user's picture of a digit into an MNIST-like 28×28 image.

MNIST digits were cropped to their bounding box, scaled to fit a 20×20 box with
their aspect ratio kept, then placed in 28×28 with their centre of mass at the
centre. Doing the same to any picture is what lets the MLP read it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from digitlab.config import ConfigError

BOX, SIDE = 20, 28


class DigitError(ConfigError):
    """A file that cannot be read as a picture of a digit."""


def load_digit(path: Path) -> np.ndarray:
    """The picture at path as a (28, 28) float32 MNIST-style image; DigitError if it can't be."""
    try:
        if path.stat().st_size == 0:
            raise DigitError("empty file")
        with Image.open(path) as image:
            image.load()
            return to_mnist(image)
    except FileNotFoundError:
        raise DigitError("file not found") from None
    except UnidentifiedImageError:
        raise DigitError("not an image PIL can read (PNG, JPEG, BMP, ...)") from None
    except OSError as err:
        raise DigitError(f"cannot read the file ({' '.join(str(err).split())})") from None


def to_mnist(image: Image.Image) -> np.ndarray:
    """Any-mode, any-size picture -> (28, 28) float32 in [0, 1], white digit on black."""
    ink = ink_map(image)  # (h, w) in [0, 1], 1 = stroke
    rows, cols = np.nonzero(ink > 0.2 * ink.max())
    crop = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]  # (bh, bw)
    height, width = crop.shape
    factor = BOX / max(height, width)
    new_size = (max(1, round(width * factor)), max(1, round(height * factor)))
    scaled = Image.fromarray((crop * 255).astype(np.uint8)).resize(
        new_size, Image.Resampling.LANCZOS
    )
    digit = np.asarray(scaled, dtype=np.float32) / 255  # (≤20, ≤20)
    return _centre_by_mass(digit)


def ink_map(image: Image.Image) -> np.ndarray:
    """(h, w) float ink in [0, 1]: 1 where the stroke is; DigitError if there is none."""
    gray = np.asarray(image.convert("L"), dtype=np.float64) / 255
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        alpha = np.asarray(image.convert("RGBA").getchannel("A"), dtype=np.float64) / 255
        if alpha.min() < 1:
            # Transparent background: lay the stroke on the opposite shade so it shows.
            stroke = float((gray * alpha).sum() / max(alpha.sum(), 1e-9))
            backdrop = 1.0 if stroke < 0.5 else 0.0
            gray = gray * alpha + backdrop * (1 - alpha)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 0.5:  # dark digit on light paper: invert to MNIST's polarity
        gray, border = 1 - gray, 1 - border
    ink = np.clip(gray - np.median(border), 0, 1)
    if ink.max() < 0.15:
        raise DigitError("blank image: no ink found")
    return np.asarray(ink / ink.max())


def _centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Paste digit (h, w) into 28×28 so its centre of mass sits at the centre."""
    height, width = digit.shape
    mass = digit.sum()
    rows, cols = np.indices(digit.shape)
    com_row, com_col = (rows * digit).sum() / mass, (cols * digit).sum() / mass
    top = int(np.clip(round((SIDE - 1) / 2 - com_row), 0, SIDE - height))
    left = int(np.clip(round((SIDE - 1) / 2 - com_col), 0, SIDE - width))
    canvas = np.zeros((SIDE, SIDE), dtype=np.float32)
    canvas[top : top + height, left : left + width] = digit
    return canvas
