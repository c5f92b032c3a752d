"""The drawing page in a real headless Chromium: strokes in, a prediction and bars out.

Chromium comes from Debian (`make test` installs it when run as root); Playwright
drives it through `executable_path`, so no browser is downloaded. A missing
Chromium fails this test with the command that installs it, rather than skipping.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from playwright.sync_api import Browser, sync_playwright

from digitlab.app import revisions, serve
from digitlab.app.collect import Collection
from digitlab.core.errors import DataError
from digitlab.lab.pageshot import INSTALL, SEVEN, Stroke, draw_strokes
from digitlab.mlp.model import MLP, ModelSpec, save_model
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

REAL_MODEL = ROOT / "models/mlp.pt"
SCREENSHOT = ROOT / "reports/page.png"  # reports/ is ignored; the README's copy is docs/page.png

ONE: list[Stroke] = [[(0.5, 0.15), (0.5, 0.85)]]


def chromium() -> str:
    """Debian's chromium binary; fails the test with the install command if it is missing."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail(f"chromium is not installed; run: {INSTALL}", pytrace=False)
    return path


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server with the models at hand: the workspace's and the presets' when they exist
    (after `make repro` and the presets), else two tiny untrained ones."""
    models = []
    if REAL_MODEL.exists():
        models.append(revisions.from_file(REAL_MODEL, "workspace", ROOT / revisions.METRICS_FILE))
        for name in ("fast", "best"):
            with contextlib.suppress(DataError):
                models.append(revisions.from_revision(name, ROOT))
    # Each tiny model gets its own seed: the server merges models with identical weights.
    tiny_spec = ModelSpec(hidden_sizes=(16,))
    folder = tmp_path_factory.mktemp("models")
    while len(models) < 2:
        tiny = folder / f"tiny{len(models)}.pt"
        save_model(MLP(tiny_spec, torch.Generator().manual_seed(len(models))), tiny)
        models.append(revisions.from_file(tiny, f"untrained {len(models) + 1}"))
    server = serve.make_server(models, port=0, quiet=True)
    serve.serve_in_thread(server)
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A headless Chromium, shared by the tests of this module."""
    executable = chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


def test_drawing_gives_a_prediction_and_ten_bars_per_model(browser: Browser, url: str) -> None:
    """Mouse strokes on the pad yield #prediction, the 28×28 preview and 10 bars per model."""
    page = browser.new_page(viewport={"width": 1100, "height": 760})
    page.goto(url)
    page.wait_for_selector(".model")
    label = draw_strokes(page, ONE)
    assert label in "0123456789"
    cards = page.locator(".model")
    assert cards.count() >= 2
    for i in range(cards.count()):
        assert cards.nth(i).locator(".bar").count() == 10
        assert cards.nth(i).locator(".bar.top").count() == 1
    inked = page.evaluate(
        "Array.from(document.getElementById('seen').getContext('2d')"
        ".getImageData(0, 0, 28, 28).data).some((v, i) => i % 4 === 0 && v > 0)"
    )
    assert inked, "the 28×28 preview stayed black"
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    page.close()


def test_a_stroke_drawn_one_reads_as_one_with_the_trained_model(browser: Browser, url: str) -> None:
    """With models/mlp.pt from `make repro`, one vertical stroke is read as 1 (and a 7 as 7)."""
    if not REAL_MODEL.exists():
        pytest.skip("needs models/mlp.pt: run `make repro` first")
    page = browser.new_page()
    page.goto(url)
    page.wait_for_selector(".model")
    assert draw_strokes(page, ONE) == "1"
    assert draw_strokes(page, SEVEN) == "7"
    page.close()


def test_the_page_fits_a_phone_screen(browser: Browser, url: str) -> None:
    """At 390×844 nothing overflows sideways, and the pad and the readings stack."""
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(url)
    page.wait_for_selector(".model")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    pad, models = page.locator("#pad").bounding_box(), page.locator("#models").bounding_box()
    assert pad is not None
    assert models is not None
    assert models["y"] > pad["y"] + pad["height"]
    page.screenshot(path=str(SCREENSHOT.with_name("page-phone.png")), full_page=True)
    page.close()


