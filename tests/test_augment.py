"""Training distortions: identity at zero, seeded, and a Gaussian blur that matches numpy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from digitlab.mlp.augment import AugmentParams, distort, warp
from digitlab.mlp.imageops import (
    affine_grid,
    area_bilinear_round_trip,
    blur_each,
    dilate,
    erode,
    fill_box,
    gaussian_blur,
    ink_box,
)


def _digits(n: int = 6) -> torch.Tensor:
    """n random blobs (n, 784) in [0, 1] with an empty border."""
    images = torch.zeros(n, 28, 28)
    images[:, 8:20, 10:18] = torch.rand(n, 12, 8, generator=torch.Generator().manual_seed(0))
    return images.reshape(n, 784)


def test_zero_distortion_is_the_identity() -> None:
    """With every magnitude 0 the grid hits pixel centres: images come back as they were."""
    images = _digits()
    out = distort(images, AugmentParams(), torch.Generator().manual_seed(1))
    torch.testing.assert_close(out, images, atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    "params",
    [AugmentParams(shift_pixels=2, rotate_degrees=10, scale=0.1), AugmentParams(elastic_alpha=34)],
)
def test_distortions_follow_the_generator(params: AugmentParams) -> None:
    """One seed gives the same distorted batch; another seed another batch; each image differs."""
    images = _digits()
    first = distort(images, params, torch.Generator().manual_seed(3))
    again = distort(images, params, torch.Generator().manual_seed(3))
    other = distort(images, params, torch.Generator().manual_seed(4))
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert not torch.allclose(first, images, atol=1e-3)
    assert 0.7 < float(first.sum() / images.sum()) < 1.3  # ink moved, not lost


def test_a_shift_only_distortion_moves_ink_at_most_that_far() -> None:
    """shift_pixels=2: every image's centre of mass moves by at most 2 pixels per axis."""
    images = _digits(20)
    out = distort(images, AugmentParams(shift_pixels=2), torch.Generator().manual_seed(0))
    rows, cols = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")

    def centre(batch: torch.Tensor) -> torch.Tensor:  # (n, 2)
        planes = batch.reshape(-1, 28, 28)
        mass = planes.sum((1, 2))
        return (
            torch.stack([(planes * rows).sum((1, 2)), (planes * cols).sum((1, 2))], 1)
            / mass[:, None]
        )

    moved = (centre(out) - centre(images)).abs()
    assert float(moved.max()) <= 2.05
    assert float(moved.max()) > 0.5


def test_gaussian_blur_of_an_impulse_is_the_normalised_gaussian() -> None:
    """Oracle: numpy's outer product of exp(−x²/2σ²), normalised, around an interior impulse."""
    sigma = 1.5
    impulse = torch.zeros(1, 2, 28, 28)
    impulse[0, :, 14, 13] = 1.0
    out = gaussian_blur(impulse, sigma)[0, 0].numpy()
    offsets = np.arange(-5, 6)
    g = np.exp(-(offsets**2) / (2 * sigma**2))
    g /= g.sum()
    np.testing.assert_allclose(out[9:20, 8:19], np.outer(g, g), atol=1e-6)
    assert out.sum() == pytest.approx(1.0, abs=1e-5)


def test_gaussian_blur_at_the_frame_edge_loses_what_falls_off_the_frame() -> None:
    """Zero padding: an impulse in the corner keeps only the kernel's inner quarter, as
    numpy's convolution of the padded frame gives it."""
    sigma = 4.0
    impulse = torch.zeros(1, 1, 28, 28, dtype=torch.float64)
    impulse[0, 0, 0, 1] = 1.0
    out = gaussian_blur(impulse, sigma)[0, 0].numpy()
    offsets = np.arange(-12, 13)
    g = np.exp(-(offsets**2) / (2 * sigma**2))
    g /= g.sum()
    expected = np.zeros((28 + 24, 28 + 24))
    expected[0:25, 1:26] = np.outer(g, g)  # the kernel centred on (0, 1) of the padded frame
    np.testing.assert_allclose(out, expected[12:40, 12:40], atol=1e-12)


