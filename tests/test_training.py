"""Training on a tiny synthetic MNIST: it learns, it is seeded, it holds out, it refuses NaN."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from digitlab.core.config import from_dict, load_params
from digitlab.core.errors import ConfigError, DivergedError
from digitlab.mlp.data import load_split
from digitlab.mlp.model import MLP, ModelSpec, accuracy
from digitlab.mlp.training import (
    History,
    TrainParams,
    hold_out,
    make_optimizer,
    make_train_step,
    pick_device,
    run_epoch,
    train,
)
from tests.conftest import ROOT
from tests.fakes import write_fake_mnist

Data = tuple[torch.Tensor, torch.Tensor]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Data:
    """300 fake training digits, read back through torchvision."""
    return load_split(write_fake_mnist(tmp_path_factory.mktemp("mnist")), train=True)


@pytest.fixture(scope="module")
def test_data(tmp_path_factory: pytest.TempPathFactory) -> Data:
    """100 fake test digits drawn apart from the training ones."""
    return load_split(write_fake_mnist(tmp_path_factory.mktemp("mnist")), train=False)


def _small(**overrides: object) -> TrainParams:
    base = {"hidden_sizes": [32, 32], "batch_size": 50, "epochs": 8, "lr": 1.0, "device": "cpu"}
    return from_dict(TrainParams, {**base, **overrides}, where="train")


def _quiet(params: TrainParams, data: Data) -> tuple[torch.nn.Module, list[dict[str, float]]]:
    model, history = train(params, *data, log=lambda _: None)
    return model, history.rows


# Dropout, augmentation and the one-cycle schedule: every source of randomness at once.
RANDOM = {"dropout": 0.3, "schedule": "onecycle", "optimizer": "adamw", "lr": 0.01,
          "augment": {"shift_pixels": 2, "rotate_degrees": 10, "scale": 0.1}}  # fmt: skip


def test_loss_falls_and_the_digits_are_learned(data: Data, test_data: Data) -> None:
    """A few epochs of the tutorial's recipe lower the loss and classify unseen fake digits."""
    model, rows = _quiet(_small(epochs=30), data)
    assert rows[-1]["train_loss"] < rows[0]["train_loss"] * 0.8
    assert accuracy(model.predicted(test_data[0]), test_data[1]) >= 0.9


@pytest.mark.parametrize("overrides", [
    {"loss": "cross_entropy", "optimizer": "adamw", "lr": 0.01},
    {"optimizer": "sgd", "momentum": 0.9, "lr": 0.1, "schedule": "onecycle", "normalize": True},
    {"optimizer": "adam", "lr": 0.01, "label_smoothing": 0.1, "dropout": 0.2, "activation": "gelu"},
])  # fmt: skip
def test_every_selectable_option_trains(
    data: Data, test_data: Data, overrides: dict[str, object]
) -> None:
    """Each loss, optimizer and schedule runs and still learns the fake digits."""
    model, _ = _quiet(_small(epochs=15, **overrides), data)
    assert accuracy(model.predicted(test_data[0]), test_data[1]) >= 0.8


