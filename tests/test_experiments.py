"""End to end on tiny params: dvc repro, dvc exp run -S, exp show and metrics diff.

A temporary git repository gets this project's pipeline and a few hundred fake
MNIST digits in torchvision's layout, so the whole DAG runs in about a minute.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from digitlab.app.collect import Collection
from digitlab.app.revisions import resolve_revision
from digitlab.lab.drawn import pad_png
from digitlab.lab.presets import edit_params
from digitlab.mlp import mine
from tests.conftest import ROOT
from tests.fakes import write_fake_mnist, write_fake_real

TINY = {
    "train": {"hidden_sizes": [16], "epochs": 2, "batch_size": 100, "log_every": 1},
    "tiny_net": {"epochs": 20},
    "sigmoid": {"epochs": 20},
    "predict": {"count": 4},
}


PARTS = ("dvc.yaml", "params.yaml", "stages", "src", "presets", "deploy", "Makefile")


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
    (repo.path / "data").mkdir()
    for part in (*PARTS, "data/mine.md", "data/mine.dvc", "data/.gitignore"):
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
    """The lab's report writes one HTML file with tables and images and no external URL."""
    repo.run(sys.executable, "-m", "digitlab.lab.report", "--rev", "HEAD", "--out", "report.html")
    page = (repo.path / "report.html").read_text()
    assert "http://" not in page
    assert "https://" not in page
    assert "<script" not in page
    assert page.count("data:image/png;base64,") >= 10
    assert page.index("<h2>The answer</h2>") < page.index("<h2>Params that changed</h2>")
    assert "MNIST test accuracy" in page.split("<h2>Params that changed</h2>")[0]
    assert page.count("<figcaption>") >= 10  # every figure says what it shows


@pytest.mark.slow
@pytest.mark.browser
def test_the_report_leads_with_the_answer_at_1280_px(repo: Repo) -> None:
    """In a real browser at 1280 px the report's first screen is the answer: the summary
    table of the metrics that matter, with a better/worse mark, before any plot."""
    from playwright.sync_api import sync_playwright

    from digitlab.lab.pageshot import chromium

    executable = chromium()
    if executable is None:
        pytest.fail("chromium is not installed; run: make browser", pytrace=False)
    repo.run(sys.executable, "-m", "digitlab.lab.report", "--rev", "HEAD~1", "--out", "r.html")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto((repo.path / "r.html").as_uri())
        table = page.locator("table.summary").bounding_box()
        first_figure = page.locator("figure").first.bounding_box()
        marks = page.locator("table.summary td:last-child").all_text_contents()
        screenshot = ROOT / "reports/report.png"  # reports/ is ignored: for a person to look at
        screenshot.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(screenshot))
        browser.close()
    assert table is not None
    assert first_figure is not None
    assert table["y"] + table["height"] < 800  # the whole answer on the first screen
    assert table["y"] < first_figure["y"]
    assert all(mark in ("▲ better", "▼ worse", "= same", "") for mark in marks)


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