def test_elastic_params_are_checked() -> None:
    """An out-of-range elastic sigma is rejected, naming the key."""
    from digitlab.core.errors import ConfigError

    with pytest.raises(ConfigError, match="elastic_sigma"):
        AugmentParams(elastic_sigma=0.0)


REAL_INPUT = [
    AugmentParams(dilate_probability=0.5, erode_probability=0.3),
    AugmentParams(lowres_probability=0.8),
    AugmentParams(blur_sigma=1.5),
    AugmentParams(ink_level=0.5, contrast=0.7),
    AugmentParams(fill_probability=0.8),
]


@pytest.mark.parametrize("params", REAL_INPUT)
def test_real_input_distortions_follow_the_generator(params: AugmentParams) -> None:
    """Each real-input distortion is drawn from the generator alone: same seed, same batch."""
    images = _digits(12)
    first = distort(images, params, torch.Generator().manual_seed(3))
    assert torch.equal(first, distort(images, params, torch.Generator().manual_seed(3)))
    assert not torch.equal(first, distort(images, params, torch.Generator().manual_seed(4)))
    assert first.shape == (12, 784)


def test_the_affine_grid_is_torchs_to_float_rounding() -> None:
    """Oracle: torch's affine_grid (align_corners=False) for 64 random maps, within 1e-6."""
    theta = torch.randn(64, 2, 3, generator=torch.Generator().manual_seed(0))
    expected = torch.nn.functional.affine_grid(theta, [64, 1, 28, 28], align_corners=False)
    torch.testing.assert_close(affine_grid(theta), expected, atol=1e-6, rtol=0)


def test_the_affine_grid_keeps_the_einsums_bits_with_each_image_in_its_own_block() -> None:
    """Oracle: the einsum it replaced, bit for bit from 6 maps up (so the presets' batches
    and evaluate's sets come out as before; for 2 to 5 maps the einsum sums in another
    order), with each image's grid in one block of memory: grid_sample took about three
    times as long on the einsum's layout, the images interleaved (784, n, 2)."""
    centres = torch.linspace(-1, 1, 28) * (27 / 28)
    y, x = torch.meshgrid(centres, centres, indexing="ij")
    points = torch.stack([x.reshape(-1), y.reshape(-1), torch.ones(784)], 1)  # (784, 3)
    for n in (6, 100, 512):
        theta = torch.randn(n, 2, 3, generator=torch.Generator().manual_seed(n))
        grid = affine_grid(theta)
        expected = torch.einsum("pk,njk->npj", points, theta).reshape(n, 28, 28, 2)
        assert torch.equal(grid, expected)
        assert grid.stride(0) == 784 * 2


def test_real_input_distortions_draw_nothing_when_off() -> None:
    """With only the affine map on, distort is warp exactly and leaves the generator the
    same, so presets from before these distortions train the same bytes."""
    images, params = _digits(), AugmentParams(shift_pixels=2, rotate_degrees=5)
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    assert torch.equal(distort(images, params, g1), warp(images, params, g2))
    assert torch.equal(g1.get_state(), g2.get_state())


def _block() -> torch.Tensor:
    """One (1, 1, 28, 28) image: a 4×6 block of ink at rows 10..13, columns 8..13."""
    planes = torch.zeros(1, 1, 28, 28)
    planes[0, 0, 10:14, 8:14] = 1
    return planes


def test_dilation_grows_a_block_by_one_pixel_on_each_side() -> None:
    """The 4×6 block becomes 6×8, one pixel more above, below, left and right."""
    rows, cols = torch.nonzero(dilate(_block())[0, 0] > 0, as_tuple=True)
    assert (int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())) == (9, 14, 7, 14)


def test_erosion_shrinks_a_block_by_one_row_and_one_column() -> None:
    """A 2×2 erosion keeps the pixels whose 2×2 neighbourhood (down, right) is all ink: 3×5."""
    kept = erode(_block())[0, 0] > 0
    assert int(kept.sum()) == 3 * 5
    assert bool(kept[10:13, 8:13].all())


