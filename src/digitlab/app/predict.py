"""Predict the digit in image files: shared by the `predict` stage, the CLI and the server."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image

from digitlab.core.config import require
from digitlab.core.errors import ImageError
from digitlab.mlp.grid import digit_grid
from digitlab.mlp.model import MLP
from digitlab.mlp.preprocess import load_digit


@dataclass(frozen=True)
class PredictParams:
    """Params `predict`: how many test digits to export as PNG, and which (a seeded draw)."""

    count: int = 24
    seed: int = 0

    def __post_init__(self) -> None:
        require(1 <= self.count <= 10000, "count", self.count, "an integer in [1, 10000]")


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


def classify(model: MLP, images: Sequence[np.ndarray]) -> list[tuple[float, ...]]:
    """Probabilities (10,) for each (28, 28) image, rounded to 6 places, in one forward pass."""
    if not images:
        return []
    batch = torch.from_numpy(np.stack(images)).reshape(len(images), -1)  # (n, 784)
    return [tuple(round(p, 6) for p in row) for row in model.probabilities(batch).tolist()]


def predict_files(model: MLP, paths: Sequence[Path]) -> list[Prediction]:
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


@dataclass(frozen=True)
class Sample:
    """A test digit exported as a user's file would be: a PNG named after its index."""

    name: str
    png: bytes
    label: int


def export_samples(
    images: torch.Tensor, labels: torch.Tensor, params: PredictParams
) -> list[Sample]:
    """params.count test images (n, 784) in [0, 1], drawn with params.seed, as 8-bit PNGs."""
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(params.seed))
    samples = []
    for index in sorted(order[: params.count].tolist()):
        pixels = (images[index].reshape(28, 28).numpy() * 255).round().astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="png")
        samples.append(Sample(f"mnist_test_{index:05d}.png", buffer.getvalue(), int(labels[index])))
    return samples


@dataclass(frozen=True)
class SampleScore:
    """How the exported samples were read: a table, its summary and a captioned grid."""

    header: tuple[str, ...]
    rows: list[tuple[object, ...]]
    metrics: dict[str, float]
    figure: Figure


def score_samples(samples: Sequence[Sample], predictions: Sequence[Prediction]) -> SampleScore:
    """Compare each sample's label with its prediction; errors count as misses."""
    pairs = list(zip(samples, predictions, strict=True))
    rows: list[tuple[object, ...]] = [(s.name, p.label, p.confidence, s.label) for s, p in pairs]
    correct = sum(p.label == s.label for s, p in pairs)
    shown = [(s, p, p.image) for s, p in pairs if p.image is not None]
    captions = [
        f"{p.label} ({p.confidence:.0%})" + ("" if p.label == s.label else f"\ntrue {s.label}")
        for s, p, _ in shown
    ]
    images = np.stack([image for *_, image in shown]) if shown else np.zeros((0, 28, 28))
    title = f"Predictions on {len(samples)} exported test PNGs: {correct} right"
    return SampleScore(
        ("file", "predicted", "confidence", "label"),
        rows,
        {"accuracy": correct / len(samples), "count": len(samples)},
        digit_grid(images, captions, title),
    )
