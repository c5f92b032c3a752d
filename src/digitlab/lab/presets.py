"""Presets: params.yaml sections holding only the keys they set, as `dvc exp run -S` arguments.

    python -m digitlab.lab.presets presets/fast.yaml  # -S train.seed=0 -S train.validation=5000 ...

`make exp-<name>` runs `dvc exp run -n <name>` with what this prints. A preset that does
not parse, or that names an unknown key or a bad value, prints one line and exits 1:
the Makefile then stops before any experiment is made.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

import yaml

from digitlab.core.config import from_dict, read_yaml
from digitlab.core.errors import ConfigError


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"train": {"augment": {"scale": 0.1}}} -> {"train.augment.scale": 0.1}."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        flat |= flatten(value, f"{name}.") if isinstance(value, dict) else {name: value}
    return flat


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """base with overrides applied, nested mappings merged key by key."""
    merged = dict(base)
    for key, value in overrides.items():
        nested = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = merge(base[key], value) if nested else value
    return merged


def edit_params(path: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    """Apply overrides (nested like params.yaml) to the params file at path; the result."""
    params = merge(read_yaml(path), overrides)
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return params


def load(path: Path) -> dict[str, Any]:
    """A preset file as a nested mapping; ConfigError in one line if it is not one."""
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"cannot read {path} ({' '.join(str(err).split())})") from None
    if not isinstance(tree, dict):
        raise ConfigError(f"{path} must map params.yaml sections to the keys it sets")
    return tree


def sections() -> dict[str, type]:
    """Each params.yaml section and the dataclass its stage loads it into."""
    # Imported here: the registry spans every stage family, torch included.
    from digitlab.fits.methods import METHODS
    from digitlab.fits.synthetic import GenerateParams
    from digitlab.mlp.download import DownloadParams
    from digitlab.mlp.download_fonts import DownloadFontsParams
    from digitlab.mlp.download_real import DownloadRealParams
    from digitlab.mlp.evaluation import EvaluateParams
    from digitlab.mlp.samples import PredictParams
    from digitlab.mlp.training import TrainParams

    return {
        "generate": GenerateParams,
        **{name: method.params for name, method in METHODS.items()},
        "download": DownloadParams,
        "download_real": DownloadRealParams,
        "download_fonts": DownloadFontsParams,
        "train": TrainParams,
        "evaluate": EvaluateParams,
        "predict": PredictParams,
    }


def check_preset(preset: dict[str, Any], params: dict[str, Any], where: str) -> None:
    """ConfigError naming the first unknown section, unknown key or bad value of a preset
    applied on top of params (params.yaml's contents)."""
    known = sections()
    for section, keys in preset.items():
        if section not in known:
            raise ConfigError(f"{where}: unknown section {section!r}; known: {sorted(known)}")
        try:
            from_dict(known[section], merge(params.get(section) or {}, keys or {}), section)
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None


def set_arguments(tree: dict[str, Any]) -> list[str]:
    """The `-S key=value` arguments, values in YAML's flow style as DVC parses them."""
    args = []
    for key, value in flatten(tree).items():
        text = yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("\n...")
        args += ["-S", f"{key}={text}"]
    return args


def main(argv: list[str] | None = None) -> int:
    """Print a preset's checked `-S` arguments; one line on stderr and 1 if it is bad."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m digitlab.lab.presets presets/NAME.yaml", file=sys.stderr)
        return 2
    path = Path(args[0])
    try:
        preset = load(path)
        check_preset(preset, read_yaml(Path("params.yaml")), str(path))
    except ConfigError as err:
        print(f"preset: {err}", file=sys.stderr)
        return 1
    print(shlex.join(set_arguments(preset)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
