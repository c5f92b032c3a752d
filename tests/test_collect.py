"""Collecting labelled drawings: the store, the API's answers and refusals, and the split."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from digitlab.app import cli, revisions, serve
from digitlab.app.collect import CollectError, Collection
from digitlab.app.predict import predict_files
from digitlab.app.weights import load_weights
from digitlab.core.errors import ConfigError
from digitlab.lab.drawn import pad_png
from digitlab.mlp import mine
from digitlab.mlp.evaluation import evaluate_mine
from digitlab.mlp.model import MLP, ModelSpec, load_model, save_model
from tests.test_serve import Server, request

SHA = "0" * 64


def files_under(root: Path) -> list[str]:
    """Every file under root, relative, sorted: what a refusal must leave untouched."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def drawing(seed: int) -> bytes:
    """A stroke of three random points per seed, on the page's white pad, as a PNG."""
    points = np.random.default_rng(seed).uniform(0.2, 0.8, (3, 2))
    return pad_png([[(float(x), float(y)) for x, y in points]], side=56, pen=5)


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    """A small untrained model saved as the CLI would load it."""
    path = tmp_path / "model.pt"
    save_model(MLP(ModelSpec(hidden_sizes=(16,)), torch.Generator().manual_seed(0)), path)
    return path


@pytest.fixture
def collecting(tmp_path: Path, model_file: Path) -> Iterator[tuple[Server, Path]]:
    """A server collecting into tmp_path/mine with small caps: 5 files, 1 MB."""
    root = tmp_path / "mine"
    collection = Collection(root, max_files=5, max_mb=1)
    httpd = serve.make_server(
        [revisions.from_file(model_file, "m")], port=0, quiet=True, collection=collection
    )
    serve.serve_in_thread(httpd)
    yield ("127.0.0.1", httpd.server_port), root
    httpd.shutdown()
    httpd.server_close()


def post(server: Server, body: bytes, label: str | None) -> tuple[int, dict[str, object]]:
    path = "/api/collect" if label is None else f"/api/collect?label={label}"
    status, _, answer = request(server, "POST", path, body)
    return status, json.loads(answer)


def test_a_png_is_stored_byte_for_byte_under_its_label_named_by_its_sha256(
    collecting: tuple[Server, Path],
) -> None:
    """201 with path, label and count; the file is the posted PNG, named by its sha256."""
    server, root = collecting
    data = drawing(0)
    status, answer = post(server, data, "1")
    sha = hashlib.sha256(data).hexdigest()
    assert status == 201
    assert answer["label"] == 1
    assert answer["count"] == 1
    assert answer["sha256"] == sha
    assert Path(str(answer["path"])) == root / "1" / f"{sha}.png"
    assert (root / "1" / f"{sha}.png").read_bytes() == data


def test_the_same_bytes_twice_store_one_file_and_a_new_label_moves_it(
    collecting: tuple[Server, Path],
) -> None:
    """Twice: 200 and one file. Again under 7: moved, so the person's correction wins."""
    server, root = collecting
    data = drawing(0)
    assert post(server, data, "1")[0] == 201
    status, answer = post(server, data, "1")
    assert status == 200
    assert answer["count"] == 1
    assert len(files_under(root)) == 1
    status, answer = post(server, data, "7")
    assert status == 200
    assert answer["moved_from"] == 1
    assert answer["label"] == 7
    assert files_under(root) == [f"7/{hashlib.sha256(data).hexdigest()}.png"]


def test_a_jpeg_is_stored_as_png_named_by_the_png_sha256(
    collecting: tuple[Server, Path],
) -> None:
    """Other formats are converted: the stored file is a PNG whose sha256 is its name."""
    server, _root = collecting
    buffer = io.BytesIO()
    Image.open(io.BytesIO(drawing(1))).convert("RGB").save(buffer, "JPEG")
    status, answer = post(server, buffer.getvalue(), "7")
    assert status == 201
    stored = Path(str(answer["path"]))
    assert stored.read_bytes().startswith(b"\x89PNG")
    assert stored.name == hashlib.sha256(stored.read_bytes()).hexdigest() + ".png"


@pytest.mark.parametrize(
    ("label", "body", "status"),
    [
        (None, "drawing", 400),
        ("10", "drawing", 400),
        ("-1", "drawing", 400),
        ("../x", "drawing", 400),
        ("1/../../x", "drawing", 400),
        ("x", "drawing", 400),
        ("3", "text", 400),
        ("3", "blank", 400),
    ],
)
def test_a_bad_label_or_body_is_refused_with_one_line_and_nothing_written(
    collecting: tuple[Server, Path], label: str | None, body: str, status: int
) -> None:
    """Labels outside 0-9 (paths included) and bodies that are no picture of a digit: 400."""
    server, root = collecting
    blank = io.BytesIO()
    Image.new("L", (40, 40), 255).save(blank, "PNG")
    data = {"drawing": drawing(0), "text": b"not an image", "blank": blank.getvalue()}[body]
    got, answer = post(server, data, label)
    assert got == status
    assert "\n" not in str(answer["error"])
    assert answer["error"]
    assert files_under(root) == []
    assert not (root.parent / "x").exists()