def _start_worker(clone: Repo, name: str, *params: str) -> subprocess.Popen[str]:
    venv = Path(sys.executable).parent.parent
    command = ["make", "--no-print-directory", "exp-worker", f"VENV={venv}", "SETUP=",
               f"NAME={name}", f"PARAMS={' '.join(params)}"]  # fmt: skip
    return subprocess.Popen(command, cwd=clone.path, env=clone.env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip


@pytest.mark.slow
@pytest.mark.timeout(600)  # two full workers and a collector, on 2 cores
def test_two_workers_at_once_then_a_collector_lists_both(
    repo: Repo, shared: tuple[Path, Path], tmp_path: Path
) -> None:
    """Two clones run make exp-worker at the same time against one bare origin and one
    folder remote; a third clone's make exp-collect lists both, with their metrics."""
    workers = [repo.clone(shared[0], tmp_path / f"worker{i}") for i in (1, 2)]
    running = [
        _start_worker(workers[0], "grid-a", "-S", "train.lr=0.3"),
        _start_worker(workers[1], "grid-b", "-S", "train.lr=0.6", "-S", "'train.hidden_sizes=[8]'"),
    ]
    outputs = [process.communicate(timeout=500)[0] for process in running]
    for process, output in zip(running, outputs, strict=True):
        assert process.returncode == 0, output
        assert "is on origin" in output
    assert "exp-worker: dvc pull download" in outputs[0]

    collector = repo.clone(shared[0], tmp_path / "collector")
    collector.make("exp-collect", f"SUMMARY_OUT={tmp_path / 'table.md'}")
    table = (tmp_path / "table.md").read_text()
    rows = {line.split(" | ")[0].strip("| "): line for line in table.splitlines()[2:]}
    assert {"grid-a", "grid-b"} <= set(rows)
    assert "`train.lr=0.3`" in rows["grid-a"]
    assert "`train.hidden_sizes=[8]`" in rows["grid-b"]
    assert "%" in rows["grid-a"].split(" | ")[4]  # test_accuracy, read from the experiment
    assert (collector.path / "reports/grid.png").stat().st_size > 10_000


@pytest.mark.slow
def test_a_worker_whose_remote_lacks_mnist_fails_naming_it(
    repo: Repo, shared: tuple[Path, Path], tmp_path: Path
) -> None:
    """Against an empty DVC remote the worker stops at the pull, naming data/mnist."""
    clone = repo.clone(shared[0], tmp_path / "clone")
    clone.dvc("remote", "add", "--local", "--force", "--default", "empty", str(tmp_path / "empty"))
    process = _start_worker(clone, "no-data", "-S", "train.lr=0.2")
    output = process.communicate(timeout=300)[0]
    assert process.returncode != 0
    assert "worker: step 'pull download' failed" in output
    assert "the DVC remote lacks data/mnist" in output


@pytest.mark.slow
def test_exp_runs_refuse_a_stage_input_that_git_and_dvc_do_not_track(
    repo: Repo, shared: tuple[Path, Path], tmp_path: Path
) -> None:
    """A new module imported by a stage but never `git add`ed stops make exp-* with a
    line that names it; once added, the check passes."""
    clone = repo.clone(shared[0], tmp_path / "clone")
    stages = yaml.safe_load((clone.path / "dvc.yaml").read_text())
    stages["stages"]["predict"]["deps"].append("src/digitlab/app/extra.py")
    (clone.path / "dvc.yaml").write_text(yaml.safe_dump(stages, sort_keys=False))
    (clone.path / "src/digitlab/app/extra.py").write_text("X = 1\n")
    checked = subprocess.run(
        [sys.executable, "-m", "digitlab.lab.grid", "check"], cwd=clone.path, env=clone.env,
        capture_output=True, text=True,
    )  # fmt: skip
    assert checked.returncode == 1
    assert "src/digitlab/app/extra.py is read by a stage but tracked by neither git" in (
        checked.stderr
    )
    clone.run("git", "add", "src/digitlab/app/extra.py")
    clone.run(sys.executable, "-m", "digitlab.lab.grid", "check")


@pytest.mark.slow
def test_exp_gc_removes_the_named_experiments_and_frees_their_cache(
    repo: Repo, shared: tuple[Path, Path], tmp_path: Path
) -> None:
    """make exp-gc NAMES=... drops those experiments, keeps the others, and says what it freed."""
    clone = repo.clone(shared[0], tmp_path / "clone")
    clone.make("pull")
    clone.dvc("exp", "run", "-n", "keep-me", "-S", "train.lr=0.4")
    clone.dvc("exp", "run", "-n", "drop-me", "-S", "train.hidden_sizes=[24]")
    clone.run("git", "checkout", "--", ".")  # back to the commit's outputs, as after a review
    clone.dvc("checkout", "--force")
    output = clone.make("exp-gc", "NAMES=drop-me")
    assert "exp-gc: removed 1 experiments (drop-me); kept keep-me; dvc gc freed" in output
    freed_files = int(re.search(r"MB in (\d+) files", output).group(1))  # type: ignore[union-attr]
    assert freed_files >= 1  # drop-me's model and samples, held by nothing else
    assert clone.dvc("exp", "list", "--name-only").split() == ["keep-me"]


@pytest.mark.slow
def test_the_grid_workflows_make_steps_configure_the_remote_and_print_the_matrix(
    repo: Repo, shared: tuple[Path, Path], tmp_path: Path
) -> None:
    """grid.yml's own steps: `make ci-remote` makes $DVC_REMOTE_URL the default remote,
    and `make grid-matrix` prints one matrix entry per grid point."""
    clone = repo.clone(shared[0], tmp_path / "clone")
    clone.env["DVC_REMOTE_URL"] = str(tmp_path / "elsewhere")
    clone.make("ci-remote")
    assert clone.dvc("remote", "default").strip() == "ci"
    assert str(tmp_path / "elsewhere") in (clone.path / ".dvc/config.local").read_text()
    printed = clone.make("grid-matrix", "GRID=presets/tuning/fast-grid.yaml")
    include = json.loads(printed)["include"]
    assert include[0]["name"] == "fast-lr2-w640"
    assert all("-S train.lr=" in point["params"] for point in include)


@pytest.mark.slow
def test_make_exp_keeps_an_experiment_of_its_name_unless_told_to_replace_it(
    repo: Repo, shared: tuple[Path, Path], tmp_path: Path
) -> None:
    """An experiment named like the preset (say, a teammate's, pulled) stops make exp-NAME
    with one line and stays as it was; REPLACE=1 replaces it with the preset's own run."""
    clone = repo.clone(shared[0], tmp_path / "clone")
    clone.make("pull")
    (clone.path / "presets/tiny.yaml").write_text("train:\n  lr: 0.25\n")
    clone.dvc("exp", "run", "-n", "tiny", "-S", "train.lr=0.75")
    made = resolve_revision("tiny", clone.path)
    venv = Path(sys.executable).parent.parent
    refused = subprocess.run(
        ["make", "--no-print-directory", "exp-tiny", f"VENV={venv}", "SETUP="],
        cwd=clone.path, env=clone.env, capture_output=True, text=True,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "exp-tiny: experiment 'tiny' exists already" in refused.stderr
    assert "make exp-tiny REPLACE=1" in refused.stderr
    assert resolve_revision("tiny", clone.path) == made

    output = clone.make("exp-tiny", "REPLACE=1")
    assert "removed the earlier experiment 'tiny'" in output
    replaced = resolve_revision("tiny", clone.path)
    assert replaced != made
    params = yaml.safe_load(clone.run("git", "show", f"{replaced}:params.yaml"))
    assert params["train"]["lr"] == 0.25


@pytest.mark.slow
def test_a_fresh_clones_repro_leaves_git_clean(repo: Repo, tmp_path: Path) -> None:
    """dvc repro in a fresh clone retrains from nothing and reproduces every byte git
    tracks: the lock, the metrics and the recorded training time; git status stays empty."""
    fresh = Repo(tmp_path / "fresh")
    repo.run("git", "clone", "-q", str(repo.path), str(fresh.path))
    output = fresh.dvc("repro")
    assert "Running stage 'train'" in output  # really trained: the clone has no cache
    assert fresh.run("git", "status", "--porcelain") == ""
    timing = json.loads((fresh.path / "metrics/timing.json").read_text())
    assert set(timing) == {"train_seconds", "model_md5"}


def draw_digits(root: Path, count: int) -> list[Path]:
    """`count` labelled stroke drawings saved as the page saves them, under root/<label>/."""
    collection = Collection(root)
    paths = []
    for i in range(count):
        points = np.random.default_rng(i).uniform(0.2, 0.8, (3, 2))
        png = pad_png([[(float(x), float(y)) for x, y in points]], side=56, pen=5)
        paths.append(Path(str(collection.save(png, str(i % 10))[1]["path"])))
    return paths


@pytest.mark.slow
def test_your_labelled_digits_rerun_evaluate_alone_and_score_as_predict_reads_them(
    repo: Repo, tmp_path: Path
) -> None:
    """The README's flow in a fresh clone: 20 drawings, dvc add, dvc repro. Only evaluate
    reruns; mine_accuracy is what `digitlab predict` reads on the test half, and dvc
    metrics diff shows it. Then make teach's command learns the train half as `mine`."""
    clone = Repo(tmp_path / "clone")
    repo.run("git", "clone", "-q", str(repo.path), str(clone.path))
    clone.run("git", "config", "user.email", "test@digitlab.invalid")
    clone.run("git", "config", "user.name", "digitlab test")
    clone.dvc("cache", "dir", str(repo.path / ".dvc" / "cache"))  # restores, trains nothing
    clone.dvc("checkout")  # the outputs, and the empty data/mine, from the shared cache
    clone.dvc("repro")
    draw_digits(clone.path / "data/mine", 20)
    clone.dvc("add", "data/mine")
    assert ran_stages(clone.dvc("repro")) == ["evaluate"]
    metrics = json.loads((clone.path / "metrics/evaluate.json").read_text())
    test_half = [d.path for d in mine.half(mine.list_digits(clone.path / "data/mine"), "test")]
    read = json.loads(clone.run(
        str(Path(sys.executable).parent / "digitlab"), "predict", "--json",
        "--model", "models/mlp.safetensors", *(str(p) for p in test_half),
    ))  # fmt: skip
    labels = [int(p.parent.name) for p in test_half]
    agreed = sum(r["label"] == y for r, y in zip(read, labels, strict=True)) / len(labels)
    assert metrics["mine_count"] == len(test_half) > 0
    assert metrics["mine_accuracy"] == pytest.approx(agreed)
    assert "mine_accuracy" in clone.dvc("metrics", "diff")
    small = "train:\n  epochs: 3\n  mine:\n    digits: data/mine.md\n    weight: 0\n"
    (clone.path / "presets/small.yaml").write_text(small)  # a preset turns them off
    clone.run("git", "add", "data/mine.dvc", "dvc.lock", "metrics", "presets/small.yaml")
    clone.run("git", "commit", "-q", "-m", "my digits")
    output = clone.run(
        sys.executable, "-m", "digitlab.lab.experiment", "mine", "--preset", "small",
        "--teach", "data/mine", "--weight", "2",
    )  # fmt: skip
    train_half = len(mine.half(mine.list_digits(clone.path / "data/mine"), "train"))
    assert f"with {train_half} of your digits, each 2 times an epoch" in output
    shown = json.loads(clone.dvc("exp", "show", "--json"))
    taught = _find(shown, lambda d: d.get("name") == "mine")
    assert taught, "make teach made no experiment named mine"
    assert json.dumps(taught[0]).count('"mine_accuracy"') >= 1
