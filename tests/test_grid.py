"""The grid's pieces that need no DVC run: the matrix, a point's index, the table."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from digitlab.lab.grid import matrix, point, points, table
from digitlab.lab.presets import flatten, load
from digitlab.lab.steps import StepError
from tests.conftest import ROOT


def test_the_default_grid_is_a_matrix_of_whole_presets() -> None:
    """Each point carries every key of its base preset, with its own overrides on top."""
    include = json.loads(matrix(ROOT / "presets/tuning/fast-grid.yaml"))["include"]
    fast = flatten(load(ROOT / "presets/fast.yaml"))
    assert [p["name"] for p in include][:2] == ["fast-lr2-w640", "fast-lr4-w640"]
    first = dict(arg.split("=", 1) for arg in shlex.split(include[0]["params"])[1::2])
    assert set(first) == set(fast)
    assert first["train.lr"] == "0.002"
    assert first["train.hidden_sizes"] == "[640, 640]"
    assert first["train.epochs"] == str(fast["train.epochs"])


def test_a_point_out_of_range_names_the_range(tmp_path: Path) -> None:
    """A SLURM or Kubernetes index beyond the grid is one line, not a traceback."""
    grid = tmp_path / "g.yaml"
    grid.write_text("base: {train: {lr: 0.1}}\ncandidates: {a: {}, b: {train: {lr: 0.2}}}\n")
    assert [name for name, _ in points(grid)] == ["a", "b"]
    with pytest.raises(StepError, match=r"has points 0\.\.1, not 2"):
        point(grid, 2, [], tmp_path)


def test_a_grid_without_candidates_is_refused(tmp_path: Path) -> None:
    """A file with a base and no points says what it lacks."""
    grid = tmp_path / "g.yaml"
    grid.write_text("base: {train: {lr: 0.1}}\n")
    with pytest.raises(StepError, match="no `candidates:`"):
        matrix(grid)


def test_the_table_sorts_by_test_accuracy_and_shows_what_changed() -> None:
    """Best test accuracy first; missing metrics are dashes; changed params as key=value."""
    rows = [
        {"name": "a", "changed": {"train.lr": 0.1}, "metrics": {"test_accuracy": 0.9}},
        {"name": "b", "changed": {}, "metrics": {"test_accuracy": 0.95, "train_seconds": 3.0}},
    ]
    lines = table(rows).splitlines()
    assert lines[2].startswith("| b | — | — | — | 95.00 % | — | 3.0 |")
    assert lines[3].startswith("| a | `train.lr=0.1` |")


def test_exp_show_fits_120_columns_with_every_figure_that_matters() -> None:
    """make exp-show's table: a row per run with MNIST and real val/test, robust_min and
    seconds, in 120 columns however many params an experiment changed."""
    from digitlab.lab.compare import COLUMNS, render

    metrics = {"val_accuracy": 0.9898, "test_accuracy": 0.9893, "real_val_accuracy": 0.9277,
               "real_accuracy": 0.9276, "robust_min": 0.8959, "train_seconds": 18.28}  # fmt: skip
    changed = {f"train.augment.key_number_{i}": [800, 800] for i in range(30)}
    rows = [
        {"name": "main (commit)", "changed": {}, "metrics": {"test_accuracy": 0.969}},
        {"name": "fast", "changed": changed, "metrics": metrics},
    ]
    text = render(rows, 120)
    assert max(len(line) for line in text.splitlines()) <= 120
    header, _, baseline, fast = text.splitlines()[:4]
    assert header.split()[0] == "experiment"
    assert [h for _, h in COLUMNS] == ["MNIST val", "MNIST test", "real val", "real test",
                                       "your hand", "robust min", "seconds"]  # fmt: skip
    assert "your hand" not in header  # nobody has drawn anything yet
    assert fast.split() == ["fast", "98.98", "98.93", "92.77", "92.76", "89.59", "18.3"]
    assert baseline.split()[-6:] == ["—", "96.90", "—", "—", "—", "—"]
    assert "augment.key_number_29=[800, 800]" in text.replace("\n    ", " ")
    rows[1]["metrics"] = metrics | {"mine_accuracy": 0.85}  # make teach's experiment
    header, _, _, fast = render(rows, 120).splitlines()[:4]
    assert "your hand" in header
    assert fast.split()[5] == "85.00"
