"""Benchmarks for the pipeline and the train stage; writes benchmarks/results.md.

    python benchmarks/bench.py                 # everything (about 8 minutes on 2 cores)
    python benchmarks/bench.py --only serve    # one section (see SECTIONS at the bottom)

Timing is noisy, so each number says how it was taken; ratios come from one run.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from digitlab.core.io import write_json, write_text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tools/: the scripts beside this one, imported where used
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


class Section(NamedTuple):
    """A section of results.md and the numbers it shows, for results.json and `make docs`."""

    lines: list[str]
    data: dict[str, Any]


def sh(*command: str, cwd: Path) -> float:
    """Run a command; return its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=ENV, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def fresh_clone(tmp: Path) -> Path:
    """A fresh clone of the committed HEAD: what a new user starts from."""
    clone = tmp / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    return clone


def bench_classical(tmp: Path) -> Section:
    clone = fresh_clone(tmp)
    first = sh(sys.executable, "-m", "dvc", "repro", "-f", "fit", cwd=clone)
    noop = [sh(sys.executable, "-m", "dvc", "repro", "fit", cwd=clone) for _ in range(3)]
    data = {"repro_fit_seconds": first, "noop_seconds": statistics.median(noop)}
    return Section([
        "## Classical stages (issue 2)",
        "",
        "| what | seconds | target |",
        "|---|---|---|",
        f"| `dvc repro -f fit` (generate + 7 fits), fresh clone | {first:.1f} | < 60 |",
        f"| no-op `dvc repro fit`, median of 3 | {statistics.median(noop):.2f} | < 3 |",
        "",
    ], data)  # fmt: skip


def tutorial_epoch_seconds(root: Path, epochs: int) -> list[float]:
    """The tutorial's loop: torchvision MNIST + ToTensor through a DataLoader, batch 6000."""
    from torchvision import datasets, transforms

    from digitlab.mlp.model import MLP, ModelSpec

    data = datasets.MNIST(str(root), train=True, transform=transforms.ToTensor())
    loader = torch.utils.data.DataLoader(data, batch_size=6000, shuffle=True)
    net = MLP(ModelSpec())  # the tutorial's Net: 784-200-200-200-10, ReLU, fc1..fc4
    optimizer = torch.optim.SGD(net.parameters(), lr=1.0)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        for images, labels in loader:
            scores = net(images.view(len(images), -1))  # (B, 1, 28, 28) -> (B, 784) -> (B, 10)
            loss = nn.functional.mse_loss(scores, nn.functional.one_hot(labels, 10).float())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    return times


def gemm_floor_epoch_seconds(epochs: int) -> list[float]:
    """Only the matrix multiplies of one epoch: same shapes, same count, nothing else."""
    batch, widths = 6000, [784, 200, 200, 200, 10]
    acts = [torch.rand(batch, w) for w in widths]
    weights = [torch.rand(o, i) for i, o in itertools.pairwise(widths)]
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        for _ in range(10):  # 60,000 / 6,000 steps
            for layer, w in enumerate(weights):
                acts[layer + 1] = acts[layer] @ w.T  # forward (B, in) -> (B, out)
                grad_out = acts[layer + 1]
                _ = grad_out.T @ acts[layer]  # weight gradient (out, in)
                if layer > 0:
                    _ = grad_out @ w  # input gradient (B, in)
        times.append(time.perf_counter() - start)
    return times