def test_dilate_probability_one_dilates_every_image() -> None:
    """At probability 1 every image of the batch is the dilated image."""
    images = _digits()
    out = distort(images, AugmentParams(dilate_probability=1), torch.Generator())
    torch.testing.assert_close(out, dilate(images.view(-1, 1, 28, 28)).view(-1, 784))


@pytest.mark.parametrize("side", range(4, 29))
def test_the_round_trip_is_torchs_area_then_bilinear_resampling(side: int) -> None:
    """Oracle: torch's interpolate, area down to side×side then bilinear up (align_corners
    False), for each side, within float rounding; a batch of mixed sides, image by image."""
    planes = torch.rand(6, 1, 28, 28, generator=torch.Generator().manual_seed(side))
    down = torch.nn.functional.interpolate(planes, size=(side, side), mode="area")
    expected = torch.nn.functional.interpolate(
        down, size=(28, 28), mode="bilinear", align_corners=False
    )
    torch.testing.assert_close(area_bilinear_round_trip(planes, side), expected, atol=2e-6, rtol=0)
    sides = torch.tensor([side, 4, 28, 9, side, 13])
    mixed = area_bilinear_round_trip(planes, sides)
    for i, each in enumerate(sides.tolist()):
        torch.testing.assert_close(mixed[i], area_bilinear_round_trip(planes[i : i + 1], each)[0])


def test_low_resolution_round_trip_at_full_size_is_the_identity() -> None:
    """Down to 28×28 and back up changes nothing."""
    planes = _digits().view(-1, 1, 28, 28)
    torch.testing.assert_close(area_bilinear_round_trip(planes, 28), planes, atol=1e-6, rtol=0)


def test_low_resolution_keeps_the_mean_ink_and_loses_detail() -> None:
    """Area averaging keeps the mean; a 7×7 trip blurs a one-pixel line across its neighbours."""
    planes = torch.zeros(1, 1, 28, 28)
    planes[0, 0, :, 14] = 1
    out = area_bilinear_round_trip(planes, 7)
    assert abs(float(out.mean() - planes.mean())) < 0.01
    assert float(out[0, 0, 5, 13]) > 0.05
    assert float(out[0, 0, 5, 14]) < 0.9


def test_lowres_probability_one_with_one_side_is_that_round_trip() -> None:
    """min_side = max_side = 9 at probability 1 is exactly the 9-pixel round trip."""
    images = _digits()
    params = AugmentParams(lowres_probability=1, lowres_min_side=9, lowres_max_side=9)
    out = distort(images, params, torch.Generator().manual_seed(0))
    torch.testing.assert_close(
        out, area_bilinear_round_trip(images.view(-1, 1, 28, 28), 9).view(-1, 784)
    )


def test_per_image_blur_matches_the_shared_gaussian_blur() -> None:
    """Image i blurred at sigma i equals gaussian_blur at that sigma; sigma 0 is the identity."""
    planes = _digits(3).view(3, 1, 28, 28)
    sigmas = torch.tensor([0.0, 0.8, 1.6])
    out = blur_each(planes, sigmas)
    torch.testing.assert_close(out[0], planes[0], atol=1e-6, rtol=0)
    for i in (1, 2):
        expected = gaussian_blur(planes[i : i + 1], float(sigmas[i]))[0]
        torch.testing.assert_close(out[i], expected, atol=1e-5, rtol=0)


