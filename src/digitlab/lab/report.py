"""`make report`: compare the workspace with a git revision in one offline HTML file.

    python -m digitlab.lab.report --rev HEAD --out reports/report.html [--summary FILE]

Plot definitions come from dvc.yaml's top-level `plots`; their data is read from
git at REV (metrics and plot data are committed, cache: false) and from the workspace.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from digitlab.app.revisions import experiment_refs, file_at
from digitlab.core.io import write_text
from digitlab.lab import figures, html
from digitlab.lab.steps import StepError, dvc_step, run_step

Section = tuple[str, str]  # (heading, inner HTML)
# The answer first: (metric, what it is, whether higher is better). Percentages but the
# last two; the NLL compares any two models, whatever loss each was trained with.
HEADLINE = (
    ("test_accuracy", "MNIST test accuracy", True),
    ("real_accuracy", "real scans, test half", True),
    ("mine_accuracy", "your digits, test half", True),
    ("val_accuracy", "MNIST validation accuracy", True),
    ("real_val_accuracy", "real scans, validation half", True),
    ("robust_min", "worst degraded-test accuracy", True),
    ("test_nll", "MNIST test NLL (any loss)", False),
    ("train_seconds", "training seconds", False),
)


def headline_rows(metrics: dict[str, dict[str, dict[str, Any]]]) -> list[list[str]]:
    """[what, at rev, workspace, change, verdict] for each HEADLINE metric either side has,
    from `dvc metrics diff --all --json`; accuracies in % and changes in points."""
    values = {key: entry for entries in metrics.values() for key, entry in entries.items()}
    rows = []
    for key, label, higher_is_better in HEADLINE:
        entry = values.get(key)
        if entry is None:
            continue
        old, new = entry.get("old"), entry.get("new")
        percent = key not in ("test_nll", "train_seconds")

        change, verdict = "—", ""
        if isinstance(old, (int, float)) and isinstance(new, (int, float)):
            delta = new - old
            change = f"{100 * delta:+.2f} pt" if percent else f"{delta:+.4g}"
            better = delta > 0 if higher_is_better else delta < 0
            verdict = "same" if delta == 0 else "better" if better else "worse"
        rows.append([label, _shown(old, percent), _shown(new, percent), change, verdict])
    return rows


def mine_rows(metrics: dict[str, dict[str, dict[str, Any]]]) -> list[list[str]]:
    """[digit, at rev, workspace] for each digit of yours either side scored (data/mine)."""
    values = {key: entry for entries in metrics.values() for key, entry in entries.items()}
    return [
        [str(d), _shown(entry.get("old"), True), _shown(entry.get("new"), True)]
        for d in range(10)
        if (entry := values.get(f"mine_accuracy_class_{d}")) is not None
    ]


def _shown(value: object, percent: bool) -> str:
    """A metric's value: a percentage with two decimals, else four significant digits."""
    if not isinstance(value, (int, float)):
        return "—"
    return f"{100 * value:.2f} %" if percent else f"{value:.4g}"


def run_name(rev: str, repo: Path) -> str:
    """rev as a reader knows it: 'experiment fast (94c2650)', 'main (0c23f6d)' or a sha."""
    sha = run_step("rev-parse", "git", "rev-parse", "--verify", f"{rev}^{{commit}}", cwd=repo)
    sha = sha.strip()
    for ref_sha, ref in _experiment_refs(repo):
        if ref_sha == sha:
            return f"experiment {ref.rsplit('/', 1)[-1]} ({sha[:7]})"
    return f"{rev} ({sha[:7]})" if not sha.startswith(rev) else sha[:7]


def workspace_name(repo: Path) -> str:
    """'the workspace', or 'the workspace (experiment fast, applied)' when its dvc.lock
    records the same model as an experiment's."""
    lock = in_workspace("dvc.lock", repo)
    model = _model_md5(lock)
    if model is None:
        return "the workspace"
    for sha, ref in _experiment_refs(repo):
        if _model_md5(file_at(sha, "dvc.lock", repo)) == model:
            return f"the workspace (experiment {ref.rsplit('/', 1)[-1]}, applied)"
    return "the workspace"


