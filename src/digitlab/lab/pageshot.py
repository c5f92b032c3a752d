"""`make page-shot`: docs/page.png from a real browser, so the README shows today's models.

    python -m digitlab.lab.pageshot [--exp fast --exp best] [--out docs/page.png]

Serves the workspace's model and each experiment named (as `make serve` does), opens the
page in Debian's headless Chromium through Playwright, draws a 7 with the mouse and saves
the screenshot. Run it after `make repro` and the presets.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from digitlab.app import revisions, serve
from digitlab.app.project import MODEL_FILE
from digitlab.core.errors import UserError
from digitlab.core.io import write_bytes

Stroke = list[tuple[float, float]]  # points as fractions of the pad's width and height
SEVEN: list[Stroke] = [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]]
INSTALL = "apt-get install -y --no-install-recommends chromium fonts-dejavu-core fonts-noto-cjk"


def draw_strokes(page: Page, strokes: list[Stroke]) -> str:
    """Draw strokes with the mouse on #pad; the digit #prediction shows afterwards."""
    page.click("#clear")
    box = page.locator("#pad").bounding_box()
    assert box is not None  # the page always has its pad
    for stroke in strokes:
        points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=12)
        page.mouse.up()
    page.wait_for_function(
        "document.getElementById('prediction').textContent !== ''", timeout=10_000
    )
    return str(page.text_content("#prediction"))


def chromium() -> str | None:
    """Debian's chromium binary, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def shoot(models: list[revisions.ServedModel], executable: str) -> bytes:
    """A 1100×760 screenshot of the page serving models, with a 7 drawn on the pad."""
    server = serve.make_server(models, port=0, quiet=True)
    serve.serve_in_thread(server)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, headless=True)
            page = browser.new_page(viewport={"width": 1100, "height": 760})
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            page.wait_for_selector(".model")
            draw_strokes(page, SEVEN)
            png = page.screenshot()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return png


def main(argv: list[str] | None = None) -> int:
    """Take the screenshot; one line and 1 when a model or the browser is missing."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--exp", action="append", default=[], help="also an experiment's model")
    parser.add_argument("--out", type=Path, default=Path("docs/page.png"))
    args = parser.parse_args(argv)
    repo = Path.cwd()
    executable = chromium()
    if executable is None:
        print(f"page-shot: chromium is not installed; run: {INSTALL}", file=sys.stderr)
        return 1
    try:
        workspace = revisions.from_file(
            repo / MODEL_FILE, "workspace", repo / revisions.METRICS_FILE
        )
        models = [workspace, *(revisions.from_revision(name, repo) for name in args.exp)]
    except UserError as err:
        print(f"page-shot: {err}; run `make repro` and the presets first", file=sys.stderr)
        return 1
    write_bytes(args.out, shoot(models, executable))
    print(f"page-shot: wrote {args.out} ({', '.join(m.name for m in models)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