def bench_train(tmp: Path) -> Section:
    clone = fresh_clone(tmp)
    sh(sys.executable, "-m", "dvc", "repro", "download", cwd=clone)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    ours = sh(sys.executable, "-m", "dvc", "repro", "train", cwd=clone)
    peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    train_seconds = json.loads((clone / "metrics/train.json").read_text())["train_seconds"]
    sh(sys.executable, "-m", "dvc", "repro", "evaluate", cwd=clone)
    fp32_accuracy = json.loads((clone / "metrics/evaluate.json").read_text())["test_accuracy"]
    # The same config with bf16 matmuls: not the default (the math differs), measured to see.
    params = (clone / "params.yaml").read_text().replace("precision: fp32", "precision: bf16")
    (clone / "params.yaml").write_text(params)
    sh(sys.executable, "-m", "dvc", "repro", "evaluate", cwd=clone)
    bf16 = json.loads((clone / "metrics/train.json").read_text())
    bf16 |= json.loads((clone / "metrics/evaluate.json").read_text())
    tutorial = tutorial_epoch_seconds(clone / "data/mnist", epochs=3)
    floor = gemm_floor_epoch_seconds(epochs=5)
    per_epoch = train_seconds / 200
    tutorial_200 = statistics.median(tutorial) * 200
    floor_200 = statistics.median(floor) * 200
    data = {
        "tutorial_loop_seconds_200": tutorial_200, "train_seconds": train_seconds,
        "gemm_floor_seconds_200": floor_200, "bf16_train_seconds": bf16["train_seconds"],
        "fp32_test_accuracy": fp32_accuracy, "bf16_test_accuracy": bf16["test_accuracy"],
        "speedup": tutorial_200 / train_seconds, "speedup_target": 5.0,
        "floor_ratio": train_seconds / floor_200, "repro_train_seconds": ours,
        "peak_mb": peak_mb,
    }  # fmt: skip
    return Section([
        "## Train stage, default params (issues 3 and 5)",
        "",
        "| what | seconds for 200 epochs | per epoch | how measured |",
        "|---|---|---|---|",
        f"| (a) the tutorial's loop (DataLoader + ToTensor) | {tutorial_200:.0f} | "
        f"{statistics.median(tutorial):.2f} | median of 3 epochs × 200 |",
        f"| (b) our `train` stage (`train_seconds`) | {train_seconds:.1f} | {per_epoch:.3f} | "
        "full run |",
        f"| (c) GEMM-only floor, same shapes and count | {floor_200:.1f} | "
        f"{statistics.median(floor):.3f} | median of 5 epochs × 200 |",
        f"| (b) with `-S train.precision=bf16` (not the default) | {bf16['train_seconds']:.1f} | "
        f"{bf16['train_seconds'] / 200:.3f} | full run |",
        "",
        f"- test accuracy: fp32 {fp32_accuracy:.2%}, bf16 {bf16['test_accuracy']:.2%} "
        f"({(bf16['test_accuracy'] - fp32_accuracy) * 100:+.2f} points)",
        f"- speed-up of (b) over (a): **{tutorial_200 / train_seconds:.1f}×** (target ≥ 5×: "
        f"{'met' if tutorial_200 / train_seconds >= 5 else '**missed**'})",
        f"- (b) / (c): **{train_seconds / floor_200:.2f}×** the GEMM floor",
        f"- whole `dvc repro train` (process start, data load, training, saving): {ours:.1f} s",
        f"- peak resident memory of the train stage: **{peak_mb:.0f} MB** (target ≤ 2048)",
        "",
    ], data)  # fmt: skip


def bench_pipeline(tmp: Path) -> Section:
    clone = fresh_clone(tmp)
    fresh = sh(sys.executable, "-m", "dvc", "repro", cwd=clone)
    forced = sh(sys.executable, "-m", "dvc", "repro", "--force", cwd=clone)
    return Section([
        "## Whole pipeline (issue 3)",
        "",
        "| what | seconds | target |",
        "|---|---|---|",
        f"| `dvc repro` in a fresh clone, deps installed, MNIST from PyPI | {fresh:.0f} | ≤ 300 |",
        f"| `dvc repro --force` there: every stage, none skipped | {forced:.0f} | — |",
        "",
        "In a fresh clone DVC skips the stages whose committed outputs (`cache: false`) already",
        "match dvc.lock (the seven fits, evaluate), and reruns those whose outputs live in",
        "the DVC cache (download, download_real, train, predict).",
        "",
    ], {"fresh_repro_seconds": fresh, "forced_repro_seconds": forced})  # fmt: skip


def _post(url: str, body: bytes) -> tuple[int, float]:
    """(status, seconds) of one POST to the server."""
    start = time.perf_counter()
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("POST", parts.path, body=body)
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


