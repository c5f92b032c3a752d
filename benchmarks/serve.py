"""The page's server under 8 concurrent clients, then a burst of malformed requests."""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from benchmarks.harness import ROOT, Section
from digitlab.lab.drawn import ONE, pad_png


def post(url: str, body: bytes) -> tuple[int, float]:
    """(status, seconds) of one POST to the server."""
    start = time.perf_counter()
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        query = f"?{parts.query}" if parts.query else ""
        connection.request("POST", parts.path + query, body=body)
        status = connection.getresponse().status
    finally:
        connection.close()
    return status, time.perf_counter() - start


def _junk(url: str, payload: bytes) -> None:
    """Send raw bytes and read whatever comes back until the server closes."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as raw:
        raw.sendall(payload)
        raw.shutdown(socket.SHUT_WR)
        while raw.recv(65536):
            pass


def _rss_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of a process, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines())
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}


@contextmanager
def running(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`digitlab serve --port 0 --quiet ARGS` in a subprocess: (the process, its base URL),
    stopped on exit."""
    command = [str(Path(sys.executable).parent / "digitlab"), "serve", "--port", "0", "--quiet"]
    server = subprocess.Popen([*command, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        yield server, server.stdout.readline().split()[-1]
    finally:
        server.terminate()
        server.wait(timeout=10)


def bench(tmp: Path) -> Section:
    """8 concurrent clients against `digitlab serve` with two models; then a malformed burst."""
    second = tmp / "second.pt"  # a second model: a copy, so the numbers need no experiment
    for suffix in (".safetensors", ".json"):
        shutil.copy(ROOT / f"models/mlp{suffix}", second.with_suffix(suffix))
    with running("--model", str(second)) as (server, base):
        rest_mb = _rss_mb(server.pid)["VmRSS"]  # loaded, nothing served yet
        url, body, clients, per_client = base + "api/predict", pad_png([ONE]), 8, 50
        post(url, body)  # warm-up: first-call allocations
        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(lambda _: post(url, body), range(clients * per_client)))
        wall = time.perf_counter() - start
        rss = _rss_mb(server.pid)
        junk = [
            b"\x00\xffgarbage\r\n\r\n",
            b"POST /api/predict HTTP/1.1\r\nContent-Length: 9\r\n\r\nnot a png",
            b"GET /../../etc/passwd HTTP/1.1\r\n\r\n",
            b"DELETE / HTTP/1.1\r\n\r\n",
            b"POST /api/predict HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
        ]
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda i: _junk(base, junk[i % len(junk)]), range(200)))
        after, _ = post(url, body)
    latencies = sorted(seconds for _, seconds in results)
    errors = sum(code != 200 for code, _ in results)
    p50, p99 = (1000 * latencies[int(q * (len(latencies) - 1))] for q in (0.5, 0.99))
    throughput = len(results) / wall
    data = {
        "clients": clients, "requests": len(results), "throughput": throughput, "p50_ms": p50,
        "p99_ms": p99, "errors": errors, "rss_mb": rss["VmRSS"], "peak_rss_mb": rss["VmHWM"],
        "rest_rss_mb": rest_mb,
        "after_malformed_status": after,
    }  # fmt: skip
    return Section([
        "## Server load (issue 10)",
        "",
        f"`digitlab serve` with two models (the workspace's and a copy), {clients} concurrent "
        f"clients, {len(results)} POST /api/predict of a drawn '1' (a 280×280 PNG), one "
        "connection per request, on this machine's 2 cores; the clients share those cores.",
        "",
        "| what | value | target |",
        "|---|---|---|",
        f"| throughput | {throughput:.0f} predictions/s | ≥ 200 |",
        f"| latency p50 | {p50:.1f} ms | — |",
        f"| latency p99 | {p99:.1f} ms | ≤ 50 |",
        f"| errors | {errors} of {len(results)} | 0 |",
        f"| server memory at rest, models loaded | {rest_mb:.0f} MB | ≤ 250 |",
        f"| server memory after the load (RSS now / peak) | {rss['VmRSS']:.0f} / "
        f"{rss['VmHWM']:.0f} MB | ≤ 250 |",
        f"| after 200 malformed requests, a good one | HTTP {after} | 200 |",
        "",
    ], data)  # fmt: skip
