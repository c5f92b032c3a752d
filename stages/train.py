"""Stage `train`: fit the MLP to MNIST; write the model, its metrics and per-epoch curves."""

from __future__ import annotations

import torch

from digitlab.config import load_params
from digitlab.io import save_figure, write_csv, write_json
from digitlab.mnist import load_split
from digitlab.model import save_model
from digitlab.plotting import history_figure
from digitlab.stage import path_parser, run
from digitlab.training import MnistData, TrainParams, train


def main(argv: list[str] | None = None) -> None:
    parser = path_parser(__doc__, "data", "model", "metrics", "history", "curves")
    args = parser.parse_args(argv)
    params = load_params("train", TrainParams)
    if params.threads:
        torch.set_num_threads(params.threads)
    data = MnistData(*load_split(args.data, train=True), *load_split(args.data, train=False))

    model, history = train(params, data, log=lambda line: print(line, flush=True))

    save_model(model, params.arch, args.model)
    columns = list(history.rows[0])
    write_csv(args.history, columns, ([row[c] for c in columns] for row in history.rows))
    last = history.rows[-1]
    title = f"MLP training: {params.epochs} epochs, test accuracy {last['test_accuracy']:.2%}"
    save_figure(args.curves, history_figure(history.rows, title))
    write_json(
        args.metrics,
        {
            "train_loss": last["train_loss"],
            "train_accuracy": last["train_accuracy"],
            "test_accuracy": last["test_accuracy"],
            "epochs": params.epochs,
            "train_seconds": round(history.seconds, 2),
        },
    )


if __name__ == "__main__":
    run(main)
