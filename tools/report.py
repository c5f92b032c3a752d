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
    """One (title, HTML) per top-level plot of dvc.yaml, with both revisions drawn."""
    plots = yaml.safe_load((ROOT / "dvc.yaml").read_text()).get("plots", [])
    sections = []
    for entry in plots:
        name, spec = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
        if name.endswith(".png"):
            versions = {rev: at_revision(rev, name), "workspace": in_workspace(name)}
            shown = {r: png for r, png in versions.items() if png}
            images = "".join(report.img(png, f"{name} @ {r}") for r, png in shown.items())
            sections.append((f"{name} ({' | '.join(shown)})", images))
            continue
        ((path, columns),) = spec["y"].items()
        tables = {
            label: report.read_table(data.decode("utf-8"))
            for label, data in ((rev, at_revision(rev, path)), ("workspace", in_workspace(path)))
            if data
        }
        title = spec.get("title", name)
        if spec.get("template") == "confusion":
            figure = report.confusion_figure(title, tables)
        else:
            ys = [columns] if isinstance(columns, str) else list(columns)
            figure = report.curves_figure(title, spec["x"], ys, tables)
        sections.append((title, report.img(report.figure_png(figure), title)))
    sections.append(robustness_section(rev))
    return sections


def robustness_section(rev: str) -> tuple[str, str]:
    """Clean and degraded test accuracy (metrics/evaluate.json) of both revisions, as bars."""
    path, title = "metrics/evaluate.json", "Robustness: test accuracy on degraded digits"
    versions = ((rev, at_revision(rev, path)), ("workspace", in_workspace(path)))
    found = {label: json.loads(data) for label, data in versions if data}
    return title, report.img(report.figure_png(report.robustness_figure(title, found)), title)


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
