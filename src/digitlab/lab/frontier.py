"""`make frontier`: each run's accuracy against training time, and MNIST against real scans.

    python -m digitlab.lab.frontier [--runs HEAD fast best] [--out docs/frontier.png]

Each run is a git revision or a DVC experiment name. Its numbers are read from what
that run committed: DVCLive's per-epoch series and metrics/{train,timing,evaluate}.json.
Left: accuracy against training seconds; right: MNIST test accuracy against real-scan
accuracy, one point per run, so a model that gains on MNIST and loses on people's digits
shows. Prints a Markdown table of every run's numbers.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from digitlab.app.revisions import file_at, resolve_revision
from digitlab.core.errors import DataError
from digitlab.core.io import save_figure
from digitlab.lab.figures import Curve, frontier_figure

SERIES = "dvclive/train/plots/metrics/{}.tsv"


def series(rev: str, metric: str, seconds: float, repo: Path) -> Curve | None:
    """(seconds into training, values) of a DVCLive metric at rev, one point per epoch.

    Epochs take equal time, so epoch k of n ends at k/n of the run's train_seconds; the
    logs carry no timestamps, which keeps them byte-identical between reruns.
    """
    data = file_at(rev, SERIES.format(metric), repo)
    if not data:
        return None
    table = np.genfromtxt(io.StringIO(data.decode()), delimiter="\t", names=True)
    values = np.atleast_1d(table[metric])
    return np.arange(1, len(values) + 1) * seconds / len(values), values


def committed_json(rev: str, path: str, repo: Path) -> dict[str, Any]:
    """A committed JSON file at rev, or {} when it was not there."""
    data = file_at(rev, path, repo)
    return dict(json.loads(data)) if data else {}


def markdown(rows: list[tuple[str, dict[str, Any]]]) -> str:
    """Every run's validation, test, real and robustness figures, one row per run."""
    robust = sorted(k for k in rows[0][1] if k.startswith("robust_"))
    lines = ["| run | val_accuracy | test_accuracy | real_accuracy | train_seconds | "
             + " | ".join(k.removeprefix("robust_") for k in robust) + " |",
             "|---" * (5 + len(robust)) + "|"]  # fmt: skip
    for label, m in rows:
        val = f"{m['val_accuracy']:.2%}" if "val_accuracy" in m else "—"
        real = f"{m['real_accuracy']:.2%}" if "real_accuracy" in m else "—"
        cells = [f"{100 * m.get(k, float('nan')):.2f}" for k in robust]
        lines.append(f"| {label} | {val} | {m['test_accuracy']:.2%} | {real} | "
                     f"{m['train_seconds']:.1f} | " + " | ".join(cells) + " |")  # fmt: skip
    return "\n".join(lines)


def draw_frontier(names: list[str], out: Path, repo: Path) -> None:
    """Save the frontier of the named runs to out and print their table; DataError if a
    name is neither an experiment nor a revision."""
    runs, rows = [], []
    for name in names:
        rev = resolve_revision(name, repo)
        metrics = committed_json(rev, "metrics/train.json", repo)
        metrics |= committed_json(rev, "metrics/timing.json", repo)
        metrics |= committed_json(rev, "metrics/evaluate.json", repo)
        label = "tutorial config" if name == "HEAD" else name
        metric = "val_accuracy" if "val_accuracy" in metrics else "train_accuracy"
        runs.append((label, metrics, series(rev, metric, metrics["train_seconds"], repo)))
        rows.append((label, metrics))
    save_figure(out, frontier_figure(runs))
    print(f"frontier: wrote {out}")
    print(markdown(rows))


def main(argv: list[str] | None = None) -> int:
    """Draw the frontier; one line and 1 for an unknown run."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", nargs="+", default=["HEAD", "fast", "best"])
    parser.add_argument("--out", type=Path, default=Path("docs/frontier.png"))
    args = parser.parse_args(argv)
    try:
        draw_frontier(args.runs, args.out, Path.cwd())
    except DataError as err:
        print(f"frontier: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
