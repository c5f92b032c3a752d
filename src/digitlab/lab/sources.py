"""The committed numbers that `make docs` renders: metrics files and the benchmark JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def tutorial_epochs(bench: dict[str, Any]) -> list[float]:
    """Each benchmarked run's training time in epochs of the tutorial config: the epoch
    timed beside that run, or, in benches from before that, once for all of them."""
    once = bench.get("tutorial_epoch_seconds")
    return [
        run["train_seconds"] / charged_epoch(run, once)
        for _, run in sorted(bench.get("runs", {}).items())
    ]


def charged_epoch(run: dict[str, Any], once: float | None = None) -> float:
    """The tutorial epoch a run is charged: the mean of the timings before and after it,
    else the one before it, else `once`, the bench's single timing."""
    if "tutorial_epoch_after" in run:
        return float(run["tutorial_epoch_before"] + run["tutorial_epoch_after"]) / 2
    seconds = run.get("tutorial_epoch_seconds", once)
    if seconds is None:
        raise ValueError("a benchmarked run without a tutorial epoch timing")
    return float(seconds)


def timed_how(bench: dict[str, Any]) -> str:
    """When a bench timed the tutorial's epoch beside its runs, in words."""
    runs = list(bench.get("runs", {}).values())
    if runs and all("tutorial_epoch_after" in run for run in runs):
        return "before and after each seed's training, which is charged their mean"
    if runs and all("tutorial_epoch_seconds" in run for run in runs):
        return "just before each seed's training"
    return "once, before the seeds"


@dataclass(frozen=True)
class Headline:
    """A preset's row in the READMEs: seed 0 beside its 3 seeds, against the targets."""

    runs: list[dict[str, Any]]  # seed 0 (the preset itself) first
    targets: dict[str, Any]
    epochs: list[float]  # each run's training time in tutorial epochs timed beside it

    def accuracy(self, key: str) -> tuple[float, list[float], float]:
        """(seed 0's value, every seed's, the target) of one accuracy."""
        return self.runs[0][key], [run[key] for run in self.runs], self.targets[key]


class Sources:
    """The committed numbers, read once each: metrics files and the benchmark JSON."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def json(self, path: str) -> dict[str, Any]:
        """A committed JSON file, or {} when it is not there (a section never benchmarked)."""
        file = self.root / path
        return dict(json.loads(file.read_text(encoding="utf-8"))) if file.exists() else {}

    def tutorial_metrics(self) -> dict[str, Any]:
        """The workspace's run (the tutorial's config): train and evaluate metrics together."""
        train = self.json("metrics/train.json") | self.json("metrics/timing.json")
        return train | self.json("metrics/evaluate.json")

    def bench(self, section: str) -> dict[str, Any]:
        """One section of benchmarks/results.json."""
        return dict(self.json("benchmarks/results.json").get(section, {}))

    def preset(self, name: str) -> dict[str, Any]:
        """A preset's benchmark: its runs by seed and the tutorial epoch timed beside them."""
        return dict(self.bench("presets").get("by_preset", {}).get(name, {}))

    def preset_runs(self, name: str) -> list[dict[str, Any]]:
        """The benchmark's runs of a preset, seed 0 (the preset itself) first."""
        runs = self.preset(name).get("runs", {})
        return [runs[seed] for seed in sorted(runs)]

    def headline(self, name: str) -> Headline | None:
        """A preset's benchmarked runs with their targets; None before any bench."""
        runs = self.preset_runs(name)
        if not runs:
            return None
        targets = self.bench("presets")["targets"][name]
        return Headline(runs, targets, tutorial_epochs(self.preset(name)))
