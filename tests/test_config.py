"""Bad params and bad files stop a stage with one clear line, before any output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from digitlab.core.config import from_dict, load_params
from digitlab.core.errors import ConfigError
from digitlab.fits.classical import GdBiasParams, NormalEquationParams
from digitlab.fits.methods import get_method
from digitlab.fits.synthetic import GenerateParams
from digitlab.lab.presets import sections
from digitlab.mlp.download import DownloadParams
from digitlab.mlp.training import TrainParams
from tests.conftest import ROOT


def test_unknown_key_is_named_with_the_known_ones() -> None:
    """A typo fails with the full key and the list of allowed keys."""
    with pytest.raises(ConfigError, match=r"gd_bias\.alpah: got 0\.1, expected one of the known"):
        from_dict(GdBiasParams, {"alpah": 0.1}, where="gd_bias")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"alpha": "fast"}, r"gd_bias\.alpha: got 'fast', expected a number"),
        ({"alpha": 0}, r"gd_bias\.alpha: got 0\.0, expected a number > 0"),
        ({"epochs": 0}, r"gd_bias\.epochs: got 0, expected an integer >= 1"),
        ({"epochs": 2.5}, r"gd_bias\.epochs: got 2\.5, expected an integer"),
        ({"epochs": True}, r"gd_bias\.epochs: got True, expected an integer"),
    ],
)
def test_bad_value_names_key_value_and_what_is_allowed(
    raw: dict[str, object], message: str
) -> None:
    """Types and ranges are checked, and the message says what would be accepted."""
    with pytest.raises(ConfigError, match=message):
        from_dict(GdBiasParams, raw, where="gd_bias")


def test_nested_sections_report_the_full_key() -> None:
    """An error deep in generate names generate.line.n_samples."""
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())["generate"]
    raw["line"]["n_samples"] = 1
    with pytest.raises(
        ConfigError, match=r"generate\.line\.n_samples: got 1, expected an integer >= 2"
    ):
        from_dict(GenerateParams, raw, where="generate")


def test_null_is_allowed_only_where_optional() -> None:
    """outlier_y may be null (no outlier); w_max may not."""
    assert from_dict(NormalEquationParams, {"outlier_y": None}, "n").outlier_y is None
    with pytest.raises(ConfigError, match=r"n\.w_max: got None"):
        from_dict(NormalEquationParams, {"w_max": None}, "n")


def test_unknown_method_lists_the_known_ones() -> None:
    """Asking for a method that does not exist names all seven."""
    with pytest.raises(ConfigError, match="expected one of online, normal_equation"):
        get_method("newton")


SECTIONS = sections()  # the registry `make exp-NAME` checks presets against


def test_every_params_section_has_a_library_dataclass() -> None:
    """params.yaml has exactly the sections the library knows how to load."""
    assert set(yaml.safe_load((ROOT / "params.yaml").read_text())) == set(SECTIONS)


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_committed_params_are_valid(section: str) -> None:
    """Every section of params.yaml loads into its dataclass."""
    load_params(section, SECTIONS[section], ROOT / "params.yaml")


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_every_section_rejects_an_unknown_key(section: str) -> None:
    """A typo in any section fails naming section.key, before a stage does any work."""
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())[section]
    with pytest.raises(ConfigError, match=rf"^{section}\.typo: got 1, expected one of the known"):
        from_dict(SECTIONS[section], {**raw, "typo": 1}, where=section)


def _run_fit(cwd: Path, method: str, data: str) -> subprocess.CompletedProcess[str]:
    """Run stages/fit.py in cwd, as dvc would, with outputs beside the data."""
    paths = ["--metrics", "m.json", "--loss", "l.csv", "--figure", "f.png"]
    command = [sys.executable, str(ROOT / "stages/fit.py"), "--method", method, "--data", data]
    return subprocess.run([*command, *paths], cwd=cwd, capture_output=True, text=True, check=False)


def test_stage_reports_a_bad_param_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    """The entry point prints one line, no traceback, exits 1, and leaves no output."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["sgd"]["alpha"] = -1
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    (tmp_path / "line.csv").write_text("x,y\n0.1,0.2\n0.5,0.7\n")
    result = _run_fit(tmp_path, "sgd", "line.csv")
    assert result.returncode == 1
    assert result.stderr == "error: sgd.alpha: got -1.0, expected a number > 0\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["line.csv", "params.yaml"]


def test_stage_reports_a_missing_dataset_in_one_line(tmp_path: Path) -> None:
    """A missing input says which file and how to make it."""
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    result = _run_fit(tmp_path, "online", "nope.csv")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "nope.csv: cannot read dataset" in result.stderr
    assert "dvc repro generate" in result.stderr


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"loss": "hinge"}, "train.loss: got 'hinge', expected one of 'mse', 'cross_entropy'"),
        ({"hidden_sizes": 200}, "train.hidden_sizes: got 200, expected a list"),
        ({"hidden_sizes": [200, "x"]}, "train.hidden_sizes[1]: got 'x', expected an integer"),
        ({"augment": [1]}, "train.augment: got [1], expected a mapping"),
        ({"augment": {"scale": "big"}}, "train.augment.scale: got 'big', expected a number"),
        ({"normalize": "yes"}, "train.normalize: got 'yes', expected a bool"),
    ],
)
def test_type_errors_name_the_full_key_and_the_expected_type(
    raw: dict[str, object], message: str
) -> None:
    """Literals list their choices; lists, mappings and nested keys are named exactly."""
    with pytest.raises(ConfigError) as caught:
        from_dict(TrainParams, raw, where="train")
    assert str(caught.value) == message


def test_mapping_values_are_checked_per_key() -> None:
    """download.md5 entries are strings; a number under one key names that key."""
    md5 = {"train-images-idx3-ubyte": 5}
    with pytest.raises(ConfigError) as caught:
        from_dict(DownloadParams, {"md5": md5}, where="download")
    assert str(caught.value) == "download.md5.train-images-idx3-ubyte: got 5, expected a str"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "params.yaml: got 'list', expected a mapping of sections"),
        ("a: [1,\n", "params.yaml: not valid YAML ("),
    ],
)
def test_a_broken_params_file_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    """A params file that is not a mapping, or not YAML, fails in one line naming the file."""
    (tmp_path / "params.yaml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_params("sgd", GdBiasParams, tmp_path / "params.yaml")
    assert str(caught.value).startswith(str(tmp_path / message))
    assert "\n" not in str(caught.value)


def test_a_missing_params_file_says_where_to_run_from(tmp_path: Path) -> None:
    """No params.yaml: the path and the hint to run from the repository root."""
    with pytest.raises(ConfigError) as caught:
        load_params("sgd", GdBiasParams, tmp_path / "params.yaml")
    assert (
        str(caught.value) == f"{tmp_path}/params.yaml: file not found; run from the repository root"
    )


@pytest.mark.parametrize("section", [s for s in SECTIONS if s != "generate"])
def test_params_yaml_holds_each_dataclass_default(section: str) -> None:
    """One home for each default: params.yaml's section equals the dataclass built from
    no keys at all, so a default changed in one place and not the other fails here.
    (generate has no defaults: its bumps data lives in params.yaml alone.)"""
    assert load_params(section, SECTIONS[section], ROOT / "params.yaml") == SECTIONS[section]()
