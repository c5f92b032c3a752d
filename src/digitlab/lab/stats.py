"""How the lab states a measured number against its target: one verdict for docs and bench."""

from __future__ import annotations

import statistics


def pct(value: float) -> str:
    """A fraction as a percentage with two decimals: 0.9690 -> '96.90 %'."""
    return f"{100 * value:.2f} %"


def mean_sd(values: list[float], scale: float = 100, digits: int = 2) -> str:
    """'mean ± sd' of values times scale, `digits` decimals."""
    mean, sd = scale * statistics.mean(values), scale * statistics.stdev(values)
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


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


# The same verdicts in Chinese, for the zh-CN docs.
ZH_UNITS = {"pt": "个百分点", "epochs": "个教程 epoch"}


def verdict_zh(values: list[float], target: float, *, scale: float = 100, unit: str = "pt") -> str:
    """verdict() in Chinese: '达标', '**未达标**，差 N 个百分点' or '在误差范围内'."""
    said = verdict(values, target, scale=scale, unit=unit)
    if said == "met":
        return "达标"
    if said == "within noise":
        return "在误差范围内"
    gap = said.split(" by ")[1].split(" ")[0]
    return f"**未达标**，差 {gap} {ZH_UNITS.get(unit, unit)}"
