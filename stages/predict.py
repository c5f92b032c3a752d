"""Stage `predict`: export test digits as PNG files and read them back like a user's files."""

from __future__ import annotations

from digitlab.app.predict import predict_files
from digitlab.app.weights import load_weights
from digitlab.core.config import load_params
from digitlab.core.io import save_figure, write_bytes, write_csv, write_json
from digitlab.core.stage import path_parser, run
from digitlab.mlp.data import load_split
from digitlab.mlp.samples import PredictParams, export_samples, score_samples


def main(argv: list[str] | None = None) -> None:
    parser = path_parser(__doc__, "data", "model", "samples", "table", "metrics", "figure")
    args = parser.parse_args(argv)
    params = load_params("predict", PredictParams)
    model = load_weights(args.model)  # what users run: numpy, from mlp.safetensors
    images, labels = load_split(args.data, train=False)

    samples = export_samples(images, labels, params)
    paths = [args.samples / sample.name for sample in samples]
    for path, sample in zip(paths, samples, strict=True):
        write_bytes(path, sample.png)
    # Read back from disk: exactly the path a user's file takes through `digitlab predict`.
    score = score_samples(samples, predict_files(model, paths))

    write_csv(args.table, score.header, score.rows)
    write_json(args.metrics, score.metrics)
    save_figure(args.figure, score.figure)


if __name__ == "__main__":
    run(main)
