"""Atomic output writers: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # the server writes through this module and never draws a figure
    from matplotlib.figure import Figure


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        tmp.chmod(0o666 & ~_umask())  # mkstemp makes 0600 files; give the usual mode
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path: Path, data: bytes) -> None:
    """Write `data`, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: Path, text: str) -> None:
    """Write `text` with \\n line endings, atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_with(path: Path, write: Callable[[IO[bytes]], Any]) -> None:
    """Let `write` fill a binary file object, then move the result onto `path`."""
    with atomic_path(path) as tmp, tmp.open("wb") as handle:
        write(handle)


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write a JSON object, keys in the given order, atomically."""
    write_text(path, json.dumps(data, indent=2) + "\n")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a CSV table with \\n line endings, atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_text(path, buffer.getvalue())


def save_figure(path: Path, figure: Figure) -> None:
    """Save a matplotlib figure as PNG without timestamps, so reruns give equal bytes."""
    write_with(
        path, lambda f: figure.savefig(f, format="png", dpi=100, metadata={"Software": None})
    )


def write_folder(folder: Path, files: Mapping[str, bytes]) -> None:
    """Make `folder` hold exactly `files` (name: bytes), swapped in whole: never half a folder."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    old = staging.with_suffix(".old")
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes a 0700 folder; give the usual mode
        if folder.exists():
            folder.rename(old)  # renames, not copies, on one disk
        staging.rename(folder)
    finally:
        for leftover in (staging, old):
            if leftover.exists():
                for path in leftover.iterdir():
                    path.unlink()
                leftover.rmdir()
