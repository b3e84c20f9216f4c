"""The postpress-frames benchmark suite: every workload, one table.

    .venv/bin/python bench/run.py                  # full run (a few minutes), prints the table
    .venv/bin/python bench/run.py --write-results  # ... and records it in bench/RESULTS.md
    .venv/bin/python bench/run.py --smoke          # every workload at a tiny size (~1 min)
    .venv/bin/python bench/run.py --only frames,startup

Every goal is a ratio (or a bound) measured in the same run. Each peer must build the same
tables as ours (equal row counts per table) or the run fails. Exit status: 0 when the suite
ran (goals met or not; ``--strict`` makes a missed goal exit 1), 1 when a workload failed,
2 on bad arguments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import shlex
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

from _common import BENCH, Config, Row, Section

WORKLOADS = {
    "frames": "w1_frames",
    "end-to-end": "w2_end_to_end",
    "latency": "w3_latency",
    "memory": "w4_memory",
    "validation": "w5_validation",
    "startup": "w6_startup",
    "demo": "w7_demo",
}
RESULTS = BENCH / "RESULTS.md"
VERSIONS = (
    "postpress-frames",
    "polars",
    "pyarrow",
    "pandera",
    "altair",
    "requests",
    "pandas",
    "orjson",
    "msgspec",
    "dlt",
)
HEADER = ("workload", "ours", "peer / floor", "ratio", "goal", "met?")


def _ratio(row: Row) -> str:
    return "-" if row.ratio is None else f"{row.ratio:.2f}x"


def _met(row: Row) -> str:
    return "-" if row.met is None else ("yes" if row.met else "NO")


def table(rows: list[Row]) -> str:
    """The results as a Markdown table (readable as is in a terminal)."""
    cells = [HEADER, *[(r.workload, r.ours, r.other, _ratio(r), r.goal, _met(r)) for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADER))]

    def line(values: tuple[str, ...]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    notes = [f"- {r.workload}: {r.note}" for r in rows if r.note]
    return "\n".join(
        [line(cells[0]), rule, *map(line, cells[1:])] + (["", *notes] if notes else [])
    )


def machine() -> str:
    model = "unknown CPU"
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for text in Path("/proc/meminfo").read_text().splitlines():
            if text.startswith("MemTotal:"):
                memory = f"{int(text.split()[1]) / 1024**2:.1f} GiB"
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores ({model}), {memory} RAM, {platform.platform()}"


def versions() -> str:
    found = [f"Python {platform.python_version()}"]
    for name in VERSIONS:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def command() -> str:
    python = os.path.relpath(sys.executable) if sys.executable else "python"
    return shlex.join([python, os.path.relpath(__file__), *sys.argv[1:]])


def load() -> str:
    """The 1-minute load average: other work on the machine slows the threaded code most."""
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "unknown"


def write_results(text: str, sections: list[Section], elapsed: float, load_before: str) -> None:
    details = [d for s in sections for d in s.details]
    RESULTS.write_text(
        "# Benchmark results\n\n"
        "Written by `make bench` (`bench/run.py --write-results`); every goal is a ratio or "
        "bound measured in this one run. See `bench/run.py` and the `w*_*.py` modules for "
        "what each row measures.\n\n"
        f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}\n"
        f"- machine: {machine()}\n"
        f"- versions: {versions()}\n"
        f"- command: `{command()}` ({elapsed:.0f} s)\n"
        f"- load average (1 min) at start / end: {load_before} / {load()} "
        "(other work on the machine slows the threaded paths most)\n\n"
        f"{text}\n\n## Details\n\n" + "\n".join(f"- {d}" for d in details) + "\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, 1 repetition")
    parser.add_argument(
        "--only", default="", help=f"comma-separated workloads: {', '.join(WORKLOADS)}"
    )
    parser.add_argument("--reps", type=int, help="override the repetitions of cheap timings")
    parser.add_argument("--write-results", action="store_true", help=f"write {RESULTS.name}")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)
    chosen = [w.strip() for w in args.only.split(",") if w.strip()] or list(WORKLOADS)
    unknown = [w for w in chosen if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {unknown[0]!r}; choose from {', '.join(WORKLOADS)}")
    if args.write_results and (args.smoke or args.only):
        parser.error("--write-results records a full run: drop --smoke and --only")
    config = Config.tiny() if args.smoke else Config.full()
    if args.reps is not None:
        config = Config(**{**config.__dict__, "reps": max(1, args.reps)})

    started = time.perf_counter()
    load_before = load()
    sections: list[Section] = []
    for name in chosen:
        run: Callable[[Config], Section] = importlib.import_module(WORKLOADS[name]).run
        t0 = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        sections.append(run(config))
        print(f"  {name} took {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started
    rows = [row for section in sections for row in section.rows]
    text = table(rows)
    if args.smoke:
        text += "\n\nsmoke run: tiny sizes, one repetition; the ratios say nothing about the goals"
    print(text)
    if args.write_results:
        write_results(text, sections, elapsed, load_before)
        print(f"\nwrote {os.path.relpath(RESULTS)}", file=sys.stderr)
    missed = [r.workload for r in rows if r.met is False]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
