"""Tiny stand-ins made by the tests: an MNIST-shaped dataset and a UCI-shaped real set."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

from digitlab.mlp.download import RAW, Split, write_idx_set


def fake_split(n: int, seed: int) -> Split:
    """n learnable 28×28 digits: label k is a bright vertical bar at columns 2k+4..2k+6."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = (rng.random((n, 28, 28)) * 40).astype(np.uint8)
    for image, label in zip(images, labels, strict=True):
        image[4:24, 2 * label + 4 : 2 * label + 7] = 255
    return Split(images, labels)


def write_fake_mnist(root: Path, n_train: int = 300, n_test: int = 100) -> Path:
    """Write a fake MNIST in torchvision's layout under root; return root."""
    raw = root / RAW
    raw.mkdir(parents=True, exist_ok=True)
    write_idx_set({"train": fake_split(n_train, 0), "t10k": fake_split(n_test, 1)}, raw)
    return root


def fake_real_rows(n: int, seed: int = 2) -> np.ndarray:
    """n rows of 64 ink counts (0..16) and a label: label k is a bar in column k % 8."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    scans = rng.integers(0, 3, (n, 8, 8))
    for scan, label in zip(scans, labels, strict=True):
        scan[1:7, label % 8] = 16
    return np.concatenate([scans.reshape(n, 64), labels[:, None]], axis=1)


def write_fake_real(folder: Path, n: int = 40) -> str:
    """Write folder/digits.csv.gz in scikit-learn's format; return its SHA-256."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join(",".join(map(str, row)) + "\n" for row in fake_real_rows(n))
    data = gzip.compress(text.encode("ascii"), mtime=0)
    (folder / "digits.csv.gz").write_bytes(data)
    return hashlib.sha256(data).hexdigest()
