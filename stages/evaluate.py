"""Stage `evaluate`: the test sets, used once: MNIST's, the real-handwriting test half and
the test half of your own digits (data/mine, when you have drawn some)."""

from __future__ import annotations

import torch

from digitlab.core.config import load_params
from digitlab.core.io import save_figure, write_csv, write_json
from digitlab.core.stage import path_parser, run
from digitlab.mlp import mine
from digitlab.mlp.data import load_split
from digitlab.mlp.evaluation import EvaluateParams, evaluate, evaluate_mine, evaluate_real
from digitlab.mlp.figures.evaluate import mistakes_figure
from digitlab.mlp.model import load_model
from digitlab.mlp.real import load_real


def main(argv: list[str] | None = None) -> None:
    names = ("data", "real", "mine", "model", "metrics", "confusion", "mistakes", "real-mistakes")
    args = path_parser(__doc__, *names).parse_args(argv)
    params = load_params("evaluate", EvaluateParams)
    model = load_model(args.model)  # its card, not params.yaml, says how to score it
    images, labels = load_split(args.data, train=False)

    mnist = evaluate(model, images, labels, params.robustness)
    real, real_images = evaluate_real(model, load_real(args.real))
    mine_images, mine_labels = mine.load_half(args.mine, "test")
    yours = evaluate_mine(model, torch.from_numpy(mine_images), torch.from_numpy(mine_labels))
    if yours:
        print(f"evaluate: {yours['mine_accuracy']:.1%} of your {len(mine_labels)} test-half digits")

    write_json(args.metrics, mnist.metrics | real.metrics | yours)
    write_csv(args.confusion, ["actual", "predicted"], mnist.confusion_rows())
    save_figure(args.mistakes, mistakes_figure(mnist, images, params.mistakes, "MNIST test"))
    figure = mistakes_figure(real, real_images, params.mistakes, "real scans (test half)")
    save_figure(args.real_mistakes, figure)


if __name__ == "__main__":
    run(main)