# The last commit whose `digitlab predict` ran on torch: the "before" of the predict bench.
TORCH_PREDICT_REV = "0790a15"
MINIMAL = ("numpy==2.4.6", "pillow==13.0.0", "safetensors==0.8.0")  # the app's install
PEAK_RSS = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"  # noqa: E501


def _cold_runs(python: str, src: Path, files: list[Path], runs: int = 5) -> dict[str, float]:
    """`digitlab predict FILES` from a cold process, `runs` times: median seconds, peak MB."""
    env = {**ENV, "PYTHONPATH": str(src)}
    command = [python, "-m", "digitlab.app.cli", "predict", "--model",
               str(ROOT / "models/mlp.pt"), *map(str, files)]  # fmt: skip
    seconds, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", PEAK_RSS, *command], env=env, cwd=ROOT,
                             capture_output=True, text=True, check=True)  # fmt: skip
        seconds.append(time.perf_counter() - start)
        peaks.append(int(out.stdout.split()[-1]) / 1024)
    return {"seconds": statistics.median(seconds), "peak_mb": max(peaks)}


def _size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def bench_predict(tmp: Path) -> Section:
    """`digitlab predict` on 1 and 100 files, cold: torch before, numpy after, in the full
    venv and in a minimal one (numpy, Pillow, safetensors)."""
    from PIL import Image

    from digitlab.mlp.data import load_split

    images, _ = load_split(ROOT / "data/mnist", train=False)
    files = []
    for i in range(100):
        files.append(tmp / f"digit{i:03d}.png")
        Image.fromarray((images[i].reshape(28, 28).numpy() * 255).astype("uint8")).save(files[-1])
    before = tmp / "before"
    subprocess.run(["git", "worktree", "add", "-q", "--detach", str(before), TORCH_PREDICT_REV],
                   cwd=ROOT, check=True)  # fmt: skip
    minimal = tmp / "minimal"
    subprocess.run([sys.executable, "-m", "venv", str(minimal)], check=True)
    subprocess.run([str(minimal / "bin/python"), "-m", "pip", "install", "-q", *MINIMAL],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    setups = {
        "before: torch, full venv": (sys.executable, before / "src"),
        "after: numpy, full venv": (sys.executable, ROOT / "src"),
        "after: numpy, minimal venv": (str(minimal / "bin/python"), ROOT / "src"),
    }
    try:
        results = {name: {str(n): _cold_runs(py, src, files[:n]) for n in (1, 100)}
                   for name, (py, src) in setups.items()}  # fmt: skip
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT, check=True)
    site = Path(sys.executable).parent.parent / "lib"
    sizes = {"full": _size_mb(site), "minimal": _size_mb(minimal / "lib")}
    rows = [f"| {name} | {r['1']['seconds']:.2f} s, {r['1']['peak_mb']:.0f} MB | "
            f"{r['100']['seconds']:.2f} s, {r['100']['peak_mb']:.0f} MB |"
            for name, r in results.items()]  # fmt: skip
    return Section([
        "## Predict without torch (issue 18)",
        "",
        "`digitlab predict` from a cold process, median of 5, with the process's peak "
        "resident memory; MNIST test digits as PNG files.",
        "",
        "| setup | 1 file | 100 files |",
        "|---|---|---|",
        *rows,
        "",
        f"Installed size: the full venv {sizes['full']:.0f} MB, the minimal one "
        f"({', '.join(MINIMAL)}) {sizes['minimal']:.0f} MB.",
        "",
    ], {"runs": results, "venv_mb": sizes})  # fmt: skip


