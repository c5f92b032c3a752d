"""dvc.yaml, stages/*.py and params.yaml stay in step, and DVC reruns only what changed."""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from digitlab.core.config import from_dict
from digitlab.fits.methods import METHODS
from digitlab.lab.presets import edit_params, flatten, merge
from digitlab.mlp.augment import AugmentParams
from digitlab.mlp.mine import TeachParams
from digitlab.mlp.training import TrainParams
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
    """A stage writes metrics/<name>.json (and DVCLive's dvclive/<name>/metrics.json);
    fit@<method> writes metrics/classical/<method>.json."""
    for name, stage in DVC_YAML["stages"].items():
        body = stage.get("do", stage)
        for entry in body.get("metrics", []):
            path = next(iter(entry)) if isinstance(entry, dict) else entry
            expected = (
                {"metrics/classical/${key}.json"}
                if "foreach" in stage
                else {f"metrics/{name}.json", f"dvclive/{name}/metrics.json"}
            )
            assert path in expected


SRC = ROOT / "src"


def _module_file(module: str) -> Path:
    """src/ file of a dotted digitlab module: the module itself, or its package's __init__."""
    base = SRC / module.replace(".", "/")
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _imports(path: Path) -> set[str]:
    """src/digitlab files that `path` imports, at top level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "digitlab":
            for alias in node.names:  # `from digitlab.fits import classical` names a module
                sub = f"{node.module}.{alias.name}"
                found.add(sub if _module_file(sub).exists() else str(node.module))
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("digitlab.")}
    files = set()
    for module in found:  # importing a.b.c runs a/__init__.py and a/b/__init__.py first
        parts = module.split(".")
        files |= {_module_file(".".join(parts[:i])) for i in range(1, len(parts))}
        files.add(_module_file(module))
    return {str(f.relative_to(ROOT)) for f in files}


def import_closure(script: Path) -> set[str]:
    """The stage script and every src/digitlab file it imports, directly or not."""
    closure, todo = set(), _imports(script)
    while todo:
        module = todo.pop()
        if module not in closure:
            closure.add(module)
            todo |= _imports(ROOT / module)
    return {str(script.relative_to(ROOT)), *closure}


def declared_code(stage: dict[str, Any]) -> set[str]:
    """The stage's code deps as files: a folder dep stands for every .py file below it."""
    files = set()
    for dep in stage.get("do", stage)["deps"]:
        if not dep.startswith(("src/", "stages/")):
            continue
        folder = ROOT / dep
        if folder.is_dir():
            files |= {str(f.relative_to(ROOT)) for f in folder.rglob("*.py")}
        else:
            files.add(dep)
    return files


def dep_problems(name: str, stage: dict[str, Any]) -> list[str]:
    """What a stage's code deps lack or list in surplus, against its import closure."""
    declared = declared_code(stage)
    needed = import_closure(ROOT / "stages" / f"{name}.py")
    return [f"{name}: missing dep {path}" for path in sorted(needed - declared)] + [
        f"{name}: surplus dep {path}" for path in sorted(declared - needed)
    ]


def test_declared_deps_are_each_stages_import_closure() -> None:
    """dvc.yaml lists exactly the script and the src/digitlab modules each stage imports."""
    problems = [p for name, stage in DVC_YAML["stages"].items() for p in dep_problems(name, stage)]
    assert problems == []


def test_the_deps_check_catches_a_missing_import() -> None:
    """A stage definition without one of its imports is reported, naming stage and file."""
    evaluate = DVC_YAML["stages"]["evaluate"]
    model = "src/digitlab/mlp/model.py"
    broken = {**evaluate, "deps": [d for d in evaluate["deps"] if d != model]}
    assert dep_problems("evaluate", broken) == [f"evaluate: missing dep {model}"]
    surplus = {**evaluate, "deps": [*evaluate["deps"], "src/digitlab/fits"]}
    assert dep_problems("evaluate", surplus) == [
        f"evaluate: surplus dep src/digitlab/fits/{name}.py"
        for name in sorted(p.stem for p in (SRC / "digitlab/fits").glob("*.py"))
    ]


def test_line_fits_and_the_mlp_do_not_share_modules_they_should_not() -> None:
    """Editing a line fit never retrains the MLP, and MNIST code never reruns the fits."""
    train = import_closure(ROOT / "stages/train.py")
    fit = import_closure(ROOT / "stages/fit.py")
    assert not {f for f in train if f.startswith("src/digitlab/fits/")}
    assert not {f for f in fit if f.startswith("src/digitlab/mlp/")}


