"""Train the MLP on MNIST held in memory as tensors, shuffled by index each epoch.

Every random draw (initialisation, shuffling, augmentation, dropout) comes from
`params.seed`, and the caller's global RNG state is the same after training as before.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import nn

from digitlab.core.config import require
from digitlab.core.errors import ConfigError, DivergedError
from digitlab.mlp.augment import AugmentParams, distort
from digitlab.mlp.imageops import deskew
from digitlab.mlp.mine import TeachParams
from digitlab.mlp.model import MLP, Activation, Loss, ModelSpec, accuracy, loss_function


@dataclass(frozen=True)
class TrainParams:
    """Params `train`: the defaults are the tutorial exactly; every alternative is opt-in."""

    seed: int = 0
    validation: int = 0  # hold out the last N training images to choose settings on
    hidden_sizes: tuple[int, ...] = (200, 200, 200)
    activation: Activation = "relu"
    loss: Loss = "mse"  # mse is against one-hot labels
    optimizer: Literal["sgd", "adam", "adamw"] = "sgd"
    lr: float = 1.0
    momentum: float = 0.0  # sgd only
    weight_decay: float = 0.0
    label_smoothing: float = 0.0
    schedule: Literal["none", "onecycle"] = "none"
    batch_size: int = 6000
    epochs: int = 200
    normalize: bool = False  # standardise pixels with MNIST's mean and std
    deskew: bool = False  # deskew each input by its moments, in training and at every use
    dropout: float = 0.0
    augment: AugmentParams = field(default_factory=AugmentParams)  # training batches only
    mine: TeachParams = field(default_factory=TeachParams)  # your own digits (make teach)
    fonts: int = 0  # each handwriting font's digit is seen this many times an epoch; 0: off
    precision: Literal["fp32", "bf16"] = "fp32"  # bf16: autocast matmuls where the CPU has it
    # how it runs
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int = 0  # torch CPU threads; 0 keeps torch's default (one per core)
    log_every: int = 10  # epochs between progress lines; changes no output

    def __post_init__(self) -> None:
        require(self.validation >= 0, "validation", self.validation, "an integer >= 0")
        require(
            len(self.hidden_sizes) >= 1, "hidden_sizes", self.hidden_sizes, "at least one layer"
        )
        for width in self.hidden_sizes:
            require(width >= 1, "hidden_sizes", list(self.hidden_sizes), "positive integers")
        require(self.lr > 0, "lr", self.lr, "a number > 0")
        require(0 <= self.momentum < 1, "momentum", self.momentum, "a number in [0, 1)")
        require(self.weight_decay >= 0, "weight_decay", self.weight_decay, "a number >= 0")
        require(
            0 <= self.label_smoothing < 1,
            "label_smoothing",
            self.label_smoothing,
            "a number in [0, 1)",
        )
        require(0 <= self.dropout < 1, "dropout", self.dropout, "a number in [0, 1)")
        require(self.fonts >= 0, "fonts", self.fonts, "an integer >= 0 (0: off)")
        require(self.batch_size >= 1, "batch_size", self.batch_size, "an integer >= 1")
        require(self.epochs >= 1, "epochs", self.epochs, "an integer >= 1")
        require(self.threads >= 0, "threads", self.threads, "an integer >= 0 (0: torch's default)")
        require(self.log_every >= 1, "log_every", self.log_every, "an integer >= 1")

    @property
    def spec(self) -> ModelSpec:
        """The part of the params that a saved model needs to be rebuilt and scored."""
        return ModelSpec(
            self.hidden_sizes,
            self.activation,
            self.dropout,
            self.normalize,
            self.loss,
            self.label_smoothing,
            self.deskew,
        )


@dataclass
class History:
    """One row per epoch (loss, train accuracy, validation accuracy when held out) and the time."""

    rows: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict[str, float]:
        """The last epoch's numbers and the epoch count: metrics/train.json. No time: the
        outputs DVC hashes hold only what a rerun reproduces byte for byte."""
        last = dict(self.rows[-1])
        epochs = int(last.pop("epoch"))
        return {**last, "epochs": epochs}

    def timing(self, model_md5: str, previous: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """metrics/timing.json for a model of these bytes, or None to keep `previous`: a rerun
        that reproduced the timed model leaves its recorded time, and git, as they were."""
        if previous is not None and previous.get("model_md5") == model_md5:
            return None
        return {"train_seconds": round(self.seconds, 2), "model_md5": model_md5}

    def caption(self) -> str:
        """The final accuracy worth quoting: validation when held out, else training."""
        last = self.rows[-1]
        if "val_accuracy" in last:
            return f"validation accuracy {last['val_accuracy']:.2%}"
        return f"training accuracy {last['train_accuracy']:.2%}"


def pick_device(choice: str) -> torch.device:
    """cuda when asked, or when `auto` and CUDA is present; else the CPU."""
    if choice == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "train.device: got 'cuda', but no CUDA device is present; use auto or cpu"
        )
    use_cuda = choice == "cuda" or (choice == "auto" and torch.cuda.is_available())
    return torch.device("cuda" if use_cuda else "cpu")


def hold_out(
    images: torch.Tensor, labels: torch.Tensor, count: int
) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """((train images, labels), (validation images, labels)): the last `count` are held out."""
    require(count < len(images), "train.validation", count, f"fewer than the {len(images)} images")
    cut = len(images) - count
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:])


def make_optimizer(params: TrainParams, model: nn.Module) -> torch.optim.Optimizer:
    """The optimizer that params.optimizer names, with lr, momentum and weight decay."""
    weights = model.parameters()
    # fused: one kernel over all the weights instead of a dozen elementwise passes. On 2 CPU
    # cores a `fast` step alone went from 15.5 to 11.7 ms, but 3 epochs of `fast` end to end
    # only from 7.04 to 6.74 s (medians of 3, side by side): the step is not where it goes.
    if params.optimizer == "adam":
        return torch.optim.Adam(weights, lr=params.lr, weight_decay=params.weight_decay, fused=True)
    if params.optimizer == "adamw":
        return torch.optim.AdamW(
            weights, lr=params.lr, weight_decay=params.weight_decay, fused=True
        )
    return torch.optim.SGD(
        weights, lr=params.lr, momentum=params.momentum, weight_decay=params.weight_decay
    )


Step = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def make_train_step(params: TrainParams, model: nn.Module, steps_per_epoch: int) -> Step:
    """A function that takes one optimizer step on (inputs, labels) and returns (scores, loss)."""
    optimizer = make_optimizer(params, model)
    scheduler = None
    if params.schedule == "onecycle":
        total = params.epochs * steps_per_epoch
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, params.lr, total_steps=total)
    loss_of = loss_function(params.spec)
    device_type = next(model.parameters()).device.type

    def step(inputs: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.autocast(device_type, torch.bfloat16, enabled=params.precision == "bf16"):
            scores = model(inputs)  # (batch, 784) -> (batch, 10)
        loss = loss_of(scores.float(), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        return scores.detach(), loss.detach()

    return step


def run_epoch(
    step: Step,
    images: torch.Tensor,
    labels: torch.Tensor,
    params: TrainParams,
    generator: torch.Generator,
) -> tuple[float, float]:
    """One pass over images (n, 784) in a fresh random order; returns (mean loss, accuracy)."""
    n = len(images)
    order = torch.randperm(n, generator=generator).to(images.device)
    # One batch buffer, refilled by index_select: shuffling costs a copy, not an allocation.
    buffer = torch.empty((min(n, params.batch_size), images.shape[1]), device=images.device)
    loss_sum = torch.zeros((), device=images.device)
    correct = torch.zeros((), dtype=torch.long, device=images.device)
    for first in range(0, n, params.batch_size):
        batch = order[first : first + params.batch_size]
        inputs = torch.index_select(images, 0, batch, out=buffer[: len(batch)])  # (B, 784)
        if params.augment.active:
            inputs = distort(inputs, params.augment, generator)
        scores, loss = step(inputs, labels[batch])
        loss_sum += loss * len(batch)
        correct += (scores.argmax(1) == labels[batch]).sum()
    return loss_sum.item() / n, correct.item() / n


EpochHook = Callable[[dict[str, float]], None]


def train(
    params: TrainParams,
    images: torch.Tensor,
    labels: torch.Tensor,
    log: Callable[[str], None] = print,
    on_epoch: EpochHook | None = None,
    mine: tuple[torch.Tensor, torch.Tensor] | None = None,
    fonts: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> tuple[MLP, History]:
    """Train an MLP on images (n, 784) and labels (n,), holding out the last params.validation.

    `mine` (images (m, 784), labels (m,)): your digits' train half, which joins the
    training images params.mine.weight times over, under the same distortions. `fonts`,
    the same shapes: handwriting fonts' digits, params.fonts times over. The validation
    images stay MNIST's alone.
    on_epoch gets each epoch's row as it is made (the stage logs it with DVCLive).
    DivergedError (with the epoch and a hint) if the loss stops being finite.
    """
    device = pick_device(params.device)
    (train_images, train_labels), (val_images, val_labels) = hold_out(
        images.to(device), labels.to(device), params.validation
    )
    for extra, copies, what in ((mine, params.mine.weight, "of your digits"),
                                (fonts, params.fonts, "handwriting-font digits")):  # fmt: skip
        if extra is not None and copies:
            train_images = torch.cat([train_images, extra[0].to(train_images).repeat(copies, 1)])
            train_labels = torch.cat([train_labels, extra[1].to(train_labels).repeat(copies)])
            log(f"train: with {len(extra[0])} {what}, each {copies} times an epoch")
    if params.deskew:  # once, before augmentation: the batches need no deskew of their own
        train_images = deskew(train_images)  # (n, 784)
        val_images = deskew(val_images)  # once, not at every epoch's check
    generator = torch.Generator().manual_seed(params.seed)
    model = MLP(params.spec, generator).to(device)
    # Dropout draws from torch's global generator. A seed drawn from ours, set inside a
    # fork of the global state, makes the masks follow params.seed and leaves the
    # caller's RNG as it was.
    dropout_seed = int(torch.randint(2**62, (), generator=generator))
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(dropout_seed)
        history = _fit(
            params,
            model,
            (train_images, train_labels),
            (val_images, val_labels),
            generator,
            log,
            on_epoch or (lambda _: None),
        )
    return model.cpu().eval(), history


def _fit(
    params: TrainParams,
    model: MLP,
    train_set: tuple[torch.Tensor, torch.Tensor],
    val_set: tuple[torch.Tensor, torch.Tensor],
    generator: torch.Generator,
    log: Callable[[str], None],
    on_epoch: EpochHook,
) -> History:
    """The epoch loop: one shuffled pass, the NaN guard, validation accuracy, progress lines."""
    images, labels = train_set
    steps_per_epoch = math.ceil(len(images) / params.batch_size)
    step = make_train_step(params, model, steps_per_epoch)
    history, start = History(), time.perf_counter()
    held_out = f", {len(val_set[0])} held out for validation" if params.validation else ""
    log(
        f"train: {len(images)} images{held_out}; "
        f"{params.epochs} × {steps_per_epoch} steps on {images.device}"
    )
    for epoch in range(1, params.epochs + 1):
        model.train()
        train_loss, train_accuracy = run_epoch(step, images, labels, params, generator)
        if not math.isfinite(train_loss):
            raise DivergedError(
                f"train: the loss became {train_loss} at epoch {epoch}; "
                f"lower train.lr (now {params.lr:g}), e.g. -S train.lr={params.lr / 10:g}"
            )
        row = {"epoch": epoch, "train_loss": train_loss, "train_accuracy": train_accuracy}
        if params.validation:
            predicted = model.predicted(val_set[0], prepared=True)  # deskewed by train()
            row["val_accuracy"] = accuracy(predicted, val_set[1])
        history.rows.append(row)
        on_epoch(row)
        if epoch % params.log_every == 0 or epoch in (1, params.epochs):
            accuracies = "  ".join(
                f"{k.removesuffix('_accuracy')} {v:.2%}" for k, v in row.items() if "acc" in k
            )
            elapsed = time.perf_counter() - start
            log(
                f"epoch {epoch:4d}/{params.epochs}  loss {train_loss:.5f}  "
                f"{accuracies}  {elapsed:6.1f} s"
            )
    history.seconds = time.perf_counter() - start
    return history
