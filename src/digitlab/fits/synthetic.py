"""The tutorial's four toy datasets, all drawn from one seeded generator."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitlab.core.config import require
from digitlab.core.errors import DataError
from digitlab.core.io import write_csv


@dataclass(frozen=True)
class LineParams:
    """Params `generate.line`: how many points, the slope and the noise band."""

    n_samples: int = 100
    slope: float = 1.5
    noise: float = 0.1

    def __post_init__(self) -> None:
        require(self.n_samples >= 2, "n_samples", self.n_samples, "an integer >= 2")
        require(self.noise >= 0, "noise", self.noise, "a number >= 0")


@dataclass(frozen=True)
class StepParams:
    """Params `generate.step`: how many points."""

    n_samples: int = 100

    def __post_init__(self) -> None:
        require(self.n_samples >= 2, "n_samples", self.n_samples, "an integer >= 2")


@dataclass(frozen=True)
class BumpsParams:
    """Params `generate.bumps`: the fixed x values and their 0/1 labels."""

    x: tuple[float, ...]
    label: tuple[int, ...]

    def __post_init__(self) -> None:
        n = len(self.x)
        require(n >= 2, "x", n, "at least 2 points")
        require(len(self.label) == n, "label", len(self.label), f"{n} labels, one per x")
        require(set(self.label) <= {0, 1}, "label", sorted(set(self.label)), "0s and 1s")


@dataclass(frozen=True)
class GenerateParams:
    """Params `generate`: the seed and one section per dataset."""

    seed: int
    line: LineParams
    step: StepParams
    bumps: BumpsParams


@dataclass(frozen=True)
class Dataset:
    """Points (x[i], y[i]); both arrays are (n,) float64."""

    x: np.ndarray
    y: np.ndarray


def make_line(params: LineParams, rng: np.random.Generator) -> Dataset:
    """Sorted x ~ U(0,1) and y = slope·x + U(0, noise): the tutorial's beans."""
    x = np.sort(rng.random(params.n_samples))
    y = params.slope * x + rng.random(params.n_samples) * params.noise
    return Dataset(x, y)


def reverse_x(line: Dataset) -> Dataset:
    """The tutorial's reversed beans: x column reversed, y kept, so the fit needs a bias."""
    return Dataset(line.x[::-1].copy(), line.y)


def make_step(params: StepParams, rng: np.random.Generator) -> Dataset:
    """Sorted x ~ U(0,1); y is 0 for the first half of the points and 1 for the rest."""
    x = np.sort(rng.random(params.n_samples))
    y = (np.arange(params.n_samples) >= params.n_samples // 2).astype(np.float64)
    return Dataset(x, y)


def make_bumps(params: BumpsParams) -> Dataset:
    """The fixed 0/1 dataset for the tiny net, exactly as listed in params."""
    return Dataset(
        np.asarray(params.x, dtype=np.float64), np.asarray(params.label, dtype=np.float64)
    )


def generate(params: GenerateParams) -> dict[str, Dataset]:
    """All four datasets by name; the same seed always gives the same values."""
    rng = np.random.default_rng(params.seed)
    line = make_line(params.line, rng)
    return {
        "line": line,
        "line_reversed": reverse_x(line),
        "step": make_step(params.step, rng),
        "bumps": make_bumps(params.bumps),
    }


def write_dataset(path: Path, data: Dataset) -> None:
    """Write an `x,y` CSV; repr() keeps every float exactly, so equal data gives equal bytes."""
    write_csv(
        path,
        ["x", "y"],
        ((repr(float(x)), repr(float(y))) for x, y in zip(data.x, data.y, strict=True)),
    )


def read_dataset(path: Path) -> Dataset:
    """Read an `x,y` CSV written by write_dataset; DataError if it is missing or malformed."""
    try:
        text = path.read_text(encoding="utf-8")
        table = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1, ndmin=2)
        header = text.split("\n", 1)[0]
    except (OSError, ValueError) as err:
        raise DataError(
            f"{path}: cannot read dataset ({err}); rerun `dvc repro generate`"
        ) from None
    if header != "x,y" or table.shape[1] != 2:
        raise DataError(f"{path}: expected an 'x,y' CSV; rerun `dvc repro generate`")
    return Dataset(table[:, 0], table[:, 1])
