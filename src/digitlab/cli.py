"""The `digitlab` command: `digitlab predict IMAGE [IMAGE ...] [--model PATH] [--json]`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from digitlab.errors import UserError
from digitlab.model import load_model
from digitlab.predict import predict_files


def main(argv: list[str] | None = None) -> int:
    """Run the command; 0 if every image was read, 1 if any failed, 2 for a bad model or usage."""
    parser = argparse.ArgumentParser(prog="digitlab", description="Read handwritten digits.")
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser("predict", help="predict the digit in each image")
    predict.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    predict.add_argument("--model", type=Path, default=Path("models/mlp.pt"))
    predict.add_argument("--json", action="store_true", help="print one JSON list")
    args = parser.parse_args(argv)

    try:
        model, _ = load_model(args.model)
    except UserError as err:
        print(f"digitlab: error: {err}", file=sys.stderr)
        return 2
    results = predict_files(model, args.images)
    if args.json:
        print(json.dumps([r.as_json() for r in results], indent=2))
    for r in results:
        if r.error is not None:
            print(f"digitlab: error: {r.file}: {r.error}", file=sys.stderr)
        elif not args.json:
            print(f"{r.file}: {r.label} ({r.confidence:.1%})")
    return 1 if any(r.error is not None for r in results) else 0


def entry() -> None:
    """Console-script entry point; a closed pipe (`| head`) ends it quietly."""
    try:
        sys.exit(main())
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        sys.exit(1)


if __name__ == "__main__":
    entry()
