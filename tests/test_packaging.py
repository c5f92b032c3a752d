"""What a newcomer installs: the Python floor we state matches what the pinned packages need."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from tests.conftest import ROOT


def _pins() -> list[str]:
    """The package names requirements.txt pins exactly."""
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [m.group(1) for line in lines if (m := re.match(r"([A-Za-z0-9_.-]+)==", line))]


def _floor(specifier: str) -> Version:
    """The lowest Python a `>=X.Y` specifier allows (3.0 when it names none)."""
    floors = [Version(s.version) for s in SpecifierSet(specifier) if s.operator in (">=", ">")]
    return max(floors, default=Version("3.0"))


def test_the_stated_python_floor_is_the_highest_floor_of_the_pins() -> None:
    """pyproject's requires-python and the README name the lowest Python that every pinned
    package installs on: no newcomer starts on a Python that pip then refuses."""
    needed = max(
        _floor(importlib.metadata.metadata(name).get("Requires-Python") or "") for name in _pins()
    )
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert _floor(project["requires-python"]) == needed
    assert f"Python ≥ {needed}" in (ROOT / "README.md").read_text()


def test_the_floor_check_sees_every_pin() -> None:
    """The pins are read: torch, numpy and DVC among them, each installed here."""
    pins = _pins()
    assert {"torch", "numpy", "dvc", "pytest-timeout"} <= set(pins)
    assert all(importlib.metadata.version(name) for name in pins)