def test_ink_level_and_contrast_keep_paper_black_and_scale_the_ink() -> None:
    """Background stays 0; the brightest ink ends in [1 − ink_level, 1]; contrast changes greys."""
    images = _digits(50)
    images[:, 300] = 1.0  # one full-ink pixel in each image
    out = distort(images, AugmentParams(ink_level=0.4), torch.Generator().manual_seed(0))
    peaks = out.max(dim=1).values
    assert bool(((peaks >= 0.6 - 1e-6) & (peaks <= 1 + 1e-6)).all())
    assert float(peaks.min()) < 0.8  # the range is used, not just its top
    assert bool((out[images == 0] == 0).all())
    gamma = distort(images, AugmentParams(contrast=1.0), torch.Generator().manual_seed(0))
    torch.testing.assert_close(gamma[:, 300], images[:, 300])  # 1 to any power is 1
    assert not torch.allclose(gamma, images)


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"dilate_probability": 0.7, "erode_probability": 0.4}, "erode_probability"),
        ({"lowres_min_side": 3}, "lowres_min_side"),
        ({"lowres_min_side": 10, "lowres_max_side": 8}, "lowres_max_side"),
        ({"blur_sigma": 3.5}, "blur_sigma"),
        ({"ink_level": 0.95}, "ink_level"),
        ({"contrast": -0.1}, "contrast"),
        ({"fill_probability": 1.5}, "fill_probability"),
    ],
)
def test_real_input_params_are_range_checked(values: dict[str, float], key: str) -> None:
    """Each new setting is checked, and the message names its key."""
    from digitlab.core.config import from_dict
    from digitlab.core.errors import ConfigError

    with pytest.raises(ConfigError, match=rf"train\.augment\.{key}"):
        from_dict(AugmentParams, values, where="train.augment")


def test_dilate_and_erode_equal_torch_pooling_on_ink() -> None:
    """The shifted-maximum dilation is max_pool2d(3, padding 1) and the erosion is a 2×2
    min pool with paper beyond the frame, on any non-negative ink."""
    generator = torch.Generator().manual_seed(0)
    planes = torch.rand(16, 1, 28, 28, generator=generator)
    planes *= torch.rand(16, 1, 28, 28, generator=generator) > 0.6
    expected_dilation = torch.nn.functional.max_pool2d(planes, 3, stride=1, padding=1)
    padded = torch.nn.functional.pad(-planes, (0, 1, 0, 1), value=0.0)
    expected_erosion = (-torch.nn.functional.max_pool2d(padded, 2, stride=1)).clamp(min=0)
    assert torch.equal(dilate(planes), expected_dilation)
    assert torch.equal(erode(planes), expected_erosion)


def test_stretch_and_slant_off_draw_exactly_what_they_drew_before() -> None:
    """With aspect and shear at 0, warp draws the same four numbers per image as before
    they existed (angle, zoom, two shifts), so older configs train the same bytes."""
    images = _digits(5)
    params = AugmentParams(shift_pixels=2, rotate_degrees=10, scale=0.1)
    generator = torch.Generator().manual_seed(3)
    warp(images, params, generator)
    expected = torch.Generator().manual_seed(3)
    torch.rand(4 * 5, generator=expected)  # what the old warp consumed
    assert torch.equal(generator.get_state(), expected.get_state())


def test_stretch_and_slant_stay_within_their_ranges() -> None:
    """aspect stretches a square's ink box by at most (1 + aspect)² in aspect ratio; shear
    leans a vertical bar by at most `shear` pixels per row; both are seeded."""
    square = torch.zeros(64, 28, 28)
    square[:, 9:19, 9:19] = 1.0
    square = square.reshape(64, 784)
    stretched = warp(square, AugmentParams(aspect=0.3), torch.Generator().manual_seed(0))
    ratios = []
    for image in stretched.view(64, 28, 28):
        rows, cols = torch.nonzero(image > 0.5, as_tuple=True)
        ratios.append(float(cols.max() - cols.min() + 1) / float(rows.max() - rows.min() + 1))
    assert max(ratios) <= 1.3**2 + 0.25
    assert min(ratios) >= 1 / 1.3**2 - 0.25
    assert max(ratios) > 1.15  # it did stretch

    bar = torch.zeros(32, 28, 28)
    bar[:, 4:24, 13:15] = 1.0
    leaned = warp(bar.reshape(32, 784), AugmentParams(shear=0.25), torch.Generator().manual_seed(1))
    slopes = []
    for plane in leaned.view(32, 28, 28):
        rows = torch.arange(8, 20)
        centres = [float((plane[r] * torch.arange(28.0)).sum() / plane[r].sum()) for r in rows]
        slopes.append(abs(np.polyfit(rows.numpy().astype(float), centres, 1)[0]))
    assert max(slopes) <= 0.25 + 0.02
    assert max(slopes) > 0.1
    again = warp(bar.reshape(32, 784), AugmentParams(shear=0.25), torch.Generator().manual_seed(1))
    assert torch.equal(leaned, again)


