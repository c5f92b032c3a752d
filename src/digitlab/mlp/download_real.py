"""Fetch the real-handwriting test digits: UCI's optical-recognition set, as scikit-learn ships it.

1,797 digits of 8×8 in 17 grey levels, by 43 writers who are not MNIST's (CC BY 4.0). The
file is taken out of a pinned scikit-learn wheel by `pip download`; scikit-learn is never
installed or imported. Sources are tried in order, and the file must have the pinned SHA-256.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from digitlab.core.config import require
from digitlab.core.errors import DownloadError
from digitlab.core.io import write_bytes
from digitlab.mlp.fetch import SourceError, sha256, wheel_member

MEMBER = "sklearn/datasets/data/digits.csv.gz"


@dataclass(frozen=True)
class DownloadRealParams:
    """Params `download_real`: sources in order, the pinned wheel and the file's SHA-256."""

    sources: tuple[str, ...] = ("pypi",)
    sha256: str = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
    pypi_requirement: str = "scikit-learn==1.7.2"
    # One wheel for every machine: the same bytes wherever pip runs, so one hash pins it.
    pypi_platform: str = "manylinux_2_17_x86_64"
    pypi_python: str = "3.11"
    pypi_sha256: str = "89877e19a80c7b11a2891a27c21c4894fb18e2c2e077815bcade10d34287b20d"

    def __post_init__(self) -> None:
        require(len(self.sources) >= 1, "sources", list(self.sources), "at least one source")
        for source in self.sources:
            ok = source == "pypi" or source.startswith("dir:")
            require(ok, "sources", source, "'pypi' or 'dir:/folder/holding/digits.csv.gz'")
        for key in ("sha256", "pypi_sha256"):
            value = getattr(self, key)
            ok = len(value) == 64 and all(c in "0123456789abcdef" for c in value)
            require(ok, key, value, "64 lower-case hex digits")

    def pip_options(self) -> list[str]:
        """pip download options that pick the pinned wheel whatever this machine is."""
        return [
            "--only-binary=:all:", "--platform", self.pypi_platform,
            "--python-version", self.pypi_python, "--implementation", "cp",
        ]  # fmt: skip


def download_real(params: DownloadRealParams, out: Path, log: Callable[[str], None] = print) -> str:
    """Write the checked digits.csv.gz to `out` from the first source that works; its name.

    DownloadError, naming every source tried and why it failed, if none worked.
    """
    failures = []
    for source in params.sources:
        log(f"download_real: trying {source}")
        try:
            data = _fetch(source, params, log)
            found = sha256(data)
            if found != params.sha256:
                raise SourceError(f"digits.csv.gz has sha256 {found}, expected {params.sha256}")
        except SourceError as err:
            failures.append(f"{source}: {err}")
            log(f"download_real: {source} failed: {err}")
            continue
        write_bytes(out, data)
        log(f"download_real: {len(data):,} bytes verified from {source}")
        return source
    raise DownloadError(
        f"no source of the real-handwriting digits worked ({'; '.join(failures)}). To place the "
        f"file by hand, copy {MEMBER} out of any scikit-learn into a folder and add "
        "'dir:/that/folder' to download_real.sources in params.yaml"
    )


def _fetch(source: str, params: DownloadRealParams, log: Callable[[str], None]) -> bytes:
    if source == "pypi":
        return wheel_member(
            params.pypi_requirement, params.pypi_sha256, MEMBER, params.pip_options(), log
        )
    path = Path(source.removeprefix("dir:")).expanduser() / "digits.csv.gz"
    if not path.is_file():
        raise SourceError(f"{path} is not a file")
    return path.read_bytes()