def _experiment_refs(repo: Path) -> list[tuple[str, str]]:
    """(sha, ref) of every named experiment, newest first; DVC's own exec refs left out."""
    return [(s, r) for s, r in experiment_refs(repo) if not r.startswith("refs/exps/exec/")]


def _model_md5(lock: bytes | None) -> str | None:
    """The md5 of models/mlp.pt in a dvc.lock's text, if it records one."""
    if lock is None:
        return None
    stages = (yaml.safe_load(lock) or {}).get("stages", {})
    outs = stages.get("train", {}).get("outs", [])
    return next((str(o["md5"]) for o in outs if o.get("path") == "models/mlp.pt"), None)


def markdown_diff(repo: Path, *args: str) -> str:
    """A `dvc ... diff --md` table, or "" when it has a header and no rows (nothing changed)."""
    table = dvc_step("diff", *args, cwd=repo).strip()
    return table if len(table.splitlines()) > 2 else ""


def in_workspace(path: str, repo: Path) -> bytes | None:
    """A workspace file's bytes, or None when it is not there."""
    file = repo / path
    return file.read_bytes() if file.is_file() else None


def plot_sections(rev: str, repo: Path, label: str = "") -> list[Section]:
    """One (title, HTML) per top-level plot of dvc.yaml, both revisions drawn: the MLP's
    first, then the line fits'; a plot whose data did not change is folded away."""
    plots = yaml.safe_load((repo / "dvc.yaml").read_text()).get("plots", [])
    label = label or rev
    drawn = [(*plot_section(rev, entry, repo, label), _is_fit(entry)) for entry in plots]
    drawn.append((*robustness_section(rev, repo, label), False))
    ordered = sorted(drawn, key=lambda section: section[3])  # stable: the MLP's come first
    return [
        (title, body if changed else html.folded(body, "unchanged: show"))
        for title, body, changed, _ in ordered
    ]


def _is_fit(entry: str | dict[str, Any]) -> bool:
    """Whether a dvc.yaml plot belongs to the line fits (plots/classical/)."""
    return "plots/classical/" in json.dumps(entry)


def plot_section(
    rev: str, entry: str | dict[str, Any], repo: Path, label: str
) -> tuple[str, str, bool]:
    """(title, HTML, whether its data differs between rev and the workspace) of one plot;
    `label` names rev in legends and captions."""
    name, spec = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
    path = name if name.endswith(".png") else next(iter(spec["y"]))
    versions = {label: file_at(rev, path, repo), "workspace": in_workspace(path, repo)}
    changed = versions[label] != versions["workspace"]
    if name.endswith(".png"):
        shown = {r: png for r, png in versions.items() if png}
        images = "".join(html.img(png, f"{name} @ {r}") for r, png in shown.items())
        caption = f"{name} as each run saved it, left to right: {', '.join(shown)}."
        return name, f"<figure>{images}<figcaption>{caption}</figcaption></figure>", changed
    ((_, columns),) = spec["y"].items()
    tables = {r: html.read_table(data.decode("utf-8")) for r, data in versions.items() if data}
    title = spec.get("title", name)
    runs = " and ".join(tables) or "neither run"
    if spec.get("template") == "confusion":
        figure = figures.confusion_figure(title, tables)
        caption = f"How often each true digit (rows) was read as each digit (columns), {runs}."
    else:
        ys = [columns] if isinstance(columns, str) else list(columns)
        figure = figures.curves_figure(title, spec["x"], ys, tables)
        styles = "; ".join(f"{s}: {r}" for s, r in zip(("solid", "dashed"), tables, strict=False))
        caption = f"{', '.join(ys)} per epoch ({styles}), from {path}."
    return title, html.figure(html.figure_png(figure), caption), changed