def test_download_and_training_share_only_the_core() -> None:
    """Editing the download code leaves `train` fresh, and editing training leaves `download`."""
    download = import_closure(ROOT / "stages/download.py")
    train = import_closure(ROOT / "stages/train.py")
    shared = {f for f in download & train if not f.startswith("src/digitlab/core/")}
    assert shared == {"src/digitlab/__init__.py", "src/digitlab/mlp/__init__.py"}
    assert "src/digitlab/mlp/download.py" not in train


def test_evaluate_only_modules_are_not_train_deps() -> None:
    """Editing the test-set scoring, its degradations or figures never retrains the model.
    (The picture preprocessing is a train dep too: `make teach` reads your digits with it.)"""
    train = import_closure(ROOT / "stages/train.py")
    evaluate = import_closure(ROOT / "stages/evaluate.py")
    evaluate_only = {"evaluation.py", "degrade.py", "real.py", "figures/digits.py",
                     "figures/evaluate.py"}  # fmt: skip
    assert {f"src/digitlab/mlp/{name}" for name in evaluate_only} <= evaluate
    assert not {f"src/digitlab/mlp/{name}" for name in evaluate_only} & train


def test_train_depends_on_every_key_that_can_change_its_outputs() -> None:
    """train's params are TrainParams' fields by key, all but log_every."""
    keys = {f"train.{f.name}" for f in dataclasses.fields(TrainParams)} - {"train.log_every"}
    assert set(DVC_YAML["stages"]["train"]["params"]) == keys


def test_fit_stages_are_the_method_registry() -> None:
    """dvc.yaml's foreach maps exactly the registered methods to their datasets."""
    assert DVC_YAML["stages"]["fit"]["foreach"] == {n: m.dataset for n, m in METHODS.items()}
    assert set(METHODS) < set(PARAMS)


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
    edit_params(tmp_path / "params.yaml", {"tiny_net": {"epochs": 20}, "sigmoid": {"epochs": 20}})
    dvc("repro", "-q", "fit")
    assert json.loads(dvc("status", "--json", "fit")) == {}

    edit_params(tmp_path / "params.yaml", {"sgd": {"alpha": 0.05}})
    assert list(json.loads(dvc("status", "--json", "fit"))) == ["fit@sgd"]


PRESETS = sorted((ROOT / "presets").glob("*.yaml"))


def _preset_keys(path: Path) -> set[str]:
    return set(flatten(yaml.safe_load(path.read_text())))


def test_there_are_presets_fast_and_best() -> None:
    """make exp-fast and make exp-best have their files."""
    assert {"fast", "best"} <= {p.stem for p in PRESETS}


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_each_preset_sets_every_key_that_shapes_the_model(path: Path) -> None:
    """A preset trains the same model whatever params the workspace holds: it sets every
    train key (nested augment keys included) but device, threads and log_every."""
    nested = {"train.augment", "train.mine"}
    fields = {f"train.{f.name}" for f in dataclasses.fields(TrainParams)} - nested
    augment = {f"train.augment.{f.name}" for f in dataclasses.fields(AugmentParams)}
    yours = {f"train.mine.{f.name}" for f in dataclasses.fields(TeachParams)}
    expected = (fields | augment | yours) - {"train.device", "train.threads", "train.log_every"}
    assert _preset_keys(path) == expected


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_every_preset_key_is_a_known_param_with_a_valid_value(path: Path) -> None:
    """params.yaml with the preset applied loads into TrainParams: no unknown or bad key."""
    preset = yaml.safe_load(path.read_text())
    assert set(preset) == {"train"}
    from_dict(TrainParams, merge(PARAMS["train"], preset["train"]), where="train")


