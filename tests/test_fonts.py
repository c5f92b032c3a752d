"""Handwriting fonts: fetched from pinned npm packages, drawn as digits in MNIST's form."""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch

from digitlab.core.config import from_dict
from digitlab.core.errors import ConfigError, DataError, DownloadError
from digitlab.mlp.download_fonts import DownloadFontsParams, download_fonts, package_url
from digitlab.mlp.fonts import PENS, font_digits
from digitlab.mlp.training import TrainParams, train

# A real font that every venv has: matplotlib's DejaVu Sans.
DEJAVU = Path(matplotlib.__file__).parent / "mpl-data/fonts/ttf/DejaVuSans.ttf"


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, np.ndarray]:
    """DejaVu Sans drawing 0–9 at each pen width."""
    folder = tmp_path_factory.mktemp("fonts")
    shutil.copy(DEJAVU, folder / "dejavu.ttf")
    return font_digits(folder)


def test_each_font_draws_every_digit_at_every_pen_width(
    drawn: tuple[np.ndarray, np.ndarray],
) -> None:
    """Labels run 0–9, each once per pen width; images are (n, 784) in [0, 1]."""
    images, labels = drawn
    assert images.shape == (10 * len(PENS), 784)
    assert images.dtype == np.float32
    assert labels.tolist() == [d for d in range(10) for _ in PENS]
    assert images.min() >= 0
    assert images.max() <= 1


def test_font_digits_have_mnists_form(drawn: tuple[np.ndarray, np.ndarray]) -> None:
    """MNIST's recipe: the longer side of the ink's box is 20 px, the centre of mass within
    a pixel of the centre; a wider pen lays more ink."""
    images, _ = drawn
    planes = images.reshape(-1, 28, 28)
    rows, cols = np.indices((28, 28))
    for plane in planes:
        ys, xs = np.nonzero(plane > 0.2)
        assert 18 <= max(np.ptp(ys), np.ptp(xs)) + 1 <= 20
        mass = plane.sum()
        assert abs((rows * plane).sum() / mass - 13.5) <= 1
        assert abs((cols * plane).sum() / mass - 13.5) <= 1
    ink = planes.sum(axis=(1, 2)).reshape(10, len(PENS))  # (digit, pen)
    assert (np.diff(ink, axis=1) > 0).all()


def test_a_folder_without_fonts_or_with_a_bad_one_is_one_line(tmp_path: Path) -> None:
    """No fonts names the stage that makes them; a broken file is named."""
    with pytest.raises(
        DataError, match=r"no \.woff or \.ttf fonts; run `dvc repro download_fonts`"
    ):
        font_digits(tmp_path)
    (tmp_path / "broken.woff").write_bytes(b"not a font")
    with pytest.raises(DataError, match=r"broken\.woff: not a font FreeType can read"):
        font_digits(tmp_path)


def _registry(root: Path, fonts: dict[str, bytes], version: str = "5.3.0") -> str:
    """A file:// npm registry holding @fontsource/<font> tarballs laid out like npm's."""
    for name, data in fonts.items():
        url = package_url(root.as_uri(), name, version)
        path = Path(url.removeprefix("file://"))
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for member, body in ((f"package/files/{name}-latin-400-normal.woff", data),
                                 ("package/package.json", b"{}")):  # fmt: skip
                info = tarfile.TarInfo(member)
                info.size = len(body)
                archive.addfile(info, io.BytesIO(body))
        path.write_bytes(buffer.getvalue())
    return root.as_uri()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_npm_gives_each_pinned_woff_out_of_its_package(tmp_path: Path) -> None:
    """Each font's file is taken from registry/@fontsource/<font>/-/<font>-<version>.tgz,
    checked, and the folder holds exactly the pinned fonts."""
    fonts = {"kalam": b"kalam bytes", "caveat": b"caveat bytes"}
    registry = _registry(tmp_path / "npm", fonts)
    params = DownloadFontsParams(registry=registry, fonts={k: _sha(v) for k, v in fonts.items()})
    lines: list[str] = []
    assert download_fonts(params, tmp_path / "out", log=lines.append) == {
        "caveat": "npm", "kalam": "npm"}  # fmt: skip
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == {
        "kalam.woff": b"kalam bytes", "caveat.woff": b"caveat bytes"}  # fmt: skip
    assert lines[0].startswith("download_fonts: 1/2 caveat (12 bytes, npm)")


