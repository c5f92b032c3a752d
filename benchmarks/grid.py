"""Two machines, one grid: two `make exp-worker` at once, then `make exp-collect`; and the
same two points as a 2-task SLURM array on a single-node cluster (deploy/slurm/grid.sbatch)."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

import yaml

from benchmarks.harness import ROOT, Section, timed_dvc
from digitlab.lab.deploy import sbatch_line
from digitlab.lab.slurm import ClusterError, local_cluster
from digitlab.lab.steps import venv_env


def bench(tmp: Path) -> Section:
    """Two `make exp-worker` at once in two clones against one bare origin and one folder
    remote, as two machines would, then `make exp-collect` in a third clone."""
    origin, remote = tmp / "origin.git", tmp / "remote"
    subprocess.run(["git", "clone", "-q", "--bare", str(ROOT), str(origin)], check=True)
    venv = Path(sys.executable).parent.parent

    def machine(name: str) -> Path:
        path = tmp / name
        subprocess.run(["git", "clone", "-q", str(origin), str(path)], check=True)
        for key, value in (("user.email", "bench@digitlab.invalid"), ("user.name", "bench")):
            subprocess.run(["git", "config", key, value], cwd=path, check=True)
        timed_dvc("remote", "add", "--local", "-d", "grid", str(remote),
           cwd=path)  # fmt: skip
        return path

    seed = machine("seed")  # fills the remote with the data, from this workspace's cache
    timed_dvc("cache", "dir", "--local", str(ROOT / ".dvc/cache"), cwd=seed)
    timed_dvc("push", "download", "download_real", "generate", cwd=seed)
    workers = [machine(f"worker{i}") for i in (1, 2)]
    params = (
        "-S train.epochs=3 -S train.lr=0.002 -S train.loss=cross_entropy -S train.optimizer=adamw"
    )
    start = time.perf_counter()
    running = [
        subprocess.Popen(["make", "--no-print-directory", "exp-worker", f"VENV={venv}", "SETUP=",
                          f"NAME=grid{i}", f"PARAMS={params} -S train.seed={i}"],
                         cwd=path, env=venv_env(), stdout=subprocess.DEVNULL)
        for i, path in enumerate(workers, start=1)
    ]  # fmt: skip
    codes = [process.wait() for process in running]
    both = time.perf_counter() - start
    slurm = _slurm_array(seed, tmp, params, venv, remote)
    collector = machine("collector")
    start = time.perf_counter()
    collect_command = ["make", "--no-print-directory", "exp-collect", f"VENV={venv}", "SETUP="]
    subprocess.run(collect_command, cwd=collector, env=venv_env(), check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    collect = time.perf_counter() - start
    data = {"workers": 2, "worker_codes": codes, "parallel_seconds": both,
            "collect_seconds": collect, "epochs": 3, **slurm}  # fmt: skip
    return Section([
        "## Two machines, one grid (issue 17)",
        "",
        "Two clones run `make exp-worker` at once (the tutorial config with AdamW and "
        "cross-entropy, 3 epochs, one seed each) against one bare git origin and one folder "
        "remote; then a third clone runs `make exp-collect`.",
        "",
        "| what | seconds |",
        "|---|---|",
        f"| both workers, wall (pull data, train, evaluate, predict, push) | {both:.0f} |",
        f"| `make exp-collect` (pull both, table, figure) | {collect:.0f} |",
        "",
        f"Worker exit codes: {codes}.",
        "",
        "The same two points as a 2-task array of `deploy/slurm/grid.sbatch` on a "
        "single-node SLURM cluster here (each task a fresh clone of origin):",
        "",
        f"From `sbatch` to the last task done: **{slurm['slurm_seconds']:.0f} s**, "
        f"{slurm['slurm_tasks_ok']} of 2 tasks pushed their experiment."
        if "slurm_seconds" in slurm else f"SLURM: not measured ({slurm['slurm_skipped']}).",
        "",
    ], data)  # fmt: skip


def _slurm_array(seed: Path, tmp: Path, params: str, venv: Path, remote: Path) -> dict[str, object]:
    """The two workers' points as a grid file on origin, run by the sbatch file as an array:
    {"slurm_seconds", "slurm_tasks_ok"}, or {"slurm_skipped": why}."""
    grid = "presets/tuning/bench-grid.yaml"
    base = {"train": {k.split(".", 1)[1]: yaml.safe_load(v) for k, v in
                      (a.split("=", 1) for a in params.split() if a != "-S")}}  # fmt: skip
    points = {f"slurm{i}": {"train": {"seed": i}} for i in (1, 2)}
    (seed / grid).write_text(yaml.safe_dump({"base": base, "candidates": points}))
    subprocess.run(["git", "add", grid], cwd=seed, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "bench grid"], cwd=seed, check=True)
    subprocess.run(["git", "push", "-q", "origin", "HEAD:main"], cwd=seed, check=True)
    try:
        with local_cluster() as cluster:
            cluster.env["DVC_REMOTE_URL"] = str(remote)  # the clones of origin have no remote
            start = time.perf_counter()
            job = cluster.submit(shlex.split(sbatch_line(Path(grid), venv, seed)), seed)
            cluster.wait(job, timeout=600)
            seconds = time.perf_counter() - start
    except ClusterError as err:
        return {"slurm_skipped": str(err)}
    logs = [(seed / f"grid-{job}_{task}.log").read_text() for task in (0, 1)]
    return {"slurm_seconds": seconds, "slurm_tasks_ok": sum("is on origin" in x for x in logs)}