def test_a_body_over_the_cap_is_refused_unread(collecting: tuple[Server, Path]) -> None:
    """413 before the body is read; nothing is written."""
    server, root = collecting
    headers = {"Content-Length": str(serve.MAX_BODY + 1)}
    status, _, answer = request(server, "POST", "/api/collect?label=1", b"", headers)
    assert status == 413
    assert "error" in json.loads(answer)
    assert files_under(root) == []


def test_a_flood_past_the_file_cap_gets_507_naming_the_flag(
    collecting: tuple[Server, Path],
) -> None:
    """The sixth distinct digit is refused with 507 and --collect-max-files; five are kept."""
    server, root = collecting
    statuses = [post(server, drawing(seed), "1")[0] for seed in range(5)]
    assert statuses == [201] * 5
    status, answer = post(server, drawing(99), "1")
    assert status == 507
    assert "--collect-max-files" in str(answer["error"])
    assert len(files_under(root)) == 5


def test_the_size_cap_gets_507_naming_its_flag(tmp_path: Path) -> None:
    """Past --collect-max-mb: 507 naming that flag, and nothing written."""
    collection = Collection(tmp_path / "mine", max_mb=0.0001)  # about 100 bytes
    with pytest.raises(CollectError) as refused:
        collection.save(drawing(0), "1")
    assert refused.value.status == 507
    assert "--collect-max-mb" in str(refused.value)
    assert files_under(tmp_path) == []


def test_a_folder_that_cannot_be_written_gets_a_json_error(
    model_file: Path, tmp_path: Path
) -> None:
    """A file where the folder should be (root ignores permissions): 500, one line."""
    blocker = tmp_path / "mine"
    blocker.write_text("a file, not a folder")
    httpd = serve.make_server(
        [revisions.from_file(model_file)], port=0, quiet=True, collection=Collection(blocker)
    )
    serve.serve_in_thread(httpd)
    try:
        status, answer = post(("127.0.0.1", httpd.server_port), drawing(0), "1")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert status == 500
    assert str(blocker) in str(answer["error"])
    assert blocker.read_text() == "a file, not a folder"


def test_delete_removes_that_sha_under_any_label_and_nothing_else(
    collecting: tuple[Server, Path],
) -> None:
    """DELETE /api/collect/<sha> deletes one file; a bad or unknown sha is 400 or 404."""
    server, root = collecting
    _, kept = post(server, drawing(0), "1")
    _, gone = post(server, drawing(1), "7")
    status, _, answer = request(server, "DELETE", f"/api/collect/{gone['sha256']}")
    assert status == 200
    assert json.loads(answer)["label"] == 7
    assert files_under(root) == [f"1/{kept['sha256']}.png"]
    assert request(server, "DELETE", f"/api/collect/{SHA}")[0] == 404
    assert request(server, "DELETE", "/api/collect/..%2F1")[0] == 400
    assert len(files_under(root)) == 1


def test_get_collect_counts_every_label(collecting: tuple[Server, Path]) -> None:
    """GET /api/collect: the folder, ten counts and the caps."""
    server, _ = collecting
    post(server, drawing(0), "1")
    post(server, drawing(1), "7")
    status, _, answer = request(server, "GET", "/api/collect")
    info = json.loads(answer)
    assert status == 200
    assert info["total"] == 2
    assert info["max_files"] == 5
    assert info["counts"] == {str(d): int(d in (1, 7)) for d in range(10)}


def test_without_collect_every_collect_route_is_403_and_the_page_hides_the_buttons(
    model_file: Path,
) -> None:
    """Collecting off: GET, POST and DELETE answer 403; /api/models says collecting false."""
    httpd = serve.make_server([revisions.from_file(model_file)], port=0, quiet=True)
    serve.serve_in_thread(httpd)
    server = ("127.0.0.1", httpd.server_port)
    try:
        assert request(server, "GET", "/api/collect")[0] == 403
        assert request(server, "POST", "/api/collect?label=1", drawing(0))[0] == 403
        assert request(server, "DELETE", f"/api/collect/{SHA}")[0] == 403
        assert json.loads(request(server, "GET", "/api/models")[2])["collecting"] is False
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_eight_clients_saving_a_thousand_digits_lose_none_and_duplicate_none(
    tmp_path: Path, model_file: Path
) -> None:
    """1,000 distinct drawings from 8 threads at once: 1,000 files, each under its label."""
    root = tmp_path / "mine"
    httpd = serve.make_server(
        [revisions.from_file(model_file)], port=0, quiet=True, collection=Collection(root)
    )
    serve.serve_in_thread(httpd)
    server = ("127.0.0.1", httpd.server_port)
    bodies = [drawing(i) for i in range(1000)]
    assert len(set(bodies)) == 1000
    statuses: list[int] = []

    def client(start: int) -> None:
        for i in range(start, 1000, 8):
            statuses.append(post(server, bodies[i], str(i % 10))[0])

    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    httpd.shutdown()
    httpd.server_close()
    assert statuses.count(201) == 1000
    stored = files_under(root)
    assert len(stored) == 1000
    for i, body in enumerate(bodies):
        assert f"{i % 10}/{hashlib.sha256(body).hexdigest()}.png" in stored


