"""Classical stages: generate and the seven fits from a fresh clone, and a no-op rerun."""

from __future__ import annotations

import statistics
from pathlib import Path

from benchmarks.harness import Section, fresh_clone, timed_dvc


def bench(tmp: Path) -> Section:
    clone = fresh_clone(tmp)
    first = timed_dvc("repro", "-f", "fit", cwd=clone)
    noop = [timed_dvc("repro", "fit", cwd=clone) for _ in range(3)]
    data = {"repro_fit_seconds": first, "noop_seconds": statistics.median(noop)}
    return Section([
        "## Classical stages (issue 2)",
        "",
        "| what | seconds | target |",
        "|---|---|---|",
        f"| `dvc repro -f fit` (generate + 7 fits), fresh clone | {first:.1f} | < 60 |",
        f"| no-op `dvc repro fit`, median of 3 | {statistics.median(noop):.2f} | < 3 |",
        "",
    ], data)  # fmt: skip
