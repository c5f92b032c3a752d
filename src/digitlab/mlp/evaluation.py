"""Test-set evaluation, run once on the final model: accuracy, loss, confusion, mistakes."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from matplotlib.figure import Figure

from digitlab.core.config import require
from digitlab.mlp.degrade import RobustnessParams, degradations
from digitlab.mlp.grid import digit_grid
from digitlab.mlp.model import MLP, loss_function


@dataclass(frozen=True)
class EvaluateParams:
    """Params `evaluate`: the mistakes figure's size and the robustness degradations."""

    mistakes: int = 32  # how many confident mistakes plots/misclassified.png shows
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


def evaluate(
    model: MLP,
    images: torch.Tensor,
    labels: torch.Tensor,
    robustness: RobustnessParams | None = None,
) -> Evaluation:
    """Score images (n, 784) against labels (n,) with the loss the model was trained with.

    With `robustness`, also the accuracy on each degraded copy (robust_<name>) and the
    lowest of those (robust_min).
    """
    with torch.no_grad():
        scores = model.eval()(images)  # (n, 10)
        probabilities = model.to_probabilities(scores)  # (n, 10)
        confidence, predicted = probabilities.max(dim=1)  # (n,), (n,)
        metrics = {
            "test_accuracy": _accuracy(probabilities, labels),
            "test_loss": loss_function(model.spec)(scores, labels).item(),
        }
        for digit in range(10):
            mask = labels == digit
            metrics[f"accuracy_class_{digit}"] = (predicted[mask] == digit).double().mean().item()
        if robustness is not None:
            robust = {
                f"robust_{name}": (model(degrade(images)).argmax(1) == labels)
                .double()
                .mean()
                .item()
                for name, degrade in degradations(robustness, len(images)).items()
            }
            metrics |= robust | {"robust_min": min(robust.values())}
    return Evaluation(labels, predicted, confidence, metrics)


def _accuracy(scores: torch.Tensor, labels: torch.Tensor) -> float:
    return (scores.argmax(1) == labels).double().mean().item()


def mistakes_figure(evaluation: Evaluation, images: torch.Tensor, count: int) -> Figure:
    """The `count` most confident mistakes among images (n, 784), captioned truth → guess."""
    worst = evaluation.confident_mistakes(count).tolist()
    captions = [
        f"true {evaluation.labels[i]} → {evaluation.predicted[i]}\n{evaluation.confidence[i]:.0%}"
        for i in worst
    ]
    n_wrong = int((evaluation.predicted != evaluation.labels).sum())
    title = f"The {len(worst)} most confident test mistakes (of {n_wrong})"
    return digit_grid(images[worst].reshape(-1, 28, 28).numpy(), captions, title)
