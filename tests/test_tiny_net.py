"""The tiny net's tensor-indexed loop against the tutorial's DataLoader loop."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from digitlab.fits.classical import TinyNetParams, summarize
from digitlab.fits.synthetic import Dataset
from digitlab.fits.tiny_net import TinyNet, fit_tiny_net


class _Reshuffle(torch.utils.data.Sampler[int]):
    def __init__(self, n: int, generator: torch.Generator) -> None:
        self.n, self.generator = n, generator

    def __iter__(self) -> Iterator[int]:
        return iter(torch.randperm(self.n, generator=self.generator).tolist())

    def __len__(self) -> int:
        return self.n


def _bumps() -> Dataset:
    x = np.linspace(0, 0.98, 50)
    return Dataset(x, ((x >= 0.3) & (x < 0.7)).astype(np.float64))


def test_tensor_batches_match_the_tutorial_dataloader_loop() -> None:
    """Same seed, same shuffles: indexing tensors gives the DataLoader loop's weights."""
    data, params = _bumps(), TinyNetParams(epochs=3, seed=7)
    ours = fit_tiny_net(data, params).params

    generator = torch.Generator().manual_seed(params.seed)
    net = TinyNet(params.hidden_units, generator)
    x = torch.tensor(data.x, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(data.y, dtype=torch.float32).unsqueeze(1)
    # The sampler draws each epoch's order as the stage does; the loader then
    # collates one sample at a time, exactly like the tutorial's loop.
    order = _Reshuffle(len(x), generator)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, y), batch_size=params.batch_size, sampler=order
    )
    optimizer = torch.optim.SGD(net.parameters(), lr=params.lr)
    for _ in range(params.epochs):
        for xb, yb in loader:
            loss = torch.nn.functional.mse_loss(net(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    tutorial = net.fc1.weight.detach().flatten().tolist()
    assert np.allclose([ours[f"fc1_w_{i}"] for i in range(3)], tutorial, atol=1e-6)
    assert np.allclose(ours["fc2_b_0"], net.fc2.bias.item(), atol=1e-6)


def test_tiny_net_learns_the_bump() -> None:
    """A short run already drives the loss down and classifies most points."""
    fit = fit_tiny_net(_bumps(), TinyNetParams(epochs=1500, log_every=500))
    losses = fit.curve[2]
    assert losses[-1] < losses[0]
    assert summarize(fit)["accuracy"] >= 0.9


def test_same_seed_gives_identical_weights() -> None:
    """Training depends on the seed alone, not on global RNG state."""
    torch.manual_seed(123)
    first = fit_tiny_net(_bumps(), TinyNetParams(epochs=5)).params
    torch.manual_seed(456)
    assert fit_tiny_net(_bumps(), TinyNetParams(epochs=5)).params == first
