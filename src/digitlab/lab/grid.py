"""Fan an experiment grid out over machines: the worker, the collector and the CI matrix.

    python -m digitlab.lab.grid worker NAME [-S key=value ...]  # make exp-worker
    python -m digitlab.lab.grid collect [--grid GRID]            # make exp-collect
    python -m digitlab.lab.grid matrix GRID                      # a grid as a CI matrix
    python -m digitlab.lab.grid point GRID INDEX [-S ...]        # the worker for point INDEX
    python -m digitlab.lab.grid check                            # files stages read, untracked
    python -m digitlab.lab.grid gc [NAME ...]                    # make exp-gc

DVC's documented multi-machine pattern is git-based: any runner with a clone and the DVC
remote runs `dvc exp run` and then `dvc exp push origin`; a collector runs `dvc exp
pull origin`. Experiments are git refs of their own and the DVC remote is
content-addressed, so any number of workers push at once without losing one.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

import yaml

from digitlab.core.errors import ConfigError
from digitlab.lab import frontier
from digitlab.lab.presets import flatten, load, merge, set_arguments
from digitlab.lab.steps import StepError, dvc_step, run_step

# The data stages' outputs, which experiments read; models are rebuilt, so never pulled.
DATA_STAGES = ("download", "download_real", "generate")
COLUMNS = ("val_accuracy", "real_val_accuracy", "test_accuracy", "real_accuracy")


def untracked_reads(repo: Path) -> list[str]:
    """Files that a stage reads but neither git nor DVC tracks: `--queue` and `--temp`
    runs copy only tracked files, so such a file would be silently missing there."""
    from dvc.repo import Repo

    tracked = set(run_step("check", "git", "ls-files", "-z", cwd=repo).split("\0"))
    with Repo(str(repo)) as dvc_repo:
        produced = {str(Path(out.fs_path).relative_to(repo)) for out in dvc_repo.index.outs}
        reads = {str(Path(dep.fs_path).relative_to(repo)) for dep in dvc_repo.index.deps}

    def covered(path: str) -> bool:
        inside = any(path == p or path.startswith(f"{p}/") for p in produced)
        files = [path] if (repo / path).is_file() else [
            str(f.relative_to(repo)) for f in (repo / path).rglob("*") if f.is_file()
            and "__pycache__" not in f.parts
        ]  # fmt: skip
        return inside or all(f in tracked for f in files)

    return sorted(path for path in reads if not covered(path))


def check_tracked(repo: Path) -> None:
    """StepError naming each file a stage reads that git and DVC do not track."""
    missing = untracked_reads(repo)
    if missing:
        raise StepError(
            f"step 'check': {', '.join(missing)} is read by a stage but tracked by neither git "
            "nor DVC, so queued and remote runs would not see it; `git add` it (code, small "
            "files) or `dvc add` it (data), then commit"
        )


def worker(name: str, overrides: list[str], repo: Path) -> None:
    """Pull the data, run one experiment, push it to origin; StepError names a failed step."""
    check_tracked(repo)
    try:  # `dvc remote default` fails outright when there is none
        default = dvc_step("remote", "remote", "default", cwd=repo).strip()
    except StepError:
        default = ""
    if not default:
        raise StepError(
            "step 'remote': no default DVC remote; `make remote-local` makes one beside the "
            "repository, or `dvc remote add -d NAME URL` (S3, SSH, GCS), or set DVC_REMOTE_URL"
        )
    run_step(
        "origin", "git", "remote", "get-url", "origin", cwd=repo, hint="add the shared git remote"
    )
    stages = yaml.safe_load((repo / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    for stage in DATA_STAGES:
        print(f"exp-worker: dvc pull {stage}", flush=True)
        outs = ", ".join(map(str, stages[stage]["outs"]))
        dvc_step(f"pull {stage}", "pull", stage, cwd=repo, hint=f"the DVC remote lacks {outs}; "
            "`make push` from a clone that has it")  # fmt: skip
    print(f"exp-worker: dvc exp run -n {name} {' '.join(overrides)}", flush=True)
    dvc_step("run", "exp", "run", "-n", name, *overrides, cwd=repo,
        hint="the stage's own error is above it")  # fmt: skip
    print(f"exp-worker: dvc exp push origin {name}", flush=True)
    dvc_step("push", "exp", "push", "origin", name, cwd=repo, hint="is origin writable from here?")
    print(f"exp-worker: {name} is on origin; `make exp-collect` anywhere gathers the grid")


def experiments(shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """From `dvc exp show --json`: each named experiment's name, params and metrics,
    with the params it changed against its baseline."""
    rows = []
    for baseline in shown:
        base = flat_entries(baseline.get("data") or {}, "params")
        for group in baseline.get("experiments") or []:
            for rev in group.get("revs") or []:
                data = rev.get("data") or {}
                params = flat_entries(data, "params")
                changed = {k: v for k, v in params.items() if base.get(k) != v}
                rows.append({"name": rev.get("name") or rev["rev"][:7], "changed": changed,
                             "metrics": flat_entries(data, "metrics")})  # fmt: skip
    return rows


def flat_entries(data: dict[str, Any], kind: str) -> dict[str, Any]:
    """{key: value} over every file of `kind` (params or metrics) in one exp show entry."""
    out: dict[str, Any] = {}
    for path, entry in (data.get(kind) or {}).items():
        if kind == "metrics" and not path.startswith("metrics/"):
            continue  # DVCLive's live copy repeats metrics/train.json's names
        out |= flatten((entry or {}).get("data") or {})
    return out


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


def collect(out: Path, summary: Path | None, repo: Path, grid: Path | None = None) -> None:
    """Pull every experiment from origin, print the table and draw the frontier of them all;
    with a grid, StepError afterwards naming the grid points that made no experiment."""
    dvc_step("pull", "exp", "pull", "--all-commits", "--no-cache", "origin", cwd=repo,
        hint="is origin reachable?")  # fmt: skip
    shown = dvc_step("show", "exp", "show", "--all-commits", "--json", cwd=repo)
    rows = experiments(json.loads(shown))
    if not rows:
        raise StepError("step 'show': origin holds no experiments yet; run `make exp-worker`")
    text = table(rows)
    print(text)
    if summary is not None:
        summary.write_text(text, encoding="utf-8")
    frontier.draw_frontier(["HEAD", *(row["name"] for row in rows)], out, repo)
    print(f"exp-collect: {len(rows)} experiments; figure {out}")
    if grid is not None:
        made = {row["name"] for row in rows}
        missing = [f"{i} ({name})" for i, (name, _) in enumerate(points(grid)) if name not in made]
        if missing:
            raise StepError(
                f"step 'grid': {grid} is missing point {', '.join(missing)}: no experiment on "
                "origin; its task's log says why, and `make grid-sbatch` reruns it with --array"
            )


def names(repo: Path) -> list[str]:
    """Every experiment's name, under any baseline commit, once each."""
    listed = dvc_step("list", "exp", "list", "--all-commits", "--name-only", cwd=repo).split()
    return list(dict.fromkeys(listed))


