"""Training distortions: identity at zero, seeded, and a Gaussian blur that matches numpy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from digitlab.mlp.augment import AugmentParams, distort, gaussian_blur


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


def test_elastic_params_are_checked() -> None:
    """An out-of-range elastic sigma is rejected, naming the key."""
    from digitlab.core.errors import ConfigError

    with pytest.raises(ConfigError, match="elastic_sigma"):
        AugmentParams(elastic_sigma=0.0)
