"""The benchmarks' shared harness: a Section of results, timed commands, fresh clones, and
results.md / results.json that a rerun of one section updates in place.

Timing is noisy, so each number says how it was taken; ratios come from one run.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from digitlab.core.io import write_json, write_text
from digitlab.lab.steps import scratch_clone, venv_env

ROOT = Path.cwd()  # `make bench` runs from the repository root
RESULTS_MD, RESULTS_JSON = ROOT / "benchmarks/results.md", ROOT / "benchmarks/results.json"


class Section(NamedTuple):
    """A section of results.md and the numbers it shows, for results.json and `make docs`."""

    lines: list[str]
    data: dict[str, Any]


Bench = Callable[[Path], Section]


def sh(*command: str, cwd: Path) -> float:
    """Run a command; return its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=venv_env(), check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def timed_dvc(*args: str, cwd: Path) -> float:
    """Run `dvc ARGS` with this interpreter's DVC; its wall time in seconds."""
    return sh(sys.executable, "-m", "dvc", *args, cwd=cwd)


def fresh_clone(tmp: Path) -> Path:
    """A fresh clone of the committed HEAD: what a new user starts from."""
    return scratch_clone(ROOT, tmp)


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a file."""
    return dict(json.loads(path.read_text()))


def machine_header() -> list[str]:
    """results.md's header: the cores, CPU, torch and Python the numbers were taken on."""
    import torch

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
        f"on {time.strftime('%Y-%m-%d')}; one section: `make bench SECTION=name`.",
        "",
    ]


def previous_sections(path: Path) -> dict[str, str]:
    """The `## ` sections of an earlier results.md by heading, so one section keeps the others."""
    if not path.exists():
        return {}
    blocks = path.read_text(encoding="utf-8").split("\n## ")[1:]
    return {f"## {b.splitlines()[0]}": f"## {b.rstrip()}\n" for b in blocks}


def record(sections: dict[str, Bench], chosen: list[str], keep_others: bool) -> str:
    """Run the chosen sections, each in its own temporary folder, and write both results
    files; with keep_others, the sections not run keep their earlier text and numbers."""
    import tempfile

    texts = previous_sections(RESULTS_MD) if keep_others else {}
    data = read_json(RESULTS_JSON) if keep_others and RESULTS_JSON.exists() else {}
    for name in chosen:
        print(f"bench: {name} ...", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            section = sections[name](Path(tmp))
        texts[section.lines[0]] = "\n".join(section.lines)

        data[name] = section.data | {"date": time.strftime("%Y-%m-%d")}

    def order(heading: str) -> int:
        return next((i for i, n in enumerate(sections) if n in heading.lower()), len(sections))

    text = (
        "\n".join(machine_header()) + "\n" + "\n".join(texts[h] for h in sorted(texts, key=order))
    )
    write_text(RESULTS_MD, text)
    write_json(RESULTS_JSON, {name: data[name] for name in sections if name in data})
    return text
