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
from tests.fakes import write_fake_mnist

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


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """The pipeline reproduced once on tiny params, committed."""
    root = tmp_path_factory.mktemp("exp")
    raw = write_fake_mnist(root / "fake") / "MNIST" / "raw"
    repo = Repo(root / "repo")
    repo.path.mkdir()
    for part in ("dvc.yaml", "params.yaml", "stages", "src"):
        source = ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, repo.path / part)
    params = yaml.safe_load((repo.path / "params.yaml").read_text())
    for section, values in TINY.items():
        params[section].update(values)
    params["download"]["sources"] = [f"dir:{raw}"]
    params["download"]["md5"] = {
        p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in raw.iterdir()
    }
    (repo.path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    repo.run("git", "init", "-q")
    repo.run("git", "config", "user.email", "test@digitlab.invalid")
    repo.run("git", "config", "user.name", "digitlab test")
    repo.dvc("init", "-q")
    repo.dvc("config", "core.analytics", "false")
    repo.dvc("repro")
    repo.run("git", "add", "-A")
    repo.run("git", "commit", "-q", "-m", "tiny pipeline")
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
    ran = sorted(
        line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")
    )
    assert ran == ["evaluate", "predict", "train"]

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
