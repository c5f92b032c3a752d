"""`make exp-show`: every experiment beside its baseline in one table that fits 120 columns.

    python -m digitlab.lab.compare [--width 120]

The figures that matter, in percent: MNIST validation and test, real scans' validation
and test halves, your own digits' test half once you have some (data/mine), the worst
robustness score, and training seconds. The params each
experiment changed follow the table, one experiment a paragraph, wrapped to the width;
`dvc exp show` has every column.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from digitlab.lab.grid import experiments, flat_entries
from digitlab.lab.steps import StepError, dvc_step

COLUMNS = (  # (metric, header), each shown as a percentage but train_seconds
    ("val_accuracy", "MNIST val"),
    ("test_accuracy", "MNIST test"),
    ("real_val_accuracy", "real val"),
    ("real_accuracy", "real test"),
    ("mine_accuracy", "your hand"),  # data/mine's test half; shown once any run has it
    ("robust_min", "robust min"),
    ("train_seconds", "seconds"),
)


def baselines(shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each baseline commit of `dvc exp show --json` as a row: its name and metrics."""
    rows = []
    for baseline in shown:
        metrics = flat_entries(baseline.get("data") or {}, "metrics")
        name = baseline.get("name") or baseline.get("rev", "")[:7]
        # Of all commits, only those experiments were made on: the rows they are compared to.
        if baseline.get("rev") != "workspace" and baseline.get("experiments"):
            rows.append({"name": f"{name} (commit)", "changed": {}, "metrics": metrics})
    return rows


def cell(metrics: dict[str, Any], key: str) -> str:
    """One figure: a percentage with two decimals, seconds with one, '—' when absent."""
    value = metrics.get(key)
    if not isinstance(value, (int, float)):
        return "—"
    return f"{value:.1f}" if key == "train_seconds" else f"{100 * value:.2f}"


def render(rows: list[dict[str, Any]], width: int) -> str:
    """The table, then each experiment's changed params wrapped to width."""
    name_width = max([len("experiment"), *(len(r["name"]) for r in rows)])
    yours = any("mine_accuracy" in row["metrics"] for row in rows)
    columns = [(k, h) for k, h in COLUMNS if yours or k != "mine_accuracy"]
    header = f"{'experiment':<{name_width}}" + "".join(f" {h:>10}" for _, h in columns)
    lines = [header, "-" * len(header)]
    for row in rows:
        cells = "".join(f" {cell(row['metrics'], key):>10}" for key, _ in columns)
        lines.append(f"{row['name']:<{name_width}}{cells}")
    lines += ["", "Accuracies in %. Params that differ from the baseline commit:"]
    for row in rows:
        if row["changed"]:
            changed = ", ".join(
                f"{k.removeprefix('train.')}={v}" for k, v in row["changed"].items()
            )
            lines += textwrap.wrap(f"{row['name']}: {changed}", width, subsequent_indent="    ")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the table; one line and 1 if DVC cannot list the experiments."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--width", type=int, default=120, help="wrap to this many columns")
    args = parser.parse_args(argv)
    try:
        command = ("exp", "show", "--all-commits", "--json")
        shown = json.loads(dvc_step("show", *command, cwd=Path.cwd()))
    except StepError as err:
        print(f"exp-show: {err}", file=sys.stderr)
        return 1
    # Each commit's row, then the experiments made on it.
    rows = [row for base in shown for row in baselines([base]) + experiments([base])]
    if len(rows) <= 1:
        print("exp-show: no experiments yet; `make exp-fast` makes one")
    print(render(rows, args.width), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
