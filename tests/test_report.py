"""The offline report's building blocks: diff tables, CSV reading, self-contained HTML."""

from __future__ import annotations

import re

from digitlab.lab import figures, html


def test_diff_rows_follow_dvc_json_and_format_numbers() -> None:
    """`dvc metrics diff --json` becomes (file, key, old, new, change) rows, sorted."""
    diff = {"metrics/train.json": {"test_accuracy": {"old": 0.9699, "new": 0.98, "diff": 0.0101},
                                   "epochs": {"old": 200, "new": 200}}}  # fmt: skip
    assert html.diff_rows(diff) == [
        ["metrics/train.json", "epochs", "200", "200", "—"],
        ["metrics/train.json", "test_accuracy", "0.9699", "0.98", "0.0101"],
    ]


def test_read_table_handles_csv_and_tsv() -> None:
    """Columns come back by header name, whichever separator the file uses."""
    assert html.read_table("a,b\n1,2\n3,4\n") == {"a": ["1", "3"], "b": ["2", "4"]}
    assert html.read_table("a\tb\n1\t2\n") == {"a": ["1"], "b": ["2"]}


def test_page_is_self_contained_and_escapes_text() -> None:
    """Images are inline data URIs, user text is escaped, and no URL is referenced."""
    png = html.figure_png(
        figures.curves_figure("t", "x", ["y"], {"HEAD": {"x": ["1", "2"], "y": ["3", "4"]}})
    )
    table = html.html_table(["k"], [["<b>"]], empty="none")
    page = html.build_html("a & b", [("plot", html.img(png, "plot")), ("table", table)])
    assert "&lt;b&gt;" in page
    assert "a &amp; b" in page
    assert re.search(r"https?://", page) is None
    assert page.count("data:image/png;base64,") == 1


def test_empty_diff_reads_as_a_sentence() -> None:
    """A diff with no rows says so instead of drawing an empty table."""
    assert (
        html.html_table(["k"], [], empty="No metric changed.")
        == "<p><em>No metric changed.</em></p>"
    )


def test_robustness_figure_draws_one_bar_per_metric_and_revision() -> None:
    """Clean accuracy plus each robust_* metric (robust_min left out), for each revision."""
    metrics = {
        "HEAD": {"test_accuracy": 0.97, "robust_blur_1px": 0.9, "robust_min": 0.9, "x": 1.0},
        "workspace": {"test_accuracy": 0.99, "robust_blur_1px": 0.95, "robust_min": 0.95},
    }
    axes = figures.robustness_figure("r", metrics).axes[0]
    heights = [round(bar.get_height(), 6) for bar in axes.patches]
    assert heights == [97.0, 90.0, 99.0, 95.0]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["test_accuracy", "blur_1px"]


def test_a_curve_with_no_data_says_so_instead_of_an_empty_legend() -> None:
    """A plot whose columns exist at neither revision shows a note, and warns about nothing."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        axes = figures.curves_figure("val", "step", ["val_accuracy"], {"HEAD": {}}).axes[0]
    assert not axes.lines
    assert [t.get_text() for t in axes.texts] == ["no data at either revision"]


def test_the_robustness_axis_reaches_below_the_worst_bar() -> None:
    """A 45.9 % result is drawn whole: the axis starts below it, not at a fixed 50 %."""
    metrics = {"HEAD": {"test_accuracy": 0.969, "robust_shift": 0.459, "real_accuracy": 0.76}}
    axes = figures.robustness_figure("r", metrics).axes[0]
    assert axes.get_ylim()[0] < 45.9
    assert [t.get_text() for t in axes.get_xticklabels()][-1] == "real_accuracy"


def test_folded_sections_are_closed_details_without_script() -> None:
    """An unchanged plot is kept but folded away, with plain HTML."""
    body = html.folded("<img>", "unchanged: show")
    assert body == "<details><summary>unchanged: show</summary><img></details>"