def _bars() -> torch.Tensor:
    """(3, 1, 28, 28): a 3×20 upright bar (a 1), a 20×4 flat bar, and a 10×10 square."""
    planes = torch.zeros(3, 1, 28, 28)
    planes[0, 0, 4:24, 12:15] = 1
    planes[1, 0, 10:14, 4:24] = 1
    planes[2, 0, 9:19, 9:19] = 1
    return planes


def test_the_ink_box_is_the_rows_and_columns_that_hold_ink() -> None:
    """Oracle: numpy's nonzero over each plane; a blank plane gives the whole frame."""
    planes = torch.cat([_bars(), torch.zeros(1, 1, 28, 28)])
    expected = []
    for plane in planes[:3, 0].numpy():
        rows, cols = np.nonzero(plane)
        expected.append([rows.min(), rows.max(), cols.min(), cols.max()])
    assert ink_box(planes).tolist() == [*expected, [0, 27, 0, 27]]


def test_filling_the_box_makes_a_bar_square_and_leaves_a_square_alone() -> None:
    """amount 1: each bar's short side grows to its long side (to within the bilinear
    edge), about the box's centre; a square and amount 0 change nothing."""
    planes = _bars()
    full = fill_box(planes, torch.ones(3))
    for plane in full[:2, 0]:
        rows, cols = torch.nonzero(plane > 0.5, as_tuple=True)
        height, width = int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)
        assert abs(height - width) <= 1, (height, width)
    assert ink_box(full)[0, :2].tolist() == [4, 23]  # the long side stays where it was
    torch.testing.assert_close(full[2], planes[2], atol=1e-5, rtol=0)
    torch.testing.assert_close(fill_box(planes, torch.zeros(3)), planes, atol=1e-5, rtol=0)
    half = fill_box(planes[:1], torch.full((1,), 0.5))[0, 0] > 0.5
    width = int(half.any(0).sum())
    assert abs(width - 3 * (20 / 3) ** 0.5) <= 1.5  # (long/short) ** amount


def test_fill_off_draws_nothing_and_on_stretches_some_images() -> None:
    """fill_probability 0 leaves the generator as it was; at 1, every 1-like bar widens."""
    bars = torch.zeros(16, 784)
    bars.view(16, 28, 28)[:, 4:24, 12:15] = 1
    generator = torch.Generator().manual_seed(0)
    assert torch.equal(distort(bars, AugmentParams(), generator), bars)
    assert torch.equal(generator.get_state(), torch.Generator().manual_seed(0).get_state())
    widened = distort(bars, AugmentParams(fill_probability=1.0), generator).view(16, 28, 28)
    widths = (widened > 0.5).any(1).sum(1)
    assert bool((widths >= 3).all())
    assert int(widths.max()) > 10


def test_the_fill_sheet_draws_real_scans_and_stretched_digits_or_says_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """make fill: four rows (the real scans, then u = 0, ½, 1) in a PNG; u = 0 is MNIST as
    it is; without the real scans, one line naming the stage to run, exit 1, no file."""
    from digitlab.lab.fillsheet import AMOUNTS, main, rows
    from tests.fakes import write_fake_mnist, write_fake_real

    mnist = write_fake_mnist(tmp_path / "mnist")
    out = tmp_path / "fill.png"
    paths = ["--data", str(mnist), "--out", str(out)]
    assert main([*paths, "--real", str(tmp_path / "real/digits.csv.gz")]) == 1
    assert "run `dvc repro download_real`" in capsys.readouterr().err
    assert not out.exists()
    write_fake_real(tmp_path / "real")
    assert main([*paths, "--real", str(tmp_path / "real/digits.csv.gz")]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    digits = torch.zeros(2, 784)
    digits.view(2, 28, 28)[:, 4:24, 12:15] = 1
    shown = rows(digits, digits)
    assert len(shown) == 1 + len(AMOUNTS)
    torch.testing.assert_close(torch.from_numpy(shown["MNIST, u = 0"]), digits.view(2, 28, 28),
                               atol=1e-5, rtol=0)  # fmt: skip
