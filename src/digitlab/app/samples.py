"""The `predict` stage's test digits: exported as a user's PNG files, and how they were read."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image

from digitlab.app.predict import Prediction
from digitlab.core.config import require
from digitlab.mlp.grid import digit_grid


@dataclass(frozen=True)
class PredictParams:
    """Params `predict`: how many test digits to export as PNG, and which (a seeded draw)."""

    count: int = 24
    seed: int = 0

    def __post_init__(self) -> None:
        require(1 <= self.count <= 10000, "count", self.count, "an integer in [1, 10000]")


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
