"""The `predict` stage's library: test digits exported as a user's PNG files, and how the
app read them back (the stage runs the app's own numpy path on them)."""

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
from digitlab.mlp.figures.predict import predictions_figure


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
    return SampleScore(
        ("file", "predicted", "confidence", "label"),
        rows,
        {"accuracy": correct / len(samples), "count": len(samples)},
        predictions_figure([s.label for s in samples], predictions),
    )
