"""Stage `fit@<method>`: fit one of the tutorial's methods to its dataset."""

from __future__ import annotations

from digitlab.core.config import load_params
from digitlab.core.io import save_figure, write_csv, write_json
from digitlab.core.stage import path_parser, run
from digitlab.fits.classical import summarize
from digitlab.fits.figure import fit_figure
from digitlab.fits.methods import get_method
from digitlab.fits.synthetic import read_dataset


def main(argv: list[str] | None = None) -> None:
    parser = path_parser(__doc__, "data", "metrics", "loss", "figure")
    parser.add_argument("--method", required=True, help="a method of digitlab.fits.methods.METHODS")
    args = parser.parse_args(argv)
    method = get_method(args.method)
    params: object = load_params(args.method, method.params)
    data = read_dataset(args.data)

    fit = method.fit(data, params)

    write_json(args.metrics, summarize(fit))
    x_label, xs, losses = fit.curve
    write_csv(args.loss, [x_label, "loss"], zip(xs, losses, strict=True))
    title = f"{args.method}: {fit.caption()}" if fit.caption() else args.method
    figure = fit_figure(data.x, data.y, fit.predict, title, classifier=fit.classifier)
    save_figure(args.figure, figure)


if __name__ == "__main__":
    run(main)
