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

from digitlab.app.revisions import file_at
from digitlab.core.io import write_text
from digitlab.lab import figures, html
from digitlab.lab.steps import StepError, dvc_step

Section = tuple[str, str]  # (heading, inner HTML)


def markdown_diff(repo: Path, *args: str) -> str:
    """A `dvc ... diff --md` table, or "" when it has a header and no rows (nothing changed)."""
    table = dvc_step("diff", *args, cwd=repo).strip()
    return table if len(table.splitlines()) > 2 else ""


def in_workspace(path: str, repo: Path) -> bytes | None:
    """A workspace file's bytes, or None when it is not there."""
    file = repo / path
    return file.read_bytes() if file.is_file() else None


def plot_sections(rev: str, repo: Path) -> list[Section]:
    """One (title, HTML) per top-level plot of dvc.yaml, both revisions drawn: the MLP's
    first, then the line fits'; a plot whose data did not change is folded away."""
    plots = yaml.safe_load((repo / "dvc.yaml").read_text()).get("plots", [])
    drawn = [(*plot_section(rev, entry, repo), _is_fit(entry)) for entry in plots]
    drawn.append((*robustness_section(rev, repo), False))
    ordered = sorted(drawn, key=lambda section: section[3])  # stable: the MLP's come first
    return [
        (title, body if changed else html.folded(body, "unchanged: show"))
        for title, body, changed, _ in ordered
    ]


def _is_fit(entry: str | dict[str, Any]) -> bool:
    """Whether a dvc.yaml plot belongs to the line fits (plots/classical/)."""
    return "plots/classical/" in json.dumps(entry)


def plot_section(rev: str, entry: str | dict[str, Any], repo: Path) -> tuple[str, str, bool]:
    """(title, HTML, whether its data differs between rev and the workspace) of one plot."""
    name, spec = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
    path = name if name.endswith(".png") else next(iter(spec["y"]))
    versions = {rev: file_at(rev, path, repo), "workspace": in_workspace(path, repo)}
    changed = versions[rev] != versions["workspace"]
    if name.endswith(".png"):
        shown = {r: png for r, png in versions.items() if png}
        images = "".join(html.img(png, f"{name} @ {r}") for r, png in shown.items())
        return f"{name} ({' | '.join(shown)})", images, changed
    ((_, columns),) = spec["y"].items()
    tables = {r: html.read_table(data.decode("utf-8")) for r, data in versions.items() if data}
    title = spec.get("title", name)
    if spec.get("template") == "confusion":
        figure = figures.confusion_figure(title, tables)
    else:
        ys = [columns] if isinstance(columns, str) else list(columns)
        figure = figures.curves_figure(title, spec["x"], ys, tables)
    return title, html.img(html.figure_png(figure), title), changed


def robustness_section(rev: str, repo: Path) -> tuple[str, str, bool]:
    """Clean, degraded and real-scan accuracy (metrics/evaluate.json) of both revisions."""
    path, title = "metrics/evaluate.json", "MLP: test accuracy on degraded digits and real scans"
    versions = ((rev, file_at(rev, path, repo)), ("workspace", in_workspace(path, repo)))
    found = {label: json.loads(data) for label, data in versions if data}
    changed = len({json.dumps(m, sort_keys=True) for m in found.values()}) > 1
    figure = figures.robustness_figure(title, found)
    return title, html.img(html.figure_png(figure), title), changed


def report(rev: str, out: Path, summary: Path | None, repo: Path) -> None:
    """Write the HTML report of the workspace against rev, and a Markdown summary if asked."""
    metrics = json.loads(
        dvc_step("diff", "metrics", "diff", rev, "--all", "--json", cwd=repo) or "{}"
    )
    params = json.loads(dvc_step("diff", "params", "diff", rev, "--json", cwd=repo) or "{}")
    changed = {
        p: {k: v for k, v in e.items() if v.get("old") != v.get("new")} for p, e in metrics.items()
    }
    header = ["file", "key", rev, "workspace", "change"]
    plots = plot_sections(rev, repo)
    sections = [
        ("Metrics that changed", html.html_table(header, html.diff_rows(changed),
                                                 "No metric changed.")),
        ("Params that changed", html.html_table(header, html.diff_rows(params),
                                                "No param changed.")),
        *plots,
        ("All metrics", html.html_table(header, html.diff_rows(metrics), "No metrics found.")),
    ]  # fmt: skip
    write_text(out, html.build_html(f"digitlab: workspace vs {rev}", sections))
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
