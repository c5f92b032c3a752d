"""Fan an experiment grid out over machines: the worker, the collector and the CI matrix.

    python tools/grid.py worker NAME [-S key=value ...]   # make exp-worker NAME=... PARAMS=...
    python tools/grid.py collect [--out reports/grid.png]  # make exp-collect
    python tools/grid.py matrix presets/tuning/fast-grid.yaml  # a grid as a CI matrix
    python tools/grid.py point GRID INDEX                  # the worker for point INDEX of GRID
    python tools/grid.py check                             # files stages read that git lacks
    python tools/grid.py gc [NAME ...]                     # make exp-gc: drop experiments, gc

DVC's documented multi-machine pattern is git-based: any runner with a clone and the DVC
remote runs `dvc exp run` and then `dvc exp push origin`; a collector runs `dvc exp
pull origin`. Experiments are git refs of their own and the DVC remote is
content-addressed, so any number of workers push at once without losing one.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path.cwd()
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tools.* as siblings
from tools.preset import flatten, load, merge, set_arguments  # noqa: E402

# The data stages' outputs, which experiments read; models are rebuilt, so never pulled.
DATA_STAGES = ("download", "download_real", "generate")


class StepError(Exception):
    """A worker or collector step failed; the message names the step and what to do."""


def run(step: str, *command: str, hint: str = "") -> str:
    """Run a command for `step`; StepError with its last words (and a hint) if it fails."""
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        words = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
        last = words[-1].strip() if words else f"exit status {result.returncode}"
        raise StepError(f"step '{step}' failed: {last}" + (f"; {hint}" if hint else ""))
    return result.stdout


def dvc(step: str, *args: str, hint: str = "") -> str:
    """`dvc ARGS` with this interpreter's DVC, so stages run the venv's python."""
    return run(step, sys.executable, "-m", "dvc", *args, hint=hint)


def untracked_reads() -> list[str]:
    """Files that a stage reads but neither git nor DVC tracks: `--queue` and `--temp`
    runs copy only tracked files, so such a file would be silently missing there."""
    from dvc.repo import Repo

    tracked = set(run("check", "git", "ls-files", "-z").split("\0"))
    with Repo(str(ROOT)) as repo:
        produced = {str(Path(out.fs_path).relative_to(ROOT)) for out in repo.index.outs}
        reads = {str(Path(dep.fs_path).relative_to(ROOT)) for dep in repo.index.deps}

    def covered(path: str) -> bool:
        inside = any(path == p or path.startswith(f"{p}/") for p in produced)
        files = [path] if (ROOT / path).is_file() else [
            str(f.relative_to(ROOT)) for f in (ROOT / path).rglob("*") if f.is_file()
            and "__pycache__" not in f.parts
        ]  # fmt: skip
        return inside or all(f in tracked for f in files)

    return sorted(path for path in reads if not covered(path))


def check() -> None:
    """StepError naming each file a stage reads that git and DVC do not track."""
    missing = untracked_reads()
    if missing:
        raise StepError(
            f"step 'check': {', '.join(missing)} is read by a stage but tracked by neither git "
            "nor DVC, so queued and remote runs would not see it; `git add` it (code, small "
            "files) or `dvc add` it (data), then commit"
        )


def worker(name: str, overrides: list[str]) -> None:
    """Pull the data, run one experiment, push it to origin; StepError names a failed step."""
    check()
    if not dvc("remote", "remote", "default").strip():
        raise StepError("step 'remote': no default DVC remote; `dvc remote add -d NAME URL`")
    run("origin", "git", "remote", "get-url", "origin", hint="add the shared git remote")
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    for stage in DATA_STAGES:
        print(f"exp-worker: dvc pull {stage}", flush=True)
        outs = ", ".join(map(str, stages[stage]["outs"]))
        dvc(f"pull {stage}", "pull", stage, hint=f"the DVC remote lacks {outs}; `make push` "
            "from a clone that has it")  # fmt: skip
    print(f"exp-worker: dvc exp run -n {name} {' '.join(overrides)}", flush=True)
    dvc("run", "exp", "run", "-n", name, *overrides, hint="the stage's own error is above it")
    print(f"exp-worker: dvc exp push origin {name}", flush=True)
    dvc("push", "exp", "push", "origin", name, hint="is origin writable from here?")
    print(f"exp-worker: {name} is on origin; `make exp-collect` anywhere gathers the grid")


def experiments(shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """From `dvc exp show --json`: each named experiment's name, params and metrics,
    with the params it changed against its baseline."""
    rows = []
    for baseline in shown:
        base = _flat(baseline.get("data") or {}, "params")
        for group in baseline.get("experiments") or []:
            for rev in group.get("revs") or []:
                data = rev.get("data") or {}
                params = _flat(data, "params")
                changed = {k: v for k, v in params.items() if base.get(k) != v}
                rows.append({"name": rev.get("name") or rev["rev"][:7], "changed": changed,
                             "metrics": _flat(data, "metrics")})  # fmt: skip
    return rows


def _flat(data: dict[str, Any], kind: str) -> dict[str, Any]:
    """{key: value} over every file of `kind` (params or metrics) in one exp show entry."""
    out: dict[str, Any] = {}
    for path, entry in (data.get(kind) or {}).items():
        if kind == "metrics" and not path.startswith("metrics/"):
            continue  # DVCLive's live copy repeats metrics/train.json's names
        out |= flatten((entry or {}).get("data") or {})
    return out


COLUMNS = ("val_accuracy", "real_val_accuracy", "test_accuracy", "real_accuracy")


def table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table: name, the params it changed, accuracies and train_seconds."""
    lines = ["| experiment | params that differ | " + " | ".join(COLUMNS) + " | train_seconds |",
             "|---" * (3 + len(COLUMNS)) + "|"]  # fmt: skip
    for row in sorted(rows, key=lambda r: -r["metrics"].get("test_accuracy", 0)):
        m = row["metrics"]
        changed = ", ".join(f"`{k}={v}`" for k, v in row["changed"].items()) or "—"
        cells = [f"{100 * m[c]:.2f} %" if c in m else "—" for c in COLUMNS]
        seconds = f"{m['train_seconds']:.1f}" if "train_seconds" in m else "—"
        lines.append(f"| {row['name']} | {changed} | " + " | ".join(cells) + f" | {seconds} |")
    return "\n".join(lines) + "\n"


