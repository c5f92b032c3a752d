"""Preprocessing of users' pictures into MNIST-style 28×28 digits."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitlab.core.errors import ImageError
from digitlab.mlp.preprocess import load_digit, read_digit, to_mnist


def _seven(width: int = 300, height: int = 500, ink: int = 255, paper: int = 0) -> Image.Image:
    """A thick '7' drawn on a grayscale canvas."""
    image = Image.new("L", (width, height), paper)
    draw = ImageDraw.Draw(image)
    draw.line(
        [(0.2 * width, 0.2 * height), (0.8 * width, 0.2 * height)], fill=ink, width=width // 10
    )
    draw.line(
        [(0.8 * width, 0.2 * height), (0.4 * width, 0.85 * height)], fill=ink, width=width // 10
    )
    return image


def _box(digit: np.ndarray) -> tuple[int, int]:
    rows, cols = np.nonzero(digit > 0.05)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def test_result_is_mnist_shaped_with_the_digit_in_a_20_box() -> None:
    """A 300×500 picture becomes 28×28 in [0, 1] with its longer side scaled to about 20."""
    digit = to_mnist(_seven())
    assert digit.shape == (28, 28)
    assert digit.dtype == np.float32
    assert digit.min() >= 0
    assert digit.max() <= 1
    assert max(_box(digit)) in (20, 21)  # Lanczos may bleed one pixel


def test_centre_of_mass_is_at_the_centre() -> None:
    """The digit's centre of mass lands within a pixel of the image centre."""
    digit = to_mnist(_seven(width=500, height=300))
    rows, cols = np.indices(digit.shape)
    centre = ((rows * digit).sum() / digit.sum(), (cols * digit).sum() / digit.sum())
    assert centre == pytest.approx((13.5, 13.5), abs=1.0)


def test_dark_on_light_is_inverted() -> None:
    """Black ink on white paper gives the same image as white ink on black."""
    normal = to_mnist(_seven())
    inverted = to_mnist(_seven(ink=0, paper=255))
    np.testing.assert_allclose(inverted, normal, atol=1e-6)


def test_rgba_with_transparent_background() -> None:
    """A dark stroke on a transparent background reads like ink on paper."""
    alpha = _seven()
    rgba = Image.merge("RGBA", [Image.new("L", alpha.size, 20)] * 3 + [alpha])
    np.testing.assert_allclose(to_mnist(rgba), to_mnist(_seven()), atol=0.02)


@pytest.mark.parametrize("mode", ["RGB", "P", "1", "LA"])
def test_other_modes_give_the_same_digit(mode: str) -> None:
    """RGB, palette, bilevel and gray+alpha pictures all read as the same digit."""
    converted = _seven().convert(mode)
    assert np.abs(to_mnist(converted) - to_mnist(_seven())).max() < 0.05


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP"])
def test_files_in_common_formats_load(tmp_path: Path, fmt: str) -> None:
    """PNG, JPEG and BMP files load to the same 28×28 digit, up to JPEG's loss."""
    path = tmp_path / f"seven.{fmt.lower()}"
    _seven(ink=0, paper=255).convert("RGB").save(path, format=fmt)
    assert np.abs(load_digit(path) - to_mnist(_seven())).max() < 0.15


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "blank image: no ink found"),
        (b"", "empty file"),
        (b"hello, I am text", "not an image"),
    ],
)
def test_unusable_files_raise_one_clear_error(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    """A blank picture, an empty file and a text file each get a one-line reason."""
    path = tmp_path / "digit.png"
    if content is None:
        Image.new("RGB", (64, 64), (255, 255, 255)).save(path)
    else:
        path.write_bytes(content)
    with pytest.raises(ImageError, match=message):
        load_digit(path)


def test_missing_file_is_reported() -> None:
    """A path that does not exist is an error for that file."""
    with pytest.raises(ImageError, match=r"^file not found$"):
        load_digit(Path("/no/such/digit.png"))


def test_a_solid_block_lands_exactly_where_mnist_would_put_it() -> None:
    """Oracle by hand: a 40×20 block is cropped, halved to 20×10 and centred by mass at
    (13.5, 13.5), so it fills rows 4..23 and columns 9..18 with full ink."""
    picture = np.zeros((100, 100), dtype=np.uint8)
    picture[30:70, 50:70] = 150  # grey ink: the map is scaled so the darkest stroke is 1
    expected = np.zeros((28, 28), dtype=np.float32)
    expected[4:24, 9:19] = 1.0
    np.testing.assert_array_equal(to_mnist(Image.fromarray(picture)), expected)


def test_faint_specks_below_a_fifth_of_the_ink_do_not_widen_the_crop() -> None:
    """The bounding box counts pixels above 20 % of the strongest ink only."""
    picture = np.zeros((100, 100), dtype=np.uint8)
    picture[30:70, 50:70] = 250
    picture[5, 5] = 49  # 19.6 % of 250: ignored by the crop, so the block still fills 20 rows
    digit = to_mnist(Image.fromarray(picture))
    assert _box(np.where(digit > 0.5, digit, 0)) == (20, 10)


def test_palette_image_with_a_transparent_colour_reads_like_paper() -> None:
    """A 'P' picture whose background colour is marked transparent reads like ink on paper."""
    paper = _seven(ink=0, paper=255).convert("P")
    paper.info["transparency"] = paper.getpixel((0, 0))
    np.testing.assert_allclose(to_mnist(paper), to_mnist(_seven()), atol=0.02)


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="png")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("side", "message"),
    [
        (6000, "36,000,000 pixels is over the limit of 25,000,000; scale it down first"),
        (16000, "256,000,000 pixels is over the limit of 25,000,000; scale it down first"),
    ],
)
def test_pixel_bombs_are_refused_with_their_size(side: int, message: str) -> None:
    """Over our cap (6000²) or over PIL's own guard (16000²): one line with the pixel count."""
    with pytest.raises(ImageError) as caught:
        read_digit(_png_bytes(Image.new("1", (side, side), 1)))
    assert str(caught.value) == message


def test_an_image_at_the_pixel_cap_is_read() -> None:
    """Exactly MAX_PIXELS is allowed: the cap is a strict upper bound."""
    image = Image.new("L", (5000, 5000), 0)
    ImageDraw.Draw(image).line([(2500, 500), (2500, 4500)], fill=255, width=400)
    assert read_digit(_png_bytes(image)).shape == (28, 28)


def test_truncated_and_unreadable_files_say_why() -> None:
    """A PNG cut short cannot be decoded; a folder cannot be read; both say so in one line."""
    whole = _png_bytes(_seven())
    with pytest.raises(ImageError, match=r"^cannot decode the image \(.+\)$"):
        read_digit(whole[: len(whole) // 2])
    with pytest.raises(ImageError, match=r"^cannot read the file \(Is a directory\)$"):
        load_digit(Path("/"))
    with pytest.raises(ImageError, match=r"^empty file$"):
        read_digit(b"")
