"""Saved models reload, into our class and into the tutorial's own `Net`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from digitlab.core.errors import DataError
from digitlab.mlp.model import MLP, ModelSpec, load_model, loss_function, save_model


class TutorialNet(nn.Module):
    """The tutorial's class, verbatim in structure."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 200)
        self.fc2 = nn.Linear(200, 200)
        self.fc3 = nn.Linear(200, 200)
        self.fc4 = nn.Linear(200, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        x = torch.relu(self.fc3(x))
        return self.fc4(x)


def test_default_model_loads_into_the_tutorial_class(tmp_path: Path) -> None:
    """torch.load of mlp.pt fits the tutorial's Net and computes the same outputs."""
    model = MLP(ModelSpec(), torch.Generator().manual_seed(3))
    save_model(model, tmp_path / "mlp.pt")
    theirs = TutorialNet()
    theirs.load_state_dict(torch.load(tmp_path / "mlp.pt"))
    x = torch.rand(5, 784)
    torch.testing.assert_close(theirs(x), model(x))


@pytest.mark.parametrize("arch", [
    ModelSpec(),
    ModelSpec(hidden_sizes=(64,), activation="gelu", normalize=True, loss="cross_entropy"),
])  # fmt: skip
def test_save_and_reload_round_trip(tmp_path: Path, arch: ModelSpec) -> None:
    """Any architecture comes back from mlp.pt + mlp.json with identical outputs."""
    model = MLP(arch, torch.Generator().manual_seed(0)).eval()
    save_model(model, tmp_path / "mlp.pt")
    loaded = load_model(tmp_path / "mlp.pt")
    assert loaded.spec == arch
    x = torch.rand(4, 784)
    torch.testing.assert_close(loaded(x), model(x))


def test_probabilities_sum_to_one_for_both_kinds_of_scores() -> None:
    """Softmax for logits, clipped and renormalised scores for MSE-trained outputs."""
    for spec in (ModelSpec(hidden_sizes=(8,)), ModelSpec(hidden_sizes=(8,), loss="cross_entropy")):
        model = MLP(spec)
        probabilities = model.probabilities(torch.rand(6, 784))
        torch.testing.assert_close(probabilities.sum(1), torch.ones(6))
        assert bool((probabilities >= 0).all())


def test_missing_model_file_is_one_clear_error(tmp_path: Path) -> None:
    """No model: the error names the file and the command that makes it."""
    with pytest.raises(DataError, match=r"mlp\.json: model file not found; run `dvc repro train`"):
        load_model(tmp_path / "mlp.pt")


def test_garbage_model_file_is_one_clear_error(tmp_path: Path) -> None:
    """A corrupt state_dict is reported, not raised as a torch traceback."""
    save_model(MLP(ModelSpec(hidden_sizes=(8,))), tmp_path / "m.pt")
    (tmp_path / "m.pt").write_bytes(b"not a model")
    with pytest.raises(DataError, match="cannot load the model"):
        load_model(tmp_path / "m.pt")


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_mse_loss_is_against_smoothed_one_hot_targets(smoothing: float) -> None:
    """MSE compares scores with (1 − s)·one_hot + s/10, the mean over every entry."""
    scores, labels = torch.rand(4, 10), torch.tensor([0, 3, 9, 3])
    expected = 0.0
    for row, label in zip(scores.tolist(), labels.tolist(), strict=True):
        for k, score in enumerate(row):
            target = (1 - smoothing) * (k == label) + smoothing / 10
            expected += (score - target) ** 2 / 40
    loss = loss_function(ModelSpec(loss="mse", label_smoothing=smoothing))(scores, labels)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_cross_entropy_loss_uses_the_recorded_smoothing() -> None:
    """Cross-entropy with smoothing s is −Σ target·log softmax, target = (1 − s)·one_hot + s/10."""
    scores, labels = torch.randn(3, 10), torch.tensor([1, 2, 7])
    targets = torch.full((3, 10), 0.02)
    targets[torch.arange(3), labels] += 0.8
    expected = -(targets * torch.log_softmax(scores, 1)).sum(1).mean()
    loss = loss_function(ModelSpec(loss="cross_entropy", label_smoothing=0.2))(scores, labels)
    torch.testing.assert_close(loss, expected)


def test_model_card_records_spec_and_training_params(tmp_path: Path) -> None:
    """mlp.json holds the spec and the params it was trained with; load_model needs nothing else."""
    spec = ModelSpec(hidden_sizes=(8,), loss="cross_entropy", label_smoothing=0.1)
    save_model(MLP(spec), tmp_path / "m.pt", trained_with={"lr": 0.5, "seed": 3})
    card = json.loads((tmp_path / "m.json").read_text())
    assert card["spec"]["label_smoothing"] == 0.1
    assert card["trained_with"] == {"lr": 0.5, "seed": 3}
    assert load_model(tmp_path / "m.pt").spec == spec


def test_old_model_card_says_to_retrain(tmp_path: Path) -> None:
    """A card of an older format is one clear error, not a KeyError."""
    save_model(MLP(ModelSpec(hidden_sizes=(8,))), tmp_path / "m.pt")
    (tmp_path / "m.json").write_text('{"format": "digitlab.mlp/1", "hidden_sizes": [8]}')
    with pytest.raises(DataError, match=r"format 'digitlab.mlp/1', expected 'digitlab.mlp/2'"):
        load_model(tmp_path / "m.pt")