def test_the_page_needs_no_network(url: str) -> None:
    """The page names no external host, so it works offline: all CSS and JS are inline."""
    import urllib.request

    page = urllib.request.urlopen(url, timeout=10).read().decode()
    assert "http://" not in page
    assert "https://" not in page
    assert "<script src" not in page
    assert "<link" not in page


@pytest.fixture
def collecting_url(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A server that saves labelled drawings to tmp_path/mine, with one tiny model."""
    tiny = tmp_path / "tiny.pt"
    save_model(MLP(ModelSpec(hidden_sizes=(16,)), torch.Generator().manual_seed(0)), tiny)
    root = tmp_path / "mine"
    server = serve.make_server(
        [revisions.from_file(tiny, "tiny")], port=0, quiet=True, collection=Collection(root)
    )
    serve.serve_in_thread(server)
    yield f"http://127.0.0.1:{server.server_port}/", root
    server.shutdown()
    server.server_close()


def test_labelling_three_drawings_saves_them_and_undo_deletes_the_last(
    browser: Browser, collecting_url: tuple[str, Path]
) -> None:
    """Draw 1, 7, 7 with the mouse and press their buttons: the counts move; undo removes
    the last 7, and the two files left sit under 1/ and 7/."""
    url, root = collecting_url
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(url)
    page.wait_for_selector(".label-button")
    assert page.locator(".label-button").count() == 10
    second_seven = [[(x + 0.05, y) for x, y in SEVEN[0]]]
    for strokes, label in ((ONE, 1), (SEVEN, 7), (second_seven, 7)):
        draw_strokes(page, strokes)
        page.click(f".label-button[data-label='{label}']")
        page.wait_for_selector(f"#saved:has-text('Saved as {label}')", timeout=10_000)
    count = page.locator(".label-button[data-label='7'] .count")
    page.wait_for_function(
        "document.querySelector(\".label-button[data-label='7'] .count\").textContent"
        " === '2 saved'",
        timeout=10_000,
    )
    assert page.locator(".label-button[data-label='1'] .count").text_content() == "1 saved"
    page.click("#undo")
    page.wait_for_function(
        "document.querySelector(\".label-button[data-label='7'] .count\").textContent"
        " === '1 saved'",
        timeout=10_000,
    )
    assert count.text_content() == "1 saved"
    page.screenshot(path=str(SCREENSHOT.with_name("page-collect.png")))
    page.close()
    stored = sorted(p.relative_to(root).parts[0] for p in root.rglob("*.png"))
    assert stored == ["1", "7"]


def test_the_page_speaks_chinese_to_a_chinese_browser_and_switches(
    browser: Browser, url: str
) -> None:
    """With locale zh-CN the page is in Chinese, with a CJK font present to draw it; the switch
    turns it to English and back, and a reading's words follow."""
    listed = (
        shutil.which("fc-list")
        and subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip()
    )
    if not listed and not any(Path("/usr/share/fonts").rglob("*CJK*")):
        pytest.fail(f"no CJK font: Chinese would draw as boxes; run: {INSTALL}", pytrace=False)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1100, "height": 760})
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(".model")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.text_content("h1") == "写一个数字"
    assert page.text_content("#clear") == "清除"
    draw_strokes(page, ONE)
    assert "把握" in str(page.locator(".model .conf").first.text_content())
    assert "真实扫描" in str(page.locator(".model .acc").first.text_content())
    page.screenshot(path=str(SCREENSHOT.with_name("page-zh.png")))
    page.click("#language")
    assert page.text_content("h1") == "Draw a digit"
    assert "sure" in str(page.locator(".model .conf").first.text_content())
    page.click("#language")
    assert page.text_content("h1") == "写一个数字"
    context.close()


def test_an_english_browser_gets_english(browser: Browser, url: str) -> None:
    """With locale en-US every label is English and the switch offers 中文."""
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(".model")
    assert page.text_content("h1") == "Draw a digit"
    assert page.text_content("#language") == "中文"
    assert page.text_content("#clear") == "Clear"
    context.close()
