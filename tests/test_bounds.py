"""Every range check of every params section, at its boundary, with its exact one-line message.

Each row is a value just outside the allowed range (it must fail with exactly this
line) and, where the range has an edge, the value on the edge (it must pass). This
is what keeps `>` from drifting to `>=` and the messages from losing their key.
"""

from __future__ import annotations

import pytest

from digitlab.core.config import from_dict
from digitlab.core.errors import ConfigError
from digitlab.fits import classical
from digitlab.fits.synthetic import LineParams, StepParams
from digitlab.mlp.augment import AugmentParams
from digitlab.mlp.degrade import RobustnessParams
from digitlab.mlp.download import OFFICIAL_MD5, DownloadParams
from digitlab.mlp.evaluation import EvaluateParams
from digitlab.mlp.samples import PredictParams
from digitlab.mlp.training import TrainParams

INT, NUM, UNIT = "an integer", "a number", "a number in [0, 1)"
BAD: list[tuple[type, dict[str, object], str]] = [
    (TrainParams, {"validation": -1}, f"validation: got -1, expected {INT} >= 0"),
    (TrainParams, {"hidden_sizes": []}, "hidden_sizes: got (), expected at least one layer"),
    (TrainParams, {"hidden_sizes": [8, 0]}, "hidden_sizes: got [8, 0], expected positive integers"),
    (TrainParams, {"lr": 0}, f"lr: got 0.0, expected {NUM} > 0"),
    (TrainParams, {"momentum": -0.1}, f"momentum: got -0.1, expected {UNIT}"),
    (TrainParams, {"momentum": 1}, f"momentum: got 1.0, expected {UNIT}"),
    (TrainParams, {"weight_decay": -0.1}, f"weight_decay: got -0.1, expected {NUM} >= 0"),
    (TrainParams, {"label_smoothing": 1}, f"label_smoothing: got 1.0, expected {UNIT}"),
    (TrainParams, {"label_smoothing": -0.1}, f"label_smoothing: got -0.1, expected {UNIT}"),
    (TrainParams, {"dropout": 1}, f"dropout: got 1.0, expected {UNIT}"),
    (TrainParams, {"dropout": -0.1}, f"dropout: got -0.1, expected {UNIT}"),
    (TrainParams, {"batch_size": 0}, f"batch_size: got 0, expected {INT} >= 1"),
    (TrainParams, {"epochs": 0}, f"epochs: got 0, expected {INT} >= 1"),
    (TrainParams, {"threads": -1}, f"threads: got -1, expected {INT} >= 0 (0: torch's default)"),
    (TrainParams, {"log_every": 0}, f"log_every: got 0, expected {INT} >= 1"),
    (classical.TinyNetParams, {"hidden_units": 0}, f"hidden_units: got 0, expected {INT} >= 1"),
    (classical.TinyNetParams, {"lr": 0}, f"lr: got 0.0, expected {NUM} > 0"),
    (classical.TinyNetParams, {"batch_size": 0}, f"batch_size: got 0, expected {INT} >= 1"),
    (classical.TinyNetParams, {"epochs": 0}, f"epochs: got 0, expected {INT} >= 1"),
    (classical.TinyNetParams, {"log_every": 0}, f"log_every: got 0, expected {INT} >= 1"),
    (classical.MinibatchParams, {"alpha": 0}, f"alpha: got 0.0, expected {NUM} > 0"),
    (classical.MinibatchParams, {"batch_size": 0}, f"batch_size: got 0, expected {INT} >= 1"),
    (classical.MinibatchParams, {"epochs": 0}, f"epochs: got 0, expected {INT} >= 1"),
    (classical.SigmoidParams, {"alpha": 0}, f"alpha: got 0.0, expected {NUM} > 0"),
    (classical.SigmoidParams, {"epochs": 0}, f"epochs: got 0, expected {INT} >= 1"),
    (classical.GdBiasParams, {"alpha": 0}, f"alpha: got 0.0, expected {NUM} > 0"),
    (classical.GdBiasParams, {"epochs": 0}, f"epochs: got 0, expected {INT} >= 1"),
    (classical.SgdParams, {"alpha": 0}, f"alpha: got 0.0, expected {NUM} > 0"),
    (classical.NormalEquationParams, {"w_min": 1, "w_max": 1},
     f"w_max: got 1.0, expected {NUM} > w_min (1.0)"),
    (DownloadParams, {"sources": []}, "sources: got [], expected at least one source"),
    (DownloadParams, {"sources": ["ftp"]},
     "sources: got 'ftp', expected 'torchvision', 'pypi' or 'dir:/path/to/folder'"),
    (DownloadParams, {"md5": {}},
     f"md5: got [], expected one MD5 for each of {sorted(OFFICIAL_MD5)}"),
    (AugmentParams, {"shift_pixels": 8.5}, f"shift_pixels: got 8.5, expected {NUM} in [0, 8]"),
    (AugmentParams, {"rotate_degrees": 91}, "rotate_degrees: got 91.0, expected in [0, 90]"),
    (AugmentParams, {"scale": 1}, f"scale: got 1.0, expected {UNIT}"),
    (AugmentParams, {"elastic_alpha": -1}, "elastic_alpha: got -1.0, expected in [0, 100]"),
    (AugmentParams, {"elastic_sigma": 0.4}, "elastic_sigma: got 0.4, expected in [0.5, 8]"),
    (RobustnessParams, {"low_resolution": 28}, "low_resolution: got 28, expected in [4, 27]"),
    (RobustnessParams, {"shift_pixels": 9}, "shift_pixels: got 9, expected in [1, 8]"),
    (RobustnessParams, {"rotate_degrees": 0}, "rotate_degrees: got 0.0, expected in (0, 90]"),
    (RobustnessParams, {"blur_sigma": 3.5}, "blur_sigma: got 3.5, expected in (0, 3]"),
    (RobustnessParams, {"jpeg_quality": 96}, "jpeg_quality: got 96, expected in [1, 95]"),
    (EvaluateParams, {"mistakes": 0}, f"mistakes: got 0, expected {INT} >= 1"),
    (PredictParams, {"count": 10001}, f"count: got 10001, expected {INT} in [1, 10000]"),
    (LineParams, {"n_samples": 1}, f"n_samples: got 1, expected {INT} >= 2"),
    (LineParams, {"noise": -0.5}, f"noise: got -0.5, expected {NUM} >= 0"),
    (StepParams, {"n_samples": 1}, f"n_samples: got 1, expected {INT} >= 2"),
]  # fmt: skip

