"""The MNIST MLP, and how it is saved: a plain state_dict plus a JSON description.

With the default config the state_dict has exactly the keys of the tutorial's
`Net` (fc1..fc4), so a reader's own predict script can load models/mlp.pt.
"""

from __future__ import annotations

import itertools
import json
import pickle
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from digitlab.config import ConfigError
from digitlab.io import write_json, write_with
from digitlab.nets import seeded_linear

Activation = Literal["relu", "gelu", "tanh", "sigmoid"]
ACTIVATIONS: dict[str, Any] = {
    "relu": torch.relu,
    "gelu": nn.functional.gelu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # of the training pixels in [0, 1]


@dataclass(frozen=True)
class Architecture:
    """Everything needed to rebuild a saved model and feed it: layers and input scaling."""

    hidden_sizes: tuple[int, ...] = (200, 200, 200)
    activation: Activation = "relu"
    dropout: float = 0.0
    normalize: bool = False  # (x − MNIST_MEAN) / MNIST_STD on pixels in [0, 1]
    scores: Literal["one_hot", "logits"] = "one_hot"  # what the outputs were trained to be


class MLP(nn.Module):
    """784 → hidden_sizes → 10 with `activation` between layers; returns (batch, 10) scores."""

    def __init__(self, arch: Architecture, generator: torch.Generator | None = None) -> None:
        super().__init__()
        generator = generator if generator is not None else torch.Generator().manual_seed(0)
        widths = [28 * 28, *arch.hidden_sizes, 10]
        # Named fc1, fc2, ... like the tutorial's Net, so state_dicts are interchangeable.
        for i, (n_in, n_out) in enumerate(itertools.pairwise(widths), start=1):
            self.add_module(f"fc{i}", seeded_linear(n_in, n_out, generator))
        self.layers = [getattr(self, f"fc{i}") for i in range(1, len(widths))]
        self.activation = ACTIVATIONS[arch.activation]
        self.dropout = arch.dropout
        self.shift, self.scale = (MNIST_MEAN, 1 / MNIST_STD) if arch.normalize else (0.0, 1.0)
        self.scores_are_logits = arch.scores == "logits"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, 784) pixels in [0, 1] -> (batch, 10) scores."""
        if self.scale != 1.0:
            x = (x - self.shift) * self.scale
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
            if self.dropout:
                x = nn.functional.dropout(x, self.dropout, self.training)
        return self.layers[-1](x)  # type: ignore[no-any-return]

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


def save_model(model: MLP, arch: Architecture, path: Path) -> None:
    """Write path (a plain state_dict) and path.json (the architecture), atomically."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    write_with(path, lambda f: torch.save(state, f))
    write_json(path.with_suffix(".json"), {"format": "digitlab.mlp/1", **asdict(arch)})


def load_model(path: Path) -> tuple[MLP, Architecture]:
    """The model saved at path, in eval mode on the CPU; ConfigError if it cannot be read."""
    meta_path = path.with_suffix(".json")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        meta.pop("format", None)
        arch = Architecture(**{**meta, "hidden_sizes": tuple(meta["hidden_sizes"])})
        state = torch.load(path, map_location="cpu", weights_only=True)
        model = MLP(arch)
        model.load_state_dict(state)
    except FileNotFoundError as err:
        raise ConfigError(f"{err.filename}: model file not found; run `dvc repro train`") from None
    except (OSError, ValueError, TypeError, KeyError, RuntimeError, pickle.UnpicklingError) as err:
        message = " ".join(str(err).split())[:200]
        raise ConfigError(
            f"{path}: cannot load the model ({message}); rerun `dvc repro train`"
        ) from None
    return model.eval(), arch
