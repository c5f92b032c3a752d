"""Your own digits: DIR/<label>/<file>, drawn on the page or copied in, split by content.

Each file's half is fixed by the sha256 of its bytes: odd is the *test* half, scored by
`evaluate`; even is the *train* half, which only `make teach` learns from. A file keeps
its half as the folder grows, and the same drawing lands in the same half on any
machine. Page drawings are named by that sha256, so the name shows the half too.
Torch-free: the server counts digits with it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import yaml

from digitlab.core.config import require
from digitlab.core.errors import ConfigError, DataError, ImageError
from digitlab.mlp.preprocess import load_digit

LABELS = tuple(str(digit) for digit in range(10))  # the folder names
# What `read_digit` (PIL) opens; anything else (a README, a .tmp being written) is skipped.
SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
Half = Literal["train", "test"]


@dataclass(frozen=True)
class TeachParams:
    """Params `train.mine`: learn from your digits' train half too (`make teach`); off by default.

    `digits` is a dep of train in dvc.yaml. DVC cannot make a dep depend on a param, so the
    param is the dep: your digits' folder when teaching, otherwise a file that never
    changes, so that a new drawing reruns `evaluate` alone for everyone else.
    """

    digits: str = "data/mine.md"
    weight: int = 0  # each of your train-half digits is seen this many times an epoch; 0: off

    def __post_init__(self) -> None:
        require(self.weight >= 0, "mine.weight", self.weight, "an integer >= 0 (0: off)")

    def check_dep(self, folder: str) -> None:
        """ConfigError unless train's dep is `folder` when teaching: else DVC would not rerun
        train when your digits change."""
        if self.weight and self.digits != folder:
            raise ConfigError(
                f"train.mine.weight is {self.weight}, so train.mine.digits must be {folder}, not "
                f"{self.digits!r}: DVC then reruns train when your digits change. "
                "`make teach` sets both"
            )


def recorded_files(root: Path) -> int | None:
    """How many files root.dvc (`dvc add root`) records; None without one."""
    record = root.with_name(f"{root.name}.dvc")
    if not record.is_file():
        return None
    outs = yaml.safe_load(record.read_text(encoding="utf-8")).get("outs") or [{}]
    return int(outs[0].get("nfiles", 0))


def half_of(sha256: str) -> Half:
    """The half of a file whose bytes have this sha256 (hex): odd test, even train."""
    return "test" if int(sha256[-1], 16) % 2 else "train"


@dataclass(frozen=True)
class MyDigit:
    """One labelled file and the sha256 of its bytes."""

    path: Path
    label: int
    sha256: str

    @property
    def half(self) -> Half:
        """test or train, by the sha256."""
        return half_of(self.sha256)


def files(root: Path) -> list[tuple[int, Path]]:
    """(label, path) of every image file under root/0 .. root/9; [] if root is absent."""
    found = []
    for label in LABELS:
        folder = root / label
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix.lower() in SUFFIXES and not path.name.startswith("."):
                    found.append((int(label), path))  # a dot file is a write in progress
    return found


def list_digits(root: Path) -> list[MyDigit]:
    """Every image file under root/0 .. root/9 with its sha256, by label then sha256."""
    digits = [
        MyDigit(path, label, hashlib.sha256(path.read_bytes()).hexdigest())
        for label, path in files(root)
    ]
    return sorted(digits, key=lambda d: (d.label, d.sha256))


def half(digits: list[MyDigit], which: Half) -> list[MyDigit]:
    """The digits of one half, in the same order."""
    return [d for d in digits if d.half == which]


def load(digits: list[MyDigit]) -> tuple[np.ndarray, np.ndarray]:
    """Images (n, 28, 28) float32 read as `digitlab predict` reads files, and labels (n,).

    DataError naming the first file that is not a picture of a digit.
    """
    images = []
    for digit in digits:
        try:
            images.append(load_digit(digit.path))
        except ImageError as err:
            raise DataError(
                f"{digit.path}: {err}; delete it or move it out of {digit.path.parent.parent}"
            ) from None
    stacked = np.stack(images) if images else np.zeros((0, 28, 28), np.float32)
    return stacked, np.array([d.label for d in digits], dtype=np.int64)


def load_half(root: Path, which: Half) -> tuple[np.ndarray, np.ndarray]:
    """One half of the digits under root: images (n, 784) float32 and labels (n,)."""
    images, labels = load(half(list_digits(root), which))
    return images.reshape(len(images), 28 * 28), labels


def teaching_set(root: Path, params: TeachParams) -> tuple[np.ndarray, np.ndarray] | None:
    """What train learns of your digits: their train half (n, 784) and labels (n,) when
    params.weight > 0, else None. ConfigError or DataError, in one line, if it can't.

    Also makes root, empty, when it is missing and root.dvc records an empty folder. Git
    keeps no empty folder, so a fresh clone lacks it, and `dvc repro` checks the data
    source data/mine.dvc only after train has run: this lets that check pass. A record of
    digits is left alone, so DVC says they are missing (`dvc pull`) rather than record
    the empty folder over them.
    """
    if not root.exists() and recorded_files(root) == 0:
        root.mkdir(parents=True)
    if not params.weight:
        return None
    params.check_dep(str(root))
    images, labels = load_half(root, "train")
    if not len(images):
        hint = f"draw some (`make serve`), then `dvc add {root}`"
        raise DataError(f"train.mine.weight is set, but {root} has no train half yet; {hint}")
    return images, labels


def counts(root: Path) -> dict[str, int]:
    """{label: how many files} for all ten labels, without reading the files."""
    found = dict.fromkeys(LABELS, 0)
    for label, _ in files(root):
        found[str(label)] += 1
    return found
