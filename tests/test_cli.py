"""The `digitlab predict` command: output lines, JSON shape and exit codes."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import torch
from PIL import Image, ImageDraw

from digitlab.app.cli import is_loopback, main
from digitlab.app.project import default_model
from digitlab.core.errors import DataError
from digitlab.mlp.model import MLP, ModelSpec, save_model
from tests.waiting import read_line


@pytest.fixture
def model_path(tmp_path: Path) -> Path:
    arch = ModelSpec(hidden_sizes=(16,))
    path = tmp_path / "mlp.pt"
    save_model(MLP(arch, torch.Generator().manual_seed(0)), path)
    return path


@pytest.fixture
def digit(tmp_path: Path) -> Path:
    path = tmp_path / "one.png"
    image = Image.new("RGB", (120, 200), "white")
    ImageDraw.Draw(image).line([(60, 20), (60, 180)], fill="black", width=14)
    image.save(path)
    return path


def test_one_line_per_image_and_exit_zero(model_path: Path, digit: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Each good image prints 'file: label (confidence)'."""
    assert main(["predict", str(digit), str(digit), "--model", str(model_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{digit}: ")
    assert lines[0].endswith("%)")


def test_json_lists_results_and_errors_and_exit_is_one(
    model_path: Path, digit: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    """--json prints one list; a bad file gets {file, error}, the rest still predicted."""
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    code = main(["predict", str(digit), str(bad), "--model", str(model_path), "--json"])
    captured = capsys.readouterr()
    items = json.loads(captured.out)
    assert code == 1
    assert set(items[0]) == {"file", "label", "confidence", "probabilities"}
    assert len(items[0]["probabilities"]) == 10
    assert abs(sum(items[0]["probabilities"]) - 1) < 1e-4
    assert items[0]["confidence"] == max(items[0]["probabilities"])
    assert items[1] == {
        "file": str(bad),
        "error": "not an image PIL can read (PNG, JPEG, BMP, ...)",
    }
    assert captured.err.count("\n") == 1


def test_missing_model_exits_two_with_one_line(digit: Path, tmp_path: Path) -> None:
    """No model file: a one-line error on stderr, no traceback, exit status 2."""
    command = [sys.executable, "-m", "digitlab.app.cli", "predict", str(digit)]
    result = subprocess.run(
        [*command, "--model", str(tmp_path / "m")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "model file not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_console_script_is_installed() -> None:
    """`digitlab` is on the venv's PATH as a console script."""
    script = Path(sys.executable).parent / "digitlab"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "predict" in result.stdout


def test_a_bomb_beside_a_good_image_is_one_error_line_and_exit_one(
    model_path: Path, digit: Path, tmp_path: Path
) -> None:
    """A 16000×16000 PNG (a few kB, gigabytes decoded) fails alone; the good file is read."""
    bomb = tmp_path / "bomb.png"
    Image.new("1", (16000, 16000), 1).save(bomb)
    command = [sys.executable, "-m", "digitlab.app.cli", "predict", str(bomb), str(digit)]
    result = subprocess.run(
        [*command, "--model", str(model_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"digitlab: error: {bomb}: 256,000,000 pixels is over the limit of 25,000,000; "
        "scale it down first\n"
    )
    assert result.stdout.startswith(f"{digit}: ")


def test_serve_prints_its_address_first_and_stops_cleanly_on_ctrl_c(model_path: Path) -> None:
    """`digitlab serve --port 0` prints 'serving on http://HOST:PORT/' first; SIGINT ends it."""
    command = [sys.executable, "-m", "digitlab.app.cli", "serve", "--port", "0", "--quiet"]
    server = subprocess.Popen(
        [*command, "--model", str(model_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=model_path.parent,  # no models/mlp.pt here: only the --model file is served
        # Started as `digitlab serve &` from a script would be: SIGINT ignored on entry.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert server.stdout is not None
    first = read_line(server.stdout, 20, "the server's first line, 'serving on ...'")
    assert re.fullmatch(r"serving on http://127\.0\.0\.1:\d+/\n", first)
    listed = json.loads(urllib.request.urlopen(first.split()[-1] + "api/models").read())
    assert [m["name"] for m in listed["models"]] == [str(model_path)]
    server.send_signal(signal.SIGINT)
    _, err = server.communicate(timeout=10)
    assert server.returncode == 0
    assert "Traceback" not in err


def test_predict_imports_neither_torch_nor_matplotlib(model_path: Path, digit: Path) -> None:
    """The CLI, run to the end of a prediction, never imports torch or matplotlib: a
    predictor needs numpy, Pillow and safetensors alone."""
    code = (
        "import sys\nfrom digitlab.app import cli, revisions, serve\n"
        f"code = cli.main(['predict', {str(digit)!r}, '--model', {str(model_path)!r}])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'matplotlib', 'dvc'})\n"
        "print(code, heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.splitlines()[-1] == "0 []", result.stdout + result.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_a_server_bound_beyond_loopback_says_so_first(model_path: Path, host: str) -> None:
    """Its first lines on stderr warn that anyone on the network can use it."""
    command = [sys.executable, "-m", "digitlab.app.cli", "serve", "--host", host, "--port", "0"]
    server = subprocess.Popen(
        [*command, "--quiet", "--model", str(model_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stderr is not None
    try:
        first = read_line(server.stderr, 20, "the first warning line on stderr")
        second = read_line(server.stderr, 5, "the second warning line on stderr")
    finally:
        server.kill()
        server.communicate(timeout=10)
    assert first.startswith(f"warning: bound to {host}:")
    assert "anyone who can reach it on the network can use the page and the API" in first
    assert "put it behind your web server" in second


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("localhost", True),
     ("0.0.0.0", False), ("192.168.1.5", False), ("example.org", False)],
)  # fmt: skip
def test_loopback_is_this_machine_alone(host: str, loopback: bool) -> None:
    """Only loopback addresses and the name localhost count as private."""
    assert is_loopback(host) is loopback


def test_predict_finds_the_projects_model_from_any_folder_below_it(
    tmp_path: Path,
    digit: Path,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    """Run from a subfolder of a project, `digitlab predict` reads the project's
    models/mlp.safetensors without --model."""
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "dvc.yaml").write_text("stages: {}\n")
    save_model(MLP(ModelSpec(hidden_sizes=(16,)), torch.Generator().manual_seed(0)),
               project / "models/mlp.pt")  # fmt: skip
    deep = project / "notebooks/drafts"
    deep.mkdir(parents=True)
    found = default_model(deep, installed=None)
    assert found == (project / "models/mlp.safetensors").resolve()
    script = f"import os; os.chdir({str(deep)!r}); from digitlab.app.cli import main; "
    script += f"raise SystemExit(main(['predict', {str(digit)!r}]))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{digit}: ")


def test_outside_any_project_the_error_says_where_it_looked(tmp_path: Path) -> None:
    """No dvc.yaml above the folder and none where digitlab is installed: one line naming
    the folder and --model; a project without a trained model says to run make repro."""
    with pytest.raises(DataError, match=rf"no digitlab project .* in {tmp_path}.*--model PATH"):
        default_model(tmp_path, installed=None)
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    with pytest.raises(DataError, match=r"model file not found; run `make repro` in "):
        default_model(tmp_path, installed=None)
