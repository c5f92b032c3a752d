"""Each classical fit against an oracle: lstsq, finite differences, the tutorial's loops."""

from __future__ import annotations

import numpy as np
import pytest

from digitlab.fits import classical as c
from digitlab.fits.synthetic import Dataset, StepParams, make_step, reverse_x


def test_normal_equation_matches_lstsq_without_intercept(line: Dataset) -> None:
    """The closed form equals numpy's least squares, with and without the outlier."""
    fit = c.fit_normal_equation(line, c.NormalEquationParams())
    noisy = c.with_outlier(line, 2.0)
    assert fit.params["w"] == pytest.approx(
        c.least_squares(noisy.x, noisy.y, intercept=False)[0], abs=1e-12
    )
    assert fit.params["w_clean"] == pytest.approx(
        c.least_squares(line.x, line.y, intercept=False)[0], abs=1e-12
    )
    assert c.summarize(fit)["mse_gap"] == pytest.approx(0.0, abs=1e-12)


def test_outlier_moves_only_the_last_point(line: Dataset) -> None:
    """The tutorial's outlier replaces the last y and nothing else."""
    noisy = c.with_outlier(line, 2.0)
    assert noisy.y[-1] == 2.0
    np.testing.assert_array_equal(noisy.y[:-1], line.y[:-1])
    assert c.with_outlier(line, None) is line


def test_online_matches_the_tutorial_loop(line: Dataset) -> None:
    """w ← w + (y − w·x)·x over the points in order, written as the tutorial writes it."""
    w = 0.5
    for i in range(len(line.x)):
        x, y = line.x[i], line.y[i]
        y_pre = w * x
        e = y - y_pre
        w = w + e * x
    assert c.fit_online(line, c.OnlineParams()).params["w"] == pytest.approx(w, abs=1e-12)


def test_sgd_matches_the_tutorial_loop(line: Dataset) -> None:
    """One pass of w ← w − α·(2x²w − 2xy), the tutorial's own loop."""
    w, alpha = 0.1, 0.1
    for i in range(len(line.x)):
        x, y = line.x[i], line.y[i]
        k = 2 * (x**2) * w + (-2 * x * y)
        w = w - alpha * k
    assert c.fit_sgd(line, c.SgdParams()).params["w"] == pytest.approx(w, abs=1e-12)


def test_minibatch_uses_contiguous_batches_and_their_own_length() -> None:
    """A last short batch is averaged over its own points, not divided by the batch size."""
    data = Dataset(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0]))
    fit = c.fit_minibatch(data, c.MinibatchParams(alpha=0.01, w0=0.0, batch_size=2, epochs=1))
    w = 0.0
    for xs, ys in (([1.0, 2.0], [2.0, 4.0]), ([3.0], [6.0])):
        x, y = np.array(xs), np.array(ys)
        w -= 0.01 * np.mean(2 * x**2 * w - 2 * x * y)
    assert fit.params["w"] == pytest.approx(w, abs=1e-15)


def test_minibatch_lands_near_lstsq(line: Dataset) -> None:
    """With the tutorial's defaults the batched fit ends within 1% of the least-squares w."""
    fit = c.fit_minibatch(line, c.MinibatchParams())
    optimum = c.least_squares(line.x, line.y, intercept=False)[0]
    assert fit.params["w"] == pytest.approx(optimum, rel=0.01)
    assert c.summarize(fit)["mse_gap"] < 1e-4


def test_gd_bias_approaches_lstsq_as_epochs_grow(line: Dataset) -> None:
    """Per-point descent on w and b nears lstsq's (w, b) as epochs grow and α shrinks.

    With a fixed α, cyclic per-point updates settle on a point biased by α, so
    the oracle only holds as α·(bias) vanishes: more epochs at a smaller step.
    """
    data = reverse_x(line)
    target = c.least_squares(data.x, data.y, intercept=True)
    distances = []
    for alpha, epochs in ((0.1, 15), (0.01, 200), (0.001, 2000)):
        fit = c.fit_gd_bias(data, c.GdBiasParams(alpha=alpha, epochs=epochs))
        distances.append(np.hypot(fit.params["w"] - target[0], fit.params["b"] - target[1]))
    assert distances[0] > distances[1] > distances[2]
    assert distances[2] < 0.05


def test_sigmoid_gradient_matches_finite_differences() -> None:
    """The tutorial's chain rule equals central differences of (y − σ(wx + b))²."""

    def error(w: float, b: float, x: float, y: float) -> float:
        return (y - 1 / (1 + np.exp(-(w * x + b)))) ** 2

    h = 1e-6
    for w, b, x, y in [(0.1, 0.1, 0.3, 0.0), (2.0, -1.0, 0.8, 1.0), (-3.0, 0.5, 0.5, 1.0)]:
        dw, db = c.sigmoid_grads(w, b, x, y)
        assert dw == pytest.approx(
            (error(w + h, b, x, y) - error(w - h, b, x, y)) / (2 * h), abs=1e-8
        )
        assert db == pytest.approx(
            (error(w, b + h, x, y) - error(w, b - h, x, y)) / (2 * h), abs=1e-8
        )