def bench_serve(tmp: Path) -> Section:
    """8 concurrent clients against `digitlab serve` with two models; then a malformed burst."""
    from tools.drawn import ONE, pad_png

    second = tmp / "second.pt"  # a second model: a copy, so the numbers need no experiment
    for suffix in (".safetensors", ".json"):
        shutil.copy(ROOT / f"models/mlp{suffix}", second.with_suffix(suffix))
    command = [str(Path(sys.executable).parent / "digitlab"), "serve", "--port", "0", "--quiet"]
    server = subprocess.Popen(
        [*command, "--model", str(second)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        base = server.stdout.readline().split()[-1]
        rest_mb = _rss_mb(server.pid)["VmRSS"]  # loaded, nothing served yet
        url, body, clients, per_client = base + "api/predict", pad_png([ONE]), 8, 50
        _post(url, body)  # warm-up: first-call allocations
        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(lambda _: _post(url, body), range(clients * per_client)))
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
        after, _ = _post(url, body)
    finally:
        server.terminate()
        server.wait(timeout=10)
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


GRID = ["-S", "train.lr=0.001,0.003", "-S", "train.seed=0,1"]  # 4 experiments
SHORT_TRAIN = {
    "hidden_sizes": [512, 512], "epochs": 4, "batch_size": 500, "validation": 5000,
    "loss": "cross_entropy", "optimizer": "adamw", "lr": 0.002, "normalize": True,
}  # fmt: skip


def _queue_busy(clone: Path) -> bool:
    """Whether `dvc queue status` still lists a queued or running experiment."""
    status = subprocess.run(
        [sys.executable, "-m", "dvc", "queue", "status"], cwd=clone, env=ENV,
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return any(word in status for word in ("Queued", "Running"))


def bench_queue(tmp: Path) -> Section:
    """A 4-experiment grid through `dvc queue`, in three worker and thread setups."""
    clone = fresh_clone(tmp)
    for key, value in (("user.email", "bench@digitlab.invalid"), ("user.name", "bench")):
        subprocess.run(["git", "config", key, value], cwd=clone, check=True)
    from tools.preset import edit_params

    mnist = [f"dir:{ROOT / 'data/mnist/MNIST/raw'}"]
    edit_params(clone / "params.yaml", {"train": SHORT_TRAIN, "download": {"sources": mnist}})
    subprocess.run(["git", "commit", "-qam", "short training for the queue bench"], cwd=clone)
    sh(sys.executable, "-m", "dvc", "repro", cwd=clone)
    subprocess.run(["git", "commit", "-qam", "baseline"], cwd=clone, check=True)
    rows, walls = [], {}
    for workers, threads in ((1, 2), (2, 1), (2, 2)):
        shutil.rmtree(clone / ".dvc/cache/runs", ignore_errors=True)  # no run-cache shortcuts
        queue = ["exp", "run", "--queue", *GRID, "-S", f"train.threads={threads}"]
        sh(sys.executable, "-m", "dvc", *queue, cwd=clone)
        start = time.perf_counter()
        sh(sys.executable, "-m", "dvc", "queue", "start", "-j", str(workers), cwd=clone)
        while _queue_busy(clone):
            time.sleep(2)
        wall = time.perf_counter() - start
        listed = subprocess.run(
            [sys.executable, "-m", "dvc", "exp", "list", "--name-only"], cwd=clone, env=ENV,
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        walls[f"j{workers}_threads{threads}"] = {"seconds": wall, "made": len(listed)}
        rows.append(f"| `-j {workers}`, `train.threads={threads}` | {wall:.0f} | {wall / 4:.1f} | "
                    f"{len(listed)} of 4 |")  # fmt: skip
        sh(sys.executable, "-m", "dvc", "exp", "remove", "--all-commits", cwd=clone)
    return Section([
        "## Queued experiments (issue 11)",
        "",
        "A grid of 4 experiments (`train.lr` × 2, `train.seed` × 2; 784-512-512-10, 4 epochs, "
        "each also running evaluate and predict) through `dvc queue start`, on 2 cores:",
        "",
        "| setup | wall seconds for 4 | seconds per experiment | experiments made |",
        "|---|---|---|---|",
        *rows,
        "",
    ], {"experiments": 4, "setups": walls})  # fmt: skip


def bench_grid(tmp: Path) -> Section:
    """Two `make exp-worker` at once in two clones against one bare origin and one folder
    remote, as two machines would, then `make exp-collect` in a third clone."""
    origin, remote = tmp / "origin.git", tmp / "remote"
    subprocess.run(["git", "clone", "-q", "--bare", str(ROOT), str(origin)], check=True)
    venv = Path(sys.executable).parent.parent

    def machine(name: str) -> Path:
        path = tmp / name
        subprocess.run(["git", "clone", "-q", str(origin), str(path)], check=True)
        for key, value in (("user.email", "bench@digitlab.invalid"), ("user.name", "bench")):
            subprocess.run(["git", "config", key, value], cwd=path, check=True)
        sh(sys.executable, "-m", "dvc", "remote", "add", "--local", "-d", "grid", str(remote),
           cwd=path)  # fmt: skip
        return path

    seed = machine("seed")  # fills the remote with the data, from this workspace's cache
    sh(sys.executable, "-m", "dvc", "cache", "dir", "--local", str(ROOT / ".dvc/cache"), cwd=seed)
    sh(sys.executable, "-m", "dvc", "push", "download", "download_real", "generate", cwd=seed)
    workers = [machine(f"worker{i}") for i in (1, 2)]
    params = (
        "-S train.epochs=3 -S train.lr=0.002 -S train.loss=cross_entropy -S train.optimizer=adamw"
    )
    start = time.perf_counter()
    running = [
        subprocess.Popen(["make", "--no-print-directory", "exp-worker", f"VENV={venv}", "SETUP=",
                          f"NAME=grid{i}", f"PARAMS={params} -S train.seed={i}"],
                         cwd=path, env=ENV, stdout=subprocess.DEVNULL)
        for i, path in enumerate(workers, start=1)
    ]  # fmt: skip
    codes = [process.wait() for process in running]
    both = time.perf_counter() - start
    collector = machine("collector")
    start = time.perf_counter()
    subprocess.run(["make", "--no-print-directory", "exp-collect", f"VENV={venv}", "SETUP="],
                   cwd=collector, env=ENV, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    collect = time.perf_counter() - start
    data = {"workers": 2, "worker_codes": codes, "parallel_seconds": both,
            "collect_seconds": collect, "epochs": 3}  # fmt: skip
    return Section([
        "## Two machines, one grid (issue 17)",
        "",
        "Two clones run `make exp-worker` at once (the tutorial config with AdamW and "
        "cross-entropy, 3 epochs, one seed each) against one bare git origin and one folder "
        "remote; then a third clone runs `make exp-collect`.",
        "",
        "| what | seconds |",
        "|---|---|",
        f"| both workers, wall (pull data, train, evaluate, predict, push) | {both:.0f} |",
        f"| `make exp-collect` (pull both, table, figure) | {collect:.0f} |",
        "",
        f"Worker exit codes: {codes}.",
        "",
    ], data)  # fmt: skip


# mutmut's exit codes per mutant: 1 means a test failed (killed); see mutmut's status table.
SURVIVED, NO_TESTS, TIMEOUTS = {0}, {33, 5}, {36, 24, 152, -24}


def bench_mutation(tmp: Path) -> Section:
    """Kill rates per module from the last `mutmut run` (make mutate), read from mutants/."""
    rows, survivors, modules = [], [], {}
    source = ROOT / "mutants/src/digitlab"
    for meta in sorted(source.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if not codes:
            continue
        survived = sorted(key for key, code in codes.items() if code in SURVIVED)
        untested = sum(code in NO_TESTS for code in codes.values())
        killed = len(codes) - len(survived) - untested
        name = str(meta.relative_to(source)).removesuffix(".meta")
        modules[name] = {"mutants": len(codes), "killed": killed, "survived": len(survived),
                         "no_tests": untested, "kill_rate": killed / len(codes)}  # fmt: skip
        rate = f"**{killed / len(codes):.0%}**" + (
            "" if killed / len(codes) >= 0.9 else " (< 90 %)"
        )
        rows.append(f"| `{name}` | {len(codes)} | {killed} | {len(survived)} | {untested} | "
                    f"{rate} |")  # fmt: skip
        survivors += survived
    if not rows:
        return Section(
            ["## Mutation testing (issue 9)", "", "No mutmut results: run `make mutate`.", ""], {}
        )
    by_function: dict[str, int] = {}
    for key in survivors:
        module, _, mangled = key.split("__mutmut_")[0].rpartition(".")
        function = f"{module.split('.')[-1]}.{re.sub(r'^x[_ǁ]', '', mangled).replace('ǁ', '.')}"
        by_function[function] = by_function.get(function, 0) + 1
    worst = sorted(by_function.items(), key=lambda item: -item[1])[:12]
    return Section([
        "## Mutation testing (issue 9)",
        "",
        "`make mutate`: mutmut 3 over every library module against the fast tests (no DVC runs,",
        "no browser). Killed = some test failed; no tests = no fast test reaches that code.",
        "",
        "| module | mutants | killed | survived | no tests | kill rate |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "Functions with the most survivors: "
        + ", ".join(f"`{name}` ({count})" for name, count in worst)
        + ".",
        "Which survivors are harmless, and which are not: "
        "[mutation-survivors.md](mutation-survivors.md).",
        "",
    ], {"modules": modules})  # fmt: skip


# The targets: test accuracy on MNIST and on the real test half, and a time budget
# in epochs of the tutorial config, timed beside the presets in the same run.
TARGETS = {
    "fast": {"test_accuracy": 0.988, "real_accuracy": 0.92, "budget_epochs": 30},
    "best": {"test_accuracy": 0.994, "real_accuracy": 0.95, "budget_epochs": 1500},
}
SEEDS = (0, 1, 2)


def verdict(values: list[float], target: float) -> str:
    """'met' when mean − sd clears the target, 'missed' when mean + sd falls short, else
    'within noise': one sd over 3 seeds is the noise the preset's one run carries."""
    mean, sd = statistics.mean(values), statistics.stdev(values)
    return "met" if mean - sd >= target else "missed" if mean + sd < target else "within noise"


PRESETS_CHOSEN: list[str] = []  # --preset NAME: rerun these alone, keep the others' runs


def bench_presets(tmp: Path) -> Section:
    """Each preset trained and scored over 3 seeds, the tutorial config's epoch timed beside
    it in the same run; with --preset, only those presets are rerun (each keeps the epoch
    time measured in its own run)."""
    from tools.preset import load, merge
    from tools.tune import train_candidate

    clone = fresh_clone(tmp)
    tutorial, _ = train_candidate(clone, {"train": {"epochs": 20, "validation": 1}})
    epoch_seconds = tutorial["train_seconds"] / 20
    by_preset = previous_presets()
    for name in PRESETS_CHOSEN or list(TARGETS):
        preset, runs = load(ROOT / "presets" / f"{name}.yaml"), {}
        for seed in SEEDS:
            print(f"bench: {name}, seed {seed}", flush=True)
            metrics, _ = train_candidate(clone, merge(preset, {"train": {"seed": seed}}))
            runs[str(seed)] = metrics | evaluate_in(clone)
        by_preset[name] = {"tutorial_epoch_seconds": epoch_seconds,
                           "date": time.strftime("%Y-%m-%d"), "runs": runs}  # fmt: skip
    data = {"targets": TARGETS, "by_preset": by_preset}
    return Section(presets_lines(data), data)


def previous_presets() -> dict[str, Any]:
    """The presets' runs in results.json, per preset (older files kept them in one run)."""
    path = ROOT / "benchmarks/results.json"
    old = json.loads(path.read_text()).get("presets", {}) if path.exists() else {}
    if "by_preset" in old:
        return dict(old["by_preset"])
    return {
        name: {"tutorial_epoch_seconds": old["tutorial_epoch_seconds"], "date": old["date"],
               "runs": runs}
        for name, runs in old.get("runs", {}).items()
    }  # fmt: skip


def evaluate_in(clone: Path) -> dict[str, float]:
    """Run the evaluate stage on the model train_candidate left in the clone; its metrics."""
    command = [sys.executable, "stages/evaluate.py", "--data", str(ROOT / "data/mnist")]
    command += ["--real", str(ROOT / "data/real/digits.csv.gz"), "--model", "m/mlp.pt"]
    command += ["--metrics", "m/evaluate.json", "--confusion", "m/c.csv", "--mistakes", "m/m.png"]
    command += ["--real-mistakes", "m/r.png"]
    subprocess.run(command, cwd=clone, env=ENV, check=True)
    return dict(json.loads((clone / "m/evaluate.json").read_text()))


def presets_lines(data: dict[str, Any]) -> list[str]:
    """The presets section: mean ± sd over the seeds and each target's verdict."""
    rows, epochs_timed = [], []
    for name, bench in data["by_preset"].items():
        targets, seeds = data["targets"][name], list(bench["runs"].values())
        epoch = bench["tutorial_epoch_seconds"]
        epochs_timed.append(f"{epoch:.3f} s beside `{name}` ({bench['date']})")
        cells = []
        for key in ("val_accuracy", "real_val_accuracy", "test_accuracy", "real_accuracy"):
            values = [100 * run[key] for run in seeds]
            cell = f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"
            if key in targets:
                cell += f" (≥ {100 * targets[key]:.1f}: {verdict(values, 100 * targets[key])})"
            cells.append(cell)
        epochs = [run["train_seconds"] / epoch for run in seeds]
        budget = targets["budget_epochs"]
        cells.append(f"{statistics.mean(epochs):.0f} ± {statistics.stdev(epochs):.0f} "
                     f"(≤ {budget}: {verdict([-e for e in epochs], -budget)})")  # fmt: skip
        rows.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return [
        "## Presets over 3 seeds (issue 15)",
        "",
        f"Each preset trained with `train.seed` = {', '.join(map(str, SEEDS))} (the preset "
        "itself is seed 0) and scored by the `evaluate` stage; accuracy in %, mean ± sd. "
        "Time is `train_seconds` in epochs of the tutorial config, timed over 20 epochs in "
        f"the same run: {', '.join(epochs_timed)}. A target is met when mean − sd "
        "clears it, missed when mean + sd falls short, and otherwise within noise.",
        "",
        "| preset | MNIST validation | real validation (even half) | MNIST test | real test "
        "(odd half) | training time, tutorial epochs |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]


SECTIONS: dict[str, Callable[[Path], Section]] = {
    "classical": bench_classical,
    "train": bench_train,
    "pipeline": bench_pipeline,
    "serve": bench_serve,
    "predict": bench_predict,
    "queue": bench_queue,
    "grid": bench_grid,
    "mutation": bench_mutation,
    "presets": bench_presets,
}


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]  # fmt: skip
        cpu = names[0] if names else cpu
    return [
        "# Benchmark results",
        "",
        f"Machine: {os.cpu_count()} CPU cores ({cpu}), torch {torch.__version__} "
        f"with {torch.get_num_threads()} threads, Python {platform.python_version()}, "
        f"CUDA {'yes' if torch.cuda.is_available() else 'no'}. Written by `make bench` "
        f"on {time.strftime('%Y-%m-%d')}.",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append")
    parser.add_argument("--preset", choices=sorted(TARGETS), action="append", default=[],
                        help="with --only presets: rerun these presets alone")  # fmt: skip
    args = parser.parse_args()
    PRESETS_CHOSEN.extend(args.preset)
    out, numbers = ROOT / "benchmarks" / "results.md", ROOT / "benchmarks" / "results.json"
    sections = previous_sections(out) if args.only else {}
    data = json.loads(numbers.read_text()) if args.only and numbers.exists() else {}
    for name in args.only or list(SECTIONS):
        print(f"bench: {name} ...", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            section = SECTIONS[name](Path(tmp))
        sections[section.lines[0]] = "\n".join(section.lines)
        data[name] = section.data | {"date": time.strftime("%Y-%m-%d")}
    ordered = [sections[h] for h in sorted(sections, key=_order)]
    text = "\n".join(machine()) + "\n" + "\n".join(ordered)
    write_text(out, text)
    write_json(numbers, {name: data[name] for name in SECTIONS if name in data})
    print(text)


def previous_sections(path: Path) -> dict[str, str]:
    """The `## ` sections of an earlier results.md by heading, so --only keeps the others."""
    if not path.exists():
        return {}
    blocks = path.read_text(encoding="utf-8").split("\n## ")[1:]
    return {f"## {b.splitlines()[0]}": f"## {b.rstrip()}\n" for b in blocks}


def _order(heading: str) -> int:
    return next((i for i, name in enumerate(SECTIONS) if name in heading.lower()), len(SECTIONS))


if __name__ == "__main__":
    main()