def _make(target: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """make TARGET with this interpreter's venv, wherever it is (SETUP= installs nothing)."""
    venv = f"VENV={Path(sys.executable).parent.parent}"
    command = ["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), target, "SETUP=", venv]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True)


def test_make_exp_passes_the_preset_file_to_dvc() -> None:
    """make exp-fast runs dvc exp run --temp -n fast with exactly the -S settings of
    presets/fast.yaml: in a temporary copy, so the workspace keeps its model."""
    dry_run = subprocess.run(
        [sys.executable, "-m", "digitlab.lab.experiment", "fast", "--dry-run"], cwd=ROOT,
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    command = next(line for line in dry_run.splitlines() if "dvc exp run" in line)
    assert command.startswith("dvc exp run --temp -n fast -S ")
    found = set(re.findall(r"-S '?([a-z_.]+)=", command))
    assert found == _preset_keys(ROOT / "presets/fast.yaml")
    recipe = _make("exp-fast", "-n").stdout
    assert "-m digitlab.lab.experiment fast" in recipe
    assert (
        "-m digitlab.lab.experiment fast --replace" in _make("exp-fast", "-n", "REPLACE=1").stdout
    )


def test_make_exp_names_the_presets_when_one_is_missing() -> None:
    """A preset name without a file stops with a line that lists the presets there are."""
    result = _make("exp-no-such-preset")
    assert result.returncode != 0
    names = " ".join(p.stem for p in PRESETS)
    assert f"no preset presets/no-such-preset.yaml; presets: {names}" in result.stderr


def _workspace(tmp_path: Path, preset: str) -> Path:
    """A folder with params.yaml and presets/broken.yaml holding `preset`, and no DVC:
    a make exp-broken that got as far as DVC would fail there differently."""
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets/broken.yaml").write_text(preset)
    return tmp_path


@pytest.mark.parametrize(
    ("preset", "says"),
    [
        ("train: {lr: 0.1\n", "exp-broken: cannot read "),
        ("train:\n  lr_rate: 0.1\n", "train.lr_rate: got 0.1, expected one of the known keys"),
        ("train:\n  epochs: many\n", "train.epochs: got 'many', expected an integer"),
        ("trian:\n  lr: 0.1\n", "unknown section 'trian'"),
        ("- lr\n", "must map params.yaml sections to the keys it sets"),
    ],
    ids=["not YAML", "unknown key", "bad value", "unknown section", "not a mapping"],
)
def test_make_exp_stops_on_a_bad_preset_in_one_line_before_any_experiment(
    tmp_path: Path, preset: str, says: str
) -> None:
    """A preset that does not parse, or names an unknown key or a bad value, stops
    make exp-NAME with one line naming the file; DVC is never started."""
    result = _make("exp-broken", cwd=_workspace(tmp_path, preset))
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if not line.startswith("make")]
    assert len(errors) == 1, result.stderr
    assert says in errors[0]
    assert "presets/broken.yaml" in errors[0]
    assert "dvc exp run" not in result.stdout
    assert "Traceback" not in result.stderr


def test_make_help_lists_every_target_in_its_group_within_120_columns() -> None:
    """make help prints four groups, each target of the Makefile once, no literal `$`, and
    no line wider than a terminal."""
    shown = _make("help").stdout
    assert [line for line in shown.splitlines() if line and not line.startswith(" ")] == [
        "Use", "Experiments", "Team and CI", "Development",
    ]  # fmt: skip
    listed = [line.split()[0] for line in shown.splitlines() if line.startswith("  ")]
    makefile = (ROOT / "Makefile").read_text()
    rules = set(re.findall(r"^([a-z][a-z-]*|exp-%):", makefile, flags=re.MULTILINE))
    assert sorted(listed) == sorted(r.replace("exp-%", "exp-NAME") for r in rules)
    assert "$" not in shown
    assert max(len(line) for line in shown.splitlines()) <= 120


def test_make_repro_on_a_fresh_clone_builds_the_venv_first(tmp_path: Path) -> None:
    """With no venv yet, make repro's plan creates it, installs the pins and the package,
    then runs dvc repro: the README's first command works on a fresh clone."""
    venv = tmp_path / "venv"
    result = subprocess.run(
        ["make", "-n", "-f", str(ROOT / "Makefile"), "repro", f"VENV={venv}"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    steps = result.stdout.splitlines()
    first = [i for i, step in enumerate(steps) if "-m venv" in step or "dvc repro" in step]
    assert "-m venv" in steps[first[0]]
    assert any("pip install --quiet -r requirements.txt" in step for step in steps)
    assert "dvc repro" in steps[first[-1]]


def test_the_lab_builds_stage_commands_from_dvc_yaml(tmp_path: Path) -> None:
    """stage_command is dvc.yaml's cmd with named paths replaced, so tuning and the bench
    never miss an argument a stage gained (train's --mine once did)."""
    from digitlab.lab.steps import StepError, stage_command

    command = stage_command("train", ROOT, data="/d", mine="m/mine", curves="c.png")
    assert command[0] == sys.executable
    assert command[1] == "stages/train.py"
    flags = dict(zip(command[2::2], command[3::2], strict=True))
    assert flags["--data"] == "/d"
    assert flags["--mine"] == "m/mine"
    assert flags["--curves"] == "c.png"
    assert flags["--model"] == "models/mlp.pt"  # untouched: dvc.yaml's
    with pytest.raises(StepError, match="takes no nothing"):
        stage_command("train", ROOT, nothing="x")
