"""An offline HTML report: metric and param diffs as tables, plots of two revisions as images.

Everything is inlined (PNG as base64 data URIs, no scripts, no fonts), so the file
shows the same thing with or without a network, unlike `dvc plots diff`'s HTML.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

Table = list[list[str]]


def png_data_uri(png: bytes) -> str:
    """A data: URI that embeds PNG bytes."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def figure_png(figure: Figure) -> bytes:
    """A figure rendered to PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
    return buffer.getvalue()


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "—" if value is None else str(value)


def diff_rows(diff: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> Table:
    """Rows (file, key, old, new, change) from `dvc metrics|params diff --json` output."""
    rows = []
    for path, entries in sorted(diff.items()):
        for key, change in sorted(entries.items()):
            delta = change.get("diff")
            rows.append(
                [path, key, _number(change.get("old")), _number(change.get("new")), _number(delta)]
            )
    return rows


def read_table(text: str) -> dict[str, list[str]]:
    """Columns of a CSV (or TSV) text by header name."""
    dialect = "excel-tab" if "\t" in text.split("\n", 1)[0] else "excel"
    rows = list(csv.reader(io.StringIO(text), dialect=dialect))
    return {name: [row[i] for row in rows[1:]] for i, name in enumerate(rows[0])} if rows else {}


def curves_figure(
    title: str, x: str, ys: list[str], tables: Mapping[str, dict[str, list[str]]]
) -> Figure:
    """Columns ys against x, one line per (revision, column); tables maps revision -> columns."""
    figure = Figure(figsize=(6, 3.4), layout="constrained")
    axes = figure.subplots()
    for (revision, table), style in zip(tables.items(), ("-", "--", ":"), strict=False):
        for y in ys:
            if x in table and y in table:
                axes.plot(
                    np.asarray(table[x], float),
                    np.asarray(table[y], float),
                    style,
                    label=f"{y} @ {revision}",
                )
    axes.set_title(title, fontsize=10)
    axes.set_xlabel(x)
    if axes.lines:
        axes.legend(fontsize=7)
    else:  # e.g. validation accuracy of a run that held nothing out
        axes.text(0.5, 0.5, "no data at either revision", ha="center", transform=axes.transAxes)
    return figure


def confusion_figure(title: str, tables: Mapping[str, dict[str, list[str]]]) -> Figure:
    """One 10×10 confusion matrix per revision, from actual/predicted columns."""
    figure = Figure(figsize=(3.4 * max(1, len(tables)), 3.4), layout="constrained")
    axes = figure.subplots(1, max(1, len(tables)), squeeze=False)[0]
    for ax, (revision, table) in zip(axes, tables.items(), strict=False):
        counts = np.zeros((10, 10), dtype=int)  # (actual, predicted)
        np.add.at(
            counts, (np.asarray(table["actual"], int), np.asarray(table["predicted"], int)), 1
        )
        shade = np.log1p(counts)
        ax.imshow(shade, cmap="Blues")
        for (i, j), n in np.ndenumerate(counts):
            ink = "white" if shade[i, j] > shade.max() / 2 else "black"
            ax.text(j, i, str(n), ha="center", va="center", fontsize=5, color=ink)
        ax.set_title(f"{title} @ {revision}", fontsize=9)
        ax.set_xlabel("predicted")
        ax.set_ylabel("actual")
    return figure


def robustness_figure(title: str, metrics: Mapping[str, Mapping[str, float]]) -> Figure:
    """Grouped bars: clean test accuracy, each robust_* metric and real_accuracy, one bar per
    revision; the axis reaches below the worst bar, so no result is cut off."""
    robust = {k for m in metrics.values() for k in m if k.startswith("robust_")}
    real = ["real_accuracy"] if any("real_accuracy" in m for m in metrics.values()) else []
    names = ["test_accuracy", *sorted(robust - {"robust_min"}), *real]
    figure = Figure(figsize=(8, 3.4), layout="constrained")
    axes = figure.subplots()
    width = 0.8 / max(1, len(metrics))
    for i, (revision, values) in enumerate(metrics.items()):
        xs = np.arange(len(names)) + i * width
        heights = [100 * values.get(name, np.nan) for name in names]
        axes.bar(xs, heights, width, label=revision)
    axes.set_xticks(np.arange(len(names)) + width * (len(metrics) - 1) / 2)
    axes.set_xticklabels([n.removeprefix("robust_") for n in names], rotation=30, fontsize=7)
    shown = [100 * v.get(n, np.nan) for v in metrics.values() for n in names]
    worst = np.nanmin(shown) if not np.all(np.isnan(shown)) else 50.0
    axes.set_ylim(max(0.0, min(50.0, worst - 5)), 100)
    axes.set_ylabel("test accuracy (%)")
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=7)
    return figure


def html_table(header: list[str], rows: Table, empty: str) -> str:
    """An HTML table, or a sentence when there are no rows."""
    if not rows:
        return f"<p><em>{html.escape(empty)}</em></p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def folded(body: str, note: str) -> str:
    """body inside a closed <details>, for a section a reader may skip (no script needed)."""
    return f"<details><summary>{html.escape(note)}</summary>{body}</details>"


def build_html(title: str, sections: list[tuple[str, str]]) -> str:
    """A self-contained page from (heading, inner HTML) sections."""
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
        "font-size:13px;text-align:right}td:first-child,td:nth-child(2){text-align:left}"
        "img{max-width:100%;margin:4px;border:1px solid #eee}"
    )
    parts = [f"<h2>{html.escape(h)}</h2>\n{body}" for h, body in sections]
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{style}</style></head>\n<body><h1>{html.escape(title)}</h1>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )


def img(png: bytes, alt: str) -> str:
    """An <img> element that carries its PNG inline."""
    return f'<img alt="{html.escape(alt)}" src="{png_data_uri(png)}">'
