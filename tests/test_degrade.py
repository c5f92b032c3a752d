"""Robustness degradations on tiny inputs: each does what its name says, and nothing else."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from digitlab.mlp.degrade import (
    RobustnessParams,
    degradations,
    jpeg,
    rotate,
    shift,
    shrink_and_refit,
    slant,
    stretch_and_refit,
    thicken,
    thin,
)
from digitlab.mlp.imageops import area_bilinear_round_trip


def _square(top: int = 10, left: int = 10, side: int = 6) -> torch.Tensor:
    """One image (1, 784): a bright square on black."""
    image = torch.zeros(1, 28, 28)
    image[0, top : top + side, left : left + side] = 1.0
    return image.reshape(1, 784)


def test_shifting_there_and_back_is_the_identity_inside_the_frame() -> None:
    """Ink that stays inside the 28×28 frame comes back exactly where it was."""
    images = torch.rand(4, 784) * _square(8, 8, 12)  # content well inside the frame
    rows, cols = torch.tensor([3, -3, 0, 2]), torch.tensor([0, 3, -3, -2])
    assert torch.equal(shift(shift(images, rows, cols), -rows, -cols), images)


def test_shift_moves_by_whole_pixels_and_fills_black() -> None:
    """A square at (10, 10) shifted by (3, −2) sits at (13, 8); ink pushed out is gone."""
    moved = shift(_square(), torch.tensor([3]), torch.tensor([-2]))
    assert torch.equal(moved, _square(13, 8))
    edge = shift(_square(0, 0), torch.tensor([-3]), torch.tensor([0]))
    assert float(edge.sum()) == 3 * 6


def test_thick_strokes_grow_by_one_pixel_and_thin_ones_shrink() -> None:
    """A 6×6 square becomes 8×8 when thickened and 5×5 when thinned; a lone pixel vanishes."""
    assert torch.equal(thicken(_square()), _square(9, 9, 8))
    assert torch.equal(thin(_square()), _square(10, 10, 5))
    assert float(thin(_square(5, 5, 1)).sum()) == 0


def test_rotation_by_zero_is_the_identity_and_by_90_turns_the_image() -> None:
    """0° changes nothing; 90° maps an off-centre bar onto the matching bar turned."""
    image = torch.zeros(1, 28, 28)
    image[0, 4:24, 20:22] = 1.0  # a vertical bar right of centre
    flat = image.reshape(1, 784)
    torch.testing.assert_close(rotate(flat, torch.tensor([0.0])), flat, atol=1e-5, rtol=0)
    turned = rotate(flat, torch.tensor([90.0])).reshape(28, 28)
    assert torch.allclose(turned, torch.rot90(image[0], 1), atol=1e-4) or torch.allclose(
        turned, torch.rot90(image[0], -1), atol=1e-4
    )


def test_low_resolution_round_trip_keeps_shape_and_range() -> None:
    """Down to 10×10 and back: (n, 784), values in [0, 1], the digit still in the middle."""
    out = shrink_and_refit(torch.cat([_square(4, 4, 14), torch.zeros(1, 784)]), 10)
    assert out.shape == (2, 784)
    assert float(out.min()) >= 0
    assert float(out.max()) <= 1
    assert float(out[1].sum()) == 0  # a blank image stays blank
    planes = out[0].reshape(28, 28)
    assert float(planes[4:24, 4:24].sum()) > 0.95 * float(planes.sum())


def test_jpeg_at_high_quality_is_close_and_at_low_quality_is_not() -> None:
    """JPEG keeps shape and range; quality 95 stays near the original, quality 5 drifts."""
    image = _square(6, 6, 16)
    good, bad = jpeg(image, 95), jpeg(image, 5)
    assert good.shape == bad.shape == (1, 784)
    assert float((good - image).abs().max()) < 0.2
    assert float((bad - image).abs().max()) > float((good - image).abs().max())


def test_degradations_are_named_seeded_and_shape_preserving() -> None:
    """Nine named maps; the same seed gives the same degraded batch, every output (n, 784)."""
    images = torch.rand(5, 784) * _square(6, 6, 16)
    first = degradations(RobustnessParams(seed=1), 5)
    again = degradations(RobustnessParams(seed=1), 5)
    assert list(first) == ["low_resolution", "thick_strokes", "thin_strokes", "shift",
                           "rotate", "blur", "jpeg", "aspect", "slant"]  # fmt: skip
    for name, degrade in first.items():
        out = degrade(images)
        assert out.shape == (5, 784), name
        assert torch.equal(out, again[name](images)), name


@pytest.mark.parametrize("key", ["low_resolution", "shift_pixels", "jpeg_quality"])
def test_out_of_range_robustness_params_are_rejected(key: str) -> None:
    """Each bound is checked, naming the key."""
    from digitlab.core.config import from_dict
    from digitlab.core.errors import ConfigError

    with pytest.raises(ConfigError, match=rf"evaluate\.robustness\.{key}"):
        from_dict(RobustnessParams, {key: 0}, where="evaluate.robustness")


def test_the_two_low_resolutions_differ_only_in_refitting_the_digit() -> None:
    """Training's area_bilinear_round_trip leaves a small off-centre digit where it was;
    evaluate's shrink_and_refit re-fits it into MNIST's centred 20×20 box, as read_digit
    would a user's small picture."""
    image = _square(top=3, left=3, side=4)  # (1, 784): centred at (4.5, 4.5), off MNIST's centre
    kept = area_bilinear_round_trip(image.view(1, 1, 28, 28), 14).view(28, 28)
    refitted = shrink_and_refit(image, 14).view(28, 28)

    def centre(plane: torch.Tensor) -> tuple[float, float]:
        rows, cols = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
        ink = plane.sum()
        return float((rows * plane).sum() / ink), float((cols * plane).sum() / ink)

    assert max(abs(c - 4.5) for c in centre(kept)) < 1  # still near the corner
    assert max(abs(c - 14) for c in centre(refitted)) < 1.5  # centred like MNIST
    assert int((refitted > 0.5).sum()) > 10 * int((kept > 0.5).sum())  # grown to the box