def cache_bytes(repo: Path) -> tuple[int, int]:
    """(bytes, files) in the DVC cache's object folder."""
    files = [f for f in (repo / ".dvc/cache/files").rglob("*") if f.is_file()]
    return sum(f.stat().st_size for f in files), len(files)


TAUGHT = "mine"  # `make teach`'s experiment: your own model, never removed unless named


def gc(doomed: list[str], repo: Path) -> None:
    """Remove the named experiments (default: all but the presets and `make teach`'s), then
    collect the cache objects only they held; print how much that freed."""
    listed = names(repo)
    presets = {p.stem for p in (repo / "presets").glob("*.yaml")} | {TAUGHT}
    doomed = doomed or [name for name in listed if name not in presets]
    unknown = sorted(set(doomed) - set(listed))
    if unknown:
        raise StepError(f"step 'remove': no experiment named {', '.join(unknown)}; "
                        "`dvc exp list --all-commits` shows them")  # fmt: skip
    if doomed:
        dvc_step("remove", "exp", "remove", *doomed, cwd=repo)
    before = cache_bytes(repo)
    dvc_step("gc", "gc", "--workspace", "--all-experiments", "--force", cwd=repo)
    after = cache_bytes(repo)
    freed = (before[0] - after[0]) / 2**20
    kept = ", ".join(sorted(set(listed) - set(doomed))) or "none"
    print(f"exp-gc: removed {len(doomed)} experiments ({', '.join(doomed) or 'none'}); kept "
          f"{kept}; dvc gc freed {freed:.1f} MB in {before[1] - after[1]} files")  # fmt: skip


