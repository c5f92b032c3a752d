"""Predict the digit in image files: shared by the `predict` stage and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from digitlab.digits import DigitError, load_digit
from digitlab.model import MLP


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


def predict_files(model: MLP, paths: list[Path]) -> list[Prediction]:
    """One Prediction per path, in order; a bad file gets an error and the rest go on."""
    loaded: list[np.ndarray | str] = []  # the (28, 28) image, or why it could not be read
    for path in paths:
        try:
            loaded.append(load_digit(path))
        except DigitError as err:
            loaded.append(str(err))
    images = [item for item in loaded if isinstance(item, np.ndarray)]
    batch = torch.from_numpy(np.stack(images)).reshape(len(images), -1) if images else None
    probabilities = iter(model.probabilities(batch).tolist() if batch is not None else [])
    results = []
    for path, item in zip(paths, loaded, strict=True):
        if isinstance(item, str):
            results.append(Prediction(str(path), error=item))
            continue
        probs = tuple(round(p, 6) for p in next(probabilities))  # (10,)
        label = int(np.argmax(probs))
        results.append(Prediction(str(path), label, probs[label], probs, item))
    return results
