"""Preprocessing of users' pictures into MNIST-style 28×28 digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitlab.digits import load_digit, to_mnist
from digitlab.errors import ImageError


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
    with pytest.raises(ImageError, match="file not found"):
        load_digit(Path("/no/such/digit.png"))