EDGE: list[tuple[type, dict[str, object]]] = [
    (TrainParams, {"validation": 0, "hidden_sizes": [1], "lr": 1e-12, "momentum": 0,
                   "weight_decay": 0, "label_smoothing": 0, "dropout": 0, "batch_size": 1,
                   "epochs": 1, "threads": 0, "log_every": 1}),
    (TrainParams, {"momentum": 0.999, "label_smoothing": 0.999, "dropout": 0.999}),
    (classical.TinyNetParams, {"hidden_units": 1, "lr": 1e-12, "batch_size": 1, "epochs": 1,
                               "log_every": 1}),
    (classical.MinibatchParams, {"alpha": 1e-12, "batch_size": 1, "epochs": 1}),
    (classical.SigmoidParams, {"alpha": 1e-12, "epochs": 1}),
    (classical.GdBiasParams, {"alpha": 1e-12, "epochs": 1}),
    (classical.NormalEquationParams, {"w_min": 1, "w_max": 1.001}),
    (DownloadParams, {"sources": ["pypi", "torchvision", "dir:/x"]}),
    (AugmentParams, {"shift_pixels": 8, "rotate_degrees": 90, "scale": 0, "elastic_alpha": 100,
                     "elastic_sigma": 8}),
    (AugmentParams, {"elastic_alpha": 0, "elastic_sigma": 0.5}),
    (RobustnessParams, {"low_resolution": 27, "shift_pixels": 8, "rotate_degrees": 90,
                        "blur_sigma": 3, "jpeg_quality": 95}),
    (RobustnessParams, {"low_resolution": 4, "shift_pixels": 1, "jpeg_quality": 1}),
    (EvaluateParams, {"mistakes": 1}),
    (PredictParams, {"count": 10000}),
    (PredictParams, {"count": 1}),
    (LineParams, {"n_samples": 2, "noise": 0}),
    (StepParams, {"n_samples": 2}),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "raw", "message"), BAD, ids=[m.split(":")[0] for *_, m in BAD])
def test_a_value_just_outside_the_range_fails_with_its_exact_line(
    cls: type, raw: dict[str, object], message: str
) -> None:
    """The error is one line: section.key, the value as given, and what would be accepted."""
    with pytest.raises(ConfigError) as caught:
        from_dict(cls, raw, where="section")
    assert str(caught.value) == f"section.{message}"


@pytest.mark.parametrize(("cls", "raw"), EDGE, ids=[c.__name__ for c, _ in EDGE])
def test_values_on_the_edge_of_each_range_are_accepted(cls: type, raw: dict[str, object]) -> None:
    """Inclusive bounds include their edge; open bounds accept the nearest value inside."""
    from_dict(cls, raw, where="section")
