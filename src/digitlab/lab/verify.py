"""`make verify-repro`: rerun the pipeline in a fresh clone and compare with what is committed.

The rerun's dvc.lock must equal the committed one: every dep, param and output hash.
Deterministic outputs (synthetic data, classical metrics and loss curves) must match
anywhere; the MLP's are bit-identical only on the same kind of machine (BLAS kernels
differ between CPUs), so a difference there is flagged as possibly the machine. Every
committed metrics file must come back equal, metrics/timing.json (a time) aside.

Then a short config with every random draw switched on (dropout, augmentation,
shuffling, the one-cycle schedule, a validation split) is trained twice in the clone:
both runs must give the same models/mlp.pt bytes and the same metrics.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from digitlab.lab.presets import edit_params
from digitlab.lab.steps import scratch_clone, venv_env

DETERMINISTIC = ("data/synthetic/", "metrics/classical/", "plots/classical/")
TIMING_FILE = "metrics/timing.json"  # a measured time: not an output, never compared
MLP_FILES = {"metrics/train.json", "metrics/evaluate.json", "metrics/predict.json"}
MACHINE = " (MLP: identical only on the same kind of machine)"
RANDOM_CONFIG = {
    "hidden_sizes": [256], "epochs": 2, "batch_size": 500, "validation": 5000,
    "loss": "cross_entropy", "optimizer": "adamw", "lr": 0.002, "schedule": "onecycle",
    "dropout": 0.2, "augment": {"shift_pixels": 2, "rotate_degrees": 10, "scale": 0.1},
}  # fmt: skip


def output_hashes(lock: Path) -> dict[str, str]:
    """path -> md5 of every stage output recorded in a dvc.lock."""
    stages = yaml.safe_load(lock.read_text())["stages"]
    return {out["path"]: out["md5"] for stage in stages.values() for out in stage.get("outs", [])}


def metrics_files(root: Path) -> dict[str, dict[str, object]]:
    """Every metrics JSON under root/metrics but the timing file."""
    found = {}
    for path in sorted((root / "metrics").rglob("*.json")):
        name = str(path.relative_to(root))
        if name != TIMING_FILE:
            found[name] = dict(json.loads(path.read_text()))
    return found


def md5(path: Path) -> str:
    """The MD5 of a file's bytes."""
    return hashlib.md5(path.read_bytes()).hexdigest()


def repro(clone: Path, *args: str) -> None:
    """`dvc repro ARGS` in the clone, its output shown as it runs."""
    command = [sys.executable, "-m", "dvc", "repro", *args]
    subprocess.run(command, cwd=clone, env=venv_env(), check=True)


def twice_the_same(clone: Path) -> list[str]:
    """Train RANDOM_CONFIG twice in the clone; the differences between the two runs."""
    edit_params(clone / "params.yaml", {"train": RANDOM_CONFIG})
    runs = []
    for attempt in (1, 2):
        print(f"verify-repro: dropout + augmentation config, run {attempt} of 2", flush=True)
        repro(clone, "--force", "--single-item", "train")
        runs.append((md5(clone / "models/mlp.pt"), metrics_files(clone)["metrics/train.json"]))
    (first_model, first_metrics), (second_model, second_metrics) = runs
    problems = []
    if first_model != second_model:
        problems.append(f"models/mlp.pt: run 1 md5 {first_model}, run 2 {second_model}")
    if first_metrics != second_metrics:
        problems.append(f"metrics/train.json: run 1 {first_metrics}, run 2 {second_metrics}")
    return problems


def differences(repo: Path, clone: Path) -> list[str]:
    """How the clone's rerun differs from repo's committed outputs and metrics."""
    problems = []
    committed, rerun = output_hashes(repo / "dvc.lock"), output_hashes(clone / "dvc.lock")
    for path in sorted(set(committed) | set(rerun)):
        if committed.get(path) != rerun.get(path):
            note = "" if path.startswith(DETERMINISTIC) else MACHINE
            problems.append(f"dvc.lock: {path} committed md5 {committed.get(path)}, "
                            f"rerun {rerun.get(path)}{note}")  # fmt: skip
    if not problems and (repo / "dvc.lock").read_text() != (clone / "dvc.lock").read_text():
        problems.append("dvc.lock: same outputs, but a dep or param hash differs; `git diff`")
    old, new = metrics_files(repo), metrics_files(clone)
    for path in sorted(set(old) | set(new)):
        for key in sorted(set(old.get(path, {})) | set(new.get(path, {}))):
            before, after = old.get(path, {}).get(key), new.get(path, {}).get(key)
            if before != after:
                note = MACHINE * (path in MLP_FILES)
                problems.append(f"{path}: {key} committed {before}, rerun {after}{note}")
    return problems


def main() -> int:
    """Rerun, compare, train the random config twice; 1 if anything differs."""
    repo = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        clone = scratch_clone(repo, Path(tmp))
        print(f"verify-repro: dvc repro --force in a fresh clone of HEAD ({clone})", flush=True)
        repro(clone, "--force")  # committed outputs (cache: false) would let DVC skip stages
        problems = differences(repo, clone) + twice_the_same(clone)
    for line in problems:
        print(f"DIFFERENT  {line}")
    if problems:
        print(f"verify-repro: {len(problems)} difference(s) from the committed results")
        return 1
    print(
        f"verify-repro: OK, dvc.lock reproduced byte for byte "
        f"({len(output_hashes(repo / 'dvc.lock'))} outputs), {len(metrics_files(repo))} metrics "
        "files match, and the dropout + augmentation config gave the same model bytes twice"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
