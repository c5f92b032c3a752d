"""Saved models reload, into our class and into the tutorial's own `Net`."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from digitlab.config import ConfigError
from digitlab.model import MLP, Architecture, load_model, save_model


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
    model = MLP(Architecture(), torch.Generator().manual_seed(3))
    save_model(model, Architecture(), tmp_path / "mlp.pt")
    theirs = TutorialNet()
    theirs.load_state_dict(torch.load(tmp_path / "mlp.pt"))
    x = torch.rand(5, 784)
    torch.testing.assert_close(theirs(x), model(x))


@pytest.mark.parametrize("arch", [
    Architecture(),
    Architecture(hidden_sizes=(64,), activation="gelu", normalize=True, scores="logits"),
])  # fmt: skip
def test_save_and_reload_round_trip(tmp_path: Path, arch: Architecture) -> None:
    """Any architecture comes back from mlp.pt + mlp.json with identical outputs."""
    model = MLP(arch, torch.Generator().manual_seed(0)).eval()
    save_model(model, arch, tmp_path / "mlp.pt")
    loaded, loaded_arch = load_model(tmp_path / "mlp.pt")
    assert loaded_arch == arch
    x = torch.rand(4, 784)
    torch.testing.assert_close(loaded(x), model(x))


def test_probabilities_sum_to_one_for_both_kinds_of_scores() -> None:
    """Softmax for logits, clipped and renormalised scores for MSE-trained outputs."""
    for scores in ("one_hot", "logits"):
        model = MLP(Architecture(hidden_sizes=(8,), scores=scores))  # type: ignore[arg-type]
        probabilities = model.probabilities(torch.rand(6, 784))
        torch.testing.assert_close(probabilities.sum(1), torch.ones(6))
        assert bool((probabilities >= 0).all())


def test_missing_model_file_is_one_clear_error(tmp_path: Path) -> None:
    """No model: the error names the file and the command that makes it."""
    with pytest.raises(
        ConfigError, match=r"mlp\.json: model file not found; run `dvc repro train`"
    ):
        load_model(tmp_path / "mlp.pt")


def test_garbage_model_file_is_one_clear_error(tmp_path: Path) -> None:
    """A corrupt state_dict is reported, not raised as a torch traceback."""
    save_model(
        MLP(Architecture(hidden_sizes=(8,))), Architecture(hidden_sizes=(8,)), tmp_path / "m.pt"
    )
    (tmp_path / "m.pt").write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="cannot load the model"):
        load_model(tmp_path / "m.pt")
