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
    images, results = [], []
    for path in paths:
        try:
            images.append(load_digit(path))
            results.append(Prediction(str(path)))
        except DigitError as err:
            results.append(Prediction(str(path), error=str(err)))
    good = [r for r in results if r.error is None]
    if not good:
        return results
    batch = torch.from_numpy(np.stack(images)).reshape(len(images), -1)  # (n_ok, 784)
    probabilities = model.probabilities(batch)  # (n_ok, 10)
    filled = iter(zip(good, images, probabilities.tolist(), strict=True))
    out = []
    for result in results:
        if result.error is not None:
            out.append(result)
            continue
        _, image, probs = next(filled)
        label = int(np.argmax(probs))
        rounded = tuple(round(p, 6) for p in probs)
        out.append(Prediction(result.file, label, rounded[label], rounded, image))
    return out
