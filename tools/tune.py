"""Choose settings on the validation split: train each candidate, never look at the test set.

    python tools/tune.py CANDIDATES.yaml [--out tuning.md]

CANDIDATES.yaml maps a name to `train.*` overrides (on top of params.yaml). Each
candidate is trained by the `train` stage in a scratch clone of HEAD that shares
this workspace's MNIST, and its validation accuracy and training time are written
as a Markdown table. `evaluate` is never run here: the test set is touched once,
by the preset chosen, through `make exp-fast` / `make exp-best`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """base with overrides applied, nested mappings merged key by key."""
    merged = dict(base)
    for key, value in overrides.items():
        nested = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = merge(base[key], value) if nested else value
    return merged


def train_candidate(clone: Path, base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Train one candidate in the clone; its metrics/train.json."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["train"] = merge(merge(params["train"], base), overrides)
    if not params["train"].get("validation"):
        sys.exit(
            "tune: every candidate needs train.validation > 0; choosing on test is not allowed"
        )
    (clone / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    command = [sys.executable, "stages/train.py", "--data", str(ROOT / "data/mnist")]
    command += ["--model", "m/mlp.pt", "--metrics", "m/train.json", "--live", "m/live"]
    command += ["--curves", "m/c.png"]
    subprocess.run(command, cwd=clone, check=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    return dict(json.loads((clone / "m/train.json").read_text()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("candidates", type=Path, help="YAML: {name: {key: value}, _base: {...}}")
    parser.add_argument("--out", type=Path, default=None, help="Markdown table (default: stdout)")
    args = parser.parse_args()
    candidates = yaml.safe_load(args.candidates.read_text())
    base = candidates.pop("_base", {})
    rows = ["| candidate | overrides | val_accuracy | train_seconds |", "|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        for name, overrides in candidates.items():
            print(f"tune: {name}: {overrides}", flush=True)
            metrics = train_candidate(clone, base, overrides or {})
            shown = ", ".join(f"{k}={v}" for k, v in (overrides or {}).items()) or "(base)"
            rows.append(f"| {name} | {shown} | {metrics['val_accuracy']:.2%} | "
                        f"{metrics['train_seconds']:.1f} |")  # fmt: skip
            print(rows[-1], flush=True)
    table = "\n".join(rows) + "\n"
    if args.out:
        args.out.write_text(table, encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
