"""Outputs are written atomically: a failure leaves the previous file untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from digitlab.core.io import write_json, write_with


def test_failed_write_keeps_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    """An exception mid-write leaves the old content and no stray temporary file."""
    target = tmp_path / "metrics.json"
    write_json(target, {"w": 1.0})

    def explode(handle: object) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_with(target, explode)
    assert target.read_text() == '{\n  "w": 1.0\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_write_creates_missing_parent_folders(tmp_path: Path) -> None:
    """A stage may write into a folder that does not exist yet."""
    write_json(tmp_path / "a" / "b" / "m.json", {"x": 1})
    assert (tmp_path / "a" / "b" / "m.json").exists()
