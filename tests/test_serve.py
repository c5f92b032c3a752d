"""The drawing page's server, in-process on a free port: routes, predictions and every error."""

from __future__ import annotations

import http.client
import io
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from PIL import Image

from digitlab.app import revisions, serve
from digitlab.app.predict import classify
from digitlab.core.errors import DataError
from digitlab.lab.drawn import ONE, pad_png
from digitlab.mlp.model import MLP, ModelSpec, save_model
from digitlab.mlp.preprocess import MAX_PIXELS, read_digit

Server = tuple[str, int]


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="png")
    return buffer.getvalue()


def stroke_one() -> bytes:
    """A '1' drawn as one thick vertical stroke, black on white, like the page's pad."""
    return pad_png([ONE])


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> list[revisions.ServedModel]:
    """Two small saved models, reloaded from disk as the CLI would."""
    root = tmp_path_factory.mktemp("models")
    served = []
    for seed, loss in ((0, "mse"), (1, "cross_entropy")):
        spec = ModelSpec(hidden_sizes=(16,), loss=loss)  # type: ignore[arg-type]
        save_model(MLP(spec, torch.Generator().manual_seed(seed)), root / f"m{seed}.pt")
        (root / f"metrics{seed}.json").write_text(json.dumps({"test_accuracy": 0.5 + seed / 10}))
        served.append(
            revisions.from_file(root / f"m{seed}.pt", f"m{seed}", root / f"metrics{seed}.json")
        )
    return served


@pytest.fixture(scope="module")
def server(models: list[revisions.ServedModel]) -> Iterator[Server]:
    """The server on a free port of 127.0.0.1, with a short idle timeout."""
    httpd = serve.make_server(models, port=0, quiet=True, client_timeout=0.5)
    serve.serve_in_thread(httpd)
    yield "127.0.0.1", httpd.server_port
    httpd.shutdown()
    httpd.server_close()


def request(
    server: Server,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one request."""
    connection = http.client.HTTPConnection(*server, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    answer = (response.status, dict(response.getheaders()), response.read())
    connection.close()
    return answer


def test_page_is_served_with_its_pad_and_no_external_url(server: Server) -> None:
    """GET / is the page: a canvas#pad, a #prediction holder, and nothing fetched from a CDN."""
    status, headers, body = request(server, "GET", "/")
    page = body.decode()
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert '<canvas id="pad"' in page
    assert 'id="prediction"' in page
    assert "http://" not in page
    assert "https://" not in page


def test_models_are_listed_with_names_and_test_accuracy(server: Server) -> None:
    """GET /api/models gives each model's name and the accuracy from its metrics file."""
    status, _, body = request(server, "GET", "/api/models")
    listed = json.loads(body)["models"]
    assert status == 200
    assert [(m["name"], m["test_accuracy"]) for m in listed] == [("m0", 0.5), ("m1", 0.6)]


def test_prediction_gives_the_input_and_each_models_reading(
    server: Server, models: list[revisions.ServedModel]
) -> None:
    """POST /api/predict returns the 28×28 input and, per model, the same probabilities as
    reading the bytes directly with read_digit and classify."""
    status, _, body = request(server, "POST", "/api/predict", stroke_one())
    answer = json.loads(body)
    assert status == 200
    assert len(answer["input"]) == 28
    assert all(len(row) == 28 for row in answer["input"])
    expected = [classify(m.model, [read_digit(stroke_one())])[0] for m in models]
    got = [tuple(reading["probabilities"]) for reading in answer["models"]]
    assert got == expected
    for reading, probabilities in zip(answer["models"], expected, strict=True):
        assert reading["label"] == max(range(10), key=probabilities.__getitem__)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not an image", "not an image PIL can read"),
        (_png(Image.new("L", (64, 64), 255)), "blank image"),
        (
            _png(Image.new("1", (6000, 6000), 1)),
            f"36,000,000 pixels is over the limit of {MAX_PIXELS:,}",
        ),
    ],
    ids=["garbage", "blank", "bomb"],
)
def test_unreadable_images_are_a_400_with_the_reason(
    server: Server, body: bytes, message: str
) -> None:
    """Garbage bytes, a blank picture and a pixel bomb each get JSON 400, not a traceback."""
    status, headers, answer = request(server, "POST", "/api/predict", body)
    assert status == 400
    assert headers["Content-Type"] == "application/json"
    assert message in json.loads(answer)["error"]


def test_a_body_over_the_limit_is_a_413_unread(server: Server) -> None:
    """A Content-Length over MAX_BODY is refused before the body is read."""
    headers = {"Content-Length": str(serve.MAX_BODY + 1)}
    status, _, body = request(server, "POST", "/api/predict", b"x" * 10, headers)
    assert status == 413
    assert "over" in json.loads(body)["error"]