def collect(out: Path, summary: Path | None) -> None:
    """Pull every experiment from origin, print the table and draw the frontier of them all."""
    dvc("pull", "exp", "pull", "--all-commits", "--no-cache", "origin", hint="is origin reachable?")
    rows = experiments(json.loads(dvc("show", "exp", "show", "--all-commits", "--json")))
    if not rows:
        raise StepError("step 'show': origin holds no experiments yet; run `make exp-worker`")
    text = table(rows)
    print(text)
    if summary is not None:
        summary.write_text(text, encoding="utf-8")
    names = [row["name"] for row in rows]
    frontier = Path(__file__).with_name("frontier.py")
    run("frontier", sys.executable, str(frontier), "--runs", "HEAD", *names, "--out", str(out))
    print(f"exp-collect: {len(rows)} experiments; figure {out}")


def cache_bytes() -> tuple[int, int]:
    """(bytes, files) in the DVC cache's object folder."""
    files = [f for f in (ROOT / ".dvc/cache/files").rglob("*") if f.is_file()]
    return sum(f.stat().st_size for f in files), len(files)


def gc(names: list[str]) -> None:
    """Remove the named experiments (default: all but the presets), then collect the cache
    objects only they held; print how much that freed."""
    listed = dvc("list", "exp", "list", "--all-commits", "--name-only").split()
    presets = {p.stem for p in (ROOT / "presets").glob("*.yaml")}
    doomed = names or [name for name in dict.fromkeys(listed) if name not in presets]
    unknown = sorted(set(doomed) - set(listed))
    if unknown:
        raise StepError(f"step 'remove': no experiment named {', '.join(unknown)}; "
                        "`dvc exp list --all-commits` shows them")  # fmt: skip
    if doomed:
        dvc("remove", "exp", "remove", *doomed)
    before = cache_bytes()
    dvc("gc", "gc", "--workspace", "--all-experiments", "--force")
    after = cache_bytes()
    freed = (before[0] - after[0]) / 2**20
    kept = ", ".join(sorted(set(listed) - set(doomed))) or "none"
    print(f"exp-gc: removed {len(doomed)} experiments ({', '.join(doomed) or 'none'}); kept "
          f"{kept}; dvc gc freed {freed:.1f} MB in {before[1] - after[1]} files")  # fmt: skip


def points(grid: Path) -> list[tuple[str, list[str]]]:
    """(name, -S arguments) of each point of a tuning-format file: a `base` and `candidates`."""
    spec = load(grid)
    base = spec.get("base") or {}
    base = load(grid.parents[1] / f"{base}.yaml") if isinstance(base, str) else base
    points = spec.get("candidates")
    if not isinstance(points, dict) or not points:
        raise StepError(f"step 'matrix': {grid} has no `candidates:` mapping names to params")
    return [(str(name), set_arguments(merge(base, over or {}))) for name, over in points.items()]


def matrix(grid: Path) -> str:
    """The grid as a GitHub Actions matrix: {"include": [{"name", "params"}, ...]}."""
    include = [{"name": name, "params": shlex.join(args)} for name, args in points(grid)]
    return json.dumps({"include": include})


def point(grid: Path, index: int) -> None:
    """Run the worker for point `index` (from 0) of the grid: a SLURM or Kubernetes task."""
    listed = points(grid)
    if not 0 <= index < len(listed):
        raise StepError(f"step 'point': {grid} has points 0..{len(listed) - 1}, not {index}")
    worker(*listed[index])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    work = commands.add_parser("worker", help="pull data, run one experiment, push it")
    work.add_argument("name")
    work.add_argument("overrides", nargs=argparse.REMAINDER, help="-S key=value ...")
    gather = commands.add_parser("collect", help="pull every experiment; table and figure")
    gather.add_argument("--out", type=Path, default=Path("reports/grid.png"))
    gather.add_argument("--summary", type=Path, default=None, help="also write the table here")
    grid = commands.add_parser("matrix", help="print the grid file as a CI matrix")
    grid.add_argument("grid", type=Path)
    one = commands.add_parser("point", help="run the worker for one point of a grid file")
    one.add_argument("grid", type=Path)
    one.add_argument("index", type=int, help="from 0, e.g. $SLURM_ARRAY_TASK_ID")
    commands.add_parser("check", help="list files a stage reads that git and DVC lack")
    collect_garbage = commands.add_parser("gc", help="remove experiments, then dvc gc")
    collect_garbage.add_argument("names", nargs="*", help="default: every one but the presets")
    args = parser.parse_args(argv)
    try:
        if args.command == "worker":
            worker(args.name, args.overrides)
        elif args.command == "collect":
            collect(args.out, args.summary)
        elif args.command == "matrix":
            print(matrix(args.grid))
        elif args.command == "point":
            point(args.grid, args.index)
        elif args.command == "gc":
            gc(args.names)
        else:
            check()
    except StepError as err:
        print(f"{args.command}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
