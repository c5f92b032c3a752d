"""`make exp-NAME`: run presets/NAME.yaml as DVC experiment NAME, failing loudly.

    python -m digitlab.lab.experiment fast [--replace] [--dry-run]
    python -m digitlab.lab.experiment mine --preset best --teach data/mine --weight 8

The second is `make teach`: a preset's recipe that also learns the train half of your
digits, as an experiment that is not a preset (so `make serve` and `exp-gc` keep it
apart, and the bench never runs it).

Before anything runs: the preset must parse and name only known keys with valid values,
every file a stage reads must be tracked, and an experiment of that name is kept unless
--replace says otherwise. Each refusal is one line, and no experiment is made.

The experiment runs in a temporary copy (`dvc exp run --temp`): the workspace keeps its
params, model and metrics, so `digitlab predict` goes on using them until you choose
another model with `dvc exp apply NAME` (`make use-best` for best).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from digitlab.core.config import read_yaml
from digitlab.core.errors import ConfigError
from digitlab.lab.grid import check_tracked, names
from digitlab.lab.presets import check_preset, load, merge, set_arguments
from digitlab.lab.steps import StepError, dvc_step, venv_env
from digitlab.mlp import mine


def command(
    name: str, repo: Path, preset_name: str | None = None, over: dict[str, Any] | None = None
) -> list[str]:
    """`dvc exp run -n NAME -S ...` for presets/PRESET.yaml (default: NAME) with `over`
    merged on top; ConfigError if the preset is bad."""
    preset_name = preset_name or name
    path = repo / "presets" / f"{preset_name}.yaml"
    if not path.is_file():
        known = " ".join(sorted(p.stem for p in (repo / "presets").glob("*.yaml")))
        raise ConfigError(f"no preset presets/{preset_name}.yaml; presets: {known}")
    preset = merge(load(path), over or {})
    check_preset(preset, read_yaml(repo / "params.yaml"), f"presets/{preset_name}.yaml")
    return ["dvc", "exp", "run", "--temp", "-n", name, *set_arguments(preset)]


def teach_params(folder: str, weight: int, repo: Path) -> dict[str, Any]:
    """The params that add your digits' train half, over the preset's (which turns them
    off); ConfigError unless the folder is versioned with some digits in it (the
    experiment sees what `dvc add` recorded)."""
    if weight < 1:
        raise ConfigError(f"--weight must be 1 or more (got {weight})")
    record = repo / f"{folder}.dvc"
    if not record.is_file() or not mine.half(mine.list_digits(repo / folder), "train"):
        raise ConfigError(
            f"no digits to learn in {folder}'s train half; draw some (make serve), then "
            f"dvc add {folder} && git add {folder}.dvc && git commit -m 'my digits'"
        )
    return {"train": {"mine": {"digits": folder, "weight": weight}}}


def claim(name: str, repo: Path, *, replace: bool) -> None:
    """Make room for experiment `name`: StepError if one exists, unless replace removes it."""
    if name not in names(repo):
        return
    if not replace:
        raise StepError(
            f"experiment {name!r} exists already (see `dvc exp show`); it is kept. Replace "
            f"it: make exp-{name} REPLACE=1, or run the preset under another name"
        )
    dvc_step("remove", "exp", "remove", name, cwd=repo)
    print(f"exp-{name}: removed the earlier experiment {name!r} (REPLACE=1)", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Check, then run the preset; one line on stderr and 1 (2 for a bad preset) if refused."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("name", help="a preset: presets/NAME.yaml")
    parser.add_argument("--replace", action="store_true", help="remove an experiment NAME first")
    parser.add_argument("--dry-run", action="store_true", help="print the dvc command only")
    parser.add_argument("--preset", help="the preset to run under NAME (default: NAME)")
    parser.add_argument("--teach", metavar="DIR", help="also learn the train half of DIR")
    parser.add_argument("--weight", type=int, default=8, help="copies of each of your digits")
    args = parser.parse_args(argv)
    repo = Path.cwd()
    try:
        taught = teach_params(args.teach, args.weight, repo) if args.teach else None
        run = command(args.name, repo, args.preset, taught)
    except ConfigError as err:
        print(f"exp-{args.name}: {err}", file=sys.stderr)
        return 2
    print(shlex.join(run), flush=True)
    if args.dry_run:
        return 0
    try:
        check_tracked(repo)
        claim(args.name, repo, replace=args.replace)
    except StepError as err:
        print(f"exp-{args.name}: {err}", file=sys.stderr)
        return 1
    code = subprocess.run([sys.executable, "-m", *run], cwd=repo, env=venv_env()).returncode
    if code == 0:
        print(
            f"exp-{args.name}: made experiment {args.name!r}; the workspace is unchanged. "
            f"Compare: make exp-show. Use its model: dvc exp apply {args.name}"
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
