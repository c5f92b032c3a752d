"""`digitlab serve`: a local page where you draw a digit and every loaded model reads it.

Standard library only: a ThreadingHTTPServer with three routes. The page is one
static file shipped in the package; predictions go through `read_digit`, the same
preprocessing as `digitlab predict` and the `predict` stage.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from digitlab.app.collect import CollectError, Collection
from digitlab.app.predict import classify
from digitlab.app.revisions import ServedModel
from digitlab.app.weights import Weights
from digitlab.core.errors import DataError, ImageError
from digitlab.mlp.preprocess import read_digit

MAX_BODY = 4 * 1024 * 1024  # a phone photo fits; anything larger is refused unread
CLIENT_TIMEOUT = 10.0  # seconds a connection may sit idle before it is dropped
ROUTES = {
    "/": "GET",
    "/index.html": "GET",
    "/api/models": "GET",
    "/api/predict": "POST",
    "/api/collect": "GET, POST",
    "/api/collect/": "DELETE",  # /api/collect/<sha256>
}
COLLECT_OFF = "collecting is off; start the server with --collect DIR (make serve: data/mine)"


def predict_json(models: Sequence[ServedModel], data: bytes) -> dict[str, Any]:
    """What the page shows for image bytes: the 28×28 input and each model's reading.

    ImageError if the bytes are not a picture of a digit.
    """
    image = read_digit(data)  # (28, 28)
    readings = []
    for served in models:
        (probabilities,) = classify(served.model, [image])  # (10,)
        label = int(np.argmax(probabilities))
        readings.append({
            "name": served.name,
            "label": label,
            "confidence": probabilities[label],
            "probabilities": list(probabilities),
        })  # fmt: skip
    return {"input": np.round(image, 3).tolist(), "models": readings}


def same_weights(a: Weights, b: Weights) -> bool:
    """Whether two models compute the same function: equal recipe and equal arrays."""
    recipe = (a.activation, a.shift, a.scale, a.logits, len(a.layers))
    if recipe != (b.activation, b.shift, b.scale, b.logits, len(b.layers)):
        return False
    return all(
        np.array_equal(wa, wb) and np.array_equal(ba, bb)
        for (wa, ba), (wb, bb) in zip(a.layers, b.layers, strict=True)
    )


def distinct(models: Sequence[ServedModel]) -> list[ServedModel]:
    """One entry per distinct model, named by all its names ("workspace = fast") after an
    experiment was applied to the workspace, best real-scan accuracy first (unknown last)."""
    groups: list[list[ServedModel]] = []
    for served in models:
        group = next((g for g in groups if same_weights(g[0].model, served.model)), None)
        if group is None:
            groups.append([served])
        else:
            group.append(served)
    merged = [
        replace(group[0], name=" = ".join(m.name for m in group)) if len(group) > 1 else group[0]
        for group in groups
    ]
    return sorted(merged, key=lambda m: -m.metrics.get("real_accuracy", -1.0))


def page() -> bytes:
    """The drawing page: one HTML file with its CSS and JS inline, shipped in the package."""
    return resources.files("digitlab.app").joinpath("page.html").read_bytes()


class Handler(BaseHTTPRequestHandler):
    """The page, /api/models, /api/predict and (with --collect) /api/collect; every error is
    JSON with a fitting status."""

    server_version = "digitlab"
    timeout = CLIENT_TIMEOUT  # an idle client is dropped; its thread ends, others go on
    models: Sequence[ServedModel] = ()
    collection: Collection | None = None
    quiet = False

    def do_GET(self) -> None:
        """The page, the model list, or the collected counts."""
        path = self._route("GET")
        if path == "/api/models":
            collecting = self.collection is not None
            models = [m.describe() for m in self.models]
            self._json(HTTPStatus.OK, {"models": models, "collecting": collecting})
        elif path == "/api/collect":
            self._collect(lambda collection: (HTTPStatus.OK, collection.describe()))
        elif path:
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", page())

    def do_POST(self) -> None:
        """Read the digit in the posted image bytes, or save them under ?label=N."""
        path = self._route("POST")
        if not path:
            return
        body = self._body()
        if body is None:
            return
        if path == "/api/collect":
            label = parse_qs(urlsplit(self.path).query).get("label", [None])[0]
            self._collect(lambda collection: collection.save(body, label))
            return
        try:
            self._json(HTTPStatus.OK, predict_json(self.models, body))
        except ImageError as err:
            self._error(HTTPStatus.BAD_REQUEST, str(err))

    def do_DELETE(self) -> None:
        """Delete the collected digit /api/collect/<sha256>."""
        path = self._route("DELETE")
        if path:
            sha = path.removeprefix("/api/collect/")
            self._collect(lambda collection: (HTTPStatus.OK, collection.delete(sha)))

    def do_PUT(self) -> None:
        """No route takes PUT."""
        self._route("PUT")

    do_PATCH = do_HEAD = do_OPTIONS = do_PUT  # noqa: N815

    def _collect(self, act: Callable[[Collection], tuple[HTTPStatus, dict[str, Any]]]) -> None:
        """Answer with act(collection), 403 when collecting is off, or the refusal's status."""
        if self.collection is None:
            self._error(HTTPStatus.FORBIDDEN, COLLECT_OFF)
            return
        try:
            self._json(*act(self.collection))
        except CollectError as err:
            self._error(err.status, str(err))

    def _body(self) -> bytes | None:
        """The request body; None after answering 411 or 413 when it has no length or is
        over MAX_BODY (then left unread)."""
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._error(HTTPStatus.LENGTH_REQUIRED, "send the image with a Content-Length")
            return None
        if int(length) > MAX_BODY:
            self.close_connection = True  # the unread body must not be parsed as a request
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"over {MAX_BODY:,} bytes")
            return None
        return self.rfile.read(int(length))

    def _route(self, method: str) -> str | None:
        """The path when `method` is one of its route's; otherwise answer 404 or 405 and None."""
        path = urlsplit(self.path).path
        prefix = "/api/collect/"
        allowed = ROUTES.get(prefix if path.startswith(prefix) else path)
        if allowed is None:
            self._error(HTTPStatus.NOT_FOUND, f"no such path: {path[:80]}")
            return None
        if method not in allowed.split(", "):
            message = f"{path[:80]} takes {allowed}"
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, message, allow=allowed)
            return None
        return path

    def _error(self, status: HTTPStatus, message: str, allow: str | None = None) -> None:
        self._json(status, {"error": message}, {"Allow": allow} if allow else {})

    def _json(
        self, status: HTTPStatus, data: object, headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(data).encode()
        self._send(status, "application/json", body, headers or {})

    def _send(
        self, status: HTTPStatus, kind: str, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """One line per request on stderr, unless quiet."""
        if not self.quiet:
            super().log_message(format, *args)


def make_server(
    models: Sequence[ServedModel],
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    quiet: bool = False,
    client_timeout: float = CLIENT_TIMEOUT,
    collection: Collection | None = None,
) -> ThreadingHTTPServer:
    """A server bound to host:port (0: a free port) that serves `models`, and saves labelled
    drawings to `collection` when given; not yet started.

    DataError, in one line, if the address cannot be bound (in use, not this machine's).
    """
    attributes = {
        "models": tuple(distinct(models)),
        "collection": collection,
        "quiet": quiet,
        "timeout": client_timeout,
    }
    kind = IPv6Server if ":" in host else ThreadingHTTPServer
    try:
        server = kind((host, port), type("BoundHandler", (Handler,), attributes))
    except OSError as err:
        raise DataError(
            f"cannot listen on {host}:{port} ({err.strerror or err}); pick another --port or --host"
        ) from None
    server.daemon_threads = True  # a stuck client never keeps the process alive
    return server


class IPv6Server(ThreadingHTTPServer):
    """The same server on an IPv6 address such as :: or ::1."""

    address_family = socket.AF_INET6


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    """Run server.serve_forever in a daemon thread (for tests and benchmarks)."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
