"""`make docs`: render every measured number in README.md and docs/ from committed JSON.

    python -m digitlab.lab.docs           # rewrite the rendered blocks in place
    python -m digitlab.lab.docs --check   # exit 1, naming each stale file, if a render differs

A rendered block sits between `<!-- rendered: NAME -->` and `<!-- /rendered -->`; its
text comes from RENDERERS[NAME], which reads only what runs committed: metrics/ (the
workspace's run of the tutorial config) and benchmarks/results.json (`make bench`).
Prose outside the blocks carries no figures of its own, so nothing can drift.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from digitlab.core.io import write_text
from digitlab.lab import docs_zh
from digitlab.lab.sources import Sources, timed_how, tutorial_epochs
from digitlab.lab.stats import mean_sd, pct, verdict

DOCS = ("README.md", "docs/results.md", "docs/experiments.md", "docs/page.md",
        "docs/development.md", "README.zh-CN.md", "docs/zh/tutorial.md")  # fmt: skip
BLOCK = re.compile(r"(<!-- rendered: (\w+) -->\n)(.*?)(<!-- /rendered -->)", re.DOTALL)
METHODS = ("online", "normal_equation", "sgd", "minibatch", "gd_bias", "sigmoid", "tiny_net")
ROBUST = {"low_resolution": "low resolution", "thick_strokes": "thicker", "thin_strokes":
          "thinner", "shift": "off-centre", "rotate": "rotated", "blur": "blurred",
          "jpeg": "JPEG", "aspect": "stretched", "slant": "slanted"}  # fmt: skip


def headline(src: Sources) -> str:
    """README's results: MNIST and real scans, each run's time, each target's verdict."""
    tutorial = src.tutorial_metrics()
    lines = [
        "| model | MNIST test | real scans (test half) | training time | command |",
        "|---|---|---|---|---|",
        f"| the tutorial's config | {pct(tutorial['test_accuracy'])} | "
        f"{pct(tutorial['real_accuracy'])} | {tutorial['train_seconds']:.0f} s | `make repro` |",
    ]
    for name in ("fast", "best"):
        row = src.headline(name)
        if row is None:
            lines.append(f"| `{name}` | not benchmarked yet | | | `make exp-{name}` |")
            continue
        cells = []
        for key in ("test_accuracy", "real_accuracy"):
            first, values, target = row.accuracy(key)
            cells.append(f"{pct(first)} (3 seeds: {mean_sd(values)}; target "
                         f"≥ {100 * target:.1f}: {verdict(values, target)})")  # fmt: skip
        budget = row.targets["budget_epochs"]
        time_verdict = verdict([-e for e in row.epochs], -budget, scale=1, unit="epochs")
        cells.append(f"{row.runs[0]['train_seconds']:.0f} s = {row.epochs[0]:.0f} tutorial "
                     f"epochs (3 seeds: {mean_sd(row.epochs, 1, 0)}; budget {budget}: "
                     f"{time_verdict})")  # fmt: skip
        lines.append(f"| `{name}` | " + " | ".join(cells) + f" | `make exp-{name}` |")
    return "\n".join(lines) + "\n"


def classical(src: Sources) -> str:
    """The seven fits: parameters, MSE and least squares' MSE."""
    lines = ["| method | w | b | MSE | least-squares MSE | accuracy |", "|---|---|---|---|---|---|"]
    for name in METHODS:
        m = src.json(f"metrics/classical/{name}.json")
        cells = [f"{m[k]:.4f}" if k in m else "" for k in ("w", "b")]
        cells += [f"{m['mse']:.5f}", f"{m['mse_optimal']:.5f}" if "mse_optimal" in m else ""]
        cells.append(f"{m['accuracy']:.0%}" if "accuracy" in m else "")
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def tutorial(src: Sources) -> str:
    """The tutorial config's headline numbers, its best and worst digits on each set."""
    m = src.tutorial_metrics()
    mnist = {d: m[f"accuracy_class_{d}"] for d in range(10)}
    real = {d: m[f"real_accuracy_class_{d}"] for d in range(10)}
    worst_real = sorted(real, key=real.__getitem__)[:3]
    lowest, highest = min(mnist, key=mnist.__getitem__), max(mnist, key=mnist.__getitem__)
    return (
        f"- MNIST test accuracy **{pct(m['test_accuracy'])}** after {m['epochs']} epochs, "
        f"trained in {m['train_seconds']:.1f} s (`train_seconds`).\n"
        f"- Per digit on MNIST: from {pct(min(mnist.values()))} ({lowest}) "
        f"to {pct(max(mnist.values()))} ({highest}).\n"
        f"- Real scans: **{pct(m['real_accuracy'])}** on the test half "
        f"({pct(m['real_val_accuracy'])} on the validation half). Worst digits: "
        + ", ".join(f"{d} ({pct(real[d])})" for d in worst_real)
        + ".\n"
    )


