"""Stage `predict`: export test digits as PNG files and read them back like a user's files."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from digitlab.config import load_params, require
from digitlab.io import save_figure, write_csv, write_json, write_with
from digitlab.mnist import load_split
from digitlab.model import load_model
from digitlab.plotting import digit_grid
from digitlab.predict import predict_files
from digitlab.stage import path_parser, run


@dataclass(frozen=True)
class PredictParams:
    count: int = 24  # how many test images to export and predict
    seed: int = 0  # which ones: a seeded draw from the 10,000

    def __post_init__(self) -> None:
        require(1 <= self.count <= 10000, "count", self.count, "an integer in [1, 10000]")


def main(argv: list[str] | None = None) -> None:
    parser = path_parser(__doc__, "data", "model", "samples", "table", "metrics", "figure")
    args = parser.parse_args(argv)
    params = load_params("predict", PredictParams)
    model, _ = load_model(args.model)
    images, labels = load_split(args.data, train=False)

    chosen = torch.randperm(len(images), generator=torch.Generator().manual_seed(params.seed))
    paths, truth = [], []
    for index in sorted(chosen[: params.count].tolist()):
        path = args.samples / f"mnist_test_{index:05d}.png"
        pixels = (images[index].reshape(28, 28).numpy() * 255).round().astype(np.uint8)
        write_with(path, lambda f, p=pixels: Image.fromarray(p).save(f, format="png"))
        paths.append(path)
        truth.append(int(labels[index]))
    results = predict_files(model, paths)

    rows = [
        (p.name, r.label, r.confidence, t) for p, r, t in zip(paths, results, truth, strict=True)
    ]
    write_csv(args.table, ["file", "predicted", "confidence", "label"], rows)
    correct = sum(r.label == t for r, t in zip(results, truth, strict=True))
    write_json(args.metrics, {"accuracy": correct / len(paths), "count": len(paths)})
    captions = [f"{r.label} ({r.confidence:.0%})" + ("" if r.label == t else f"\ntrue {t}")
                for r, t in zip(results, truth, strict=True)]  # fmt: skip
    shown = np.stack([r.image for r in results if r.image is not None])
    title = f"Predictions on {len(paths)} exported test PNGs: {correct} right"
    save_figure(args.figure, digit_grid(shown, captions, title))


if __name__ == "__main__":
    run(main)
