"""Predict the digit in image files with numpy alone: the CLI, the server, the predict stage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitlab.app.weights import Weights
from digitlab.core.errors import ImageError
from digitlab.mlp.preprocess import load_digit


@dataclass(frozen=True)
class Prediction:
    """The result for one file: a label with its probabilities, or an error."""

    file: str
    label: int | None = None
    confidence: float | None = None
    probabilities: tuple[float, ...] = ()
    image: np.ndarray | None = None  # (28, 28) what the model saw
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        """{"file", "label", "confidence", "probabilities"} or {"file", "error"}."""
        if self.error is not None:
            return {"file": self.file, "error": self.error}
        return {
            "file": self.file,
            "label": self.label,
            "confidence": self.confidence,
            "probabilities": list(self.probabilities),
        }


def classify(model: Weights, images: Sequence[np.ndarray]) -> list[tuple[float, ...]]:
    """Probabilities (10,) for each (28, 28) image, rounded to 6 places, in one forward pass."""
    if not images:
        return []
    batch = np.stack(images).reshape(len(images), -1)  # (n, 784)
    return [tuple(round(p, 6) for p in row) for row in model.probabilities(batch).tolist()]


def predict_files(model: Weights, paths: Sequence[Path]) -> list[Prediction]:
    """One Prediction per path, in order; a bad file gets an error and the rest go on."""
    loaded: list[np.ndarray | str] = []  # the (28, 28) image, or why it could not be read
    for path in paths:
        try:
            loaded.append(load_digit(path))
        except ImageError as err:
            loaded.append(str(err))
    probabilities = iter(classify(model, [x for x in loaded if isinstance(x, np.ndarray)]))
    results = []
    for path, item in zip(paths, loaded, strict=True):
        if isinstance(item, str):
            results.append(Prediction(str(path), error=item))
            continue
        probs = next(probabilities)
        label = int(np.argmax(probs))
        results.append(Prediction(str(path), label, probs[label], probs, item))
    return results
