"""Kill rates per module from the last `make mutate` (mutmut), read from mutants/."""

from __future__ import annotations

import json
import re
from pathlib import Path

from benchmarks.harness import ROOT, Section

# mutmut's exit codes per mutant: 1 means a test failed (killed); see mutmut's status table.
SURVIVED, NO_TESTS, TIMEOUTS = {0}, {33, 5}, {36, 24, 152, -24}


def bench(tmp: Path) -> Section:
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
