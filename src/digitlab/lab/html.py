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
