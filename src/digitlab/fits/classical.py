"""The tutorial's hand-written fits, step by step, in plain NumPy.

Each fit returns a `Fit`: its parameters, its training loss after every step or
epoch, and a predict function for plotting. The update rules are the tutorial's
own, written with Python floats so they read like the tutorial's loops.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from digitlab.core.config import require
from digitlab.fits.synthetic import Dataset


@dataclass(frozen=True)
class Fit:
    """Fitted parameters, training data, loss curve and a predict function on (n,) arrays."""

    params: dict[str, float]
    data: Dataset
    curve: tuple[str, Sequence[float], list[float]]  # (x label, x values, loss values)
    predict: Callable[[np.ndarray], np.ndarray]
    classifier: bool = False

    def caption(self) -> str:
        """The fitted w and b (and w_clean) for a figure's title, e.g. 'w=1.53, b=0.1'."""
        return ", ".join(f"{k}={v:.4g}" for k, v in self.params.items() if k in _SHOWN)


_SHOWN = ("w", "b", "w_clean")


def mse(prediction: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error of two (n,) arrays."""
    return float(np.mean((prediction - y) ** 2))


def least_squares(x: np.ndarray, y: np.ndarray, *, intercept: bool) -> np.ndarray:
    """The lstsq solution [w] or [w, b] of y ≈ w·x (+ b); the oracle for every linear fit."""
    columns = [x, np.ones_like(x)] if intercept else [x]
    design = np.stack(columns, axis=1)  # (n, 1 or 2)
    # lstsq, not inv(X.T @ X): stable when x is rank-deficient
    solution, *_ = np.linalg.lstsq(design, y, rcond=None)
    return np.asarray(solution)


def _line(w: float, b: float = 0.0) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: w * x + b


def _steps(losses: list[float]) -> tuple[str, Sequence[float], list[float]]:
    return "step", list(range(1, len(losses) + 1)), losses


# --- 1. y = w·x --------------------------------------------------------------


@dataclass(frozen=True)
class OnlineParams:
    """Params `online`: the starting w."""

    w0: float = 0.5


def fit_online(data: Dataset, params: OnlineParams) -> Fit:
    """One pass of the tutorial's first rule, w ← w + (y − w·x)·x, over the points in order."""
    w, losses = params.w0, []
    for x, y in zip(data.x.tolist(), data.y.tolist(), strict=True):
        w = w + (y - w * x) * x
        losses.append(mse(w * data.x, data.y))
    return Fit({"w": w}, data, _steps(losses), _line(w))


@dataclass(frozen=True)
class NormalEquationParams:
    """Params `normal_equation`: the outlier to inject and the w range of the loss curve."""

    outlier_y: float | None = 2.0  # the tutorial sets the last y to 2.0; null keeps the data clean
    w_min: float = 0.0
    w_max: float = 3.0

    def __post_init__(self) -> None:
        require(self.w_max > self.w_min, "w_max", self.w_max, f"a number > w_min ({self.w_min})")


def closed_form_w(x: np.ndarray, y: np.ndarray) -> float:
    """Closed-form w = Σxy / Σx² for y = w·x; x and y are (n,)."""
    return float(np.dot(x, y) / np.dot(x, x))


def with_outlier(data: Dataset, outlier_y: float | None) -> Dataset:
    """The data with its last y replaced by `outlier_y`, as the tutorial does; unchanged if None."""
    if outlier_y is None:
        return data
    y = data.y.copy()
    y[-1] = outlier_y
    return Dataset(data.x, y)


def fit_normal_equation(clean: Dataset, params: NormalEquationParams) -> Fit:
    """Solve for w in one step after injecting the outlier; the curve is loss over a grid of w."""
    data = with_outlier(clean, params.outlier_y)
    w = closed_form_w(data.x, data.y)
    fitted = {"w": w, "w_clean": closed_form_w(clean.x, clean.y)}
    grid = np.linspace(params.w_min, params.w_max, 61)  # (61,)
    losses = [mse(g * data.x, data.y) for g in grid]
    return Fit(fitted, data, ("w", grid.tolist(), losses), _line(w))


# --- 2. Gradient descent -----------------------------------------------------


@dataclass(frozen=True)
class SgdParams:
    """Params `sgd`: step size and starting w."""

    alpha: float = 0.1
    w0: float = 0.1

    def __post_init__(self) -> None:
        require(self.alpha > 0, "alpha", self.alpha, "a number > 0")


def fit_sgd(data: Dataset, params: SgdParams) -> Fit:
    """One pass of w ← w − α·k with the per-point slope k = 2x²w − 2xy."""
    w, losses = params.w0, []
    for x, y in zip(data.x.tolist(), data.y.tolist(), strict=True):
        k = 2 * x**2 * w - 2 * x * y
        w = w - params.alpha * k
        losses.append(mse(w * data.x, data.y))
    return Fit({"w": w}, data, _steps(losses), _line(w))


@dataclass(frozen=True)
class MinibatchParams:
    """Params `minibatch`: step size, starting w, batch size and epochs."""

    alpha: float = 0.1
    w0: float = 0.1
    batch_size: int = 10
    epochs: int = 50

    def __post_init__(self) -> None:
        require(self.alpha > 0, "alpha", self.alpha, "a number > 0")
        require(self.batch_size >= 1, "batch_size", self.batch_size, "an integer >= 1")
        require(self.epochs >= 1, "epochs", self.epochs, "an integer >= 1")


def fit_minibatch(data: Dataset, params: MinibatchParams) -> Fit:
    """Gradient descent on contiguous batches, averaging k over the points each batch holds."""
    w, losses = params.w0, []
    for _ in range(params.epochs):
        for start in range(0, len(data.x), params.batch_size):
            # The tutorial slices xs[i::i+10]: a strided batch divided by 10 whatever
            # it holds. A contiguous slice and its own length are what it meant.
            x = data.x[start : start + params.batch_size]  # (batch,)
            y = data.y[start : start + params.batch_size]
            k = float(np.mean(2 * x**2 * w - 2 * x * y))
            w = w - params.alpha * k
        losses.append(mse(w * data.x, data.y))
    return Fit({"w": w}, data, _steps(losses), _line(w))


@dataclass(frozen=True)
class GdBiasParams:
    """Params `gd_bias`: step size, starting w and b, and epochs."""

    alpha: float = 0.1
    w0: float = 0.1
    b0: float = 0.1
    epochs: int = 15

    def __post_init__(self) -> None:
        require(self.alpha > 0, "alpha", self.alpha, "a number > 0")
        require(self.epochs >= 1, "epochs", self.epochs, "an integer >= 1")


def fit_gd_bias(data: Dataset, params: GdBiasParams) -> Fit:
    """Per-point descent on w and b together, with the tutorial's two partial derivatives."""
    w, b, losses = params.w0, params.b0, []
    for _ in range(params.epochs):
        for x, y in zip(data.x.tolist(), data.y.tolist(), strict=True):
            dw = 2 * x**2 * w + 2 * x * (b - y)  # ∂(y − wx − b)²/∂w
            db = 2 * b + 2 * x * w - 2 * y  # ∂(y − wx − b)²/∂b
            w, b = w - params.alpha * dw, b - params.alpha * db
        losses.append(mse(w * data.x + b, data.y))
    return Fit({"w": w, "b": b}, data, _steps(losses), _line(w, b))


# --- 3. A sigmoid unit -------------------------------------------------------


@dataclass(frozen=True)
class SigmoidParams:
    """Params `sigmoid`: step size, starting w and b, and epochs."""

    alpha: float = 0.1
    w0: float = 0.1
    b0: float = 0.1
    epochs: int = 1000

    def __post_init__(self) -> None:
        require(self.alpha > 0, "alpha", self.alpha, "a number > 0")
        require(self.epochs >= 1, "epochs", self.epochs, "an integer >= 1")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Elementwise logistic function 1 / (1 + e^−z)."""
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


def sigmoid_grads(w: float, b: float, x: float, y: float) -> tuple[float, float]:
    """(∂e/∂w, ∂e/∂b) of e = (y − σ(wx + b))² by the tutorial's chain rule."""
    a = 1.0 / (1.0 + math.exp(-(w * x + b)))
    dedz = -2 * (y - a) * a * (1 - a)  # de/da · da/dz
    return dedz * x, dedz  # dz/dw = x, dz/db = 1


def fit_sigmoid(data: Dataset, params: SigmoidParams) -> Fit:
    """Per-point descent on a = σ(w·x + b) with squared error."""
    w, b, losses = params.w0, params.b0, []
    for _ in range(params.epochs):
        for x, y in zip(data.x.tolist(), data.y.tolist(), strict=True):
            dw, db = sigmoid_grads(w, b, x, y)
            w, b = w - params.alpha * dw, b - params.alpha * db
        losses.append(mse(sigmoid(w * data.x + b), data.y))

    def predict(x: np.ndarray) -> np.ndarray:
        return sigmoid(w * x + b)

    return Fit({"w": w, "b": b}, data, _steps(losses), predict, classifier=True)


# --- 3b. The tiny PyTorch net: its params here, its torch fit in tiny_net.py -----


@dataclass(frozen=True)
class TinyNetParams:
    """Params `tiny_net`: seed, width, SGD settings and how often to log (fit in tiny_net.py)."""

    seed: int = 0
    hidden_units: int = 3
    lr: float = 1.0
    batch_size: int = 8
    epochs: int = 20000
    log_every: int = 100  # epochs between points of the loss curve

    def __post_init__(self) -> None:
        require(self.hidden_units >= 1, "hidden_units", self.hidden_units, "an integer >= 1")
        require(self.lr > 0, "lr", self.lr, "a number > 0")
        require(self.batch_size >= 1, "batch_size", self.batch_size, "an integer >= 1")
        require(self.epochs >= 1, "epochs", self.epochs, "an integer >= 1")
        require(self.log_every >= 1, "log_every", self.log_every, "an integer >= 1")


def summarize(fit: Fit) -> dict[str, float]:
    """The metrics of a fit on its training data: params, mse, and the oracle gap or accuracy."""
    data = fit.data
    prediction = fit.predict(data.x)
    metrics = dict(fit.params)
    metrics["mse"] = mse(prediction, data.y)
    if fit.classifier:
        metrics["accuracy"] = float(np.mean((prediction >= 0.5) == (data.y >= 0.5)))
        return metrics
    optimum = least_squares(data.x, data.y, intercept="b" in fit.params)
    design = np.stack([data.x, np.ones_like(data.x)], axis=1)[:, : len(optimum)]  # (n, 1|2)
    metrics["mse_optimal"] = mse(design @ optimum, data.y)
    metrics["mse_gap"] = metrics["mse"] - metrics["mse_optimal"]
    return metrics
