"""Choose settings on the validation halves: train each candidate, never look at a test set.

    python -m digitlab.lab.tune presets/tuning/NAME.yaml [--out benchmarks/tuning/NAME.md]

A tuning file names a `base` (a preset name, or a mapping in the preset format) and
`candidates`, each a partial preset applied on top of it. Each candidate is trained by
the `train` stage in a scratch clone of HEAD that shares this workspace's MNIST and fonts, then
scored on the two validation halves: the last `train.validation` MNIST training images
(val_accuracy) and the even-indexed real scans (real_val_accuracy). `evaluate` is never
run here: the test sets are touched once, by the preset chosen, through `make exp-NAME`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from digitlab.core.config import read_yaml
from digitlab.core.errors import ConfigError
from digitlab.lab.presets import edit_params, flatten, load, merge
from digitlab.lab.steps import StepError, run_step, scratch_clone, stage_command, venv_env

REAL = Path("data/real/digits.csv.gz")


def train_candidate(clone: Path, preset: dict[str, Any], repo: Path) -> tuple[dict[str, Any], Path]:
    """Train one candidate in the clone on repo's MNIST: its train metrics and time, and the
    model's path."""
    shutil.copy(repo / "params.yaml", clone / "params.yaml")
    params = edit_params(clone / "params.yaml", preset)
    if not params["train"].get("validation"):
        raise ConfigError(
            "each candidate needs train.validation > 0; choosing on test is not allowed"
        )
    command = stage_command(
        "train", clone, data=str(repo / "data/mnist"), fonts=str(repo / "data/fonts"),
        mine="m/mine", model="m/mlp.pt",
        metrics="m/train.json", timing="m/timing.json", live="m/live", curves="m/c.png",
    )  # fmt: skip
    env = {**venv_env(), "PYTHONUNBUFFERED": "1"}
    subprocess.run(command, cwd=clone, check=True, env=env)
    metrics = json.loads((clone / "m/train.json").read_text())
    metrics |= json.loads((clone / "m/timing.json").read_text())
    (clone / "m/timing.json").unlink()  # each candidate is timed afresh
    return dict(metrics), clone / "m/mlp.pt"


CODE = ("src", "stages", "dvc.yaml", "params.yaml")  # what a candidate's training runs


def committed_head(repo: Path) -> str:
    """HEAD's sha; StepError when the code a candidate trains with differs from it, since
    candidates train in a clone of HEAD and must be what the table says they are."""
    dirty = run_step("status", "git", "status", "--porcelain", "--", *CODE, cwd=repo).strip()
    if dirty:
        files = ", ".join(line[3:] for line in dirty.splitlines())
        raise StepError(f"step 'status': uncommitted changes in {files}; tune trains the "
                        "committed HEAD, so commit them first")  # fmt: skip
    return run_step("rev-parse", "git", "rev-parse", "HEAD", cwd=repo).strip()


def validation_scores(model_path: Path, real: Any, val_images: Any, val_labels: Any) -> str:
    """The candidate's cells beyond val_accuracy: both real-half figures and the MNIST
    validation split's robustness, never a test set."""
    from digitlab.mlp.degrade import RobustnessParams
    from digitlab.mlp.evaluation import evaluate, half_scores
    from digitlab.mlp.model import load_model

    model = load_model(model_path)
    real_accuracy, real_min_class = half_scores(model, real)
    robust = evaluate(model, val_images, val_labels, RobustnessParams()).metrics
    cells = [real_accuracy, real_min_class, *(robust[f"robust_{k}"] for k in ROBUST)]
    return " | ".join(f"{value:.2%}" for value in cells)


ROBUST = ("aspect", "slant", "min")  # robust_* on the MNIST validation split


def tune(spec: dict[str, Any], repo: Path, command: str) -> str:
    """Train every candidate of a tuning spec at the committed HEAD; a Markdown table of
    their validation scores, headed by the commit and the command that made it."""
    from digitlab.mlp.data import load_split
    from digitlab.mlp.real import load_real

    sha = committed_head(repo)
    base = spec.get("base") or {}
    base = load(repo / "presets" / f"{base}.yaml") if isinstance(base, str) else base
    if not (repo / REAL).is_file():
        raise StepError(f"step 'read': {REAL} is missing; run `dvc repro download_real`")
    validation_half = load_real(repo / REAL).half("validation")  # never "test" here
    images, labels = load_split(repo / "data/mnist", train=True)
    rows = [f"Made by `{command}` at commit {sha[:7]} on {time.strftime('%Y-%m-%d')}; "
            "accuracies on the validation halves only.", "",
            "| candidate | overrides | val_accuracy | real_val_accuracy | real_val_min_class | "
            + " | ".join(f"val robust_{k}" for k in ROBUST) + " | train_seconds |",
            "|---" * (6 + len(ROBUST)) + "|"]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        clone = scratch_clone(repo, Path(tmp))
        for name, overrides in spec["candidates"].items():
            print(f"tune: {name}: {overrides}", flush=True)
            preset = merge(base, overrides or {})
            metrics, model_path = train_candidate(clone, preset, repo)
            held = int(read_yaml(clone / "params.yaml")["train"]["validation"])
            scores = validation_scores(model_path, validation_half, images[-held:], labels[-held:])
            shown = ", ".join(f"{k}={v}" for k, v in flatten(overrides or {}).items()) or "(base)"
            rows.append(f"| {name} | {shown} | {metrics['val_accuracy']:.2%} | {scores} | "
                        f"{metrics['train_seconds']:.1f} |")  # fmt: skip
            print(rows[-1], flush=True)
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Tune, print the table and write it to --out; one line and 1 on a bad file."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("tuning", type=Path, help="YAML: {base: NAME or preset, candidates: {...}}")
    parser.add_argument("--out", type=Path, default=None, help="Markdown table (default: stdout)")
    args = parser.parse_args(argv)
    try:
        command = f"make tune TUNING={args.tuning}"
        table = tune(load(args.tuning), Path.cwd(), command)
    except (ConfigError, StepError) as err:
        print(f"tune: {err}", file=sys.stderr)
        return 1
    if args.out:
        args.out.write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
