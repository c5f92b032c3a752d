"""dvc.yaml, stages/*.py and params.yaml stay in step, and DVC reruns only what changed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

DVC_YAML = yaml.safe_load((ROOT / "dvc.yaml").read_text())
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


def _stage_params(stage: dict) -> list[str]:  # type: ignore[type-arg]
    body = stage.get("do", stage)
    keys = [p for p in body.get("params", []) if isinstance(p, str)]
    if "foreach" in stage:
        return [k.replace("${key}", name) for name in stage["foreach"] for k in keys]
    return keys


def test_every_stage_has_its_script_and_the_script_its_stage() -> None:
    """stages/<name>.py exists for each dvc.yaml stage, and no script is orphaned."""
    scripts = {p.stem for p in (ROOT / "stages").glob("*.py")}
    assert scripts == set(DVC_YAML["stages"])
    for name, stage in DVC_YAML["stages"].items():
        assert f"stages/{name}.py" in stage.get("do", stage)["cmd"]


def test_every_params_section_is_used_by_the_stage_of_that_name() -> None:
    """Each params.yaml section is a dependency, and each dependency is a section."""
    used = {
        key.split(".")[0] for stage in DVC_YAML["stages"].values() for key in _stage_params(stage)
    }
    assert used == set(PARAMS)


def test_metrics_files_are_named_after_their_stage_or_method() -> None:
    """A stage writes metrics/<name>.json; fit@<method> writes metrics/classical/<method>.json."""
    for name, stage in DVC_YAML["stages"].items():
        body = stage.get("do", stage)
        for entry in body.get("metrics", []):
            path = next(iter(entry)) if isinstance(entry, dict) else entry
            expected = (
                "metrics/classical/${key}.json" if "foreach" in stage else f"metrics/{name}.json"
            )
            assert path == expected


def test_no_param_is_named_like_a_key_dvc_ignores() -> None:
    """DVC drops `size` and `nfiles` when hashing params, so they must never be used."""
    text = (ROOT / "params.yaml").read_text()
    assert not re.search(r"^\s*(size|nfiles)\s*:", text, flags=re.MULTILINE)


@pytest.mark.slow
def test_changing_sgd_alpha_reruns_only_fit_sgd(tmp_path: Path) -> None:
    """After dvc repro, editing sgd.alpha makes fit@sgd, and nothing else, stale."""
    for part in ("dvc.yaml", "params.yaml", "stages", "src"):
        source = ROOT / part
        copy = shutil.copytree if source.is_dir() else shutil.copy
        copy(source, tmp_path / part)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

    def dvc(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "dvc", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    dvc("init", "-q")
    dvc("config", "core.analytics", "false")
    _edit_params(tmp_path, tiny_net={"epochs": 20}, sigmoid={"epochs": 20})
    dvc("repro", "-q", "fit")
    assert json.loads(dvc("status", "--json", "fit")) == {}

    _edit_params(tmp_path, sgd={"alpha": 0.05})
    assert list(json.loads(dvc("status", "--json", "fit"))) == ["fit@sgd"]


def _edit_params(root: Path, **sections: dict[str, object]) -> None:
    params = yaml.safe_load((root / "params.yaml").read_text())
    for section, values in sections.items():
        params[section].update(values)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
