"""Stage `evaluate`: the test set, used once: metrics, a confusion table, confident mistakes."""

from __future__ import annotations

from digitlab.core.config import load_params
from digitlab.core.io import save_figure, write_csv, write_json
from digitlab.core.stage import path_parser, run
from digitlab.mlp.data import load_split
from digitlab.mlp.evaluation import EvaluateParams, evaluate, mistakes_figure
from digitlab.mlp.model import load_model


def main(argv: list[str] | None = None) -> None:
    parser = path_parser(__doc__, "data", "model", "metrics", "confusion", "mistakes")
    args = parser.parse_args(argv)
    params = load_params("evaluate", EvaluateParams)
    model = load_model(args.model)  # its card, not params.yaml, says how to score it
    images, labels = load_split(args.data, train=False)

    result = evaluate(model, images, labels, params.robustness)

    write_json(args.metrics, result.metrics)
    write_csv(args.confusion, ["actual", "predicted"], result.confusion_rows())
    save_figure(args.mistakes, mistakes_figure(result, images, params.mistakes))


if __name__ == "__main__":
    run(main)
