"""Choose settings on the validation halves: train each candidate, never look at a test set.

    python tools/tune.py presets/tuning/NAME.yaml [--out benchmarks/tuning/NAME.md]

A tuning file names a `base` (a preset name, or a mapping in the preset format) and
`candidates`, each a partial preset applied on top of it. Each candidate is trained by
the `train` stage in a scratch clone of HEAD that shares this workspace's MNIST, then
scored on the two validation halves: the last `train.validation` MNIST training images
(val_accuracy) and the even-indexed real scans (real_val_accuracy). `evaluate` is never
run here: the test sets are touched once, by the preset chosen, through `make exp-NAME`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from digitlab.mlp.evaluation import half_accuracy
from digitlab.mlp.model import load_model
from digitlab.mlp.real import load_real

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python tools/tune.py` finds its sibling as tools.preset
from tools.preset import edit_params, flatten, load, merge  # noqa: E402

REAL = ROOT / "data/real/digits.csv.gz"


def train_candidate(clone: Path, preset: dict[str, Any]) -> tuple[dict[str, Any], Path]:
    """Train one candidate in the clone: its metrics/train.json and its model's path."""
    shutil.copy(ROOT / "params.yaml", clone / "params.yaml")
    params = edit_params(clone / "params.yaml", preset)
    if not params["train"].get("validation"):
        sys.exit("tune: each candidate needs train.validation > 0; choosing on test is not allowed")
    command = [sys.executable, "stages/train.py", "--data", str(ROOT / "data/mnist")]
    command += ["--model", "m/mlp.pt", "--metrics", "m/train.json", "--live", "m/live"]
    command += ["--curves", "m/c.png"]
    subprocess.run(command, cwd=clone, check=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    return dict(json.loads((clone / "m/train.json").read_text())), clone / "m/mlp.pt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tuning", type=Path, help="YAML: {base: NAME or preset, candidates: {...}}")
    parser.add_argument("--out", type=Path, default=None, help="Markdown table (default: stdout)")
    args = parser.parse_args()
    spec = load(args.tuning)
    base = spec.get("base") or {}
    base = load(ROOT / "presets" / f"{base}.yaml") if isinstance(base, str) else base
    if not REAL.is_file():
        sys.exit(f"tune: {REAL.relative_to(ROOT)} is missing; run `dvc repro download_real`")
    validation_half = load_real(REAL).half("validation")
    header = "| candidate | overrides | val_accuracy | real_val_accuracy | train_seconds |"
    rows = [header, "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        for name, overrides in spec["candidates"].items():
            print(f"tune: {name}: {overrides}", flush=True)
            metrics, model_path = train_candidate(clone, merge(base, overrides or {}))
            real = half_accuracy(load_model(model_path), validation_half)
            shown = ", ".join(f"{k}={v}" for k, v in flatten(overrides or {}).items()) or "(base)"
            rows.append(f"| {name} | {shown} | {metrics['val_accuracy']:.2%} | {real:.2%} | "
                        f"{metrics['train_seconds']:.1f} |")  # fmt: skip
            print(rows[-1], flush=True)
    table = "\n".join(rows) + "\n"
    if args.out:
        args.out.write_text(table, encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
