"""Workload 7: ``make demo`` once set up, wall time.

Once ``make setup`` is current, ``make demo`` only runs the console script, so this runs
``postpress-frames demo --out DIR --messages 5000`` in a fresh interpreter, a fresh output
folder each run (under ``bench/.runs/``), and reports the median wall time: the fake server,
fetch, validation, Parquet (one chat and a dataset), statistics, the chart and the report.
The run's outputs are checked (exit 0, the validated message count, the report it names).

Make's own share, its check that the runtime environment is current, is measured with
``make -q setup`` (question mode: it never runs a recipe, so it never syncs) and reported in
the details; the bench does not run ``make demo`` itself, which would sync the environment
when its stamp is missing or older than ``uv.lock``.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import BENCH, RUNS, Config, Row, Section, check_counts, seconds

NAME = "demo"
GOAL = 5.0  # seconds


def _demo(cli: Path, out: Path, messages: int) -> tuple[float, dict[str, int]]:
    command = [str(cli), "demo", "--out", str(out), "--messages", str(messages)]
    start = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, encoding="utf-8", cwd=out.parent, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed with exit code {done.returncode}:\n{done.stderr[-3000:]}"
        )
    validated = re.search(r"^validated: (.*)$", done.stdout, re.MULTILINE)
    report = re.search(r"^report: (.*)$", done.stdout, re.MULTILINE)
    if validated is None or report is None or not Path(report.group(1).strip()).is_file():
        raise RuntimeError(f"the demo did not report its tables and report:\n{done.stdout}")
    counts = {name: int(value) for name, value in re.findall(r"(\w+)=(\d+)", validated.group(1))}
    return elapsed, counts


def _make_check() -> str:
    """What ``make -q setup`` says and how long it takes, or why it was not run."""
    make = shutil.which("make")
    if make is None:
        return "make not found"
    root = BENCH.parent
    best = float("inf")
    code = 0
    for _ in range(3):
        start = time.perf_counter()
        code = subprocess.run([make, "-q", "setup"], cwd=root, capture_output=True).returncode
        best = min(best, time.perf_counter() - start)
    state = {0: "current", 1: "not current (make demo would sync first)"}.get(code, "error")
    return f"make -q setup {seconds(best)} (runtime environment {state})"


def run(config: Config) -> Section:
    cli = Path(sys.executable).parent / "postpress-frames"
    n = config.demo_messages
    RUNS.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="w7-", dir=RUNS))
    times = []
    try:
        for rep in range(max(1, config.demo_reps)):
            elapsed, counts = _demo(cli, scratch / f"demo-{rep}", n)
            check_counts("make demo", {"messages": n}, counts)
            times.append(elapsed)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    wall = statistics.median(times)
    make = _make_check()
    section = Section(NAME)
    section.rows.append(
        Row(
            f"7 make demo ({n:,} msgs) once set up: wall",
            seconds(wall),
            "-",
            None,
            f"<= {GOAL:g} s",
            wall <= GOAL,
            f"postpress-frames demo --out NEW --messages {n}, median of {len(times)}; {make}",
        )
    )
    section.details.append(
        f"workload 7: postpress-frames demo --messages {n:,} per run "
        f"{[seconds(t) for t in times]}; tables {counts}; {make}"
    )
    return section
