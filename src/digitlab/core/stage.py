"""What every stage's entry point shares: argument parsing and one-line errors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from digitlab.core.errors import UserError


def path_parser(description: str, *names: str) -> argparse.ArgumentParser:
    """A parser with one required `--name PATH` option per name, all parsed as Path."""
    parser = argparse.ArgumentParser(description=description)
    for name in names:
        parser.add_argument(f"--{name}", type=Path, required=True)
    return parser


def run(main: Callable[[], None]) -> None:
    """Call main; a UserError becomes one line on stderr and exit status 1."""
    try:
        main()
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted: no output was left half-written", file=sys.stderr)
        sys.exit(130)
