"""The docs' numbers are rendered from committed runs: fresh renders equal what is committed."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from digitlab.lab.docs import DOCS, RENDERERS, Sources, render, rendered_files
from digitlab.lab.sources import timed_how, tutorial_epochs
from digitlab.lab.stats import verdict
from tests.conftest import ROOT


def test_committed_docs_equal_a_fresh_render() -> None:
    """`make docs` on a fresh clone changes no file."""
    stale = [name for name, (old, new) in rendered_files(ROOT).items() if old != new]
    assert stale == [], f"run `make docs`: {stale}"


def test_every_renderer_is_used_somewhere() -> None:
    """No block type is dead code, and the README carries the headline."""
    text = "".join((ROOT / name).read_text() for name in DOCS)
    assert {name for name in RENDERERS if f"<!-- rendered: {name} -->" in text} == set(RENDERERS)
    assert "<!-- rendered: headline -->" in (ROOT / "README.md").read_text()


def _copy(tmp_path: Path) -> Path:
    for part in (*DOCS, "metrics", "benchmarks/results.json"):
        source, target = ROOT / part, tmp_path / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        elif source.exists():
            shutil.copy(source, target)
    return tmp_path


def test_editing_a_committed_metric_changes_the_docs(tmp_path: Path) -> None:
    """A metric changed in metrics/evaluate.json shows up in the README's render."""
    root = _copy(tmp_path)
    path = root / "metrics/evaluate.json"
    metrics = json.loads(path.read_text())
    metrics["test_accuracy"] = 0.5
    path.write_text(json.dumps(metrics))
    fresh = rendered_files(root)["README.md"][1]
    assert "| the tutorial's config | 50.00 % |" in fresh
    assert fresh != (ROOT / "README.md").read_text()


def test_blocks_are_replaced_whole_and_prose_is_kept(tmp_path: Path) -> None:
    """Only the text between the markers changes; a stale figure inside one is overwritten."""
    root = _copy(tmp_path)
    text = "before\n<!-- rendered: tutorial -->\n99.99 % stale\n<!-- /rendered -->\nafter\n"
    out = render(text, Sources(root))
    assert out.startswith("before\n<!-- rendered: tutorial -->\n- MNIST test accuracy")
    assert out.endswith("<!-- /rendered -->\nafter\n")
    assert "99.99 % stale" not in out


@pytest.mark.parametrize(
    ("values", "target", "expected"),
    [([0.99, 0.991, 0.992], 0.988, "met"), ([0.98, 0.981, 0.982], 0.988, "**missed** by 0.70 pt"),
     ([0.987, 0.989, 0.988], 0.988, "within noise")],
)  # fmt: skip
def test_a_target_is_met_or_missed_beyond_one_sd_only(
    values: list[float], target: float, expected: str
) -> None:
    """Met when mean − sd clears the target, missed (by how much) when mean + sd falls short."""
    assert verdict(values, target) == expected


def test_each_run_is_charged_the_tutorial_epoch_timed_beside_it() -> None:
    """Timed before and after: the mean; timed before only: that; an old bench: its one."""
    bracketed = {"runs": {
        "0": {"train_seconds": 15.0, "tutorial_epoch_before": 0.4, "tutorial_epoch_after": 0.6},
        "1": {"train_seconds": 12.0, "tutorial_epoch_before": 0.6, "tutorial_epoch_after": 0.6},
    }}  # fmt: skip
    before = {"runs": {"0": {"train_seconds": 10.0, "tutorial_epoch_seconds": 0.25}}}
    once = {"tutorial_epoch_seconds": 0.5, "runs": {"0": {"train_seconds": 10.0}}}
    assert tutorial_epochs(bracketed) == pytest.approx([30.0, 20.0])
    assert tutorial_epochs(before) == pytest.approx([40.0])
    assert tutorial_epochs(once) == pytest.approx([20.0])
    assert [timed_how(b).split()[0] for b in (bracketed, before, once)] == [
        "before", "just", "once,"]  # fmt: skip


