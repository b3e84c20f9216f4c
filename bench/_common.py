"""Shared by every workload: result rows, timing, fresh-subprocess measurements.

The bench runs as ``python bench/run.py`` (``bench/`` is then ``sys.path[0]``), so modules
here import each other by their file names; their underscore or ``w<N>_`` prefixes keep them
from shadowing an installed package.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

BENCH = Path(__file__).resolve().parent
RUNS = BENCH / ".runs"  # git-ignored: cached demo chats and scratch output
PYTHON = sys.executable
T = TypeVar("T")


class RowCountMismatch(AssertionError):
    """A peer did not produce the same tables as ours: its timing would compare nothing."""


@dataclass(frozen=True)
class Config:
    """Sizes and repetitions of one run (the full run, or ``--smoke``)."""

    smoke: bool
    messages: int  # workloads 1, 2, 5
    reps: int  # repetitions of each cheap timing (the median is reported)
    slow_reps: int  # repetitions of expensive ones (dlt, subprocess memory runs)
    chats: int  # workload 3
    chat_messages: int  # workload 3
    latency: float  # workload 3, seconds added per request
    big_messages: int  # workload 4
    startup_reps: int  # workload 6
    demo_messages: int  # workload 7
    demo_reps: int  # workload 7 (each run is a fresh interpreter doing the whole demo)

    @classmethod
    def full(cls) -> Config:
        return cls(False, 100_000, 5, 2, 20, 5_000, 0.020, 1_000_000, 7, 5_000, 3)

    @classmethod
    def tiny(cls) -> Config:
        return cls(True, 2_000, 1, 1, 4, 500, 0.020, 20_000, 2, 200, 1)


@dataclass
class Row:
    """One line of the table. ``ratio`` is ours-relative, oriented so that bigger is better
    for ``>=`` goals and smaller is better for ``<=``/``<`` goals (see ``goal``)."""

    workload: str
    ours: str
    other: str  # the peer or floor value, or "-" for absolute goals
    ratio: float | None
    goal: str  # ">= 8x", "<= 1.5x", "< 600 MB" ...
    met: bool | None
    note: str = ""


@dataclass
class Section:
    """What one workload returns: its rows and free-form details for RESULTS.md."""

    name: str
    rows: list[Row] = field(default_factory=list)
    details: list[str] = field(default_factory=list)


def check_counts(what: str, ours: Mapping[str, int], theirs: Mapping[str, int]) -> None:
    """Raise unless ``theirs`` has the same row count as ``ours`` for every table."""
    for table, count in ours.items():
        if theirs.get(table) != count:
            raise RowCountMismatch(
                f"{what}: {table} has {theirs.get(table)} rows, ours has {count} "
                f"(ours {dict(ours)}, theirs {dict(theirs)})"
            )
    print(f"row counts checked: {what} == ours {dict(ours)}", file=sys.stderr, flush=True)


def timed(fn: Callable[[], T], reps: int, *, warmup: bool = False) -> tuple[float, T]:
    """Median wall time of ``reps`` calls of ``fn`` and the last call's result.

    A full collection runs before each call so one call's garbage is not billed to the next.
    """
    if warmup:
        fn()
    times: list[float] = []
    result: T | None = None
    for _ in range(max(1, reps)):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    assert result is not None
    return statistics.median(times), result


def timed_cpu(fn: Callable[[], T], reps: int) -> tuple[float, float, T]:
    """Median wall time and median process CPU time (user + system, every thread of this
    process) of ``reps`` calls of ``fn``, and the last call's result."""
    walls: list[float] = []
    cpus: list[float] = []
    result: T | None = None
    for _ in range(max(1, reps)):
        result = None
        gc.collect()
        cpu = time.process_time()
        start = time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    assert result is not None
    return statistics.median(walls), statistics.median(cpus), result


def best_wall(command: list[str], reps: int, **kwargs: Any) -> float:
    """Best wall time of ``reps`` (at least 2) runs of ``command`` in a fresh process."""
    best = float("inf")
    for _ in range(max(2, reps)):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best


def run_child(args: list[str], *, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Run ``bench/_child.py ARGS`` in a fresh interpreter; return the JSON it prints last."""
    done = subprocess.run(
        [PYTHON, str(BENCH / "_child.py"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"bench child {args} failed with exit code {done.returncode}:\n{done.stderr[-4000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def megabytes(value: float) -> str:
    return f"{value / 1e6:,.0f} MB"


def speedup_row(workload: str, ours: float, other: float, goal: float, *, note: str = "") -> Row:
    """A ``ours is at least goal x faster than other`` row (ratio = other / ours)."""
    ratio = other / ours
    return Row(workload, seconds(ours), seconds(other), ratio, f">= {goal:g}x", ratio >= goal, note)


def at_most_row(
    workload: str, ours: str, other: str, ratio: float, goal: float, *, note: str = ""
) -> Row:
    """A ``ratio must stay at or under goal`` row."""
    return Row(workload, ours, other, ratio, f"<= {goal:g}x", ratio <= goal, note)
