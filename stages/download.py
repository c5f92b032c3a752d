"""Stage `download`: MNIST into torchvision's layout, from the first source that works."""

from __future__ import annotations

import sys

from digitlab.core.config import load_params
from digitlab.core.stage import path_parser, run
from digitlab.mlp.download import DownloadParams, download


def main(argv: list[str] | None = None) -> None:
    args = path_parser(__doc__, "root").parse_args(argv)
    params = load_params("download", DownloadParams)
    download(params, args.root, log=lambda line: print(line, file=sys.stderr, flush=True))


if __name__ == "__main__":
    run(main)
