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
    if isinstance(value, bool):  # before float: a bool is an int to Python
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    return "—" if value is None else str(value)


def diff_rows(diff: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> Table:
    """Rows (file, key, old, new, change) from `dvc metrics|params diff --json` output; a
    change between booleans or texts is shown as '—', not as a number."""
    rows = []
    for path, entries in sorted(diff.items()):
        for key, change in sorted(entries.items()):
            old, new = change.get("old"), change.get("new")
            numeric = not isinstance(old, bool) and not isinstance(new, bool)
            delta = _number(change.get("diff")) if numeric else "—"
            rows.append([path, key, _number(old), _number(new), delta])
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
        "img{max-width:100%;margin:4px;border:1px solid #eee}figure{margin:.5em 0}"
        "figcaption{font-size:13px;color:#555;max-width:900px}"
        ".better{color:#17803d;font-weight:600}.worse{color:#b42318;font-weight:600}"
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


def figure(png: bytes, caption: str) -> str:
    """A <figure>: the PNG inline, with a caption under it that says what it shows."""
    return f"<figure>{img(png, caption)}<figcaption>{html.escape(caption)}</figcaption></figure>"


MARKS = {"better": "▲ better", "worse": "▼ worse", "same": "= same", "": ""}


def summary_table(header: list[str], rows: Table) -> str:
    """The report's first table: rows end in a verdict (better, worse, same or ''), shown
    as a coloured mark."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row[:-1])
        + f'<td class="{row[-1]}">{MARKS[row[-1]]}</td></tr>'
        for row in rows
    )  # fmt: skip
    return f'<table class="summary"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def paragraph(text: str) -> str:
    """A <p> of plain text, escaped."""
    return f"<p>{html.escape(text)}</p>"
