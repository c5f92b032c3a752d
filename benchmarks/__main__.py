"""`make bench [SECTION=name]`: run every benchmark section, or one, and write the results.

python -m benchmarks                          # everything (about 8 minutes on 2 cores)
python -m benchmarks --only serve             # one section; the others keep their numbers
python -m benchmarks --only presets --preset fast
"""

from __future__ import annotations

import argparse

from benchmarks import (
    classical,
    collect,
    grid,
    mutation,
    pipeline,
    predict,
    presets,
    queue,
    serve,
    training,
)
from benchmarks.harness import Bench, record

# Keys of results.json (read by `make docs`), in the order results.md shows them.
SECTIONS: dict[str, Bench] = {
    "classical": classical.bench,
    "train": training.bench,
    "pipeline": pipeline.bench,
    "serve": serve.bench,
    "collect": collect.bench,
    "predict": predict.bench,
    "queue": queue.bench,
    "grid": grid.bench,
    "mutation": mutation.bench,
    "presets": presets.bench,
}


def main(argv: list[str] | None = None) -> None:
    """Run the sections asked for and print results.md."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append")
    parser.add_argument("--preset", choices=sorted(presets.TARGETS), action="append", default=[],
                        help="with --only presets: rerun these presets alone")  # fmt: skip
    args = parser.parse_args(argv)
    presets.CHOSEN.extend(args.preset)
    print(record(SECTIONS, args.only or list(SECTIONS), keep_others=bool(args.only)))


if __name__ == "__main__":
    main()
