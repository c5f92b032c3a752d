"""The grid's cluster files: the sbatch line, the Kubernetes Job, and make remote-local."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from digitlab.lab import deploy
from digitlab.lab.grid import points, worker
from digitlab.lab.steps import StepError
from tests.conftest import ROOT

DEFAULT_GRID = Path("presets/tuning/fast-grid.yaml")


def test_the_committed_kubernetes_job_is_the_one_the_default_grid_makes() -> None:
    """deploy/k8s/grid-job.yaml equals what `make grid-k8s` writes: regenerate, never edit."""
    made = deploy.k8s_job(DEFAULT_GRID)
    assert (ROOT / "deploy/k8s/grid-job.yaml").read_text() == made


def test_the_kubernetes_job_has_one_indexed_completion_per_grid_point() -> None:
    """An Indexed batch/v1 Job: completions = parallelism = points, never restarted, each pod
    running make exp-point for its JOB_COMPLETION_INDEX of this grid."""
    job = yaml.safe_load((ROOT / "deploy/k8s/grid-job.yaml").read_text())
    count = len(points(ROOT / DEFAULT_GRID))
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    assert spec["completions"] == spec["parallelism"] == count == 5
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    (container,) = pod["containers"]
    command = container["command"][-1]
    assert "exp-point" in command
    assert "INDEX=$JOB_COMPLETION_INDEX" in command
    assert f"GRID={DEFAULT_GRID}" in command
    assert "ci-remote" in command  # DVC_REMOTE_URL from the secret
    assert container["envFrom"][0]["secretRef"]["name"]


def test_the_sbatch_line_fills_in_the_array_and_the_exports() -> None:
    """One task per point, the grid and the venv exported, the committed script named."""
    line = deploy.sbatch_line(ROOT / DEFAULT_GRID, Path("/shared/venv"))
    assert line.startswith("sbatch --array=0-4 --export=ALL,GRID=")
    assert "VENV=/shared/venv" in line
    assert line.endswith(" deploy/slurm/grid.sbatch")
    assert (ROOT / deploy.SBATCH).stat().st_mode & 0o111  # executable, as sbatch expects


def _tiny_dvc_repo(path: Path) -> Path:
    path.mkdir()
    for command in (["git", "init", "-q"], [sys.executable, "-m", "dvc", "init", "-q"]):
        subprocess.run(command, cwd=path, check=True)
    (path / "data.txt").write_text("some data\n")
    subprocess.run([sys.executable, "-m", "dvc", "add", "-q", "data.txt"], cwd=path, check=True)
    return path


@pytest.mark.slow
def test_remote_local_makes_a_default_folder_remote_beside_the_repo_and_pushes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The folder is ../<repo>-dvc-remote, the default remote in .dvc/config, and holds the
    data afterwards; the lines say how to share it."""
    repo = _tiny_dvc_repo(tmp_path / "project")
    folder = deploy.remote_local(repo)
    assert folder == tmp_path / "project-dvc-remote"
    config = (repo / ".dvc/config").read_text()
    assert "remote = local" in config
    assert any(folder.rglob("*"))
    assert "1 file pushed" in capsys.readouterr().out


@pytest.mark.slow
def test_a_worker_without_a_dvc_remote_names_make_remote_local(tmp_path: Path) -> None:
    """A clone with no remote stops at step 'remote' with one line naming the target."""
    repo = _tiny_dvc_repo(tmp_path / "project")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    with pytest.raises(StepError, match="make remote-local"):
        worker("x", [], repo)
