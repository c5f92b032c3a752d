"""Training on a tiny synthetic MNIST: it learns, it is deterministic, and it refuses NaN."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from digitlab.config import ConfigError, from_dict
from digitlab.mnist import load_split
from digitlab.training import DivergedError, MnistData, TrainParams, train
from tests.fakes import write_fake_mnist


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> MnistData:
    """300 train and 100 test fake digits, read back through torchvision."""
    root = write_fake_mnist(tmp_path_factory.mktemp("mnist"))
    return MnistData(*load_split(root, train=True), *load_split(root, train=False))


def _small(**overrides: object) -> TrainParams:
    base = {"hidden_sizes": [32, 32], "batch_size": 50, "epochs": 8, "lr": 1.0, "device": "cpu"}
    return from_dict(TrainParams, {**base, **overrides}, where="train")


def test_loss_falls_and_the_digits_are_learned(data: MnistData) -> None:
    """A few epochs of the tutorial's recipe lower the loss and classify the fake digits."""
    _, history = train(_small(epochs=30), data, log=lambda _: None)
    losses = [row["train_loss"] for row in history.rows]
    assert losses[-1] < losses[0] * 0.8
    assert history.rows[-1]["test_accuracy"] >= 0.9


@pytest.mark.parametrize("overrides", [
    {"loss": "cross_entropy", "optimizer": "adamw", "lr": 0.01},
    {"optimizer": "sgd", "momentum": 0.9, "lr": 0.1, "schedule": "onecycle", "normalize": True},
    {"optimizer": "adam", "lr": 0.01, "label_smoothing": 0.1, "dropout": 0.2, "activation": "gelu"},
])  # fmt: skip
def test_every_selectable_option_trains(data: MnistData, overrides: dict[str, object]) -> None:
    """Each loss, optimizer and schedule runs and still learns the fake digits."""
    _, history = train(_small(epochs=15, **overrides), data, log=lambda _: None)
    assert history.rows[-1]["test_accuracy"] >= 0.8


def test_same_params_give_identical_history(data: MnistData) -> None:
    """Two runs with one seed produce the same losses and accuracies, whatever the global RNG."""
    torch.manual_seed(1)
    first = train(_small(epochs=3), data, log=lambda _: None)[1].rows
    torch.manual_seed(2)
    assert train(_small(epochs=3), data, log=lambda _: None)[1].rows == first


def test_huge_learning_rate_trips_the_nan_guard(data: MnistData) -> None:
    """The loss blowing up stops training with the epoch and a hint to lower lr."""
    with pytest.raises(DivergedError, match=r"at epoch \d+; lower train.lr \(now 1e\+06\)"):
        train(_small(lr=1e6), data, log=lambda _: None)


def test_progress_is_logged(data: MnistData) -> None:
    """A line goes out for the first epoch, every log_every epochs, and the last."""
    lines: list[str] = []
    train(_small(epochs=5, log_every=2), data, log=lines.append)
    assert [line.split("/")[0].split()[-1] for line in lines[1:]] == ["1", "2", "4", "5"]


@pytest.mark.parametrize(
    ("key", "value"),
    [("lr", 0), ("epochs", 0), ("momentum", 1.0), ("optimizer", "rmsprop"), ("hidden_sizes", [0])],
)
def test_bad_train_params_are_rejected(key: str, value: object) -> None:
    """Each bad value is caught before training, naming train.<key>."""
    with pytest.raises(ConfigError, match=rf"train\.{key}"):
        from_dict(TrainParams, {key: value}, where="train")


def test_cuda_request_without_cuda_is_a_clear_error(data: MnistData) -> None:
    """Asking for CUDA where there is none says so instead of crashing inside torch."""
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ConfigError, match="no CUDA device"):
        train(_small(device="cuda"), data, log=lambda _: None)


def test_default_params_are_the_tutorials() -> None:
    """The committed train section is 784-200-200-200-10, MSE, SGD lr 1, batch 6000, 200 epochs."""
    from digitlab.config import load_params
    from tests.conftest import ROOT

    params = load_params("train", TrainParams, Path(ROOT / "params.yaml"))
    assert (params.hidden_sizes, params.activation, params.loss, params.optimizer) == (
        (200, 200, 200), "relu", "mse", "sgd")  # fmt: skip
    assert (params.lr, params.momentum, params.batch_size, params.epochs) == (1.0, 0.0, 6000, 200)
    assert (params.normalize, params.schedule, params.label_smoothing) == (False, "none", 0.0)
