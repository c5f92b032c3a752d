"""A grid on a cluster: the SLURM line, the Kubernetes Job, and a DVC remote to start with.

    python -m digitlab.lab.deploy sbatch GRID --venv PATH   # make grid-sbatch
    python -m digitlab.lab.deploy k8s GRID --out FILE       # make grid-k8s
    python -m digitlab.lab.deploy remote-local              # make remote-local

Both engines run `make exp-point` for one index of the grid file (deploy/slurm/grid.sbatch,
deploy/k8s/grid-job.yaml); each task pushes its experiment to origin, and `make
exp-collect GRID=...` gathers them and names any point that is missing.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import yaml

from digitlab.core.io import write_text
from digitlab.lab.grid import points
from digitlab.lab.steps import StepError, dvc_step

SBATCH = "deploy/slurm/grid.sbatch"
IMAGE = "registry.example/digitlab:main"  # an image holding a clone of the repository and its venv


def sbatch_line(grid: Path, venv: Path, repo: Path = Path()) -> str:
    """The sbatch command that runs every point of `grid` (relative to repo) as one array
    task each, submitted from repo."""
    count = len(points(repo / grid))
    exports = f"ALL,GRID={grid},VENV={venv}"
    return shlex.join(["sbatch", f"--array=0-{count - 1}", f"--export={exports}", SBATCH])


def k8s_job(grid: Path, image: str = IMAGE) -> str:
    """An Indexed Job with one completion per point of `grid`, as YAML."""
    count = len(points(grid))
    name = f"digitlab-{grid.stem}"
    run = (
        "make ci-remote exp-point SETUP= "
        f"GRID={grid} INDEX=$JOB_COMPLETION_INDEX PARAMS='-S train.threads=1'"
    )
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": {"app": "digitlab", "grid": grid.stem}},
        "spec": {
            "completions": count,
            "parallelism": count,
            "completionMode": "Indexed",
            "backoffLimit": 0,  # a failed point shows in `make exp-collect GRID=...`
            "template": {
                "metadata": {"labels": {"app": "digitlab", "grid": grid.stem}},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "point",
                            "image": image,
                            # DVC_REMOTE_URL and the git token that lets a task push to origin
                            "envFrom": [{"secretRef": {"name": "digitlab-remotes"}}],
                            "command": ["sh", "-c", run],
                            "resources": {"requests": {"cpu": "1", "memory": "4Gi"}},
                        }
                    ],
                },
            },
        },
    }
    header = (
        f"# {grid} as a Kubernetes Indexed Job: one pod per grid point, each running\n"
        "# `make exp-point` for its index and pushing the experiment to origin.\n"
        f"# Made by `make grid-k8s GRID={grid}`; do not edit by hand.\n"
    )
    return header + yaml.safe_dump(job, sort_keys=False, width=100)


def remote_local(repo: Path) -> Path:
    """Make a folder beside the repository the default DVC remote, and push to it."""
    folder = repo.parent / f"{repo.name}-dvc-remote"
    dvc_step("remote", "remote", "add", "--force", "--default", "local", str(folder), cwd=repo)
    print(f"remote-local: DVC remote 'local' is {folder} (the default, in .dvc/config)")
    print(dvc_step("push", "push", cwd=repo, hint="is the folder writable?").strip())
    return folder


def main(argv: list[str] | None = None) -> int:
    """Run one step; a failure is one line on stderr and exit status 1."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    steps = parser.add_subparsers(dest="step", required=True)
    line = steps.add_parser("sbatch", help="print the sbatch line for a grid")
    line.add_argument("grid", type=Path)
    line.add_argument("--venv", type=Path, required=True, help="the tasks' prepared venv")
    job = steps.add_parser("k8s", help="write a grid's Kubernetes Indexed Job")
    job.add_argument("grid", type=Path)
    job.add_argument("--out", type=Path, required=True)
    job.add_argument("--image", default=IMAGE)
    steps.add_parser("remote-local", help="a folder DVC remote beside the repository")
    args = parser.parse_args(argv)
    try:
        if args.step == "sbatch":
            print(sbatch_line(args.grid, args.venv))
        elif args.step == "k8s":
            write_text(args.out, k8s_job(args.grid, args.image))
            print(f"grid-k8s: wrote {args.out} ({len(points(args.grid))} completions)")
        else:
            folder = remote_local(Path.cwd())
            print(
                "remote-local: to share it, commit .dvc/config and put the folder where every "
                f"machine reaches it; or set DVC_REMOTE_URL; or `dvc remote add -d NAME "
                f"s3://bucket/path` (ssh://, gs:// likewise) and `dvc push` ({folder} stays)"
            )
    except StepError as err:
        print(f"{args.step}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
