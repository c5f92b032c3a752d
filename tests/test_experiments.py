"""End to end on tiny params: dvc repro, dvc exp run -S, exp show and metrics diff.

A temporary git repository gets this project's pipeline and a few hundred fake
MNIST digits in torchvision's layout, so the whole DAG runs in about a minute.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.fakes import write_fake_mnist, write_fake_real
from tools.preset import edit_params

TINY = {
    "train": {"hidden_sizes": [16], "epochs": 2, "batch_size": 100, "log_every": 1},
    "tiny_net": {"epochs": 20},
    "sigmoid": {"epochs": 20},
    "predict": {"count": 4},
}


class Repo:
    """A throwaway git + DVC repository holding a copy of the pipeline."""

    def __init__(self, path: Path) -> None:
        self.path = path
        bin_dir = Path(sys.executable).parent
        self.env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    def run(self, *command: str) -> str:
        result = subprocess.run(
            command, cwd=self.path, env=self.env, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
        return result.stdout + result.stderr

    def dvc(self, *args: str) -> str:
        return self.run(sys.executable, "-m", "dvc", *args)

    def make(self, target: str, *args: str) -> str:
        """A Makefile target run with this test's venv (SETUP= skips installing one)."""
        venv = Path(sys.executable).parent.parent
        return self.run("make", "--no-print-directory", target, f"VENV={venv}", "SETUP=", *args)

    def clone(self, origin: Path, path: Path) -> Repo:
        """A fresh clone of origin's main branch, with a git identity for experiments."""
        self.run("git", "clone", "-q", "-b", "main", str(origin), str(path))
        clone = Repo(path)
        clone.run("git", "config", "user.email", "test@digitlab.invalid")
        clone.run("git", "config", "user.name", "digitlab test")
        return clone


def ran_stages(output: str) -> list[str]:
    """The stages a dvc repro or exp run output says it ran, sorted."""
    return sorted(line.split("'")[1] for line in output.splitlines() if line.startswith("Running"))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """The pipeline reproduced once on tiny params, committed."""
    root = tmp_path_factory.mktemp("exp")
    raw = write_fake_mnist(root / "fake") / "MNIST" / "raw"
    repo = Repo(root / "repo")
    repo.path.mkdir()
    for part in ("dvc.yaml", "params.yaml", "stages", "src", "tools", "Makefile"):
        source = ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, repo.path / part)
    md5 = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in raw.iterdir()}
    real_sha256 = write_fake_real(root / "fake_real")
    edit_params(repo.path / "params.yaml", {
        **TINY,
        "download": {"sources": [f"dir:{raw}"], "md5": md5},
        "download_real": {"sources": [f"dir:{root / 'fake_real'}"], "sha256": real_sha256},
    })  # fmt: skip
    repo.run("git", "init", "-q")
    repo.run("git", "config", "user.email", "test@digitlab.invalid")
    repo.run("git", "config", "user.name", "digitlab test")
    repo.dvc("init", "-q")
    repo.dvc("config", "core.analytics", "false")
    # DVCLive (in the train stage) needs a commit to name its baseline, as any clone has.
    repo.run("git", "add", "-A")
    repo.run("git", "commit", "-q", "-m", "tiny pipeline")
    repo.dvc("repro")
    repo.run("git", "add", "-A")
    repo.run("git", "commit", "-q", "-m", "tiny pipeline, reproduced")
    return repo


def _find(tree: Any, predicate: Any) -> list[Any]:
    """Every dict inside a JSON tree for which predicate holds."""
    found = [tree] if isinstance(tree, dict) and predicate(tree) else []
    children = tree.values() if isinstance(tree, dict) else tree if isinstance(tree, list) else []
    for child in children:
        found += _find(child, predicate)
    return found


@pytest.mark.slow
def test_exp_run_reruns_only_the_affected_stages_and_shows_up(repo: Repo) -> None:
    """-S train.lr reruns train, evaluate and predict; exp show and metrics diff see it."""
    output = repo.dvc("exp", "run", "-n", "lr-half", "-S", "train.lr=0.5")
    assert ran_stages(output) == ["evaluate", "predict", "train"]

    shown = json.loads(repo.dvc("exp", "show", "--json"))
    experiments = _find(shown, lambda d: d.get("name") == "lr-half")
    assert experiments, "lr-half missing from dvc exp show"
    text = json.dumps(experiments[0])
    assert '"lr": 0.5' in text
    assert "test_accuracy" in text

    diff = json.loads(repo.dvc("metrics", "diff", "--json"))
    assert (
        diff["metrics/train.json"]["train_loss"]["old"]
        != diff["metrics/train.json"]["train_loss"]["new"]
    )


