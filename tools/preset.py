"""Print a preset as `dvc exp run` arguments: one shell-quoted `-S key=value` per setting.

    python tools/preset.py presets/fast.yaml  # -S train.seed=0 -S train.validation=5000 ...

A preset file holds params.yaml sections (only the keys it sets), nested the same way.
`make exp-<name>` runs `dvc exp run -n <name> $(python tools/preset.py presets/<name>.yaml)`.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

import yaml


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
    params = merge(yaml.safe_load(path.read_text(encoding="utf-8")), overrides)
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return params


def load(path: Path) -> dict[str, Any]:
    """A preset file as a nested mapping; exits with one line if it is not one."""
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        sys.exit(f"preset: cannot read {path} ({' '.join(str(err).split())})")
    if not isinstance(tree, dict):
        sys.exit(f"preset: {path} must map params.yaml sections to the keys it sets")
    return tree


def set_arguments(tree: dict[str, Any]) -> list[str]:
    """The `-S key=value` arguments, values in YAML's flow style as DVC parses them."""
    args = []
    for key, value in flatten(tree).items():
        text = yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("\n...")
        args += ["-S", f"{key}={text}"]
    return args


if __name__ == "__main__":
    print(shlex.join(set_arguments(load(Path(sys.argv[1])))))
