"""How the lab states a measured number against its target: one verdict for docs and bench."""

from __future__ import annotations

import statistics


def pct(value: float) -> str:
    """A fraction as a percentage with two decimals: 0.9690 -> '96.90 %'."""
    return f"{100 * value:.2f} %"


def mean_sd(values: list[float], scale: float = 100) -> str:
    """'mean ± sd' of values times scale, two decimals."""
    return f"{scale * statistics.mean(values):.2f} ± {scale * statistics.stdev(values):.2f}"


def verdict(values: list[float], target: float, *, scale: float = 100, unit: str = "pt") -> str:
    """'met' when mean − sd clears the target, '**missed** by N unit' when mean + sd falls
    short (N = the gap times scale), otherwise 'within noise': one sd over the seeds is the
    noise a single run carries. For an upper bound, pass values and target negated."""
    mean, sd = statistics.mean(values), statistics.stdev(values)
    if mean - sd >= target:
        return "met"
    if mean + sd < target:
        return f"**missed** by {abs(mean - target) * scale:.2f} {unit}"
    return "within noise"
