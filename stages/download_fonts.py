"""Stage `download_fonts`: handwriting fonts from pinned npm packages, hash-checked."""

from __future__ import annotations

import sys

from digitlab.core.config import load_params
from digitlab.core.stage import path_parser, run
from digitlab.mlp.download_fonts import DownloadFontsParams, download_fonts


def main(argv: list[str] | None = None) -> None:
    args = path_parser(__doc__, "out").parse_args(argv)
    params = load_params("download_fonts", DownloadFontsParams)
    download_fonts(params, args.out, log=lambda line: print(line, file=sys.stderr, flush=True))


if __name__ == "__main__":
    run(main)
