"""Test-set evaluation, run once on the final model: MNIST's test set and the real test half.

MNIST gives accuracy, loss, confusion, per-class figures and robustness to degradations;
the UCI scans give `real_accuracy`, how well a model read new writers and scanners.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from digitlab.core.config import require
from digitlab.mlp.degrade import RobustnessParams, degradations
from digitlab.mlp.model import MLP, accuracy, loss_function
from digitlab.mlp.real import RealDigits, as_mnist


@dataclass(frozen=True)
class EvaluateParams:
    """Params `evaluate`: the mistakes figures' size and the robustness degradations."""

    mistakes: int = 32  # how many confident mistakes each mistakes figure shows
    robustness: RobustnessParams = field(default_factory=RobustnessParams)

    def __post_init__(self) -> None:
        require(self.mistakes >= 1, "mistakes", self.mistakes, "an integer >= 1")


@dataclass(frozen=True)
class Evaluation:
    """Labels (n,), predictions (n,), their confidences (n,) and the summary metrics."""

    labels: torch.Tensor
    predicted: torch.Tensor
    confidence: torch.Tensor
    metrics: dict[str, float]

    def confusion_rows(self) -> list[tuple[int, int]]:
        """(actual, predicted) for every image: the data of DVC's confusion plot."""
        return list(zip(self.labels.tolist(), self.predicted.tolist(), strict=True))

    def confident_mistakes(self, count: int) -> torch.Tensor:
        """Indices of up to `count` wrong predictions, most confident first."""
        wrong = torch.nonzero(self.predicted != self.labels).squeeze(1)  # (n_wrong,)
        order = torch.argsort(self.confidence[wrong], descending=True, stable=True)
        return wrong[order[:count]]


def negative_log_likelihood(probabilities: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean −log p(true label) over probabilities (n, 10): one loss that compares models
    trained with different losses (test_loss is each model's own, MSE or cross-entropy)."""
    picked = probabilities.double().gather(1, labels.view(-1, 1)).squeeze(1)  # (n,)
    return float(-picked.clamp(min=1e-12).log().mean())


def worst_class(classes: dict[str, float]) -> float:
    """The lowest per-class accuracy among the digits present (an absent one is NaN)."""
    return min(value for value in classes.values() if not math.isnan(value))


def per_class(predicted: torch.Tensor, labels: torch.Tensor, prefix: str) -> dict[str, float]:
    """{prefix_class_k: the accuracy on the images of digit k} for k = 0..9."""
    return {
        f"{prefix}_class_{digit}": accuracy(predicted[labels == digit], labels[labels == digit])
        for digit in range(10)
    }


def evaluate(
    model: MLP, images: torch.Tensor, labels: torch.Tensor, robustness: RobustnessParams
) -> Evaluation:
    """Score images (n, 784) against labels (n,) with the loss the model was trained with,
    and the accuracy on each degraded copy (robust_<name>) with the lowest (robust_min)."""
    with torch.no_grad():
        scores = model.eval()(images)  # (n, 10)
        probabilities = model.to_probabilities(scores)  # (n, 10)
        confidence, predicted = probabilities.max(dim=1)  # (n,), (n,)
        metrics = {
            "test_accuracy": accuracy(predicted, labels),
            "test_loss": loss_function(model.spec)(scores, labels).item(),
            "test_nll": negative_log_likelihood(probabilities, labels),
            **per_class(predicted, labels, "accuracy"),
        }
        robust = {
            f"robust_{name}": accuracy(model(degrade(images)).argmax(1), labels)
            for name, degrade in degradations(robustness, len(images)).items()
        }
    metrics |= robust | {"robust_min": min(robust.values())}
    return Evaluation(labels, predicted, confidence, metrics)


def half_scores(model: MLP, digits: RealDigits) -> tuple[float, float]:
    """(accuracy, lowest per-digit accuracy) on real digits read through the user-file path:
    the worst digit shows a model that reads every 1 as a 7, which the mean hides."""
    images, labels = as_mnist(digits)
    predicted = model.probabilities(images).argmax(1)
    return accuracy(predicted, labels), worst_class(per_class(predicted, labels, "c"))


def evaluate_real(model: MLP, digits: RealDigits) -> tuple[Evaluation, torch.Tensor]:
    """The real test half scored once (real_accuracy, per class) beside the validation
    half's real_val_accuracy; also the test half's images (n, 784) as the model saw them."""
    images, labels = as_mnist(digits.half("test"))
    confidence, predicted = model.probabilities(images).max(dim=1)  # (n,), (n,)
    classes = per_class(predicted, labels, "real_accuracy")
    val_accuracy, val_min_class = half_scores(model, digits.half("validation"))
    metrics = {
        "real_accuracy": accuracy(predicted, labels),
        "real_val_accuracy": val_accuracy,
        "real_min_class": worst_class(classes),
        "real_val_min_class": val_min_class,
        **classes,
    }
    return Evaluation(labels, predicted, confidence, metrics), images


def evaluate_mine(model: MLP, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """Your digits' test half, images (n, 784) as `digitlab predict` reads them: mine_accuracy,
    mine_count and mine_accuracy_class_<k> for each digit you drew; {} when there are none
    (absent, not 0: no digits is not a score)."""
    if not len(labels):
        return {}
    predicted = model.probabilities(images).argmax(1)  # (n,)
    drawn = [digit for digit in range(10) if (labels == digit).any()]
    return {
        "mine_accuracy": accuracy(predicted, labels),
        "mine_count": len(labels),
        **{
            f"mine_accuracy_class_{d}": accuracy(predicted[labels == d], labels[labels == d])
            for d in drawn
        },
    }
