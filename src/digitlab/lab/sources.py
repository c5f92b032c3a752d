"""The committed numbers that `make docs` renders: metrics files and the benchmark JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


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
