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
    assert [p["name"] for p in include][:2] == ["fast-lr1-w640", "fast-lr2-w640"]
    first = dict(arg.split("=", 1) for arg in shlex.split(include[0]["params"])[1::2])
    assert set(first) == set(fast)
    assert first["train.lr"] == "0.001"
    assert first["train.hidden_sizes"] == "[640, 640]"
    assert first["train.epochs"] == str(fast["train.epochs"])


def test_a_point_out_of_range_names_the_range(tmp_path: Path) -> None:
    """A SLURM or Kubernetes index beyond the grid is one line, not a traceback."""
    grid = tmp_path / "g.yaml"
    grid.write_text("base: {train: {lr: 0.1}}\ncandidates: {a: {}, b: {train: {lr: 0.2}}}\n")
    assert [name for name, _ in points(grid)] == ["a", "b"]
    with pytest.raises(StepError, match=r"has points 0\.\.1, not 2"):
        point(grid, 2, tmp_path)


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