def test_a_font_of_another_hash_is_refused_and_the_folder_left_as_it_was(
    tmp_path: Path,
) -> None:
    """One line names the font, each source and its reason; nothing is written."""
    registry = _registry(tmp_path / "npm", {"kalam": b"other bytes"})
    (tmp_path / "out").mkdir()
    (tmp_path / "out/old.woff").write_bytes(b"old")
    params = DownloadFontsParams(
        sources=("npm", f"dir:{tmp_path}/none"), registry=registry, fonts={"kalam": "a" * 64}
    )
    with pytest.raises(DownloadError) as caught:
        download_fonts(params, tmp_path / "out", log=lambda _: None)
    message = str(caught.value)
    assert "\n" not in message
    assert (
        f"no source of the font kalam worked (npm: kalam.woff has sha256 {_sha(b'other bytes')}"
        in message
    )
    assert f"dir:{tmp_path}/none: {tmp_path}/none/kalam.woff is not a file" in message
    assert "add 'dir:/that/folder' to download_fonts.sources" in message
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["old.woff"]


def test_an_unreachable_registry_falls_back_to_a_folder_and_is_asked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed fetch goes on to the next source; a registry that cannot be reached is not
    asked again for the other fonts (behind a firewall each try could wait a minute)."""
    import urllib.request

    calls: list[str] = []
    real_urlopen = urllib.request.urlopen

    def counting(url: str, **kwargs: object) -> object:
        calls.append(url)
        return real_urlopen(url, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("digitlab.mlp.download_fonts.urllib.request.urlopen", counting)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine/kalam.woff").write_bytes(b"kalam bytes")
    params = DownloadFontsParams(
        sources=("npm", f"dir:{tmp_path}/mine"),
        registry=(tmp_path / "no-registry").as_uri(),
        fonts={"kalam": _sha(b"kalam bytes")},
    )
    assert download_fonts(params, tmp_path / "out", log=lambda _: None) == {
        "kalam": f"dir:{tmp_path}/mine"}  # fmt: skip


@pytest.mark.parametrize(
    ("values", "key"),
    [({"sources": ["pypi"]}, "sources"), ({"fonts": {}}, "fonts"),
     ({"fonts": {"kalam": "abc"}}, "fonts.kalam"), ({"fonts": {"Bad Name": "a" * 64}}, "fonts")],
)  # fmt: skip
def test_download_fonts_params_are_checked(values: dict[str, object], key: str) -> None:
    """Unknown sources, no fonts, bad names and malformed hashes are refused, naming the key."""
    with pytest.raises(ConfigError, match=rf"download_fonts\.{key}:"):
        from_dict(DownloadFontsParams, {"fonts": {"kalam": "a" * 64}, **values}, "download_fonts")


def _tiny(**overrides: object) -> TrainParams:
    base = {"hidden_sizes": [16], "batch_size": 20, "epochs": 2, "device": "cpu", "validation": 10}
    return from_dict(TrainParams, {**base, **overrides}, where="train")


def test_font_digits_join_training_only_when_asked(drawn: tuple[np.ndarray, np.ndarray]) -> None:
    """train.fonts: 0 gives the bytes of a run without fonts; k > 0 adds each font digit k
    times an epoch to the training images, never to the validation ones."""
    generator = torch.Generator().manual_seed(0)
    images, labels = torch.rand(60, 784, generator=generator), torch.arange(60) % 10
    fonts = (torch.from_numpy(drawn[0]), torch.from_numpy(drawn[1]))
    plain, _ = train(_tiny(), images, labels, log=lambda _: None)
    off, _ = train(_tiny(), images, labels, log=lambda _: None, fonts=fonts)
    weights = zip(plain.state_dict().values(), off.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in weights)
    lines: list[str] = []
    _, history = train(_tiny(fonts=2), images, labels, log=lines.append, fonts=fonts)
    assert (
        lines[0] == f"train: with {len(PENS) * 10} handwriting-font digits, each 2 times an epoch"
    )
    assert f"{50 + 2 * len(PENS) * 10} images, 10 held out for validation" in lines[1]
    assert "val_accuracy" in history.rows[-1]


def test_the_font_sheet_shows_every_font_or_says_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """make fonts draws one row per font into a PNG; with no fonts, one line and exit 1."""
    from digitlab.lab.fontsheet import main

    (tmp_path / "fonts").mkdir()
    assert main(["--fonts", str(tmp_path / "fonts"), "--out", str(tmp_path / "s.png")]) == 1
    assert capsys.readouterr().err.strip().endswith("run `dvc repro download_fonts`")
    assert not (tmp_path / "s.png").exists()
    shutil.copy(DEJAVU, tmp_path / "fonts/dejavu.ttf")
    assert main(["--fonts", str(tmp_path / "fonts"), "--out", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
