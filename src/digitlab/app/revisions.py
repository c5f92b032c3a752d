"""Models to serve or compare, with their metrics: from a file, or from a DVC experiment or
git revision read without touching the workspace."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digitlab.app.project import MODEL_FILE
from digitlab.app.weights import Weights, load_weights, weights_from_bytes
from digitlab.core.errors import DataError

CARD_FILE, METRICS_FILE = "models/mlp.json", "metrics/evaluate.json"


@dataclass(frozen=True)
class ServedModel:
    """A model with the name the page shows and its test metrics (empty when unknown)."""

    name: str
    model: Weights
    metrics: dict[str, float] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """{"name", "test_accuracy", "real_accuracy", "metrics"} for /api/models."""
        return {
            "name": self.name,
            "test_accuracy": self.metrics.get("test_accuracy"),
            "real_accuracy": self.metrics.get("real_accuracy"),
            "metrics": self.metrics,
        }


def from_file(path: Path, name: str = "", metrics_path: Path | None = None) -> ServedModel:
    """The model at path, named `name` (default: the path), with metrics_path's if it exists."""
    model = load_weights(path)
    metrics = {}
    if metrics_path is not None and metrics_path.is_file():
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    return ServedModel(name or str(path), model, metrics)


def from_revision(name: str, repo: Path) -> ServedModel:
    """The model of a DVC experiment or git revision, read without touching the workspace."""
    import dvc.api  # slow to import; only --exp needs it

    rev = resolve_revision(name, repo)
    try:
        weights = dvc.api.read(MODEL_FILE, repo=str(repo), rev=rev, mode="rb")
        card = dvc.api.read(CARD_FILE, repo=str(repo), rev=rev, mode="rb")
    except Exception as err:  # dvc raises many types; each means "not readable here"
        reason = " ".join(str(err).split())[:160] or type(err).__name__
        raise DataError(
            f"--exp {name}: cannot read {MODEL_FILE} at {rev[:7]} ({reason}); "
            f"if it was made elsewhere, `dvc exp pull origin {name}` first"
        ) from None
    model = weights_from_bytes(weights, card, where=f"{name}:{MODEL_FILE}")
    return ServedModel(name, model, _metrics_at(rev, repo))


def experiment_refs(repo: Path) -> list[tuple[str, str]]:
    """(sha, ref) of every ref under refs/exps, newest first: the same name can exist under
    several baseline commits, and the newest is the one meant."""
    refs = _git(
        repo, "for-each-ref", "--sort=-committerdate", "--format=%(objectname) %(refname)",
        "refs/exps",
    )  # fmt: skip
    return [(sha, ref) for sha, ref in (line.split(" ", 1) for line in refs.splitlines())]


def resolve_revision(name: str, repo: Path) -> str:
    """The commit of experiment `name` (the newest of that name), or of any git revision."""
    for sha, ref in experiment_refs(repo):
        if ref.rsplit("/", 1)[-1] == name:
            return sha
    found = _git(repo, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}").strip()
    if not found:
        raise DataError(
            f"--exp {name}: no experiment or git revision of that name; `dvc exp list` shows them"
        )
    return found


def file_at(rev: str, path: str, repo: Path) -> bytes | None:
    """A file's committed bytes at rev (`git show REV:PATH`), or None if it was not there."""
    result = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=repo, capture_output=True)
    return result.stdout if result.returncode == 0 else None


def _metrics_at(rev: str, repo: Path) -> dict[str, float]:
    data = file_at(rev, METRICS_FILE, repo)  # committed: cache: false
    return dict(json.loads(data)) if data else {}


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else ""