def _ink_box(image: torch.Tensor) -> tuple[int, int]:
    """(height, width) of the ink's bounding box in a (784,) image, ink above 0.3."""
    rows, cols = torch.nonzero(image.view(28, 28) > 0.3, as_tuple=True)
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


def test_a_stretched_square_is_refitted_wider_by_the_stretch() -> None:
    """stretch_and_refit of a square by 1.5 along x fits the 20-pixel box: 20 wide, about
    20 / 1.5 tall; along y the other way round. A blank image stays blank."""
    square = _square(9, 9, 10)
    wide = stretch_and_refit(square, torch.tensor([1.5]), torch.tensor([True]))[0]
    tall = stretch_and_refit(square, torch.tensor([1.5]), torch.tensor([False]))[0]
    height, width = _ink_box(wide)
    assert width == 20
    assert abs(height - 20 / 1.5) <= 1.5
    assert _ink_box(tall)[::-1] == (height, width)
    blank = stretch_and_refit(torch.zeros(1, 784), torch.tensor([1.5]), torch.tensor([True]))
    assert float(blank.abs().max()) == 0.0


def test_slant_leans_a_vertical_bar_by_the_shear() -> None:
    """A vertical bar sheared by s has its ink centre move −s pixels per row (least squares
    over the rows it covers), and 0 leaves it as it was."""
    bar = torch.zeros(1, 28, 28)
    bar[0, 4:24, 13:15] = 1.0
    bar = bar.reshape(1, 784)
    for shear in (0.3, -0.3):
        plane = slant(bar, torch.tensor([shear]))[0].view(28, 28)
        rows = torch.arange(6, 22)
        centres = [float((plane[r] * torch.arange(28.0)).sum() / plane[r].sum()) for r in rows]
        slope = np.polyfit(rows.numpy().astype(float), centres, 1)[0]
        assert slope == pytest.approx(-shear, abs=0.02)
    torch.testing.assert_close(slant(bar, torch.tensor([0.0])), bar, atol=1e-6, rtol=0)


def test_the_new_degradations_draw_after_the_old_ones() -> None:
    """Changing aspect or slant settings moves none of the older degraded copies: their
    draws come first from the same seed."""
    images = torch.rand(16, 784, generator=torch.Generator().manual_seed(5))
    first = degradations(RobustnessParams(seed=2), 16)
    other = degradations(RobustnessParams(seed=2, aspect_min=1.1, aspect_max=2.0, slant=0.9), 16)
    for name in ("shift", "rotate"):
        assert torch.equal(first[name](images), other[name](images)), name
    assert list(first)[-2:] == ["aspect", "slant"]
    assert not torch.equal(first["slant"](images), other["slant"](images))