def test_a_post_without_length_is_a_411(server: Server) -> None:
    """Chunked or length-less uploads are refused with a hint."""
    connection = http.client.HTTPConnection(*server, timeout=10)
    connection.putrequest("POST", "/api/predict")
    connection.endheaders()
    assert connection.getresponse().status == 411


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("GET", "/api/predict", "POST"), ("POST", "/api/models", "GET"), ("DELETE", "/", "GET"),
     ("PUT", "/api/predict", "POST")],
)  # fmt: skip
def test_a_wrong_method_is_a_405_naming_the_right_one(
    server: Server, method: str, path: str, allow: str
) -> None:
    """Each route answers other methods with 405 and an Allow header."""
    status, headers, body = request(server, method, path, b"" if method != "GET" else None)
    assert status == 405
    assert headers["Allow"] == allow
    assert "error" in json.loads(body)


@pytest.mark.parametrize(
    "path", ["/nope", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/api/../serve.py", "//x"]
)
def test_unknown_paths_including_dot_dot_tricks_are_a_404(server: Server, path: str) -> None:
    """Nothing is served from disk: any path but the three routes is JSON 404."""
    status, _, body = request(server, "GET", path)
    assert status == 404
    assert "error" in json.loads(body)


def test_a_silent_client_times_out_without_blocking_others(server: Server) -> None:
    """A connection that sends nothing is dropped after the idle timeout; others go on."""
    idle = socket.create_connection(server, timeout=5)
    start = time.perf_counter()
    assert request(server, "GET", "/api/models")[0] == 200
    assert time.perf_counter() - start < 0.4  # not queued behind the idle client
    assert idle.recv(1) == b""  # the server hung up on it
    assert time.perf_counter() - start < 3
    idle.close()


def test_a_burst_of_malformed_requests_leaves_the_server_answering(server: Server) -> None:
    """Garbage request lines, bad headers and cut-off bodies, then a normal request works."""
    junk = [
        b"\x00\xff garbage\r\n\r\n",
        b"GET\r\n\r\n",
        b"POST /api/predict HTTP/1.1\r\nContent-Length: 50\r\n\r\nabc",  # cut short
        b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n",  # too many headers
        b"POST /api/predict HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    ]
    for payload in junk * 4:
        with socket.create_connection(server, timeout=5) as raw:
            raw.sendall(payload)
            raw.shutdown(socket.SHUT_WR)
            while raw.recv(4096):
                pass
    assert request(server, "POST", "/api/predict", stroke_one())[0] == 200


def test_an_unknown_experiment_is_one_clear_error(tmp_path: Path) -> None:
    """--exp with a name that is neither an experiment nor a revision says how to list them."""
    with pytest.raises(
        DataError, match="no experiment or git revision of that name; `dvc exp list`"
    ):
        revisions.resolve_revision("no-such-exp", tmp_path)


def test_an_experiment_name_resolves_to_its_newest_commit_and_a_branch_to_its_own(
    tmp_path: Path,
) -> None:
    """refs/exps/.../NAME is found by its last part, the newest first; any git revision
    (a branch) works too."""
    import subprocess

    who = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.invalid", "PATH": "/usr/bin:/bin",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t.invalid"}  # fmt: skip

    def git(*args: str, date: str = "2026-01-01T00:00:00") -> str:
        env = {**who, "GIT_COMMITTER_DATE": date}
        done = subprocess.run(["git", *args], cwd=tmp_path, capture_output=True, text=True,
                              check=True, env=env)  # fmt: skip
        return done.stdout.strip()

    git("init", "-q", "-b", "main")
    shas = []
    for i, date in enumerate(("2026-01-01T00:00:00", "2026-02-01T00:00:00")):
        git("commit", "-q", "--allow-empty", "-m", str(i), date=date)
        shas.append(git("rev-parse", "HEAD"))
    git("update-ref", "refs/exps/aa/old/best", shas[0])
    git("update-ref", "refs/exps/bb/new/best", shas[1])
    git("update-ref", "refs/exps/bb/new/fast", shas[0])
    git("branch", "side", shas[0])
    assert revisions.resolve_revision("best", tmp_path) == shas[1]
    assert revisions.resolve_revision("fast", tmp_path) == shas[0]
    assert revisions.resolve_revision("side", tmp_path) == shas[0]


def test_one_card_per_distinct_model_best_real_scans_first(
    models: list[revisions.ServedModel],
) -> None:
    """A model served twice (an experiment applied to the workspace) is one entry named
    'workspace = fast'; entries come best real-scan accuracy first, unknown last."""
    m0, m1 = models
    workspace = revisions.ServedModel("workspace", m0.model, {"real_accuracy": 0.7})
    fast = revisions.ServedModel("fast", m0.model, {"real_accuracy": 0.7})
    best = revisions.ServedModel("best", m1.model, {"real_accuracy": 0.9})
    unknown = revisions.ServedModel("other", m1.model.__class__(
        [(w + 1, b) for w, b in m1.model.layers], m1.model.activation, m1.model.shift,
        m1.model.scale, m1.model.logits), {})  # fmt: skip
    shown = serve.distinct([unknown, workspace, best, fast])
    assert [m.name for m in shown] == ["best", "workspace = fast", "other"]
    assert [m.describe()["real_accuracy"] for m in shown] == [0.9, 0.7, None]