def test_collect_beyond_loopback_needs_collect_public(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--collect with --host 0.0.0.0 exits 2 with one line naming --collect-public."""
    code = cli.main(["serve", "--host", "0.0.0.0", "--port", "0", "--collect", str(tmp_path / "m")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "--collect-public" in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "m").exists()


def test_the_halves_follow_the_sha256_and_never_overlap(tmp_path: Path) -> None:
    """Odd last hex digit: test; even: train. Adding files never moves one between halves."""
    for i in range(30):
        folder = tmp_path / str(i % 10)
        folder.mkdir(exist_ok=True)
        (folder / f"d{i}.png").write_bytes(drawing(i))
    before = {d.sha256: d.half for d in mine.list_digits(tmp_path)}
    for d in mine.list_digits(tmp_path):
        assert d.half == ("test" if int(d.sha256[-1], 16) % 2 else "train")
    (tmp_path / "3" / "new.png").write_bytes(drawing(77))
    after = {d.sha256: d.half for d in mine.list_digits(tmp_path)}
    assert all(after[sha] == half for sha, half in before.items())
    train = {d.path for d in mine.half(mine.list_digits(tmp_path), "train")}
    test = {d.path for d in mine.half(mine.list_digits(tmp_path), "test")}
    assert train
    assert test
    assert not train & test


def test_teaching_reads_the_train_half_alone_and_needs_the_folder_as_its_dep(
    tmp_path: Path,
) -> None:
    """teaching_set returns exactly the train half; with the wrong dep it refuses in one line."""
    for i in range(20):
        folder = tmp_path / str(i % 10)
        folder.mkdir(exist_ok=True)
        (folder / f"d{i}.png").write_bytes(drawing(i))
    params = mine.TeachParams(digits=str(tmp_path), weight=3)
    images, labels = mine.teaching_set(tmp_path, params) or (None, None)
    train = mine.half(mine.list_digits(tmp_path), "train")
    assert images is not None
    assert labels is not None
    assert len(images) == len(train) < 20
    assert labels.tolist() == [d.label for d in train]
    assert mine.teaching_set(tmp_path, mine.TeachParams()) is None
    with pytest.raises(ConfigError, match=r"train\.mine\.digits must be"):
        mine.teaching_set(tmp_path, mine.TeachParams(weight=3))


def test_mine_accuracy_agrees_with_digitlab_predict_on_the_test_half(tmp_path: Path) -> None:
    """evaluate's torch score and the numpy predictor read the same test-half files alike."""
    root = tmp_path / "mine"
    for i in range(24):
        folder = root / str(i % 10)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"d{i}.png").write_bytes(drawing(i))
    spec = ModelSpec(hidden_sizes=(32,), deskew=True)
    save_model(MLP(spec, torch.Generator().manual_seed(3)), tmp_path / "m.pt")
    images, labels = mine.load_half(root, "test")
    metrics = evaluate_mine(
        load_model(tmp_path / "m.pt"), torch.from_numpy(images), torch.from_numpy(labels)
    )
    test_files = [d.path for d in mine.half(mine.list_digits(root), "test")]
    read = predict_files(load_weights(tmp_path / "m.safetensors"), test_files)
    agreed = np.mean([r.label == d for r, d in zip(read, labels.tolist(), strict=True)])
    assert metrics["mine_count"] == len(test_files) > 0
    assert metrics["mine_accuracy"] == pytest.approx(agreed)
    assert evaluate_mine(load_model(tmp_path / "m.pt"), torch.zeros(0, 784), torch.zeros(0)) == {}


def test_train_makes_the_empty_folder_only_where_the_record_says_empty(tmp_path: Path) -> None:
    """No data/mine and data/mine.dvc of an empty folder: made. A record of digits: left
    missing, so DVC asks for `dvc pull` instead of recording an empty folder over them."""
    root = tmp_path / "mine"
    record = tmp_path / "mine.dvc"
    record.write_text("outs:\n- md5: d751713988987e9331980363e24189ce.dir\n  nfiles: 0\n")
    assert mine.teaching_set(root, mine.TeachParams()) is None
    assert root.is_dir()
    root.rmdir()
    record.write_text("outs:\n- md5: 0123.dir\n  nfiles: 20\n  path: mine\n")
    mine.teaching_set(root, mine.TeachParams())
    assert not root.exists()
