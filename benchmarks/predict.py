"""`digitlab predict` from a cold process: torch before, numpy after, full and minimal venvs."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness import ROOT, Section
from digitlab.lab.steps import venv_env

# The last commit whose `digitlab predict` ran on torch: the "before" of the predict bench.
TORCH_PREDICT_REV = "0790a15"
MINIMAL = ("numpy==2.4.6", "pillow==13.0.0", "safetensors==0.8.0")  # the app's install
PEAK_RSS = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"  # noqa: E501


def _cold_runs(python: str, src: Path, files: list[Path], runs: int = 5) -> dict[str, float]:
    """`digitlab predict FILES` from a cold process, `runs` times: median seconds, peak MB."""
    env = {**venv_env(), "PYTHONPATH": str(src)}
    command = [python, "-m", "digitlab.app.cli", "predict", "--model",
               str(ROOT / "models/mlp.pt"), *map(str, files)]  # fmt: skip
    seconds, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", PEAK_RSS, *command], env=env, cwd=ROOT,
                             capture_output=True, text=True, check=True)  # fmt: skip
        seconds.append(time.perf_counter() - start)
        peaks.append(int(out.stdout.split()[-1]) / 1024)
    return {"seconds": statistics.median(seconds), "peak_mb": max(peaks)}


def _size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def bench(tmp: Path) -> Section:
    """`digitlab predict` on 1 and 100 files, cold: torch before, numpy after, in the full
    venv and in a minimal one (numpy, Pillow, safetensors)."""
    from PIL import Image

    from digitlab.mlp.data import load_split

    images, _ = load_split(ROOT / "data/mnist", train=False)
    files = []
    for i in range(100):
        files.append(tmp / f"digit{i:03d}.png")
        Image.fromarray((images[i].reshape(28, 28).numpy() * 255).astype("uint8")).save(files[-1])
    before = tmp / "before"
    subprocess.run(["git", "worktree", "add", "-q", "--detach", str(before), TORCH_PREDICT_REV],
                   cwd=ROOT, check=True)  # fmt: skip
    minimal = tmp / "minimal"
    subprocess.run([sys.executable, "-m", "venv", str(minimal)], check=True)
    subprocess.run([str(minimal / "bin/python"), "-m", "pip", "install", "-q", *MINIMAL],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    setups = {
        "before: torch, full venv": (sys.executable, before / "src"),
        "after: numpy, full venv": (sys.executable, ROOT / "src"),
        "after: numpy, minimal venv": (str(minimal / "bin/python"), ROOT / "src"),
    }
    try:
        results = {name: {str(n): _cold_runs(py, src, files[:n]) for n in (1, 100)}
                   for name, (py, src) in setups.items()}  # fmt: skip
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT, check=True)
    site = Path(sys.executable).parent.parent / "lib"
    sizes = {"full": _size_mb(site), "minimal": _size_mb(minimal / "lib")}
    rows = [f"| {name} | {r['1']['seconds']:.2f} s, {r['1']['peak_mb']:.0f} MB | "
            f"{r['100']['seconds']:.2f} s, {r['100']['peak_mb']:.0f} MB |"
            for name, r in results.items()]  # fmt: skip
    return Section([
        "## Predict without torch (issue 18)",
        "",
        "`digitlab predict` from a cold process, median of 5, with the process's peak "
        "resident memory; MNIST test digits as PNG files.",
        "",
        "| setup | 1 file | 100 files |",
        "|---|---|---|",
        *rows,
        "",
        f"Installed size: the full venv {sizes['full']:.0f} MB, the minimal one "
        f"({', '.join(MINIMAL)}) {sizes['minimal']:.0f} MB.",
        "",
    ], {"runs": results, "venv_mb": sizes})  # fmt: skip