def robustness_section(rev: str, repo: Path, label: str) -> tuple[str, str, bool]:
    """Clean, degraded and real-scan accuracy (metrics/evaluate.json) of both revisions."""
    path, title = "metrics/evaluate.json", "MLP: test accuracy on degraded digits and real scans"
    versions = ((label, file_at(rev, path, repo)), ("workspace", in_workspace(path, repo)))
    found = {label: json.loads(data) for label, data in versions if data}
    changed = len({json.dumps(m, sort_keys=True) for m in found.values()}) > 1
    figure = figures.robustness_figure(title, found)
    caption = ("Test accuracy on clean MNIST, on each degraded copy of it and on the real scans' "
               "test half, one bar per run; the axis starts below the lowest bar.")  # fmt: skip
    return title, html.figure(html.figure_png(figure), caption), changed


def report(rev: str, out: Path, summary: Path | None, repo: Path) -> None:
    """Write the HTML report of the workspace against rev, and a Markdown summary if asked."""
    metrics = json.loads(
        dvc_step("diff", "metrics", "diff", rev, "--all", "--json", cwd=repo) or "{}"
    )
    params = json.loads(dvc_step("diff", "params", "diff", rev, "--json", cwd=repo) or "{}")
    changed = {
        p: {k: v for k, v in e.items() if v.get("old") != v.get("new")} for p, e in metrics.items()
    }
    them, us = run_name(rev, repo), workspace_name(repo)
    header = ["file", "key", them, "workspace", "change"]
    plots = plot_sections(rev, repo, them)
    answer = headline_rows(metrics)
    better, worse = (sum(row[-1] == mark for row in answer) for mark in ("better", "worse"))
    compared = sum(row[-1] != "" for row in answer)
    lead = html.paragraph(
        f"{better} of {compared} figures are better in {us} than in {them}, {worse} worse."
        if compared
        else f"Nothing to compare: {them} has none of these figures."
    )
    answer_table = html.summary_table(["", them, "workspace", "change", ""], answer)
    yours = mine_rows(metrics)
    mine_table = html.summary_table(["your digit", them, "workspace"], yours)
    mine_note = html.paragraph(
        "Accuracy on each digit of the test half of data/mine, the digits you labelled on "
        "the page (make serve); the train half is only learnt by make teach."
    )
    sections = [
        ("The answer", lead + answer_table if answer else "<p><em>No metrics found.</em></p>"),
        *([("Your digits, one by one", mine_note + mine_table)] if yours else []),
        ("Params that changed", html.html_table(header, html.diff_rows(params),
                                                "No param changed.")),
        *plots,
        ("Every metric that changed", html.folded(html.html_table(
            header, html.diff_rows(changed), "No metric changed."), "show the table")),
        ("All metrics", html.folded(html.html_table(
            header, html.diff_rows(metrics), "No metrics found."), "show the table")),
    ]  # fmt: skip
    write_text(out, html.build_html(f"digitlab: {us} against {them}", sections))
    print(f"report: wrote {out.relative_to(repo) if out.is_relative_to(repo) else out}")
    if summary:
        md = [f"## digitlab: workspace vs `{rev}`", "", "### Metrics", ""]
        md.append(markdown_diff(repo, "metrics", "diff", rev, "--md") or "No metric changed.")
        md += ["", "### Params", ""]
        md.append(markdown_diff(repo, "params", "diff", rev, "--md") or "No param changed.")
        md += ["", "### Plots", ""]
        md += [f"<details><summary>{title}</summary>{body}</details>" for title, body in plots]
        write_text(summary, "\n".join(md) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Write the report; one line and 1 if a git or DVC step fails."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rev", default="HEAD")
    parser.add_argument("--out", type=Path, default=Path("reports/report.html"))
    parser.add_argument("--summary", type=Path, help="also write a Markdown summary here")
    args = parser.parse_args(argv)
    repo = Path.cwd()
    try:
        report(args.rev, repo / args.out, args.summary, repo)
    except StepError as err:
        print(f"report: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
