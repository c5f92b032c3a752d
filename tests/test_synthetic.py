"""The toy datasets: the tutorial's constructions, byte-identical for one seed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from digitlab.fits.synthetic import (
    LineParams,
    StepParams,
    generate,
    make_line,
    make_step,
    read_dataset,
    write_dataset,
)
from tests.conftest import ROOT


def test_line_is_sorted_and_within_the_noise_band() -> None:
    """x is sorted in [0, 1) and y − slope·x lies in [0, noise)."""
    data = make_line(LineParams(n_samples=200, slope=1.5, noise=0.1), np.random.default_rng(3))
    assert np.all(np.diff(data.x) >= 0)
    residual = data.y - 1.5 * data.x
    assert residual.min() >= 0
    assert residual.max() < 0.1


def test_reversed_line_reverses_x_and_keeps_y() -> None:
    """line_reversed is the line with only its x column reversed, as in the tutorial."""
    params = _params()
    datasets = generate(params)
    np.testing.assert_array_equal(datasets["line_reversed"].x, datasets["line"].x[::-1])
    np.testing.assert_array_equal(datasets["line_reversed"].y, datasets["line"].y)


def test_step_is_zero_then_one() -> None:
    """The first half of the sorted points is labelled 0, the second half 1."""
    data = make_step(StepParams(n_samples=9), np.random.default_rng(0))
    assert data.y.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 1]
    assert np.all(np.diff(data.x) >= 0)


def test_csv_round_trip_keeps_every_bit(tmp_path: Path) -> None:
    """repr() formatting means reading a written dataset gives back the same floats."""
    data = make_line(LineParams(), np.random.default_rng(5))
    write_dataset(tmp_path / "line.csv", data)
    back = read_dataset(tmp_path / "line.csv")
    np.testing.assert_array_equal(back.x, data.x)
    np.testing.assert_array_equal(back.y, data.y)
    assert b"\r" not in (tmp_path / "line.csv").read_bytes()


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    """Two runs of the generate stage with one seed write the same bytes."""
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    outputs = []
    for run in ("a", "b"):
        subprocess.run(
            [sys.executable, str(ROOT / "stages/generate.py"), "--out-dir", run],
            cwd=tmp_path,
            check=True,
        )
        outputs.append({p.name: p.read_bytes() for p in sorted((tmp_path / run).iterdir())})
    assert sorted(outputs[0]) == ["bumps.csv", "line.csv", "line_reversed.csv", "step.csv"]
    assert outputs[0] == outputs[1]


def _params():  # type: ignore[no-untyped-def]
    from digitlab.core.config import load_params
    from digitlab.fits.synthetic import GenerateParams

    return load_params("generate", GenerateParams, ROOT / "params.yaml")