def test_same_params_give_bit_identical_weights_with_every_random_draw_on(data: Data) -> None:
    """Dropout, augmentation and shuffling follow train.seed alone, not the global RNG."""
    torch.manual_seed(1)
    first, _ = _quiet(_small(epochs=3, **RANDOM), data)
    torch.manual_seed(2)
    second, _ = _quiet(_small(epochs=3, **RANDOM), data)
    for (name, a), b in zip(first.state_dict().items(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_another_seed_gives_other_weights(data: Data) -> None:
    """train.seed reaches the draws: a different seed trains a different model."""
    first, _ = _quiet(_small(epochs=2, seed=0, **RANDOM), data)
    second, _ = _quiet(_small(epochs=2, seed=1, **RANDOM), data)
    assert not torch.equal(first.state_dict()["fc1.weight"], second.state_dict()["fc1.weight"])


def test_training_leaves_the_global_rng_as_it_found_it(data: Data) -> None:
    """Library code changes no global state: torch's generator is where it was."""
    torch.manual_seed(123)
    before = torch.get_rng_state()
    _quiet(_small(epochs=2, **RANDOM), data)
    assert torch.equal(torch.get_rng_state(), before)


@pytest.mark.parametrize("deskew", [False, True])
def test_validation_is_the_last_images_and_never_trained_on(data: Data, deskew: bool) -> None:
    """hold_out splits off the last N; train reports accuracy on exactly those, as the
    saved model reads them (a deskewing model's held-out images are deskewed once)."""
    images, labels = data
    (train_x, train_y), (val_x, val_y) = hold_out(images, labels, 100)
    assert torch.equal(torch.cat([train_x, val_x]), images)
    assert torch.equal(torch.cat([train_y, val_y]), labels)
    assert len(val_x) == 100
    lines: list[str] = []
    params = _small(validation=100, deskew=deskew)
    model, history = train(params, images, labels, log=lines.append)
    assert "200 images, 100 held out for validation" in lines[0]
    assert history.rows[-1]["val_accuracy"] == accuracy(model.predicted(val_x), val_y)
    assert history.summary()["val_accuracy"] == history.rows[-1]["val_accuracy"]


def test_without_validation_no_val_metric_is_made_up(data: Data) -> None:
    """validation: 0 (the tutorial's config) trains on everything and reports train numbers."""
    _, history = train(_small(epochs=2), *data, log=lambda _: None)
    assert set(history.summary()) == {"train_loss", "train_accuracy", "epochs"}
    assert history.caption().startswith("training accuracy")


def test_holding_out_everything_is_a_config_error(data: Data) -> None:
    """A validation split as large as the data names train.validation."""
    with pytest.raises(ConfigError, match=r"train\.validation: got 300, expected fewer than"):
        train(_small(validation=300), *data, log=lambda _: None)


def test_each_epoch_visits_every_image_once_in_a_fresh_order() -> None:
    """run_epoch shuffles by torch.randperm from the generator, anew every epoch."""
    images = torch.arange(20, dtype=torch.float32).unsqueeze(1).repeat(1, 784)  # (20, 784)
    labels = torch.arange(20)
    seen: list[list[int]] = [[], []]

    def record(epoch: int):  # type: ignore[no-untyped-def]
        def step(inputs: torch.Tensor, batch_labels: torch.Tensor) -> tuple[torch.Tensor, ...]:
            seen[epoch] += batch_labels.tolist()
            assert torch.equal(inputs[:, 0].long(), batch_labels)  # rows travel with labels
            return torch.zeros(len(inputs), 10), torch.zeros(())

        return step

    generator = torch.Generator().manual_seed(9)
    oracle = torch.Generator().manual_seed(9)
    for epoch in (0, 1):
        run_epoch(record(epoch), images, labels, _small(batch_size=6), generator)
        assert seen[epoch] == torch.randperm(20, generator=oracle).tolist()
    assert sorted(seen[0]) == sorted(seen[1]) == list(range(20))
    assert seen[0] != seen[1]


def test_huge_learning_rate_trips_the_nan_guard(data: Data) -> None:
    """The loss blowing up stops training with the epoch and a hint to lower lr."""
    with pytest.raises(DivergedError, match=r"at epoch \d+; lower train.lr \(now 1e\+06\)"):
        train(_small(lr=1e6), *data, log=lambda _: None)


def test_progress_is_logged(data: Data) -> None:
    """A line goes out for the first epoch, every log_every epochs, and the last."""
    lines: list[str] = []
    train(_small(epochs=5, log_every=2), *data, log=lines.append)
    assert [line.split("/")[0].split()[-1] for line in lines[1:]] == ["1", "2", "4", "5"]


@pytest.mark.parametrize(
    ("key", "value"),
    [("lr", 0), ("epochs", 0), ("momentum", 1.0), ("optimizer", "rmsprop"), ("hidden_sizes", [0]),
     ("validation", -1)],
)  # fmt: skip
def test_bad_train_params_are_rejected(key: str, value: object) -> None:
    """Each bad value is caught before training, naming train.<key>."""
    with pytest.raises(ConfigError, match=rf"train\.{key}"):
        from_dict(TrainParams, {key: value}, where="train")


def test_cuda_request_without_cuda_is_a_clear_error(data: Data) -> None:
    """Asking for CUDA where there is none says so instead of crashing inside torch."""
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ConfigError, match="no CUDA device"):
        train(_small(device="cuda"), *data, log=lambda _: None)


def test_default_params_are_the_tutorials() -> None:
    """The committed train section is 784-200-200-200-10, MSE, SGD lr 1, batch 6000, 200 epochs."""
    params = load_params("train", TrainParams, Path(ROOT / "params.yaml"))
    assert (params.hidden_sizes, params.activation, params.loss, params.optimizer) == (
        (200, 200, 200), "relu", "mse", "sgd")  # fmt: skip
    assert (params.lr, params.momentum, params.batch_size, params.epochs) == (1.0, 0.0, 6000, 200)
    assert (params.normalize, params.schedule, params.label_smoothing) == (False, "none", 0.0)
    assert (params.dropout, params.validation) == (0.0, 0)


@pytest.mark.parametrize(
    ("name", "kind"),
    [("sgd", torch.optim.SGD), ("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW)],
)
def test_the_optimizer_is_the_one_named_with_its_settings(name: str, kind: type) -> None:
    """optimizer, lr and weight_decay reach torch; momentum reaches SGD."""
    params = _small(optimizer=name, lr=0.25, weight_decay=0.03, momentum=0.5)  # not a default
    optimizer = make_optimizer(params, torch.nn.Linear(2, 2))
    assert type(optimizer) is kind
    group = optimizer.param_groups[0]
    assert (group["lr"], group["weight_decay"]) == (0.25, 0.03)
    if name == "sgd":
        assert group["momentum"] == 0.5


def test_onecycle_spans_every_step_of_every_epoch(data: Data) -> None:
    """The schedule is epochs × steps_per_epoch long: that many steps run, one more overruns."""
    params = _small(epochs=3, schedule="onecycle", optimizer="adamw", lr=0.01)
    step = make_train_step(params, torch.nn.Linear(784, 10), steps_per_epoch=3)
    for _ in range(9):
        step(data[0][:10], data[1][:10])
    with pytest.raises(ValueError, match="Tried to step 10 times"):
        step(data[0][:10], data[1][:10])


def test_epoch_loss_and_accuracy_are_means_over_images_not_batches() -> None:
    """A short last batch counts by its size: batches of 4 and 2 with losses 1 and 4 give 2."""
    images, labels = torch.zeros(6, 784), torch.tensor([0, 0, 0, 0, 1, 1])
    losses = iter([1.0, 4.0])

    def step(inputs: torch.Tensor, batch_labels: torch.Tensor) -> tuple[torch.Tensor, ...]:
        scores = torch.zeros(len(inputs), 10)
        scores[:, 0] = 1.0  # always predicts 0
        return scores, torch.tensor(next(losses))

    loss, accuracy_ = run_epoch(step, images, labels, _small(batch_size=4), torch.Generator())
    assert loss == pytest.approx((4 * 1.0 + 2 * 4.0) / 6)
    assert accuracy_ == pytest.approx(4 / 6)


def test_accuracy_counts_across_evaluation_batches(data: Data) -> None:
    """Batched prediction gives the same labels as one pass over all images."""
    model = MLP(ModelSpec(hidden_sizes=(16,)))
    images, labels = data
    whole = (model.eval()(images).argmax(1) == labels).sum().item() / len(labels)
    assert accuracy(model.predicted(images, batch=7), labels) == pytest.approx(whole)


def test_cpu_and_auto_pick_the_cpu_without_cuda() -> None:
    """cpu is always the CPU; auto is the CPU when CUDA is absent."""
    assert pick_device("cpu").type == "cpu"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert pick_device("auto").type == expected


def test_history_summary_is_the_last_epoch_without_the_time() -> None:
    """summary() drops 'epoch' for 'epochs' and holds no time (a rerun must reproduce it
    byte for byte); caption prefers validation."""
    last = {"epoch": 2, "train_loss": 0.25, "train_accuracy": 0.8, "val_accuracy": 0.75}
    history = History([{"epoch": 1, "train_loss": 0.5, "train_accuracy": 0.7}, last], 3.14159)
    expected = {"train_loss": 0.25, "train_accuracy": 0.8, "val_accuracy": 0.75}
    assert history.summary() == {**expected, "epochs": 2}
    assert history.caption() == "validation accuracy 75.00%"
    history.rows.pop()
    assert history.caption() == "training accuracy 70.00%"


def test_initial_weights_follow_the_seed(data: Data) -> None:
    """With a vanishing lr the weights stay at their init: two seeds, two inits."""
    first, _ = _quiet(_small(epochs=1, lr=1e-12, seed=0), data)
    second, _ = _quiet(_small(epochs=1, lr=1e-12, seed=1), data)
    assert not torch.allclose(first.state_dict()["fc1.weight"], second.state_dict()["fc1.weight"])


@pytest.mark.parametrize(
    ("precision", "dtype"), [("fp32", torch.float32), ("bf16", torch.bfloat16)]
)
def test_bf16_precision_runs_the_matmuls_in_bfloat16(
    data: Data, precision: str, dtype: torch.dtype
) -> None:
    """precision: bf16 autocasts the forward pass; fp32 does not."""
    step = make_train_step(_small(precision=precision), torch.nn.Linear(784, 10), steps_per_epoch=1)
    scores, loss = step(data[0][:8], data[1][:8])
    assert scores.dtype == dtype
    assert loss.dtype == torch.float32  # the loss is always taken in fp32


def test_a_rerun_that_reproduces_the_timed_model_keeps_its_time() -> None:
    """timing() is None when the previous record timed these very bytes (git stays clean),
    and a fresh record, time rounded, for other bytes or when there is none."""
    history = History([{"epoch": 1, "train_loss": 0.5, "train_accuracy": 0.7}], 81.234)
    fresh = {"train_seconds": 81.23, "model_md5": "abc"}
    assert history.timing("abc", None) == fresh
    assert history.timing("abc", {"train_seconds": 94.09, "model_md5": "abc"}) is None
    assert history.timing("abc", {"train_seconds": 94.09, "model_md5": "def"}) == fresh
    assert history.timing("abc", {"train_seconds": 94.09}) == fresh


def test_an_adamw_step_matches_the_textbook_update() -> None:
    """One step of our AdamW (fused) against the formula of Loshchilov and Hutter:
    w ← w(1 − lr·λ) − lr·m̂/(√v̂ + ε), m̂ = g, v̂ = g² after one step of bias correction."""
    params = _small(optimizer="adamw", lr=0.01, weight_decay=0.1)
    layer = torch.nn.Linear(3, 2)
    before = layer.weight.detach().clone()
    grad = torch.tensor([[0.5, -1.0, 2.0], [0.0, 0.25, -0.125]])
    layer.weight.grad = grad.clone()
    layer.bias.grad = torch.zeros(2)
    make_optimizer(params, layer).step()
    expected = before * (1 - 0.01 * 0.1) - 0.01 * grad / (grad.abs() + 1e-8)
    torch.testing.assert_close(layer.weight.detach(), expected, rtol=0, atol=1e-6)