def _expand(text: str) -> set[str]:
    """Every path-like token of text, with {a,b} alternatives and <method> expanded."""
    from digitlab.fits.methods import METHODS

    tokens = set(re.findall(r"`([^`]+)`", text))
    expanded = set()
    for token in tokens:
        names = [token.replace("<method>", m) for m in METHODS] if "<method>" in token else [token]
        for name in names:
            match = re.search(r"\{([^}]*)\}", name)
            choices = match.group(1).split(",") if match else [""]
            expanded |= {re.sub(r"\{[^}]*\}", c, name, count=1) for c in choices}
    return expanded


def test_the_readme_pipeline_table_lists_every_output() -> None:
    """Every out, metric and plot a dvc.yaml stage writes is named in the README's table
    (a folder by itself, or by a path inside it)."""
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## The pipeline", 1)[1].split("\n## ", 1)[0]
    named = _expand(table)
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    missing = []
    for name, stage in stages.items():
        body = stage.get("do", stage)
        keys = list(stage["foreach"]) if "foreach" in stage else [""]
        for kind in ("outs", "metrics", "plots"):
            for entry in body.get(kind, []):
                path = next(iter(entry)) if isinstance(entry, dict) else entry
                for key in keys:
                    out = path.replace("${key}", key)
                    inside = any(n == out or n.startswith(f"{out}/") or out.startswith(
                        n.rstrip("*/") + "/") for n in named)  # fmt: skip
                    if not inside:
                        missing.append(f"{name}: {out}")
    assert missing == []


ZH = ("README.zh-CN.md", "docs/zh/tutorial.md")
SEED = ROOT.parent / "shared" / "seed"
TITLE = "[Python] 从0到1实现一个简单的数字图像识别大模型"  # credited by name, so quoted


def test_the_chinese_files_and_the_readme_link_each_other() -> None:
    """README links both Chinese files near its top, and each links back."""
    top = "".join((ROOT / "README.md").read_text().splitlines(keepends=True)[:5])
    assert "README.zh-CN.md" in top
    assert "docs/zh/tutorial.md" in top
    assert "README.md" in (ROOT / "README.zh-CN.md").read_text().split("\n\n")[1]
    assert "../../README.md" in (ROOT / "docs/zh/tutorial.md").read_text()


def test_the_walkthrough_names_every_stage_and_its_numbers_are_rendered() -> None:
    """Every stage of dvc.yaml (fit as fit@<method>) appears; the figures sit in blocks."""
    text = (ROOT / "docs/zh/tutorial.md").read_text()
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    for name, stage in stages.items():
        names = [f"{name}@{key}" for key in stage["foreach"]] if "foreach" in stage else [name]
        for shown in names:
            assert f"`{shown}`" in text, f"the walkthrough never names {shown}"
    assert "<!-- rendered: zh_mnist -->" in text
    assert "达标" in (ROOT / "README.zh-CN.md").read_text()  # verdicts in Chinese words


def test_no_run_of_16_characters_is_shared_with_the_tutorial() -> None:
    """Our Chinese is written anew: no 16-character run (whitespace ignored) of the
    tutorial's text, its title apart, appears in either file."""
    files = sorted(SEED.glob("*.txt")) if SEED.is_dir() else []
    if not files:
        pytest.skip(f"the tutorial's text is not at {SEED}")
    squeeze = lambda text: re.sub(r"\s+", "", text)  # noqa: E731
    tutorial, title, n = squeeze(files[0].read_text()), squeeze(TITLE), 16
    runs = {tutorial[i : i + n] for i in range(len(tutorial) - n + 1)}
    for name in ZH:
        ours = squeeze((ROOT / name).read_text())
        shared = {ours[i : i + n] for i in range(len(ours) - n + 1)} & runs
        assert not {run for run in shared if run not in title}, name
