"""Real handwriting, not MNIST's: the UCI digits, split once and read the way users' files are.

The split is fixed: even indices are the *real validation* half (settings may be chosen
on it), odd indices the *real test* half (scored once, by `evaluate`). Neither is ever
trained on. Each 8×8 digit is rendered as a small dark-on-light PNG, a user's scan, and
goes through `read_digit`, so the score covers the preprocessing as well as the model.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from PIL import Image

from digitlab.core.errors import DataError
from digitlab.mlp.preprocess import read_digit

LEVELS = 16  # the 8×8 pixels count ink in 4×4 blocks of a 32×32 bitmap: 0..16
Half = Literal["validation", "test"]


@dataclass(frozen=True)
class RealDigits:
    """Scans (n, 8, 8) of ink counts 0..16 and their labels (n,)."""

    scans: np.ndarray
    labels: np.ndarray

    def half(self, which: Half) -> RealDigits:
        """The even-indexed validation half or the odd-indexed test half."""
        start = 0 if which == "validation" else 1
        return RealDigits(self.scans[start::2], self.labels[start::2])


def load_real(path: Path) -> RealDigits:
    """The digits in scikit-learn's digits.csv.gz; DataError if missing or malformed."""
    try:
        text = gzip.decompress(path.read_bytes()).decode("ascii")
        table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64, ndmin=2)
    except FileNotFoundError:
        raise DataError(f"{path}: not found; run `dvc repro download_real`") from None
    except (OSError, EOFError, ValueError, UnicodeDecodeError) as err:
        message = " ".join(str(err).split())[:120]
        raise DataError(f"{path}: not a digits.csv.gz ({message}); rerun download_real") from None
    if table.shape[1] != 65:
        raise DataError(
            f"{path}: rows of {table.shape[1]} numbers, expected 65; rerun download_real"
        )
    pixels, labels = table[:, :64], table[:, 64]
    in_range = pixels.min() >= 0 and pixels.max() <= LEVELS
    if not in_range or not np.isin(labels, np.arange(10)).all():
        raise DataError(f"{path}: rows are not 64 ink counts in 0..16 and a digit label")
    return RealDigits(pixels.reshape(-1, 8, 8).astype(np.uint8), labels)


def scan_png(scan: np.ndarray) -> bytes:
    """An (8, 8) scan as an 8-bit grey PNG, dark ink on white paper, like a user's file."""
    pixels = 255 - np.rint(scan.astype(np.float64) * 255 / LEVELS).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="png")
    return buffer.getvalue()


def as_mnist(digits: RealDigits) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (n, 784) in [0, 1] through the user-file path, and labels (n,) int64."""
    images = [read_digit(scan_png(scan)) for scan in digits.scans]  # each (28, 28)
    batch = torch.from_numpy(np.stack(images)).reshape(len(images), -1)
    return batch, torch.from_numpy(digits.labels).long()
