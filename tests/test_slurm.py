"""The grid on a real single-node SLURM cluster: deploy/slurm/grid.sbatch, unchanged.

The fixture starts munged, slurmctld and slurmd (Debian's SLURM 22.05) with a config in
a temporary folder: free ports, state and spool there, the node's CPUs and memory read
from this machine. It stops only the processes it started, by pid. Without root or
without the packages, the tests skip with the command that installs them.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from digitlab.lab.slurm import INSTALL, Cluster, ClusterError, local_cluster, missing
from tests import test_experiments
from tests.test_experiments import Repo

# The tiny pipeline and its bare origin and folder remote, built once for this module.
repo, shared = test_experiments.repo, test_experiments.shared

pytestmark = pytest.mark.slow
GRID = "presets/tuning/tiny-grid.yaml"
TINY_GRID = """\
# Two tiny points for the SLURM test.
base: {train: {epochs: 2, hidden_sizes: [16], batch_size: 100}}
candidates:
  %(a)s: {train: {lr: 0.5}}
  %(b)s: {train: {lr: 1.0}}
"""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """The single-node cluster (lab/slurm.py); skips, naming the install, without root or
    the packages."""
    if os.geteuid() != 0 or missing():
        lacking = ", ".join(missing()) or "root"
        pytest.skip(f"the SLURM test needs {lacking} (`make slurm` installs as root): {INSTALL}")
    try:
        with local_cluster() as running:
            yield running
    except ClusterError as err:
        pytest.fail(str(err), pytrace=False)


def submit(cluster: Cluster, clone: Repo, grid: str) -> str:
    """Run the line `make grid-sbatch` prints, from the clone; the array job's id."""
    venv = Path(sys.executable).parent.parent
    line = clone.make("grid-sbatch", f"GRID={grid}").strip().splitlines()[-1]
    assert line.startswith("sbatch --array=0-1 ")
    assert line.endswith(" deploy/slurm/grid.sbatch")
    assert f"VENV={venv}" in line
    return cluster.submit(shlex.split(line), clone.path)


def grid_clone(source: Repo, origin: Path, path: Path, names: tuple[str, str]) -> Repo:
    """A clone of origin holding a 2-point tiny grid, committed and pushed to origin."""
    clone = source.clone(origin, path)
    (clone.path / GRID).write_text(TINY_GRID % {"a": names[0], "b": names[1]})
    clone.run("git", "add", GRID)
    clone.run("git", "commit", "-q", "-m", "a tiny grid")
    clone.run("git", "push", "-q", "origin", "HEAD:main")
    return clone


@pytest.mark.timeout(600)  # two tasks, each a clone, a pull, a tiny experiment and a push
def test_the_sbatch_array_runs_each_point_and_a_third_clone_collects_both(
    cluster: Cluster,
    repo: Repo,
    shared: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    """The committed sbatch file as a 2-task array: each task runs its point in its own
    clone of origin with that clone's code and SLURM's CPU count as train.threads; the
    collector lists both with their params and accuracies."""
    origin, _ = shared
    submitter = grid_clone(repo, origin, tmp_path / "submit", ("slurm-a", "slurm-b"))
    job = submit(cluster, submitter, GRID)
    cluster.wait(job, timeout=480)
    for task in (0, 1):
        log = (submitter.path / f"grid-{job}_{task}.log").read_text()
        assert "is on origin" in log, log[-2000:]
        code = log.split("code from ")[1].split()[0]
        assert code.startswith(tempfile.gettempdir())
        assert "/clone" in code
    collector = repo.clone(origin, tmp_path / "collector")
    collector.make("exp-collect", f"GRID={GRID}", f"SUMMARY_OUT={tmp_path / 'table.md'}")
    rows = {line.split(" | ")[0].strip("| "): line
            for line in (tmp_path / "table.md").read_text().splitlines()[2:]}  # fmt: skip
    assert {"slurm-a", "slurm-b"} <= set(rows)
    assert "`train.lr=0.5`" in rows["slurm-a"]
    assert "`train.threads=1`" in rows["slurm-a"]
    assert "%" in rows["slurm-b"].split(" | ")[4]  # test_accuracy, from the experiment


@pytest.mark.timeout(600)
def test_a_killed_task_leaves_the_other_and_collect_names_the_missing_point(
    cluster: Cluster,
    repo: Repo,
    shared: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    """scancel one task of the array: exp-collect lists the other and fails with one line
    that names the missing point."""
    origin, _ = shared
    submitter = grid_clone(repo, origin, tmp_path / "submit", ("kill-a", "kill-b"))
    job = submit(cluster, submitter, GRID)
    cluster.run("scancel", f"{job}_1", cwd=submitter.path)
    cluster.wait(job, timeout=480)
    collector = repo.clone(origin, tmp_path / "collector")
    result = subprocess.run(
        ["make", "--no-print-directory", "exp-collect", f"GRID={GRID}",
         f"VENV={Path(sys.executable).parent.parent}", "SETUP="],
        cwd=collector.path, env=collector.env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0
    assert "kill-a" in result.stdout
    named = [line for line in result.stderr.splitlines() if "missing point" in line]
    assert len(named) == 1
    assert "1 (kill-b)" in named[0]
