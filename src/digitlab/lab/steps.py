"""The lab's shell steps: git and DVC commands that fail in one line, and scratch clones."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path


class StepError(Exception):
    """A lab step failed; the message names the step and what to do."""


def venv_env() -> dict[str, str]:
    """This environment with this interpreter's bin/ first, so DVC runs stages with its python."""
    bin_dir = Path(sys.executable).parent
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}


def run_step(step: str, *command: str, cwd: Path, hint: str = "") -> str:
    """stdout of a command run for `step`; StepError with its last words (and a hint)."""
    result = subprocess.run(command, cwd=cwd, env=venv_env(), capture_output=True, text=True)
    if result.returncode != 0:
        words = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
        last = words[-1].strip() if words else f"exit status {result.returncode}"
        raise StepError(f"step '{step}' failed: {last}" + (f"; {hint}" if hint else ""))
    return result.stdout


def dvc_step(step: str, *args: str, cwd: Path, hint: str = "") -> str:
    """`dvc ARGS` with this interpreter's DVC, so stages run the venv's python."""
    return run_step(step, sys.executable, "-m", "dvc", *args, cwd=cwd, hint=hint)


def scratch_clone(source: Path, into: Path) -> Path:
    """A fresh clone of source's HEAD at into/clone: what a new user starts from."""
    clone = into / "clone"
    run_step("clone", "git", "clone", "-q", str(source), str(clone), cwd=into)
    return clone


def stage_command(stage: str, repo: Path, **paths: str) -> list[str]:
    """dvc.yaml's command for `stage`, run by this interpreter, with the paths named in
    `paths` (data="...", real_mistakes="..." for --data, --real-mistakes) replaced: the map
    stays the one place that lists a stage's arguments."""
    import yaml  # only the lab's tuning and bench call this

    cmd = yaml.safe_load((repo / "dvc.yaml").read_text(encoding="utf-8"))["stages"][stage]["cmd"]
    words = shlex.split(cmd)
    words[0] = sys.executable  # `python` in dvc.yaml, the venv's when DVC runs it
    unknown = set(paths) - {w[2:].replace("-", "_") for w in words if w.startswith("--")}
    if unknown:
        raise StepError(f"step 'command': stage {stage} takes no {', '.join(sorted(unknown))}")
    for i, word in enumerate(words[:-1]):
        key = word[2:].replace("-", "_")
        if word.startswith("--") and key in paths:
            words[i + 1] = paths[key]
    return words
