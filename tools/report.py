"""`make report`: compare the workspace with a git revision in one offline HTML file.

    python tools/report.py --rev HEAD --out reports/report.html [--summary FILE]

Plot definitions come from dvc.yaml's top-level `plots`; their data is read from
git at REV (metrics and plot data are committed, cache: false) and from the workspace.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from digitlab.app import report
from digitlab.core.io import write_text

ROOT = Path(__file__).resolve().parents[1]


def run(*command: str) -> str:
    """stdout of a command run at the repository root; exit with its message if it fails."""
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"error: {' '.join(command)} failed: {result.stderr.strip().splitlines()[-1:]}")
    return result.stdout


def markdown_diff(*command: str) -> str:
    """A `dvc ... diff --md` table, or "" when it has a header and no rows (nothing changed)."""
    table = run(*command).strip()
    return table if len(table.splitlines()) > 2 else ""


def at_revision(rev: str, path: str) -> bytes | None:
    """A committed file's bytes at rev, or None if it did not exist there."""
    result = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True)
    return result.stdout if result.returncode == 0 else None


def in_workspace(path: str) -> bytes | None:
    file = ROOT / path
    return file.read_bytes() if file.is_file() else None


def plot_sections(rev: str) -> list[tuple[str, str]]:
    """One (title, HTML) per top-level plot of dvc.yaml, both revisions drawn: the MLP's
    first, then the line fits'; a plot whose data did not change is folded away."""
    plots = yaml.safe_load((ROOT / "dvc.yaml").read_text()).get("plots", [])
    drawn = [(*plot_section(rev, entry), _is_fit(entry)) for entry in plots]
    drawn.append((*robustness_section(rev), False))
    ordered = sorted(drawn, key=lambda section: section[3])  # stable: the MLP's come first
    return [
        (title, body if changed else report.folded(body, "unchanged: show"))
        for title, body, changed, _ in ordered
    ]


def _is_fit(entry: str | dict[str, Any]) -> bool:
    """Whether a dvc.yaml plot belongs to the line fits (plots/classical/)."""
    return "plots/classical/" in json.dumps(entry)


def plot_section(rev: str, entry: str | dict[str, Any]) -> tuple[str, str, bool]:
    """(title, HTML, whether its data differs between rev and the workspace) of one plot."""
    name, spec = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
    path = name if name.endswith(".png") else next(iter(spec["y"]))
    versions = {rev: at_revision(rev, path), "workspace": in_workspace(path)}
    changed = versions[rev] != versions["workspace"]
    if name.endswith(".png"):
        shown = {r: png for r, png in versions.items() if png}
        images = "".join(report.img(png, f"{name} @ {r}") for r, png in shown.items())
        return f"{name} ({' | '.join(shown)})", images, changed
    ((_, columns),) = spec["y"].items()
    tables = {r: report.read_table(data.decode("utf-8")) for r, data in versions.items() if data}
    title = spec.get("title", name)
    if spec.get("template") == "confusion":
        figure = report.confusion_figure(title, tables)
    else:
        ys = [columns] if isinstance(columns, str) else list(columns)
        figure = report.curves_figure(title, spec["x"], ys, tables)
    return title, report.img(report.figure_png(figure), title), changed


def robustness_section(rev: str) -> tuple[str, str, bool]:
    """Clean, degraded and real-scan accuracy (metrics/evaluate.json) of both revisions."""
    path, title = "metrics/evaluate.json", "MLP: test accuracy on degraded digits and real scans"
    versions = ((rev, at_revision(rev, path)), ("workspace", in_workspace(path)))
    found = {label: json.loads(data) for label, data in versions if data}
    changed = len({json.dumps(m, sort_keys=True) for m in found.values()}) > 1
    figure = report.robustness_figure(title, found)
    return title, report.img(report.figure_png(figure), title), changed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rev", default="HEAD")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "report.html")
    parser.add_argument("--summary", type=Path, help="also write a Markdown summary here")
    args = parser.parse_args()

    dvc = [sys.executable, "-m", "dvc"]
    metrics = json.loads(run(*dvc, "metrics", "diff", args.rev, "--all", "--json") or "{}")
    params = json.loads(run(*dvc, "params", "diff", args.rev, "--json") or "{}")
    changed = {
        p: {k: v for k, v in e.items() if v.get("old") != v.get("new")} for p, e in metrics.items()
    }
    header = ["file", "key", args.rev, "workspace", "change"]
    plots = plot_sections(args.rev)
    sections = [
        (
            "Metrics that changed",
            report.html_table(header, report.diff_rows(changed), "No metric changed."),
        ),
        (
            "Params that changed",
            report.html_table(header, report.diff_rows(params), "No param changed."),
        ),
        *plots,
        ("All metrics", report.html_table(header, report.diff_rows(metrics), "No metrics found.")),
    ]
    write_text(args.out, report.build_html(f"digitlab: workspace vs {args.rev}", sections))
    print(
        f"report: wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}"
    )
    if args.summary:
        md = [f"## digitlab: workspace vs `{args.rev}`", "", "### Metrics", ""]
        md.append(markdown_diff(*dvc, "metrics", "diff", args.rev, "--md") or "No metric changed.")
        md += ["", "### Params", ""]
        md.append(markdown_diff(*dvc, "params", "diff", args.rev, "--md") or "No param changed.")
        md += ["", "### Plots", ""]
        md += [f"<details><summary>{title}</summary>{body}</details>" for title, body in plots]
        write_text(args.summary, "\n".join(md) + "\n")


if __name__ == "__main__":
    main()
