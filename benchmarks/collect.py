"""Collecting on the page: 1,000 distinct labelled drawings from 8 clients at once."""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks.harness import Section
from benchmarks.serve import post, running
from digitlab.lab.drawn import pad_png
from digitlab.mlp import mine


def bench(tmp: Path) -> Section:
    """`digitlab serve --collect` takes 1,000 distinct digits from 8 clients; every one must
    land once, under its label."""
    folder, clients, count = tmp / "mine", 8, 1000
    bodies = []
    for i in range(count):  # a distinct stroke each, as the page posts it (280×280 PNG)
        points = np.random.default_rng(i).uniform(0.2, 0.8, (3, 2))
        bodies.append(pad_png([[(float(x), float(y)) for x, y in points]]))
    with running("--collect", str(folder)) as (_, base):
        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(
                lambda i: post(f"{base}api/collect?label={i % 10}", bodies[i]), range(count)
            ))  # fmt: skip
        wall = time.perf_counter() - start
    stored = {(label, path.stem) for label, path in mine.files(folder)}
    expected = {(i % 10, hashlib.sha256(body).hexdigest()) for i, body in enumerate(bodies)}
    latencies = sorted(seconds for _, seconds in results)
    p99 = 1000 * latencies[int(0.99 * (len(latencies) - 1))]
    data = {
        "clients": clients, "digits": count, "rate": count / wall, "p99_ms": p99,
        "created": sum(code == 201 for code, _ in results), "stored": len(stored),
        "lost": len(expected - stored), "extra": len(stored - expected),
    }  # fmt: skip
    return Section([
        "## Collecting drawings (issue 24)",
        "",
        f"`digitlab serve --collect` with the workspace's model, {clients} concurrent clients "
        f"posting {count} distinct drawn digits (280×280 PNGs) to /api/collect, on 2 cores.",
        "",
        "| what | value |",
        "|---|---|",
        f"| rate | {data['rate']:.0f} digits/s |",
        f"| latency p99 | {p99:.1f} ms |",
        f"| answered 201 | {data['created']} of {count} |",
        f"| files stored / lost / extra | {len(stored)} / {data['lost']} / {data['extra']} |",
        "",
    ], data)  # fmt: skip
