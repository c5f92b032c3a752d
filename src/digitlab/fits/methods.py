"""The one registry of the tutorial's seven fits: each method's dataset, params and fit.

dvc.yaml's `fit` foreach and params.yaml's sections are checked against this
mapping by tests/test_wiring.py, so a method is added here and nowhere else in code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from digitlab.core.errors import ConfigError
from digitlab.fits import classical
from digitlab.fits.classical import Fit
from digitlab.fits.synthetic import Dataset


class Method(NamedTuple):
    """Which dataset a method fits, its params dataclass and its fit function."""

    dataset: str  # data/synthetic/<dataset>.csv
    params: type
    fit: Callable[[Dataset, Any], Fit]


def _fit_tiny_net(data: Dataset, params: classical.TinyNetParams) -> Fit:
    # Imported here: only this method needs torch, which takes over a second to import.
    from digitlab.fits.tiny_net import fit_tiny_net

    return fit_tiny_net(data, params)


METHODS: dict[str, Method] = {
    "online": Method("line", classical.OnlineParams, classical.fit_online),
    "normal_equation": Method(
        "line", classical.NormalEquationParams, classical.fit_normal_equation
    ),
    "sgd": Method("line", classical.SgdParams, classical.fit_sgd),
    "minibatch": Method("line", classical.MinibatchParams, classical.fit_minibatch),
    "gd_bias": Method("line_reversed", classical.GdBiasParams, classical.fit_gd_bias),
    "sigmoid": Method("step", classical.SigmoidParams, classical.fit_sigmoid),
    "tiny_net": Method("bumps", classical.TinyNetParams, _fit_tiny_net),
}


def get_method(name: str) -> Method:
    """The method called `name`; ConfigError listing the known names otherwise."""
    if name not in METHODS:
        raise ConfigError(f"method: got {name!r}, expected one of {', '.join(METHODS)}")
    return METHODS[name]
