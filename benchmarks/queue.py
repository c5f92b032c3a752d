"""A 4-experiment grid through `dvc queue`, in three worker and thread setups."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness import ROOT, Section, fresh_clone, timed_dvc
from digitlab.lab.presets import edit_params
from digitlab.lab.steps import venv_env

GRID = ["-S", "train.lr=0.001,0.003", "-S", "train.seed=0,1"]  # 4 experiments
SHORT_TRAIN = {
    "hidden_sizes": [512, 512], "epochs": 4, "batch_size": 500, "validation": 5000,
    "loss": "cross_entropy", "optimizer": "adamw", "lr": 0.002, "normalize": True,
}  # fmt: skip


def _queue_busy(clone: Path) -> bool:
    """Whether `dvc queue status` still lists a queued or running experiment."""
    status = subprocess.run(
        [sys.executable, "-m", "dvc", "queue", "status"], cwd=clone, env=venv_env(),
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return any(word in status for word in ("Queued", "Running"))


def bench(tmp: Path) -> Section:
    """A 4-experiment grid through `dvc queue`, in three worker and thread setups."""
    clone = fresh_clone(tmp)
    for key, value in (("user.email", "bench@digitlab.invalid"), ("user.name", "bench")):
        subprocess.run(["git", "config", key, value], cwd=clone, check=True)
    mnist = [f"dir:{ROOT / 'data/mnist/MNIST/raw'}"]
    edit_params(clone / "params.yaml", {"train": SHORT_TRAIN, "download": {"sources": mnist}})
    subprocess.run(["git", "commit", "-qam", "short training for the queue bench"], cwd=clone)
    timed_dvc("repro", cwd=clone)
    subprocess.run(["git", "commit", "-qam", "baseline"], cwd=clone, check=True)
    rows, walls = [], {}
    for workers, threads in ((1, 2), (2, 1), (2, 2)):
        shutil.rmtree(clone / ".dvc/cache/runs", ignore_errors=True)  # no run-cache shortcuts
        queue = ["exp", "run", "--queue", *GRID, "-S", f"train.threads={threads}"]
        timed_dvc(*queue, cwd=clone)
        start = time.perf_counter()
        timed_dvc("queue", "start", "-j", str(workers), cwd=clone)
        while _queue_busy(clone):
            time.sleep(2)
        wall = time.perf_counter() - start
        listed = subprocess.run(
            [sys.executable, "-m", "dvc", "exp", "list", "--name-only"], cwd=clone, env=venv_env(),
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        walls[f"j{workers}_threads{threads}"] = {"seconds": wall, "made": len(listed)}
        rows.append(f"| `-j {workers}`, `train.threads={threads}` | {wall:.0f} | {wall / 4:.1f} | "
                    f"{len(listed)} of 4 |")  # fmt: skip
        timed_dvc("exp", "remove", "--all-commits", cwd=clone)
    return Section([
        "## Queued experiments (issue 11)",
        "",
        "A grid of 4 experiments (`train.lr` × 2, `train.seed` × 2; 784-512-512-10, 4 epochs, "
        "each also running evaluate and predict) through `dvc queue start`, on 2 cores:",
        "",
        "| setup | wall seconds for 4 | seconds per experiment | experiments made |",
        "|---|---|---|---|",
        *rows,
        "",
    ], {"experiments": 4, "setups": walls})  # fmt: skip