def test_sigmoid_separates_the_step() -> None:
    """The sigmoid unit learns the step: loss falls and every point is classified."""
    data = make_step(StepParams(), np.random.default_rng(1))
    fit = c.fit_sigmoid(data, c.SigmoidParams(epochs=300))
    assert fit.curve[2][-1] < fit.curve[2][0]
    assert c.summarize(fit)["accuracy"] >= 0.95


def test_summary_of_a_linear_fit_reports_the_gap_to_lstsq(line: Dataset) -> None:
    """mse_gap is mse − mse_optimal, and never negative for a model of the same form."""
    metrics = c.summarize(c.fit_online(line, c.OnlineParams()))
    assert set(metrics) == {"w", "mse", "mse_optimal", "mse_gap"}
    assert metrics["mse_gap"] == pytest.approx(metrics["mse"] - metrics["mse_optimal"])
    assert metrics["mse_gap"] >= 0


LINEAR = {
    "online": (c.fit_online, c.OnlineParams(), len),
    "sgd": (c.fit_sgd, c.SgdParams(), len),
    "minibatch": (c.fit_minibatch, c.MinibatchParams(epochs=7), lambda _: 7),
    "gd_bias": (c.fit_gd_bias, c.GdBiasParams(epochs=5), lambda _: 5),
}


@pytest.mark.parametrize("name", sorted(LINEAR))
def test_loss_curve_is_one_mse_per_step_ending_at_the_fit(name: str, line: Dataset) -> None:
    """The curve is ('step', 1..n, losses): one point per update or epoch, and the last
    equals numpy's MSE of the final line on the data, computed here."""
    fit_function, params, steps = LINEAR[name]
    data = reverse_x(line) if name == "gd_bias" else line
    fit = fit_function(data, params)
    label, xs, losses = fit.curve
    assert label == "step"
    assert list(xs) == list(range(1, steps(data.x) + 1))
    assert len(losses) == len(xs)
    w, b = fit.params["w"], fit.params.get("b", 0.0)
    assert losses[-1] == pytest.approx(np.mean((w * data.x + b - data.y) ** 2), rel=1e-12)
    assert c.summarize(fit)["mse"] == pytest.approx(losses[-1], rel=1e-12)
    np.testing.assert_allclose(fit.predict(np.array([0.0, 1.0])), [b, w + b], rtol=1e-12)


def test_normal_equation_curve_is_the_loss_parabola_over_w(line: Dataset) -> None:
    """x is 61 values of w from w_min to w_max; y is the MSE of y = w·x on the noisy data."""
    params = c.NormalEquationParams(w_min=0.5, w_max=2.5)
    label, ws, losses = c.fit_normal_equation(line, params).curve
    noisy = c.with_outlier(line, params.outlier_y)
    assert label == "w"
    np.testing.assert_allclose(ws, np.linspace(0.5, 2.5, 61))
    expected = [np.mean((w * noisy.x - noisy.y) ** 2) for w in ws]
    np.testing.assert_allclose(losses, expected, rtol=1e-12)


def test_sigmoid_curve_and_summary_score_the_final_unit() -> None:
    """The last loss and the summary's mse are the MSE of σ(w·x + b); accuracy thresholds at 0.5."""
    data = make_step(StepParams(n_samples=40), np.random.default_rng(1))
    fit = c.fit_sigmoid(data, c.SigmoidParams(epochs=30))
    w, b = fit.params["w"], fit.params["b"]
    probabilities = 1 / (1 + np.exp(-(w * data.x + b)))
    summary = c.summarize(fit)
    assert fit.curve[2][-1] == pytest.approx(np.mean((probabilities - data.y) ** 2), rel=1e-12)
    assert summary["mse"] == pytest.approx(fit.curve[2][-1], rel=1e-12)
    assert summary["accuracy"] == np.mean((probabilities >= 0.5) == (data.y == 1))
    assert set(summary) == {"w", "b", "mse", "accuracy"}


def test_caption_shows_the_fitted_line_only() -> None:
    """Figure titles show w, b and w_clean to four digits, and leave other params out."""
    fit = c.Fit({"w": 1.23456, "b": -0.5, "fc1_w_0": 3.0}, Dataset(np.zeros(2), np.zeros(2)),
                ("step", [1], [0.0]), lambda x: x)  # fmt: skip
    assert fit.caption() == "w=1.235, b=-0.5"
