"""Stage `generate`: write the tutorial's four toy datasets as x,y CSV files."""

from __future__ import annotations

from digitlab.core.config import load_params
from digitlab.core.stage import path_parser, run
from digitlab.fits.synthetic import GenerateParams, generate, write_dataset


def main(argv: list[str] | None = None) -> None:
    args = path_parser(__doc__, "out-dir").parse_args(argv)
    params = load_params("generate", GenerateParams)
    for name, data in generate(params).items():
        write_dataset(args.out_dir / f"{name}.csv", data)


if __name__ == "__main__":
    run(main)
