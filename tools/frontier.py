"""`make frontier`: each run's accuracy against training time, and MNIST against real scans.

    python tools/frontier.py [--runs HEAD fast best] [--out docs/frontier.png]

Each run is a git revision or a DVC experiment name. Its numbers are read from what
that run committed: DVCLive's per-epoch series, metrics/train.json and
metrics/evaluate.json. Left: accuracy against training seconds; right: MNIST test
accuracy against real-scan accuracy, one point per run, so a model that gains on MNIST
and loses on people's digits shows. Prints a Markdown table of every run's numbers.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from digitlab.app.revisions import resolve_revision
from digitlab.core.errors import DataError
from digitlab.core.io import save_figure

ROOT = Path(__file__).resolve().parents[1]
SERIES = "dvclive/train/plots/metrics/{}.tsv"


def show(rev: str, path: str) -> str | None:
    """A committed file's text at rev, or None."""
    result = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True)
    return result.stdout.decode() if result.returncode == 0 else None


def series(rev: str, metric: str, seconds: float) -> tuple[np.ndarray, np.ndarray] | None:
    """(seconds into training, values) of a DVCLive metric at rev, one point per epoch.

    Epochs take equal time, so epoch k of n ends at k/n of the run's train_seconds; the
    logs carry no timestamps, which keeps them byte-identical between reruns.
    """
    text = show(rev, SERIES.format(metric))
    if not text:
        return None
    table = np.genfromtxt(io.StringIO(text), delimiter="\t", names=True)
    values = np.atleast_1d(table[metric])
    return np.arange(1, len(values) + 1) * seconds / len(values), values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", nargs="+", default=["HEAD", "fast", "best"])
    parser.add_argument("--out", type=Path, default=ROOT / "docs/frontier.png")
    args = parser.parse_args()
    figure = Figure(figsize=(12, 4.2), layout="constrained")
    axes, real_axes = figure.subplots(1, 2, width_ratios=(1.6, 1))
    rows = []
    for name, colour in zip(
        args.runs, ("tab:gray", "tab:blue", "tab:red", "tab:green"), strict=False
    ):
        try:
            rev = resolve_revision(name, ROOT)
        except DataError as err:
            print(f"frontier: {err}", file=sys.stderr)
            return 1
        train = json.loads(show(rev, "metrics/train.json") or "{}")
        evaluate = json.loads(show(rev, "metrics/evaluate.json") or "{}")
        label = "tutorial config" if name == "HEAD" else name
        seconds = train["train_seconds"]
        metric = "val_accuracy" if "val_accuracy" in train else "train_accuracy"
        kind = "validation" if metric == "val_accuracy" else "training"
        curve = series(rev, metric, seconds)
        if curve is not None:
            text = f"{label}: {kind} accuracy per epoch"
            axes.plot(curve[0], 100 * curve[1], color=colour, linewidth=1, label=text)
        text = f"{label}: test accuracy, once, at the end"
        at = (train["train_seconds"], 100 * evaluate["test_accuracy"])
        axes.plot(*at, "*", color=colour, markersize=12, label=text)
        if "real_accuracy" in evaluate:
            point = (100 * evaluate["real_accuracy"], 100 * evaluate["test_accuracy"])
            real_axes.plot(*point, "*", color=colour, markersize=12)
            real_axes.annotate(
                label, point, textcoords="offset points", xytext=(6, -10), fontsize=8
            )
        rows.append((label, train, evaluate))
    axes.set_xscale("log")
    lowest = min(100 * min(e["test_accuracy"], t.get("val_accuracy", 1)) for _, t, e in rows)
    axes.set_ylim(min(96.0, lowest - 0.5), 100)  # the worst run stays in view
    axes.set_xlabel("training seconds on 2 CPU cores (log scale)")
    axes.set_ylabel("accuracy (%)")
    axes.set_title("MNIST accuracy against training time, pure MLPs", fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="upper left")
    real_axes.set_xlabel("real scans, test half (%)")
    real_axes.set_ylabel("MNIST test (%)")
    real_axes.set_title("MNIST against real handwriting, once each", fontsize=10)
    real_axes.grid(alpha=0.3)
    real_axes.margins(0.15)
    save_figure(args.out, figure)
    print(f"frontier: wrote {args.out}")
    robust = sorted(k for k in rows[0][2] if k.startswith("robust_"))
    print("| run | val_accuracy | test_accuracy | real_accuracy | train_seconds | " + " | ".join(
        k.removeprefix("robust_") for k in robust) + " |")  # fmt: skip
    print("|---" * (5 + len(robust)) + "|")
    for label, train, evaluate in rows:
        val = f"{train['val_accuracy']:.2%}" if "val_accuracy" in train else "—"
        real = f"{evaluate['real_accuracy']:.2%}" if "real_accuracy" in evaluate else "—"
        cells = [f"{100 * evaluate.get(k, float('nan')):.2f}" for k in robust]
        print(f"| {label} | {val} | {evaluate['test_accuracy']:.2%} | {real} | "
              f"{train['train_seconds']:.1f} | " + " | ".join(cells) + " |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
