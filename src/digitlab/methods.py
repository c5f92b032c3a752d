"""The seven fits by name: each method's params type and fit function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from digitlab import classical
from digitlab.classical import Fit
from digitlab.config import ConfigError
from digitlab.synthetic import Dataset

METHOD_NAMES = ("online", "normal_equation", "sgd", "minibatch", "gd_bias", "sigmoid", "tiny_net")


class Method(NamedTuple):
    """A method's params dataclass and its fit function."""

    params: type
    fit: Callable[[Dataset, Any], Fit]


_NUMPY_METHODS = {
    "online": Method(classical.OnlineParams, classical.fit_online),
    "normal_equation": Method(classical.NormalEquationParams, classical.fit_normal_equation),
    "sgd": Method(classical.SgdParams, classical.fit_sgd),
    "minibatch": Method(classical.MinibatchParams, classical.fit_minibatch),
    "gd_bias": Method(classical.GdBiasParams, classical.fit_gd_bias),
    "sigmoid": Method(classical.SigmoidParams, classical.fit_sigmoid),
}


def get_method(name: str) -> Method:
    """The method called `name`; ConfigError listing the known names otherwise."""
    if name == "tiny_net":
        # Only this method needs torch, which takes over a second to import.
        from digitlab import tiny_net

        return Method(tiny_net.TinyNetParams, tiny_net.fit_tiny_net)
    if name not in _NUMPY_METHODS:
        raise ConfigError(f"method: got {name!r}, expected one of {', '.join(METHOD_NAMES)}")
    return _NUMPY_METHODS[name]
