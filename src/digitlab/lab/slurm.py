"""A real single-node SLURM cluster on this machine, for the tests and the bench.

Debian's SLURM 22.05 (slurmctld, slurmd, slurm-client) and munge, started as root with a
config in a temporary folder: free ports, state and spool there, the node's CPUs and
memory read from the machine. Only the processes it started are stopped, by pid.
22.05 needs `CgroupPlugin=cgroup/v1` with `CgroupAutomount=no` (`disabled` came in
23.02), `proctrack/linuxproc` and `task/none`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

INSTALL = "apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge"
PROGRAMS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "runuser")


class ClusterError(Exception):
    """The cluster did not start, or a job did not end in time; the message says which."""


def missing() -> list[str]:
    """The programs a cluster needs that this machine lacks."""
    path = f"{os.environ.get('PATH', '')}:/usr/sbin"
    return [name for name in PROGRAMS if shutil.which(name, path=path) is None]


@dataclass
class Cluster:
    """A running cluster: its folder and the environment (SLURM_CONF) that reaches it."""

    root: Path
    env: dict[str, str]

    def run(self, *command: str, cwd: Path) -> str:
        """A SLURM client command's stdout; ClusterError with its stderr if it fails."""
        result = subprocess.run(command, cwd=cwd, env=self.env, capture_output=True, text=True)
        if result.returncode != 0:
            raise ClusterError(f"{' '.join(command)}: {result.stderr.strip()}")
        return result.stdout

    def submit(self, line: list[str], cwd: Path) -> str:
        """Run an sbatch command line from cwd; the job id."""
        return self.run(*line, cwd=cwd).split()[-1]  # "Submitted batch job 12"

    def wait(self, job: str, timeout: float) -> None:
        """Until squeue lists nothing of the job; ClusterError after timeout seconds."""
        deadline = time.monotonic() + timeout
        while self.run("squeue", "-h", "-j", job, cwd=self.root).strip():
            if time.monotonic() > deadline:
                raise ClusterError(f"SLURM job {job} still queued or running after {timeout:.0f} s")
            time.sleep(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def node_name() -> str:
    """This machine's short host name, which slurmd is also told to go by (-N)."""
    return socket.gethostname().split(".")[0]


def config(root: Path, munge_socket: Path) -> str:
    """slurm.conf for one node, this machine, with everything under root."""
    host = node_name()
    memory_mb = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return f"""\
ClusterName=digitlab
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket={munge_socket}
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
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


def _start_munge(munge: Path) -> Path:
    """munged as the munge user, with a fresh key; its socket."""
    key, munge_socket = munge / "munge.key", munge / "munge.socket"
    subprocess.run(["mungekey", "--create", f"--keyfile={key}"], check=True, capture_output=True)
    # munged refuses a key or folder it does not own or that others may write, and needs
    # every client to reach the socket: key 0600, folder 0755, both the munge user's.
    shutil.chown(munge, "munge", "munge")
    shutil.chown(key, "munge", "munge")
    munge.chmod(0o755)
    key.chmod(0o600)
    started = subprocess.run(
        ["runuser", "-u", "munge", "--", "munged", f"--key-file={key}",
         f"--socket={munge_socket}", f"--pid-file={munge}/munged.pid",
         f"--log-file={munge}/munged.log", f"--seed-file={munge}/munged.seed"],
        capture_output=True, text=True,
    )  # fmt: skip
    if started.returncode != 0:
        raise ClusterError(
            f"munged did not start ({started.stderr.strip()}); its key {key} is munge:munge "
            "0600 in a 0755 folder owned by munge, so look at the folders above it"
        )
    return munge_socket


@contextmanager
def local_cluster(ready_timeout: float = 30) -> Iterator[Cluster]:
    """munged, slurmctld and slurmd on this machine until the block ends (needs root)."""
    if os.geteuid() != 0:
        raise ClusterError(f"a SLURM cluster here needs root (munged, slurmd); as root: {INSTALL}")
    if missing():
        raise ClusterError(f"{', '.join(missing())} not installed; `make slurm` or: {INSTALL}")
    root = Path(tempfile.mkdtemp(prefix="digitlab-slurm-"))
    root.chmod(0o755)  # the munge user reaches its socket through it
    for folder in ("munge", "state", "spool"):
        (root / folder).mkdir()
    env = {**os.environ, "SLURM_CONF": str(root / "slurm.conf")}
    try:
        munge_socket = _start_munge(root / "munge")
        (root / "slurm.conf").write_text(config(root, munge_socket))
        (root / "cgroup.conf").write_text("CgroupPlugin=cgroup/v1\nCgroupAutomount=no\n")
        subprocess.run(["slurmctld", "-f", str(root / "slurm.conf")], env=env, check=True)
        slurmd = ["slurmd", "-f", str(root / "slurm.conf"), "-N", node_name()]
        subprocess.run(slurmd, env=env, check=True)
        cluster = Cluster(root, env)
        deadline = time.monotonic() + ready_timeout
        while "idle" not in cluster.run("sinfo", "-h", "-o", "%T", cwd=root):
            if time.monotonic() > deadline:
                tail = (root / "slurmd.log").read_text()[-400:]
                raise ClusterError(f"the node never became idle; slurmd.log ends: {tail}")
            time.sleep(0.5)
        yield cluster
    finally:
        _stop(root)
        shutil.rmtree(root, ignore_errors=True)


def _stop(root: Path) -> None:
    """SIGTERM each daemon this cluster started, by its pid file; SIGKILL after 20 s."""
    files = (root / "slurmd.pid", root / "slurmctld.pid", root / "munge/munged.pid")
    pids = [int(f.read_text()) for f in files if f.is_file() and f.read_text().strip()]
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in pids:
        if Path(f"/proc/{pid}").exists():
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
