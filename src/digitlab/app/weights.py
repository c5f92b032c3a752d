"""The trained MLP on numpy alone: its weights from mlp.safetensors, its recipe from mlp.json.

`digitlab predict`, `digitlab serve` and `--exp` run the forward pass here, so reading
a digit needs numpy, Pillow and safetensors, not PyTorch. The card (written by `train`)
says how: the layers in order, the activation between them, the input scaling and how
scores become probabilities. tests/test_weights.py holds this to torch's forward pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitlab.core.errors import DataError
from digitlab.mlp.normalize import deskew

CARD_FORMAT = "digitlab.mlp/2"
HINT = "rerun `dvc repro train`"


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz and Stegun 7.1.26 (error below 1.5e-7): numpy has no erf, and GELU needs it.
    t = 1 / (1 + 0.3275911 * np.abs(x))
    a1, a2, a3, a4, a5 = 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429
    poly = t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5))))
    return np.asarray(np.sign(x) * (1 - poly * np.exp(-(x**2))))


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda x: np.maximum(x, 0),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
}


@dataclass(frozen=True)
class Weights:
    """An MLP as arrays: layers [(W (out, in), b (out,)), ...] in order, and its recipe."""

    layers: list[tuple[np.ndarray, np.ndarray]]
    activation: str
    shift: float  # input scaling: (x − shift) · scale on pixels in [0, 1]
    scale: float
    logits: bool  # scores are logits (cross-entropy), else estimates of probabilities (MSE)
    deskew: bool = False  # inputs deskewed by moments first, as the model was trained

    def scores(self, x: np.ndarray) -> np.ndarray:
        """(batch, 784) pixels in [0, 1] -> (batch, 10) scores, as the model was trained."""
        x = x.astype(np.float32)
        if self.deskew:
            x = deskew(x)
        x = (x - self.shift) * self.scale
        act = ACTIVATIONS[self.activation]
        for weight, bias in self.layers[:-1]:
            x = act(x @ weight.T + bias)  # (batch, in) -> (batch, out)
        weight, bias = self.layers[-1]
        return np.asarray(x @ weight.T + bias)  # (batch, 10)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """(batch, 784) pixels in [0, 1] -> (batch, 10) class probabilities that sum to 1."""
        scores = self.scores(x).astype(np.float64)
        if self.logits:
            exp = np.exp(scores - scores.max(axis=1, keepdims=True))
            return np.asarray(exp / exp.sum(axis=1, keepdims=True))
        # MSE scores estimate the probabilities themselves: clip and renormalise, as torch does.
        clipped = np.clip(scores, 0, None) + 1e-6
        return np.asarray(clipped / clipped.sum(axis=1, keepdims=True))


def weights_from_bytes(tensors: bytes, card: bytes, where: str) -> Weights:
    """Weights from safetensors bytes and the card's JSON; DataError naming `where` if bad."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    try:
        meta = json.loads(card)
        if not isinstance(meta, dict) or meta.get("format") != CARD_FORMAT:
            raise DataError(f"{where}: model card is not {CARD_FORMAT!r}; {HINT}")
        spec, info = meta["spec"], meta["weights"]
        arrays = load(tensors)
        n = len(info["tensors"]) // 2
        layers = [(arrays[f"fc{i}.weight"], arrays[f"fc{i}.bias"]) for i in range(1, n + 1)]
        norm = info["normalize"]
        shift, scale = (norm["mean"], 1 / norm["std"]) if norm["enabled"] else (0.0, 1.0)
        logits, tilt = spec["loss"] == "cross_entropy", bool(spec.get("deskew", False))
        return Weights(layers, spec["activation"], shift, scale, logits, tilt)
    except (ValueError, KeyError, TypeError, SafetensorError) as err:
        message = " ".join(str(err).split())[:160]
        raise DataError(f"{where}: cannot load the weights ({message}); {HINT}") from None


def load_weights(path: Path) -> Weights:
    """The model at path (mlp.pt, mlp.json or mlp.safetensors: the two last are read)."""
    card_path, tensor_path = path.with_suffix(".json"), path.with_suffix(".safetensors")
    try:
        card, tensors = card_path.read_bytes(), tensor_path.read_bytes()
    except FileNotFoundError as err:
        raise DataError(f"{err.filename}: model file not found; {HINT}") from None
    except OSError as err:
        raise DataError(f"{path}: cannot read the model ({err.strerror or err})") from None
    return weights_from_bytes(tensors, card, where=str(tensor_path))
