"""Where the project is: the folder that holds dvc.yaml, found from wherever a user runs
`digitlab`, so the default model needs no particular current folder."""

from __future__ import annotations

from pathlib import Path

from digitlab.core.errors import DataError

MODEL_FILE = "models/mlp.safetensors"  # with models/mlp.json beside it
# The project this package is installed from, when it is an editable install of one.
INSTALLED = Path(__file__).resolve().parents[3]  # <root>/src/digitlab/app/project.py


def find_project(start: Path, installed: Path | None = INSTALLED) -> Path | None:
    """The nearest folder from start upwards that holds dvc.yaml; else `installed` if it
    holds one; else None."""
    for folder in (start, *start.parents):
        if (folder / "dvc.yaml").is_file():
            return folder
    return installed if installed is not None and (installed / "dvc.yaml").is_file() else None


def default_model(start: Path, installed: Path | None = INSTALLED) -> Path:
    """The project's models/mlp.safetensors; DataError saying where it looked otherwise."""
    project = find_project(start.resolve(), installed)
    if project is None:
        raise DataError(
            f"no digitlab project (a folder with dvc.yaml) in {start.resolve()} or above it, "
            "nor where digitlab is installed from; pass a model file with --model PATH"
        )
    model = project / MODEL_FILE
    if not model.is_file():
        raise DataError(
            f"{model}: model file not found; run `make repro` in {project}, "
            "or pass a model file with --model PATH"
        )
    return model
