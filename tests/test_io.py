"""Outputs are written atomically: a failure leaves the previous file untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from digitlab.core.io import write_folder, write_json, write_with


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


def test_a_folder_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    """write_folder leaves exactly the new files; a failure leaves the old folder as it was
    and nothing beside it."""
    target = tmp_path / "fonts"
    write_folder(target, {"a.woff": b"1", "b.woff": b"2"})
    write_folder(target, {"c.woff": b"3"})
    assert {p.name: p.read_bytes() for p in target.iterdir()} == {"c.woff": b"3"}
    with pytest.raises(FileNotFoundError):
        write_folder(target, {"d.woff": b"4", "no/such/dir.woff": b"5"})
    assert {p.name: p.read_bytes() for p in target.iterdir()} == {"c.woff": b"3"}
    assert [p.name for p in tmp_path.iterdir()] == ["fonts"]
