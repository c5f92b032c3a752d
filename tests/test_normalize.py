"""Deskewing by moments against oracles on made-up images, and the card that carries it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from digitlab.app.weights import load_weights
from digitlab.mlp.model import MLP, ModelSpec, load_model, save_model
from digitlab.mlp.normalize import deskew


def _slanted_bar(slope: float) -> np.ndarray:
    """(1, 784): a 2-pixel bar through the centre whose column moves `slope` px per row."""
    bar = np.zeros((28, 28), np.float32)
    for y in range(4, 24):
        x = 14 + slope * (y - 14)
        left, frac = int(np.floor(x)), x - np.floor(x)
        bar[y, left - 1 : left + 1] += 1 - frac
        bar[y, left : left + 2] += frac
    return np.clip(bar, 0, 1).reshape(1, 784)


def _slope(image: np.ndarray) -> float:
    """Least-squares slope of the ink's centre column per row, over rows 6..21."""
    plane, rows = image.reshape(28, 28), np.arange(6, 22)
    centres = [(plane[r] * np.arange(28)).sum() / plane[r].sum() for r in rows]
    return float(np.polyfit(rows, centres, 1)[0])


def test_a_centred_upright_square_stays_put() -> None:
    """No slant, nothing moves: the output is the input, bit for bit."""
    square = np.zeros((1, 28, 28), np.float32)
    square[0, 9:19, 9:19] = 1
    assert np.array_equal(deskew(square.reshape(1, 784)), square.reshape(1, 784))


@pytest.mark.parametrize("slope", [0.4, -0.3])
def test_a_sheared_bar_comes_out_upright(slope: float) -> None:
    """A bar leaning `slope` pixels per row comes out leaning less than 0.01."""
    bar = _slanted_bar(slope)
    assert _slope(bar) == pytest.approx(slope, abs=0.01)
    assert abs(_slope(deskew(bar))) < 0.01


def test_blank_and_flat_images_are_left_alone() -> None:
    """No ink, or ink on one row only (no vertical spread): returned unchanged."""
    flat = np.zeros((2, 28, 28), np.float32)
    flat[1, 14, 5:20] = 1
    assert np.array_equal(deskew(flat.reshape(2, 784)), flat.reshape(2, 784))


def test_the_card_names_deskew_only_when_on_and_both_runtimes_apply_it(tmp_path: Path) -> None:
    """A deskewing model's card says so, and torch and numpy read slanted bars alike
    (within 1e-5); a card without the field is an older model's, read as no deskew."""
    model = MLP(ModelSpec(hidden_sizes=(16,), deskew=True), torch.Generator().manual_seed(0))
    save_model(model, tmp_path / "m.pt")
    card = json.loads((tmp_path / "m.json").read_text())
    assert card["spec"]["deskew"] is True
    assert "deskew" in card["weights"]
    images = np.concatenate([_slanted_bar(s) for s in (0.4, -0.3, 0.0)])
    expected = load_model(tmp_path / "m.pt").probabilities(torch.from_numpy(images)).numpy()
    got = load_weights(tmp_path / "m.pt").probabilities(images)
    assert np.abs(got - expected).max() < 1e-5

    plain = MLP(ModelSpec(hidden_sizes=(16,)), torch.Generator().manual_seed(0))
    save_model(plain, tmp_path / "p.pt")
    card = json.loads((tmp_path / "p.json").read_text())
    assert "deskew" not in card["spec"]
    assert "deskew" not in card["weights"]
    assert load_model(tmp_path / "p.pt").deskew is False
    assert load_weights(tmp_path / "p.pt").deskew is False


def test_the_torch_copy_that_trains_equals_the_numpy_step_the_app_runs() -> None:
    """imageops.deskew (torch, in the model's forward pass) and normalize.deskew (numpy, in
    digitlab predict) agree to 1e-6 on random ink, slanted bars and blank images."""
    from digitlab.mlp.imageops import deskew as deskew_torch

    rng = np.random.default_rng(0)
    images = rng.random((64, 784), dtype=np.float32) * (rng.random((64, 784)) < 0.3)
    images = np.concatenate([images, _slanted_bar(0.4), _slanted_bar(-0.3), np.zeros((1, 784),
                             np.float32)])  # fmt: skip
    expected = deskew(images)
    got = deskew_torch(torch.from_numpy(images)).numpy()
    assert got.dtype == np.float32
    assert np.abs(got - expected).max() < 1e-6


def test_the_model_deskews_what_it_reads_and_training_deskews_its_set_once() -> None:
    """In eval mode a deskewing model reads deskew(x); in training mode it reads x as given,
    because train() deskews the training images once, before augmentation."""
    from digitlab.mlp.imageops import deskew as deskew_torch

    spec = ModelSpec(hidden_sizes=(16,))
    plain = MLP(spec, torch.Generator().manual_seed(0)).eval()
    tilted = MLP(ModelSpec(hidden_sizes=(16,), deskew=True), torch.Generator().manual_seed(0))
    images = torch.from_numpy(np.concatenate([_slanted_bar(0.4), _slanted_bar(-0.3)]))
    with torch.no_grad():
        torch.testing.assert_close(tilted.eval()(images), plain(deskew_torch(images)))
        torch.testing.assert_close(tilted.train()(images), plain(images))
