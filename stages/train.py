"""Stage `train`: fit the MLP to MNIST's training set; write the model, its card and curves.

Per-epoch metrics go through DVCLive (dvclive/train/), so `dvc exp show`, `dvc plots`
and DVC's editor and Studio integrations follow training as it runs. The training time
goes to --timing, kept when a rerun reproduces the timed model's bytes (a top-level
metric in dvc.yaml, not an output: a time never makes the lock differ).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

import torch
from dvclive.live import Live

from digitlab.core.config import load_params
from digitlab.core.io import save_figure, write_json
from digitlab.core.stage import path_parser, run
from digitlab.mlp import mine
from digitlab.mlp.data import load_split
from digitlab.mlp.figures.train import history_figure
from digitlab.mlp.fonts import font_digits
from digitlab.mlp.model import save_model
from digitlab.mlp.training import TrainParams, train


def main(argv: list[str] | None = None) -> None:
    parser = path_parser(
        __doc__, "data", "mine", "fonts", "model", "metrics", "timing", "live", "curves"
    )
    args = parser.parse_args(argv)
    params = load_params("train", TrainParams)
    if params.threads:
        torch.set_num_threads(params.threads)
    images, labels = load_split(args.data, train=True)  # the test set is evaluate's alone
    taught = mine.teaching_set(args.mine, params.mine)  # `make teach`; None unless opted in
    yours = None if taught is None else (torch.from_numpy(taught[0]), torch.from_numpy(taught[1]))
    drawn = font_digits(args.fonts) if params.fonts else None  # a second source of writers
    fonts = None if drawn is None else (torch.from_numpy(drawn[0]), torch.from_numpy(drawn[1]))

    # dvcyaml=None, save_dvc_exp=False: dvc.yaml declares these outputs; DVC makes experiments.
    with Live(str(args.live), dvcyaml=None, save_dvc_exp=False) as live:

        def log_epoch(row: dict[str, float]) -> None:
            for name, value in row.items():
                if name != "epoch":
                    live.log_metric(name, value)
            live.next_step()

        model, history = train(
            params,
            images,
            labels,
            log=lambda line: print(line, flush=True),
            on_epoch=log_epoch,
            mine=yours,
            fonts=fonts,
        )

    save_model(model, args.model, trained_with=asdict(params))
    write_json(args.metrics, history.summary())
    previous = json.loads(args.timing.read_text()) if args.timing.is_file() else None
    timing = history.timing(hashlib.md5(args.model.read_bytes()).hexdigest(), previous)
    if timing is not None:
        write_json(args.timing, timing)
    title = f"MLP training: {params.epochs} epochs, {history.caption()}"
    save_figure(args.curves, history_figure(history.rows, title))


if __name__ == "__main__":
    run(main)
