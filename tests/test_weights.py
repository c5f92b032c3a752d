"""The numpy forward pass of the app agrees with torch's, the one the model was trained with."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from digitlab.app.weights import load_weights
from digitlab.core.errors import DataError
from digitlab.mlp.data import load_split
from digitlab.mlp.model import MLP, ModelSpec, load_model, save_model
from digitlab.mlp.training import TrainParams, train
from tests.conftest import ROOT
from tests.fakes import write_fake_mnist

SPECS = {
    "tutorial": TrainParams(epochs=3, batch_size=100),
    "normalised_bf16_cross_entropy": TrainParams(
        epochs=3, batch_size=100, hidden_sizes=(64, 32), loss="cross_entropy",
        label_smoothing=0.1, optimizer="adamw", lr=0.003, normalize=True, dropout=0.2,
        precision="bf16",
    ),
    "deskewed": TrainParams(epochs=3, batch_size=100, hidden_sizes=(64,), deskew=True),
}  # fmt: skip


def _agree(model: MLP, tmp_path: Path, images: torch.Tensor) -> tuple[float, bool]:
    """(largest probability difference, labels identical) between torch and numpy."""
    save_model(model, tmp_path / "m.pt")
    expected = load_model(tmp_path / "m.pt").probabilities(images).numpy()
    got = load_weights(tmp_path / "m.pt").probabilities(images.numpy())
    return float(np.abs(got - expected).max()), bool((got.argmax(1) == expected.argmax(1)).all())


@pytest.mark.parametrize("name", SPECS)
def test_numpy_and_torch_read_fake_digits_alike(name: str, tmp_path: Path) -> None:
    """Trained briefly (bf16 included), the two forward passes give the same labels and
    probabilities within 1e-5 on every test image."""
    root = write_fake_mnist(tmp_path / "mnist")
    images, labels = load_split(root, train=True)
    model, _ = train(SPECS[name], images, labels, log=lambda _: None)
    test_images, _ = load_split(root, train=False)
    largest, same_labels = _agree(model, tmp_path, test_images)
    assert same_labels
    assert largest < 1e-5


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("activation", ["relu", "gelu", "tanh", "sigmoid"])
def test_every_activation_matches_torch(activation: str, loss: str, tmp_path: Path) -> None:
    """GELU's erf included, and MSE's clipped negative scores: random weights and pixels,
    within 1e-5."""
    model = MLP(ModelSpec(hidden_sizes=(32, 16), activation=activation, loss=loss),
                torch.Generator().manual_seed(3))  # fmt: skip
    images = torch.rand(200, 784, generator=torch.Generator().manual_seed(4))
    if loss == "mse":
        assert bool((model(images) < 0).any())  # so the clipping is exercised
    largest, same_labels = _agree(model, tmp_path, images)
    assert same_labels
    assert largest < 1e-5


def test_the_card_describes_the_tensors_for_other_runtimes(tmp_path: Path) -> None:
    """mlp.json lists the tensors in layer order with the recipe to run them."""
    save_model(MLP(ModelSpec(hidden_sizes=(8,), normalize=True)), tmp_path / "m.pt")
    card = json.loads((tmp_path / "m.json").read_text())["weights"]
    assert card["file"] == "mlp.safetensors"
    assert card["tensors"] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert card["normalize"] == {"enabled": True, "mean": 0.1307, "std": 0.3081}
    assert card["activation"] == "relu"
    assert "read_digit" in card["preprocessing"]


def test_a_model_without_its_safetensors_says_how_to_make_it(tmp_path: Path) -> None:
    """An older model (a card and mlp.pt, no mlp.safetensors) gets one line with the fix."""
    save_model(MLP(ModelSpec(hidden_sizes=(8,))), tmp_path / "m.pt")
    (tmp_path / "m.safetensors").unlink()
    with pytest.raises(DataError, match=r"m\.safetensors: model file not found; rerun"):
        load_weights(tmp_path / "m.pt")


def test_the_workspace_model_reads_the_mnist_test_set_alike() -> None:
    """On the real test set, when the workspace has it: identical labels, within 1e-5."""
    if not (ROOT / "models/mlp.safetensors").exists() or not (ROOT / "data/mnist").exists():
        pytest.skip("needs `make repro` (models/mlp.safetensors and data/mnist)")
    images, _ = load_split(ROOT / "data/mnist", train=False)
    expected = load_model(ROOT / "models/mlp.pt").probabilities(images).numpy()
    got = load_weights(ROOT / "models/mlp.pt").probabilities(images.numpy())
    assert (got.argmax(1) == expected.argmax(1)).all()
    assert float(np.abs(got - expected).max()) < 1e-5
