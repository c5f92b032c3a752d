"""Stage `train`: fit the MLP to MNIST's training set; write the model, its card and curves."""

from __future__ import annotations

from dataclasses import asdict

import torch

from digitlab.config import load_params
from digitlab.io import save_figure, write_csv, write_json
from digitlab.mnist import load_split
from digitlab.model import save_model
from digitlab.plotting import history_figure
from digitlab.stage import path_parser, run
from digitlab.training import TrainParams, train


def main(argv: list[str] | None = None) -> None:
    parser = path_parser(__doc__, "data", "model", "metrics", "history", "curves")
    args = parser.parse_args(argv)
    params = load_params("train", TrainParams)
    if params.threads:
        torch.set_num_threads(params.threads)
    images, labels = load_split(args.data, train=True)  # the test set is evaluate's alone

    model, history = train(params, images, labels, log=lambda line: print(line, flush=True))

    save_model(model, params.spec, args.model, trained_with=asdict(params))
    write_json(args.metrics, history.summary())
    columns = list(history.rows[0])
    write_csv(args.history, columns, ([row[c] for c in columns] for row in history.rows))
    title = f"MLP training: {params.epochs} epochs, {history.caption()}"
    save_figure(args.curves, history_figure(history.rows, title))


if __name__ == "__main__":
    run(main)
