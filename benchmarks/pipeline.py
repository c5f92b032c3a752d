"""The whole pipeline: `dvc repro` in a fresh clone, then forced."""

from __future__ import annotations

from pathlib import Path

from benchmarks.harness import Section, fresh_clone, timed_dvc


def bench(tmp: Path) -> Section:
    clone = fresh_clone(tmp)
    fresh = timed_dvc("repro", cwd=clone)
    forced = timed_dvc("repro", "--force", cwd=clone)
    return Section([
        "## Whole pipeline (issue 3)",
        "",
        "| what | seconds | target |",
        "|---|---|---|",
        f"| `dvc repro` in a fresh clone, deps installed, MNIST from PyPI | {fresh:.0f} | ≤ 300 |",
        f"| `dvc repro --force` there: every stage, none skipped | {forced:.0f} | — |",
        "",
        "In a fresh clone DVC skips the stages whose committed outputs (`cache: false`) already",
        "match dvc.lock (the seven fits, evaluate), and reruns those whose outputs live in",
        "the DVC cache (download, download_real, train, predict).",
        "",
    ], {"fresh_repro_seconds": fresh, "forced_repro_seconds": forced})  # fmt: skip
