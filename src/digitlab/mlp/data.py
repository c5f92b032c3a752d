"""Load MNIST from the folder `download` fills; apart from it, so download edits never retrain."""

from __future__ import annotations

from pathlib import Path

import torch

from digitlab.core.errors import DataError


def load_split(root: Path, *, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (n, 784) float32 in [0, 1], as ToTensor makes them, and labels (n,) int64."""
    from torchvision.datasets import MNIST

    try:
        dataset = MNIST(str(root), train=train, download=False)
    except RuntimeError as err:
        raise DataError(f"{root}: MNIST not found ({err}); run `dvc repro download`") from None
    images = dataset.data.reshape(len(dataset.data), -1).float().div_(255)  # (n, 784)
    return images, dataset.targets.long()
