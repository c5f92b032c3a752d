"""Typed params: each stage reads one params.yaml section into a frozen dataclass.

Every key is checked before any work starts, so a typo or a bad value stops the
stage with one line that names the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

import yaml

from digitlab.core.errors import ConfigError

T = TypeVar("T")


def require(ok: bool, key: str, value: object, allowed: str) -> None:
    """Raise ConfigError naming key, value and what is allowed, unless ok."""
    if not ok:
        raise ConfigError(f"{key}: got {value!r}, expected {allowed}")


def read_yaml(path: Path) -> dict[str, Any]:
    """The mapping stored in a YAML file; ConfigError if it is missing or not a mapping."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found; run from the repository root") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({err})".replace("\n", " ")) from None
    require(isinstance(data, dict), str(path), type(data).__name__, "a mapping of sections")
    return dict(data)


def load_params(section: str, cls: type[T], path: Path = Path("params.yaml")) -> T:
    """Section `section` of params.yaml as a validated `cls`."""
    data = read_yaml(path)
    require(section in data, section, None, f"a '{section}:' section in {path}")
    return from_dict(cls, data[section], where=section)


def from_dict(cls: type[T], raw: object, where: str) -> T:
    """Build dataclass `cls` from a mapping, rejecting unknown keys and wrong types."""
    require(isinstance(raw, dict), where, raw, "a mapping")
    assert isinstance(raw, dict)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in raw:
        require(
            key in fields, f"{where}.{key}", raw[key], f"one of the known keys {sorted(fields)}"
        )
    hints = get_type_hints(cls)
    values = {}
    for name, field in fields.items():
        key = f"{where}.{name}"
        if name not in raw:
            has_default = field.default is not dataclasses.MISSING
            has_factory = field.default_factory is not dataclasses.MISSING
            require(has_default or has_factory, key, None, "a value (this key is required)")
            continue
        values[name] = _coerce(hints[name], raw[name], key)
    try:
        return cls(**values)
    except ConfigError as err:  # a range check in __post_init__ names only the field
        raise ConfigError(f"{where}.{err}") from None


def _coerce(hint: Any, value: object, key: str) -> Any:
    """Check `value` against type `hint`; ints are accepted where floats are expected."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is Literal:
        require(value in args, key, value, "one of " + ", ".join(map(repr, args)))
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(inner, value, key)
    if origin is dict:
        require(isinstance(value, dict), key, value, "a mapping")
        assert isinstance(value, dict)
        return {
            _coerce(args[0], k, key): _coerce(args[1], v, f"{key}.{k}") for k, v in value.items()
        }
    if origin is tuple:
        require(isinstance(value, list), key, value, "a list")
        assert isinstance(value, list)
        return tuple(_coerce(args[0], v, f"{key}[{i}]") for i, v in enumerate(value))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return from_dict(hint, value, where=key)
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        require(ok, key, value, "a number")
        return float(value)  # type: ignore[arg-type]
    if hint is int:
        require(isinstance(value, int) and not isinstance(value, bool), key, value, "an integer")
        return value
    require(isinstance(value, hint), key, value, f"a {hint.__name__}")
    return value