@pytest.mark.slow
def test_report_is_offline_and_shows_both_revisions(repo: Repo) -> None:
    """tools/report.py writes one HTML file with tables and images and no external URL."""
    shutil.copytree(ROOT / "tools", repo.path / "tools", dirs_exist_ok=True)
    repo.run(sys.executable, "tools/report.py", "--rev", "HEAD", "--out", "report.html")
    page = (repo.path / "report.html").read_text()
    assert "http://" not in page
    assert "https://" not in page
    assert "<script" not in page
    assert page.count("data:image/png;base64,") >= 10
    assert "Metrics that changed" in page


@pytest.fixture(scope="module")
def shared(repo: Repo, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny repo back at its commit, with a bare git origin and a folder DVC remote,
    both pushed to: (origin, remote)."""
    root = tmp_path_factory.mktemp("shared")
    origin, remote = root / "origin.git", root / "remote"
    repo.run("git", "checkout", "-q", "--", ".")
    repo.dvc("checkout", "-q")
    repo.run("git", "init", "-q", "--bare", str(origin))
    repo.dvc("remote", "add", "-d", "storage", str(remote))
    repo.run("git", "commit", "-q", "-am", "a DVC remote")
    repo.run("git", "remote", "add", "origin", str(origin))
    repo.run("git", "push", "-q", "origin", "HEAD:refs/heads/main")
    repo.make("push")
    return origin, remote


@pytest.mark.slow
def test_a_fresh_clone_pulls_every_output_and_trains_nothing(
    repo: Repo, shared: tuple[Path, Path], tmp_path: Path
) -> None:
    """make push in one clone, make pull in another: the same model bytes, nothing stale,
    and dvc repro runs no stage."""
    clone = repo.clone(shared[0], tmp_path / "clone")
    clone.make("pull")
    model = "models/mlp.pt"
    assert (clone.path / model).read_bytes() == (repo.path / model).read_bytes()
    assert "Data and pipelines are up to date" in clone.dvc("status")
    assert ran_stages(clone.dvc("repro")) == []


@pytest.mark.slow
def test_a_pulled_clone_reruns_exactly_the_stage_a_param_change_touches(
    repo: Repo, shared: tuple[Path, Path], tmp_path: Path
) -> None:
    """CI's path: pull, change sgd.alpha, make ci-report: it reruns fit@sgd alone and says so."""
    clone = repo.clone(shared[0], tmp_path / "clone")
    clone.make("pull")
    edit_params(clone.path / "params.yaml", {"sgd": {"alpha": 0.05}})
    output = clone.make("ci-report", "BASE=HEAD", f"SUMMARY={tmp_path / 'summary.md'}")
    assert ran_stages(output) == ["fit@sgd"]
    assert "ran: fit@sgd \n" in output
    assert "sgd.alpha" in (tmp_path / "summary.md").read_text()


@pytest.mark.slow
def test_a_pull_with_a_missing_object_names_it_and_repro_rebuilds_only_that(
    repo: Repo, shared: tuple[Path, Path], tmp_path: Path
) -> None:
    """With the model gone from the remote, pull fails naming models/mlp.pt; dvc repro then
    retrains it (bit for bit) and reruns nothing else."""
    lock = yaml.safe_load((repo.path / "dvc.lock").read_text())
    md5 = next(o["md5"] for o in lock["stages"]["train"]["outs"] if o["path"] == "models/mlp.pt")
    stored = shared[1] / "files" / "md5" / md5[:2] / md5[2:]
    kept = stored.read_bytes()
    stored.unlink()
    try:
        clone = repo.clone(shared[0], tmp_path / "clone")
        pulled = subprocess.run(
            [sys.executable, "-m", "dvc", "pull"], cwd=clone.path, env=clone.env,
            capture_output=True, text=True,
        )  # fmt: skip
        assert pulled.returncode != 0
        assert "models/mlp.pt" in pulled.stdout + pulled.stderr
        assert ran_stages(clone.dvc("repro")) == ["train"]
        assert (clone.path / "models/mlp.pt").read_bytes() == (
            repo.path / "models/mlp.pt"
        ).read_bytes()
    finally:
        stored.write_bytes(kept)


@pytest.mark.slow
def test_experiments_travel_between_clones(
    repo: Repo, shared: tuple[Path, Path], tmp_path: Path
) -> None:
    """dvc exp push in one clone, dvc exp pull in another: exp show lists it with its
    metrics, and dvc exp apply restores its model."""
    repo.dvc("exp", "run", "-n", "shared-lr", "-S", "train.lr=0.7")
    repo.dvc("exp", "push", "origin", "shared-lr")
    clone = repo.clone(shared[0], tmp_path / "clone")
    clone.dvc("exp", "pull", "origin", "shared-lr")
    shown = _find(
        json.loads(clone.dvc("exp", "show", "--json")), lambda d: d.get("name") == "shared-lr"
    )
    assert shown, "shared-lr missing from dvc exp show in the second clone"
    assert "test_accuracy" in json.dumps(shown[0])
    clone.dvc("exp", "apply", "shared-lr")
    assert (clone.path / "models/mlp.pt").read_bytes() == (repo.path / "models/mlp.pt").read_bytes()
