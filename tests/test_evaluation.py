"""Test-set scoring pinned to independent counts: per class, loss, robustness, mistakes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from digitlab.mlp.degrade import RobustnessParams, degradations
from digitlab.mlp.evaluation import Evaluation, evaluate, per_class
from digitlab.mlp.figures.evaluate import mistakes_figure
from digitlab.mlp.model import MLP, ModelSpec, accuracy


@pytest.fixture(scope="module")
def batch() -> tuple[MLP, torch.Tensor, torch.Tensor]:
    """A small cross-entropy model and 200 random images with labels."""
    generator = torch.Generator().manual_seed(0)
    model = MLP(ModelSpec(hidden_sizes=(32,), loss="cross_entropy"), generator).eval()
    images = torch.zeros(200, 28, 28)  # ink in the middle, paper around it, like a digit
    images[:, 6:22, 8:20] = torch.rand(200, 16, 12, generator=generator)
    images = images.reshape(200, 784)
    labels = torch.randint(0, 10, (200,), generator=generator)
    return model, images, labels


def test_accuracy_and_per_class_match_a_confusion_count() -> None:
    """Overall and per-class accuracy equal the diagonal of numpy's confusion counts."""
    rng = np.random.default_rng(0)
    labels, predicted = rng.integers(0, 10, 500), rng.integers(0, 10, 500)
    predicted[:200] = labels[:200]
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (labels, predicted), 1)
    got = per_class(torch.from_numpy(predicted), torch.from_numpy(labels), "acc")
    for k in range(10):
        assert got[f"acc_class_{k}"] == pytest.approx(confusion[k, k] / confusion[k].sum())
    overall = accuracy(torch.from_numpy(predicted), torch.from_numpy(labels))
    assert overall == pytest.approx(np.trace(confusion) / 500)


def test_evaluate_agrees_with_training_accuracy_and_torch_cross_entropy(batch) -> None:  # type: ignore[no-untyped-def]
    """test_accuracy is the count of right labels predicted 64 at a time, as training's
    validation does; test_loss is F.cross_entropy."""
    model, images, labels = batch
    metrics = evaluate(model, images, labels, RobustnessParams()).metrics
    right = int((model.predicted(images, batch=64) == labels).sum())
    assert metrics["test_accuracy"] == pytest.approx(right / len(labels))
    with torch.no_grad():
        expected = nn.functional.cross_entropy(model(images), labels).item()
    assert metrics["test_loss"] == pytest.approx(expected, rel=1e-6)


def test_robustness_is_accuracy_on_each_degraded_copy_and_min_is_the_worst(batch) -> None:  # type: ignore[no-untyped-def]
    """robust_<name> scores the same images under that degradation; robust_min is the lowest."""
    model, images, labels = batch
    params = RobustnessParams(seed=3)
    metrics = evaluate(model, images, labels, params).metrics
    for name, degrade in degradations(params, len(images)).items():
        expected = int((model.predicted(degrade(images)) == labels).sum()) / len(labels)
        assert metrics[f"robust_{name}"] == pytest.approx(expected), name
    robust = [v for k, v in metrics.items() if k.startswith("robust_") and k != "robust_min"]
    assert len(robust) == 9
    assert metrics["robust_min"] == min(robust)


def test_confident_mistakes_come_most_confident_first_and_skip_right_answers() -> None:
    """Only wrong predictions are listed, ordered by confidence, at most `count`."""
    labels = torch.tensor([0, 1, 2, 3, 4])
    predicted = torch.tensor([0, 7, 2, 9, 8])
    confidence = torch.tensor([0.99, 0.5, 0.9, 0.8, 0.6])
    evaluation = Evaluation(labels, predicted, confidence, {})
    assert evaluation.confident_mistakes(10).tolist() == [3, 4, 1]
    assert evaluation.confident_mistakes(2).tolist() == [3, 4]
    assert evaluation.confusion_rows() == [(0, 0), (1, 7), (2, 2), (3, 9), (4, 8)]
    figure = mistakes_figure(evaluation, torch.zeros(5, 784), 2, "tiny")
    assert figure.texts[0].get_text() == "The 2 most confident mistakes on tiny (of 3)"


def test_nll_is_cross_entropy_for_logits_and_compares_across_losses(batch) -> None:  # type: ignore[no-untyped-def]
    """test_nll equals F.cross_entropy for a cross-entropy model; for an MSE model it is
    −log of its clipped, renormalised scores (numpy), not its MSE test_loss."""
    model, images, labels = batch
    metrics = evaluate(model, images, labels, RobustnessParams()).metrics
    with torch.no_grad():
        expected = nn.functional.cross_entropy(model(images), labels).item()
    assert metrics["test_nll"] == pytest.approx(expected, rel=1e-5)

    mse_model = MLP(ModelSpec(hidden_sizes=(32,)), torch.Generator().manual_seed(1)).eval()
    mse = evaluate(mse_model, images, labels, RobustnessParams()).metrics
    with torch.no_grad():
        scores = mse_model(images).numpy().astype(np.float64)
    clipped = np.clip(scores, 0, None) + 1e-6
    p = clipped / clipped.sum(axis=1, keepdims=True)
    oracle = -np.log(np.maximum(p[np.arange(len(labels)), labels.numpy()], 1e-12)).mean()
    assert mse["test_nll"] == pytest.approx(oracle, rel=1e-4)
    assert mse["test_nll"] != pytest.approx(mse["test_loss"])