def points(grid: Path) -> list[tuple[str, list[str]]]:
    """(name, -S arguments) of each point of a tuning-format file: a `base` and `candidates`."""
    spec = _load(grid)
    base = spec.get("base") or {}
    base = _load(grid.parents[1] / f"{base}.yaml") if isinstance(base, str) else base
    candidates = spec.get("candidates")
    if not isinstance(candidates, dict) or not candidates:
        raise StepError(f"step 'matrix': {grid} has no `candidates:` mapping names to params")
    return [
        (str(name), set_arguments(merge(base, over or {}))) for name, over in candidates.items()
    ]


def _load(path: Path) -> dict[str, Any]:
    try:
        return load(path)
    except ConfigError as err:
        raise StepError(f"step 'read': {err}") from None


def matrix(grid: Path) -> str:
    """The grid as a GitHub Actions matrix: {"include": [{"name", "params"}, ...]}."""
    include = [{"name": name, "params": shlex.join(args)} for name, args in points(grid)]
    return json.dumps({"include": include})


def point(grid: Path, index: int, extra: list[str], repo: Path) -> None:
    """Run the worker for point `index` (from 0) of the grid, with `extra` -S arguments
    (the task's train.threads): a SLURM array task or a Kubernetes index."""
    listed = points(grid)
    if not 0 <= index < len(listed):
        raise StepError(f"step 'point': {grid} has points 0..{len(listed) - 1}, not {index}")
    name, overrides = listed[index]
    code = Path(__file__).resolve().parents[3]  # a task must run its own clone's code
    print(f"exp-point: point {index} of {grid} is {name}; code from {code}", flush=True)
    worker(name, [*overrides, *extra], repo)


def command_line() -> argparse.ArgumentParser:
    """The command line: one subcommand per step."""
    top = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    commands = top.add_subparsers(dest="command", required=True)
    work = commands.add_parser("worker", help="pull data, run one experiment, push it")
    work.add_argument("name")
    work.add_argument("overrides", nargs=argparse.REMAINDER, help="-S key=value ...")
    gather = commands.add_parser("collect", help="pull every experiment; table and figure")
    gather.add_argument("--out", type=Path, default=Path("reports/grid.png"))
    gather.add_argument("--summary", type=Path, default=None, help="also write the table here")
    gather.add_argument("--grid", type=Path, default=None, help="name its points that are missing")
    grid = commands.add_parser("matrix", help="print the grid file as a CI matrix")
    grid.add_argument("grid", type=Path)
    one = commands.add_parser("point", help="run the worker for one point of a grid file")
    one.add_argument("grid", type=Path)
    one.add_argument("index", type=int, help="from 0, e.g. $SLURM_ARRAY_TASK_ID")
    one.add_argument("extra", nargs=argparse.REMAINDER, help="more -S key=value")
    commands.add_parser("check", help="list files a stage reads that git and DVC lack")
    collect_garbage = commands.add_parser("gc", help="remove experiments, then dvc gc")
    collect_garbage.add_argument("names", nargs="*", help="default: every one but the presets")
    return top


def main(argv: list[str] | None = None) -> int:
    """Run one step; a failed step is one line on stderr and exit status 1."""
    args = command_line().parse_args(argv)
    repo = Path.cwd()
    try:
        if args.command == "worker":
            worker(args.name, args.overrides, repo)
        elif args.command == "collect":
            collect(args.out, args.summary, repo, args.grid)
        elif args.command == "matrix":
            print(matrix(args.grid))
        elif args.command == "point":
            point(args.grid, args.index, args.extra, repo)
        elif args.command == "gc":
            gc(args.names, repo)
        else:
            check_tracked(repo)
    except StepError as err:
        print(f"{args.command}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
