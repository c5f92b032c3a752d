"""Turn a user's picture of a digit into an MNIST-like 28×28 image.

MNIST digits were cropped to their bounding box, scaled to fit a 20×20 box with
their aspect ratio kept, then placed in 28×28 with their centre of mass at the
centre. Doing the same to any picture is what lets the MLP read it.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from digitlab.core.errors import ImageError

BOX, SIDE = 20, 28
# Far below PIL's own bomb limit (about 179 million pixels): a 16000×16000 PNG of a
# few kilobytes would otherwise take gigabytes to decode. A 12-megapixel photo fits.
MAX_PIXELS = 25_000_000


def load_digit(path: Path) -> np.ndarray:
    """The picture at path as a (28, 28) float32 MNIST-style image; ImageError if it can't be."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageError("file not found") from None
    except OSError as err:
        raise ImageError(f"cannot read the file ({err.strerror or err})") from None
    return read_digit(data)


def read_digit(data: bytes) -> np.ndarray:
    """Image bytes (PNG, JPEG, ...) as a (28, 28) float32 MNIST-style image, or ImageError.

    The one preprocessing path: the CLI, the predict stage and the server all come here.
    """
    if not data:
        raise ImageError("empty file")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(_too_big(width * height))
            image.load()
            return to_mnist(image)
    except UnidentifiedImageError:
        raise ImageError("not an image PIL can read (PNG, JPEG, BMP, ...)") from None
    except Image.DecompressionBombError as err:  # not an OSError: PIL's guard, before ours
        found = re.search(r"\((\d+) pixels\)", str(err))
        raise ImageError(_too_big(int(found.group(1)) if found else None)) from None
    except (OSError, ValueError, SyntaxError) as err:  # truncated or malformed image data
        raise ImageError(f"cannot decode the image ({' '.join(str(err).split())})") from None


def _too_big(pixels: int | None) -> str:
    shown = f"{pixels:,} pixels" if pixels else "the image"
    return f"{shown} is over the limit of {MAX_PIXELS:,}; scale it down first"


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
    """(h, w) float ink in [0, 1]: 1 where the stroke is; ImageError if there is none."""
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
        raise ImageError("blank image: no ink found")
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
