"""How the models read digits drawn with strokes, as on the page's pad: `make drawn`.

    python -m digitlab.lab.drawn [--exp fast --exp best] [--out docs/drawn.png]

Twenty digits (two per class) drawn as polylines on a 280×280 pad with a 22-pixel
round pen, the way the page's canvas draws, then read through `read_digit`, the
path every user picture takes. Prints a table per model and saves the inputs as
the models see them, captioned with each model's reading.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from digitlab.app.predict import classify
from digitlab.app.project import MODEL_FILE
from digitlab.app.revisions import METRICS_FILE, ServedModel, from_file, from_revision
from digitlab.core.errors import UserError
from digitlab.core.io import save_figure
from digitlab.mlp.figures.digits import digit_grid
from digitlab.mlp.preprocess import read_digit

Stroke = list[tuple[float, float]]  # points as fractions of the pad, y downwards

RING = [(0.5 + 0.22 * np.sin(t), 0.5 - 0.34 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 25)]
DRAWINGS: list[tuple[int, list[Stroke]]] = [
    (0, [RING]),
    (0, [[(0.5 + 0.25 * np.sin(t), 0.52 - 0.3 * np.cos(t)) for t in np.linspace(0.3, 6.4, 25)]]),
    (1, [[(0.5, 0.15), (0.5, 0.85)]]),
    (1, [[(0.38, 0.28), (0.53, 0.14), (0.53, 0.86)]]),
    (2, [[(0.28, 0.3), (0.35, 0.18), (0.5, 0.13), (0.65, 0.18), (0.7, 0.3), (0.65, 0.45),
          (0.28, 0.85), (0.75, 0.85)]]),
    (2, [[(0.3, 0.25), (0.5, 0.15), (0.68, 0.25), (0.6, 0.5), (0.3, 0.82), (0.5, 0.78),
          (0.72, 0.84)]]),
    (3, [[(0.3, 0.18), (0.5, 0.13), (0.68, 0.22), (0.65, 0.38), (0.48, 0.47), (0.68, 0.57),
          (0.7, 0.73), (0.5, 0.86), (0.28, 0.8)]]),
    (3, [[(0.3, 0.15), (0.7, 0.15), (0.45, 0.45), (0.65, 0.55), (0.68, 0.75), (0.48, 0.87),
          (0.3, 0.8)]]),
    (4, [[(0.6, 0.85), (0.6, 0.15), (0.25, 0.6), (0.75, 0.6)]]),
    (4, [[(0.3, 0.15), (0.3, 0.5), (0.7, 0.5)], [(0.65, 0.15), (0.65, 0.87)]]),
    (5, [[(0.7, 0.15), (0.32, 0.15), (0.3, 0.45), (0.5, 0.42), (0.68, 0.52), (0.7, 0.7),
          (0.55, 0.85), (0.3, 0.8)]]),
    (5, [[(0.35, 0.15), (0.32, 0.45), (0.55, 0.4), (0.7, 0.6), (0.55, 0.85), (0.3, 0.82)],
         [(0.35, 0.15), (0.72, 0.15)]]),
    (6, [[(0.65, 0.15), (0.45, 0.3), (0.33, 0.55), (0.35, 0.78), (0.5, 0.86), (0.65, 0.78),
          (0.67, 0.6), (0.5, 0.5), (0.35, 0.6)]]),
    (6, [[(0.6, 0.12), (0.35, 0.45), (0.32, 0.75), (0.5, 0.87), (0.68, 0.72), (0.55, 0.55),
          (0.34, 0.65)]]),
    (7, [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]]),
    (7, [[(0.28, 0.18), (0.72, 0.18), (0.55, 0.5), (0.48, 0.86)], [(0.42, 0.5), (0.66, 0.5)]]),
    (8, [[(0.5, 0.5), (0.33, 0.38), (0.35, 0.2), (0.5, 0.14), (0.65, 0.2), (0.67, 0.38),
          (0.5, 0.5), (0.3, 0.65), (0.33, 0.82), (0.5, 0.87), (0.67, 0.82), (0.7, 0.65),
          (0.5, 0.5)]]),
    (8, [[(0.62, 0.2), (0.5, 0.13), (0.36, 0.22), (0.4, 0.4), (0.62, 0.58), (0.64, 0.8),
          (0.5, 0.87), (0.36, 0.8), (0.38, 0.6), (0.62, 0.4), (0.62, 0.2)]]),
    (9, [[(0.65, 0.35), (0.5, 0.45), (0.35, 0.38), (0.35, 0.22), (0.5, 0.14), (0.65, 0.22),
          (0.66, 0.4), (0.64, 0.85)]]),
    (9, [[(0.66, 0.25), (0.5, 0.15), (0.36, 0.25), (0.4, 0.42), (0.62, 0.38), (0.66, 0.25),
          (0.55, 0.87)]]),
]  # fmt: skip


ONE: Stroke = [(0.5, 1 / 7), (0.5, 6 / 7)]  # a '1': one vertical stroke


def pad_png(strokes: list[Stroke], side: int = 280, pen: int = 22) -> bytes:
    """Black strokes on a white square pad, as a PNG: what the page posts."""
    image = Image.new("L", (side, side), 255)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [(x * side, y * side) for x, y in stroke]
        draw.line(points, fill=0, width=pen, joint="curve")
        for x, y in (points[0], points[-1]):  # round caps, like the canvas's lineCap
            draw.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="png")
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Read the drawings with every model, print the table and save the figure."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--exp", action="append", default=[], help="also an experiment's model")
    parser.add_argument("--pen", type=int, default=22, help="pen width on the 280-px pad (22)")
    parser.add_argument("--out", type=Path, default=Path("docs/drawn.png"))
    args = parser.parse_args(argv)
    repo = Path.cwd()
    try:
        workspace = from_file(repo / MODEL_FILE, "workspace", repo / METRICS_FILE)
        models: list[ServedModel] = [workspace, *(from_revision(n, repo) for n in args.exp)]
    except UserError as err:
        print(f"drawn: {err}", file=sys.stderr)
        return 1
    images = [read_digit(pad_png(s, pen=args.pen)) for _, s in DRAWINGS]  # (28, 28) each
    truth = [digit for digit, _ in DRAWINGS]
    readings = {m.name: [int(np.argmax(p)) for p in classify(m.model, images)] for m in models}
    print("| model | " + " | ".join(str(d) for d in truth) + " | right |")
    print("|---" * (len(truth) + 2) + "|")
    for name, read in readings.items():
        marks = [str(r) if r == t else f"**{r}**" for r, t in zip(read, truth, strict=True)]
        right = sum(r == t for r, t in zip(read, truth, strict=True))
        print(f"| {name} | " + " | ".join(marks) + f" | {right}/{len(truth)} |")
    captions = [" ".join(str(read[i]) for read in readings.values()) for i in range(len(truth))]
    title = (
        f"Drawn digits ({args.pen}-px pen) as the models see them; read by {', '.join(readings)}"
    )
    save_figure(args.out, digit_grid(np.stack(images), captions, title, columns=10))
    print(f"drawn: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