def presets(src: Sources) -> str:
    """Each preset's validation and test figures over 3 seeds, with every target's verdict."""
    bench = src.bench("presets")
    if not bench:
        return "Not benchmarked yet: `make bench SECTION=presets`.\n"
    lines = [
        "| preset | MNIST validation | real validation | MNIST test | real test | worst real "
        "digit (test half) | stretched 1.3–1.6× | time, tutorial epochs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    for name, targets in bench["targets"].items():
        runs = src.preset_runs(name)
        if not runs:
            lines.append(f"| `{name}` | not benchmarked yet | | | | | | |")
            continue
        cells = []
        keys = ("val_accuracy", "real_val_accuracy", "test_accuracy", "real_accuracy",
                "real_min_class", "robust_aspect")  # fmt: skip
        for key in keys:
            values = [run[key] for run in runs if key in run]
            if len(values) < len(runs):  # runs from before the metric existed
                cells.append("— (not measured)")
                continue
            cell = mean_sd(values)
            if key in targets:
                cell += f" (≥ {100 * targets[key]:.1f}: {verdict(values, targets[key])})"
            cells.append(cell)
        timed = src.preset(name)
        epochs = tutorial_epochs(timed)
        budget = targets["budget_epochs"]
        time_verdict = verdict([-e for e in epochs], -budget, scale=1, unit="epochs")
        cells.append(f"{mean_sd(epochs, 1)} (≤ {budget}: {time_verdict})")
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
        notes.append(f"`{name}`: {timed['tutorial_epoch_seconds']:.3f} s, timed "
                     f"{timed_how(timed)} ({timed['date']})")  # fmt: skip
    lines += ["", "Mean ± sd over `train.seed` 0, 1, 2, accuracy in %. The tutorial config's "
              "epoch, timed in the same run (the median over the seeds): "
              + "; ".join(notes) + "."]  # fmt: skip
    return "\n".join(lines) + "\n"


def robustness(src: Sources) -> str:
    """Test accuracy under each degradation, and on real scans, for each model."""
    rows = [("the tutorial's config", src.tutorial_metrics())]
    rows += [(f"`{n}`", runs[0]) for n in ("fast", "best") if (runs := src.preset_runs(n))]
    lines = ["| model | clean | " + " | ".join(ROBUST.values()) + " | real scans |",
             "|---" * (3 + len(ROBUST)) + "|"]  # fmt: skip
    for label, m in rows:
        cells = [f"{100 * m['test_accuracy']:.2f}"]
        cells += [f"{100 * m[f'robust_{k}']:.2f}" if f"robust_{k}" in m else "—" for k in ROBUST]
        cells.append(f"{100 * m['real_accuracy']:.2f}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def speed(src: Sources) -> str:
    """The train stage against the tutorial's loop and the GEMM floor, and the pipeline."""
    t, p, c = src.bench("train"), src.bench("pipeline"), src.bench("classical")
    if not t:
        return "Not benchmarked yet: `make bench`.\n"
    target = t["speedup_target"]
    met = "met" if t["speedup"] >= target else f"**missed** by {target - t['speedup']:.1f}×"
    return "\n".join([
        "| what | seconds | target |",
        "|---|---|---|",
        f"| generate + the 7 fits, fresh clone | {c.get('repro_fit_seconds', 0):.1f} | < 60 |",
        f"| no-op `dvc repro` of those | {c.get('noop_seconds', 0):.2f} | < 3 |",
        f"| (a) the tutorial's own loop, 200 epochs | {t['tutorial_loop_seconds_200']:.0f} | — |",
        f"| (b) our `train` stage, 200 epochs | {t['train_seconds']:.1f} | ≤ 150 |",
        f"| (c) the GEMM-only floor, 200 epochs | {t['gemm_floor_seconds_200']:.1f} | — |",
        f"| (b) in bf16 (opt-in) | {t['bf16_train_seconds']:.1f} | — |",
        f"| whole `dvc repro`, fresh clone | {p.get('fresh_repro_seconds', 0):.0f} | ≤ 300 |",
        f"| the same with `--force` | {p.get('forced_repro_seconds', 0):.0f} | — |",
        "",
        f"(b) is **{t['speedup']:.1f}×** faster than (a) (target ≥ {target:.0f}×: {met}) and "
        f"{t['floor_ratio']:.2f}× the GEMM floor. bf16 test accuracy "
        f"{pct(t['bf16_test_accuracy'])} against fp32's {pct(t['fp32_test_accuracy'])}. "
        f"Peak memory of the train stage: {t['peak_mb']:.0f} MB. Measured {t['date']}.",
    ]) + "\n"  # fmt: skip


def serve_load(src: Sources) -> str:
    """The page's server under 8 clients, against the targets."""
    s = src.bench("serve")
    if not s:
        return "Not benchmarked yet: `make bench SECTION=serve`.\n"
    ok = s["throughput"] >= 200 and s["p99_ms"] <= 50 and s.get("rest_rss_mb", 1e9) <= 250
    rest = f"{s['rest_rss_mb']:.0f} MB at rest, " if "rest_rss_mb" in s else ""
    return (
        f"{s['clients']} concurrent clients, two models, {s['requests']} requests: "
        f"**{s['throughput']:.0f} predictions/s**, p50 {s['p50_ms']:.1f} ms, p99 "
        f"{s['p99_ms']:.1f} ms, {s['errors']} errors; memory {rest}{s['rss_mb']:.0f} MB after "
        f"the load; after 200 malformed requests a good one got HTTP "
        f"{s['after_malformed_status']} ({s['date']}). Targets (≥ 200/s, p99 ≤ 50 ms, ≤ 250 MB): "
        f"{'met' if ok else '**missed**'}.\n"
    )


def collect_load(src: Sources) -> str:
    """Collecting 1,000 drawings from 8 clients: the rate, and that none went astray."""
    c = src.bench("collect")
    if not c:
        return "Not benchmarked yet: `make bench SECTION=collect`.\n"
    whole = c["lost"] == 0 and c["extra"] == 0 and c["stored"] == c["digits"]
    return (
        f"{c['clients']} clients saving {c['digits']:,} distinct drawings at once: "
        f"**{c['rate']:.0f} digits/s**, p99 {c['p99_ms']:.1f} ms; {c['stored']:,} files stored, "
        f"{c['lost']} lost, {c['extra']} extra ({c['date']}): "
        f"{'none lost or duplicated' if whole else '**files went astray**'}.\n"
    )


def queue(src: Sources) -> str:
    """The queued grid in three worker and thread setups."""
    q = src.bench("queue")
    if not q:
        return "Not benchmarked yet: `make bench SECTION=queue`.\n"
    lines = ["| setup | wall seconds for 4 | experiments made |", "|---|---|---|"]
    for key, row in q["setups"].items():
        workers, threads = re.findall(r"\d+", key)  # j<workers>_threads<threads>
        lines.append(f"| `dvc queue start -j {workers}`, `train.threads={threads}` | "
                     f"{row['seconds']:.0f} | {row['made']} of {q['experiments']} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def grid(src: Sources) -> str:
    """Two workers at once and a collector, from the benchmark."""
    g = src.bench("grid")
    if not g:
        return "Not benchmarked yet: `make bench SECTION=grid`.\n"
    ok = "both succeeded" if g["worker_codes"] == [0, 0] else f"exit codes {g['worker_codes']}"
    if "slurm_seconds" in g:
        slurm = (
            f" The same two points as a 2-task array of `deploy/slurm/grid.sbatch` on a "
            f"single-node SLURM cluster: **{g['slurm_seconds']:.0f} s** from `sbatch` to the last "
            f"task done, {g['slurm_tasks_ok']} of 2 pushed, each task also cloning origin."
        )
    else:
        slurm = f" SLURM array: not measured ({g.get('slurm_skipped', 'no cluster')})."
    return (
        f"Two workers at once ({g['epochs']} epochs each, {ok}): **{g['parallel_seconds']:.0f} s** "
        f"wall for both; `make exp-collect` then took {g['collect_seconds']:.0f} s "
        f"({g['date']}).{slurm}\n"
    )


def predict_speed(src: Sources) -> str:
    """`digitlab predict` cold, before and after the numpy path, and the install sizes."""
    b = src.bench("predict")
    if not b:
        return "Not benchmarked yet: `make bench SECTION=predict`.\n"
    lines = ["| setup | 1 file | 100 files |", "|---|---|---|"]
    for name, r in b["runs"].items():
        lines.append(f"| {name} | {r['1']['seconds']:.2f} s, {r['1']['peak_mb']:.0f} MB | "
                     f"{r['100']['seconds']:.2f} s, {r['100']['peak_mb']:.0f} MB |")  # fmt: skip
    one = b["runs"]["after: numpy, minimal venv"]["1"]
    ok = one["seconds"] <= 0.5 and one["peak_mb"] <= 200
    verdict_text = "met" if ok else "**missed**"
    lines += ["", f"Cold start, median of 5, peak resident memory ({b['date']}). One file in the "
              f"minimal install: target ≤ 0.5 s and ≤ 200 MB, {verdict_text}. Installed: "
              f"{b['venv_mb']['full']:.0f} MB with torch, {b['venv_mb']['minimal']:.0f} MB "
              "without."]  # fmt: skip
    return "\n".join(lines) + "\n"


def installs(src: Sources) -> str:
    """The two installs' sizes and one cold prediction in each."""
    b = src.bench("predict")
    if not b:
        return "Not benchmarked yet: `make bench SECTION=predict`.\n"
    full, small = (
        b["runs"]["after: numpy, full venv"]["1"],
        b["runs"]["after: numpy, minimal venv"]["1"],
    )
    return (
        f"| install | size | `digitlab predict` on one file, cold |\n|---|---|---|\n"
        f"| `make setup` (everything, torch included) | {b['venv_mb']['full']:.0f} MB | "
        f"{full['seconds']:.2f} s, {full['peak_mb']:.0f} MB |\n"
        f"| the predictor alone (numpy, Pillow, safetensors) | {b['venv_mb']['minimal']:.0f} MB | "
        f"{small['seconds']:.2f} s, {small['peak_mb']:.0f} MB |\n"
    )


def mutation(src: Sources) -> str:
    """Kill rate per module from the last `make mutate`."""
    modules = src.bench("mutation").get("modules", {})
    if not modules:
        return "Not measured yet: `make mutate`.\n"
    lines = ["| module | mutants | killed | kill rate |", "|---|---|---|---|"]
    for name, m in modules.items():
        flag = "" if m["kill_rate"] >= 0.9 else " (below 90 %)"
        lines.append(f"| `{name}` | {m['mutants']} | {m['killed']} | "
                     f"{m['kill_rate']:.0%}{flag} |")  # fmt: skip
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[Sources], str]] = {
    "headline": headline, "classical": classical, "tutorial": tutorial, "presets": presets,
    "robustness": robustness, "speed": speed, "serve_load": serve_load, "queue": queue,
    "collect_load": collect_load,
    "mutation": mutation, "grid": grid, "predict_speed": predict_speed,
    "installs": installs,
    **docs_zh.RENDERERS,  # the Chinese files' blocks: the same numbers, Chinese words
}  # fmt: skip


def render(text: str, src: Sources) -> str:
    """text with every rendered block filled in afresh; an unknown block name is an error."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in RENDERERS:
            sys.exit(f"docs: unknown rendered block {name!r}; known: {', '.join(RENDERERS)}")
        return match.group(1) + RENDERERS[name](src) + match.group(4)

    return BLOCK.sub(fill, text)


def rendered_files(root: Path) -> dict[str, tuple[str, str]]:
    """{path: (committed text, fresh render)} for every docs file."""
    src = Sources(root)
    out = {}
    for name in DOCS:
        text = (root / name).read_text(encoding="utf-8")
        out[name] = (text, render(text, src))
    return out


def main(argv: list[str] | None = None) -> int:
    """Rewrite the stale docs, or with --check name them and return 1."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a render would change")
    args = parser.parse_args(argv)
    root, stale = Path.cwd(), []
    for name, (old, new) in rendered_files(root).items():
        if old != new:
            stale.append(name)
            if not args.check:
                write_text(root / name, new)
    if args.check and stale:
        print(f"docs: stale: {', '.join(stale)}; run `make docs`", file=sys.stderr)
        return 1
    print(f"docs: {'rewrote ' + ', '.join(stale) if stale else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
