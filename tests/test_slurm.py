"""The grid on a real single-node SLURM cluster: deploy/slurm/grid.sbatch, unchanged.

The fixture starts munged, slurmctld and slurmd (Debian's SLURM 22.05) with a config in
a temporary folder: free ports, state and spool there, the node's CPUs and memory read
from this machine. It stops only the processes it started, by pid. Without root or
without the packages, the tests skip with the command that installs them.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import test_experiments
from tests.test_experiments import Repo

# The tiny pipeline and its bare origin and folder remote, built once for this module.
repo, shared = test_experiments.repo, test_experiments.shared

pytestmark = pytest.mark.slow
INSTALL = "apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge"
GRID = "presets/tuning/tiny-grid.yaml"
TINY_GRID = """\
# Two tiny points for the SLURM test.
base: {train: {epochs: 2, hidden_sizes: [16], batch_size: 100}}
candidates:
  %(a)s: {train: {lr: 0.5}}
  %(b)s: {train: {lr: 1.0}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    """A running single-node cluster: its config and the environment that reaches it."""

    root: Path
    env: dict[str, str]

    def run(self, *command: str, cwd: Path) -> str:
        result = subprocess.run(command, cwd=cwd, env=self.env, capture_output=True, text=True)
        assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
        return result.stdout

    def wait(self, job: str, timeout: float) -> None:
        """Until squeue lists nothing of the job; fails after timeout seconds."""
        deadline = time.monotonic() + timeout
        while self.run("squeue", "-h", "-j", job, cwd=self.root).strip():
            if time.monotonic() > deadline:
                pytest.fail(f"SLURM job {job} still queued or running after {timeout:.0f} s")
            time.sleep(2)


def _daemon_pids(root: Path) -> list[int]:
    files = [root / "munge/munged.pid", root / "slurmctld.pid", root / "slurmd.pid"]
    return [int(f.read_text()) for f in files if f.is_file() and f.read_text().strip()]


def _config(root: Path, socket_path: Path) -> str:
    host = socket.gethostname()
    memory_mb = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return f"""\
ClusterName=digitlab-test
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket={socket_path}
CredType=cred/munge
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={memory_mb * 9 // 10}
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """munged, slurmctld and slurmd on this machine, stopped by pid afterwards."""
    if os.geteuid() != 0:
        pytest.skip(
            f"the SLURM test starts munged and slurmd, which needs root; as root: {INSTALL}"
        )
    needed = ["munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "runuser"]
    missing = [name for name in needed if shutil.which(name) is None and
               not Path(f"/usr/sbin/{name}").exists()]  # fmt: skip
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (`make slurm` installs it): {INSTALL}")
    root = Path(tempfile.mkdtemp(prefix="digitlab-slurm-"))
    root.chmod(0o755)  # munged, as the munge user, must reach its socket through it
    munge = root / "munge"
    for folder in (munge, root / "state", root / "spool"):
        folder.mkdir()
    key, socket_path = munge / "munge.key", munge / "munge.socket"
    env = {**os.environ, "SLURM_CONF": str(root / "slurm.conf")}
    try:
        subprocess.run(["mungekey", "--create", f"--keyfile={key}"], check=True)
        # munged refuses a key or folder that others may write, or that it does not own.
        shutil.chown(munge, "munge", "munge")
        shutil.chown(key, "munge", "munge")
        munge.chmod(0o755)
        key.chmod(0o600)
        started = subprocess.run(
            ["runuser", "-u", "munge", "--", "munged", f"--key-file={key}",
             f"--socket={socket_path}", f"--pid-file={munge}/munged.pid",
             f"--log-file={munge}/munged.log", f"--seed-file={munge}/munged.seed"],
            capture_output=True, text=True,
        )  # fmt: skip
        if started.returncode != 0:
            pytest.fail(
                f"munged did not start ({started.stderr.strip()}); the fixture made {key} "
                "munge:munge 0600 in a 0755 folder owned by munge", pytrace=False,
            )  # fmt: skip
        (root / "slurm.conf").write_text(_config(root, socket_path))
        (root / "cgroup.conf").write_text("CgroupPlugin=cgroup/v1\nCgroupAutomount=no\n")
        for daemon in ("slurmctld", "slurmd"):
            subprocess.run([daemon, "-f", str(root / "slurm.conf")], env=env, check=True)
        cluster = Cluster(root, env)
        deadline = time.monotonic() + 30
        while "idle" not in cluster.run("sinfo", "-h", "-o", "%T", cwd=root):
            if time.monotonic() > deadline:
                log = (root / "slurmd.log").read_text()[-600:]
                pytest.fail(f"the SLURM node never became idle; slurmd.log ends: {log}")
            time.sleep(0.5)
        yield cluster
    finally:
        pids = _daemon_pids(root)
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in pids:
            if Path(f"/proc/{pid}").exists():
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)


def submit(cluster: Cluster, clone: Repo, grid: str) -> str:
    """Run the line `make grid-sbatch` prints, from the clone; the array job's id."""
    venv = Path(sys.executable).parent.parent
    line = clone.make("grid-sbatch", f"GRID={grid}").strip().splitlines()[-1]
    assert line.startswith("sbatch --array=0-1 ")
    assert line.endswith(" deploy/slurm/grid.sbatch")
    out = cluster.run(*shlex.split(line), cwd=clone.path)
    assert f"VENV={venv}" in line
    return out.split()[-1]  # "Submitted batch job 12"


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
