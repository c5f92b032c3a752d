"""Stage `evaluate`: test-set metrics, a confusion matrix and the most confident mistakes."""

from __future__ import annotations

from dataclasses import dataclass

from digitlab.config import load_params, require
from digitlab.evaluation import confident_mistakes, evaluate
from digitlab.io import save_figure, write_csv, write_json
from digitlab.mnist import load_split
from digitlab.model import load_model
from digitlab.plotting import digit_grid
from digitlab.stage import path_parser, run
from digitlab.training import TrainParams, loss_function


@dataclass(frozen=True)
class EvaluateParams:
    mistakes: int = 32  # how many confident mistakes to draw

    def __post_init__(self) -> None:
        require(self.mistakes >= 1, "mistakes", self.mistakes, "an integer >= 1")


def main(argv: list[str] | None = None) -> None:
    parser = path_parser(__doc__, "data", "model", "metrics", "confusion", "mistakes")
    args = parser.parse_args(argv)
    params = load_params("evaluate", EvaluateParams)
    loss_of = loss_function(load_params("train", TrainParams))
    model, _ = load_model(args.model)
    images, labels = load_split(args.data, train=False)

    result = evaluate(model, images, labels, loss_of)

    write_json(args.metrics, result.metrics)
    pairs = zip(labels.tolist(), result.predicted.tolist(), strict=True)
    write_csv(args.confusion, ["actual", "predicted"], pairs)
    worst = confident_mistakes(result, labels, params.mistakes)
    captions = [
        f"true {labels[i]} → {result.predicted[i]}\n{result.confidence[i]:.0%}"
        for i in worst.tolist()
    ]
    n_wrong = int((result.predicted != labels).sum())
    title = f"The {len(worst)} most confident test mistakes (of {n_wrong})"
    save_figure(
        args.mistakes, digit_grid(images[worst].reshape(-1, 28, 28).numpy(), captions, title)
    )


if __name__ == "__main__":
    run(main)
