"""`digitlab serve --collect DIR`: labelled drawings kept as DIR/<label>/<sha256>.png.

The server alone makes every name: the label must be one digit, and the file is named
by the sha256 of its PNG bytes, so nothing from a request reaches a path and the same
drawing is stored once. One lock serialises the check-then-write of each request.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

from PIL import Image

from digitlab.core.errors import ImageError
from digitlab.core.io import write_bytes
from digitlab.mlp import mine
from digitlab.mlp.preprocess import read_digit

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_FILES, MAX_MB = 10_000, 50


class CollectError(Exception):
    """A refused request: the HTTP status and a one-line reason."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def as_png(data: bytes) -> bytes:
    """The bytes to store: a PNG as it came, any other picture converted to PNG.

    ImageError if the bytes are not a picture of a digit (the page's own check).
    """
    read_digit(data)  # not an image, too big, or no ink: refused before anything is written
    if data.startswith(PNG_SIGNATURE):
        return data
    with Image.open(io.BytesIO(data)) as image:
        converted = image if image.mode in ("1", "L", "LA", "RGB", "RGBA") else image.convert("RGB")
        buffer = io.BytesIO()
        converted.save(buffer, "PNG")
    return buffer.getvalue()


def parse_label(label: str | None) -> int:
    """The digit 0-9 that `label` names; CollectError 400 otherwise."""
    if label is None or label not in mine.LABELS:
        shown = "missing" if label is None else repr(label[:20])
        raise CollectError(HTTPStatus.BAD_REQUEST, f"label must be one digit 0-9 (got {shown})")
    return int(label)


@dataclass
class Collection:
    """The folder the page saves to, with its caps on file count and total size."""

    root: Path
    max_files: int = MAX_FILES
    max_mb: float = MAX_MB
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def save(self, data: bytes, label: str | None) -> tuple[HTTPStatus, dict[str, Any]]:
        """Store `data` under `label`: 201 when new, 200 when it was there (or is moved to the
        label now given: a correction). CollectError, with nothing written, if refused."""
        digit = parse_label(label)
        try:
            png = as_png(data)
        except ImageError as err:
            raise CollectError(HTTPStatus.BAD_REQUEST, str(err)) from None
        sha = hashlib.sha256(png).hexdigest()
        target = self.root / str(digit) / f"{sha}.png"
        with self.lock, writing(self.root):
            found = self._find(sha)
            if found is None:
                self._check_room(len(png))
                write_bytes(target, png)
                status, answer = HTTPStatus.CREATED, {}
            elif found != target:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(found, target)
                status, answer = HTTPStatus.OK, {"moved_from": int(found.parent.name)}
            else:
                status, answer = HTTPStatus.OK, {}
            count = mine.counts(self.root)[str(digit)]
        return status, {"path": str(target), "label": digit, "count": count, "sha256": sha} | answer

    def delete(self, sha: str) -> dict[str, Any]:
        """Delete the file of this sha256, under whichever label; CollectError 400 or 404."""
        if not SHA256.fullmatch(sha):
            raise CollectError(HTTPStatus.BAD_REQUEST, "give the sha256 of a saved digit")
        with self.lock, writing(self.root):
            found = self._find(sha)
            if found is None:
                raise CollectError(HTTPStatus.NOT_FOUND, f"no saved digit {sha[:12]}…")
            found.unlink()
            label = found.parent.name
            return {"deleted": str(found), "label": int(label), "count": self.counts()[label]}

    def counts(self) -> dict[str, int]:
        """{label: files saved} for the ten labels."""
        return mine.counts(self.root)

    def describe(self) -> dict[str, Any]:
        """GET /api/collect: the folder, the counts, and the caps."""
        counts = self.counts()
        return {
            "dir": str(self.root),
            "counts": counts,
            "total": sum(counts.values()),
            "max_files": self.max_files,
            "max_mb": self.max_mb,
        }

    def check_writable(self) -> None:
        """CollectError 500 if the folder cannot be made or written (checked at start)."""
        with writing(self.root):
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".write-check"
            probe.write_bytes(b"")
            probe.unlink()

    def _find(self, sha: str) -> Path | None:
        paths = (self.root / label / f"{sha}.png" for label in mine.LABELS)
        return next((path for path in paths if path.is_file()), None)

    def _check_room(self, new_bytes: int) -> None:
        stored = mine.files(self.root)
        if len(stored) + 1 > self.max_files:
            raise CollectError(
                HTTPStatus.INSUFFICIENT_STORAGE,
                f"{self.root} holds {len(stored):,} files, the cap; raise --collect-max-files",
            )
        total = sum(path.stat().st_size for _, path in stored) + new_bytes
        if total > self.max_mb * 1024 * 1024:
            raise CollectError(
                HTTPStatus.INSUFFICIENT_STORAGE,
                f"{self.root} would pass {self.max_mb:g} MB, the cap; raise --collect-max-mb",
            )


@contextmanager
def writing(root: Path) -> Iterator[None]:
    """Turn an OSError while touching root into CollectError 500 that names the folder."""
    try:
        yield
    except OSError as err:
        raise CollectError(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            f"cannot write to {root} ({err.strerror or err}); "
            "--collect must name a folder you can write",
        ) from None
