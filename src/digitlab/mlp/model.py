"""The MNIST MLP, how it is scored, and how it is saved: a state_dict plus a JSON card.

With the default config the state_dict has exactly the keys of the tutorial's
`Net` (fc1..fc4), so a reader's own predict script can load models/mlp.pt.
models/mlp.json records everything needed to rebuild, feed and score the model,
so `evaluate`, `predict` and the CLI never read params.yaml's `train` section.
"""

from __future__ import annotations

import io
import itertools
import json
import pickle
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from digitlab.core.config import from_dict
from digitlab.core.errors import ConfigError, DataError
from digitlab.core.io import write_bytes, write_json, write_with
from digitlab.core.layers import seeded_linear
from digitlab.mlp.imageops import deskew

Activation = Literal["relu", "gelu", "tanh", "sigmoid"]
Loss = Literal["mse", "cross_entropy"]
ACTIVATIONS: dict[str, Any] = {
    "relu": torch.relu,
    "gelu": nn.functional.gelu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # of the training pixels in [0, 1]
FORMAT = "digitlab.mlp/2"
LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to rebuild a saved model, feed it and score it."""

    hidden_sizes: tuple[int, ...] = (200, 200, 200)
    activation: Activation = "relu"
    dropout: float = 0.0
    normalize: bool = False  # (x − MNIST_MEAN) / MNIST_STD on pixels in [0, 1]
    loss: Loss = "mse"  # mse against (smoothed) one-hot targets, or cross-entropy on logits
    label_smoothing: float = 0.0
    deskew: bool = False  # inputs deskewed by moments first (mlp.normalize); absent: False


def loss_function(spec: ModelSpec) -> LossFunction:
    """(scores (batch, 10), labels (batch,)) -> scalar loss, as the model was trained."""
    smoothing = spec.label_smoothing
    if spec.loss == "cross_entropy":
        return lambda scores, labels: nn.functional.cross_entropy(
            scores, labels, label_smoothing=smoothing
        )
    eye = torch.eye(10) * (1 - smoothing) + smoothing / 10  # (10, 10) row k: target for label k

    def mse(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return nn.functional.mse_loss(scores, eye.to(scores.device)[labels])

    return mse


class MLP(nn.Module):
    """784 → hidden_sizes → 10 with `activation` between layers; returns (batch, 10) scores."""

    def __init__(self, spec: ModelSpec, generator: torch.Generator | None = None) -> None:
        super().__init__()
        generator = generator if generator is not None else torch.Generator().manual_seed(0)
        widths = [28 * 28, *spec.hidden_sizes, 10]
        # Named fc1, fc2, ... like the tutorial's Net, so state_dicts are interchangeable.
        for i, (n_in, n_out) in enumerate(itertools.pairwise(widths), start=1):
            self.add_module(f"fc{i}", seeded_linear(n_in, n_out, generator))
        self.layers = [getattr(self, f"fc{i}") for i in range(1, len(widths))]
        self.spec = spec  # the model carries its description: save_model writes it to the card
        self.activation = ACTIVATIONS[spec.activation]
        self.dropout = spec.dropout
        self.shift, self.scale = (MNIST_MEAN, 1 / MNIST_STD) if spec.normalize else (0.0, 1.0)
        self.scores_are_logits = spec.loss == "cross_entropy"
        self.deskew = spec.deskew

    def forward(self, x: torch.Tensor, prepared: bool = False) -> torch.Tensor:
        """(batch, 784) pixels in [0, 1] -> (batch, 10) scores; prepared: x is deskewed
        already where the spec asks for it (training's images, deskewed once)."""
        # Torch's copy of the app's numpy step (tests hold them together). In training mode
        # the inputs are the training set, deskewed once before augmentation by train().
        if self.deskew and not self.training and not prepared:
            x = deskew(x)
        if self.scale != 1.0:
            x = (x - self.shift) * self.scale
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
            if self.dropout:
                # Draws from torch's global generator; training seeds a private fork of it.
                x = nn.functional.dropout(x, self.dropout, self.training)
        return self.layers[-1](x)  # type: ignore[no-any-return]

    @torch.no_grad()
    def predicted(self, x: torch.Tensor, batch: int = 10000, prepared: bool = False
                  ) -> torch.Tensor:  # fmt: skip
        """(n, 784) pixels in [0, 1] -> (n,) labels, in eval mode, `batch` images at a time."""
        self.eval()
        chunks = [x[i : i + batch] for i in range(0, len(x), batch)]
        return torch.cat([self(chunk, prepared).argmax(1) for chunk in chunks])

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, 784) pixels in [0, 1] -> (batch, 10) class probabilities that sum to 1."""
        return self.to_probabilities(self.eval()(x))

    def to_probabilities(self, scores: torch.Tensor) -> torch.Tensor:
        """(batch, 10) scores of this model -> (batch, 10) probabilities that sum to 1."""
        if self.scores_are_logits:
            return torch.softmax(scores, dim=1)
        # MSE against one-hot targets makes the scores estimates of the probabilities
        # themselves; softmax would flatten them, so clip and renormalise instead.
        clipped = scores.clamp(min=0) + 1e-6
        return clipped / clipped.sum(dim=1, keepdim=True)


def accuracy(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    """The fraction of predictions (n,) equal to their labels (n,)."""
    return (predicted == labels).double().mean().item()


def save_model(model: MLP, path: Path, trained_with: Mapping[str, Any] | None = None) -> None:
    """Write path (a plain state_dict), path.safetensors (the same tensors, for numpy) and
    path.json (the card: spec, how to run the tensors, training params), atomically."""
    from safetensors.numpy import save

    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    write_with(path, lambda f: torch.save(state, f))
    write_bytes(path.with_suffix(".safetensors"), save({k: v.numpy() for k, v in state.items()}))
    spec = asdict(model.spec)
    if not spec["deskew"]:
        del spec["deskew"]  # a card without it means none: older cards read the same
    card = {
        "format": FORMAT,
        "spec": spec,
        "weights": weights_card(spec, len(model.layers)),
        "trained_with": dict(trained_with or {}),
    }
    write_json(path.with_suffix(".json"), card)


def weights_card(spec: dict[str, Any], n_layers: int) -> dict[str, Any]:
    """What mlp.json says about mlp.safetensors: enough to run it without this package."""
    card = _weights_card(spec, n_layers)
    if spec.get("deskew"):  # only when on, so the cards of older recipes stay as they were
        card["deskew"] = (
            "before normalize: shear each image's rows by cov(x, y) / var(y) of its ink about "
            "its centre row, as digitlab.mlp.normalize.deskew does"
        )
    return card


def _weights_card(spec: dict[str, Any], n_layers: int) -> dict[str, Any]:
    return {
        "file": "mlp.safetensors",
        "tensors": [f"fc{i}.{part}" for i in range(1, n_layers + 1) for part in ("weight", "bias")],
        "forward": (
            "x (batch, 784), pixels in [0, 1]; if normalize: x = (x - mean) / std; for each "
            "layer but the last: x = activation(x @ weight.T + bias); scores = x @ weight.T + bias"
        ),
        "activation": spec["activation"],
        "normalize": {"enabled": spec["normalize"], "mean": MNIST_MEAN, "std": MNIST_STD},
        "probabilities": (
            "softmax(scores)"
            if spec["loss"] == "cross_entropy"
            else "clip(scores, 0) + 1e-6, divided by its sum"
        ),
        "preprocessing": (
            "read_digit: ink map, crop to the bounding box, scale into 20x20 keeping the aspect "
            "ratio (Lanczos), centre of mass at the centre of 28x28, white on black in [0, 1]"
        ),
    }


def load_model(path: Path) -> MLP:
    """The model saved at path (and its card path.json), in eval mode; DataError if unreadable."""
    card_path = path.with_suffix(".json")
    try:
        card, weights = card_path.read_bytes(), path.read_bytes()
    except FileNotFoundError as err:
        raise DataError(f"{err.filename}: model file not found; run `dvc repro train`") from None
    except OSError as err:
        raise DataError(f"{path}: cannot read the model ({err.strerror or err})") from None
    return model_from_bytes(weights, card, where=str(path))


def model_from_bytes(weights: bytes, card: bytes, where: str) -> MLP:
    """A model from its state_dict bytes and card JSON; DataError naming `where` if bad."""
    hint = "rerun `dvc repro train`"
    try:
        meta = json.loads(card)
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else None
            raise DataError(f"{where}: model card format {found!r}, expected {FORMAT!r}; {hint}")
        spec = from_dict(ModelSpec, meta["spec"], where=f"{where}:spec")
        state = torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True)
        model = MLP(spec)
        model.load_state_dict(state)
    except (ValueError, KeyError, RuntimeError, EOFError, pickle.UnpicklingError) as err:
        message = " ".join(str(err).split())[:200]
        raise DataError(f"{where}: cannot load the model ({message}); {hint}") from None
    except ConfigError as err:
        raise DataError(f"{err}; {hint}") from None
    return model.eval()
