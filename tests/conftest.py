"""Shared fixtures: tiny datasets made by the tests themselves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from digitlab.fits.synthetic import Dataset, LineParams, make_line

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def line() -> Dataset:
    """The tutorial's 100-point line, from a fixed seed."""
    return make_line(LineParams(), np.random.default_rng(0))
