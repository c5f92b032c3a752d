"""Test-set evaluation: accuracy overall and per class, loss, and the confident mistakes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from digitlab.model import MLP


@dataclass(frozen=True)
class Evaluation:
    """Predictions (n,), their confidences (n,) and the summary metrics."""

    predicted: torch.Tensor
    confidence: torch.Tensor
    metrics: dict[str, float]


def evaluate(
    model: MLP,
    images: torch.Tensor,
    labels: torch.Tensor,
    loss_of: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> Evaluation:
    """Score images (n, 784) against labels (n,) with the training loss `loss_of`."""
    with torch.no_grad():
        scores = model.eval()(images)  # (n, 10)
        probabilities = model.to_probabilities(scores)  # (n, 10)
        confidence, predicted = probabilities.max(dim=1)
        metrics = {
            "test_accuracy": (predicted == labels).double().mean().item(),
            "test_loss": loss_of(scores, labels).item(),
        }
    for digit in range(10):
        mask = labels == digit
        metrics[f"accuracy_class_{digit}"] = (predicted[mask] == digit).double().mean().item()
    return Evaluation(predicted, confidence, metrics)


def confident_mistakes(evaluation: Evaluation, labels: torch.Tensor, count: int) -> torch.Tensor:
    """Indices of up to `count` wrong predictions, most confident first."""
    wrong = torch.nonzero(evaluation.predicted != labels).squeeze(1)  # (n_wrong,)
    order = torch.argsort(evaluation.confidence[wrong], descending=True, stable=True)
    return wrong[order[:count]]
