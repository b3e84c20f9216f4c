"""Workload 4: bounded memory, ``sync_chat`` of a 1,000,000-message chat into a dataset.

Each sync runs in a fresh interpreter (``_child.py sync-peak``) against FakePostpress in
another child, so the peak RSS is the sync's own. The big chat and its 100,000-message
reference (its newest tenth) come from ``_data.big_chat_file``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _common import Config, Row, Section, at_most_row, megabytes, run_child, seconds
from _data import big_chat_file, serve

NAME = "memory"
CHAT = "chat_big"
LIMIT = 600e6


def _peak_sync(path: Path, n: int, reps: int) -> dict[str, Any]:
    with serve({CHAT: (path, n)}) as served:
        runs = [
            run_child(
                ["sync-peak", served.base_url, CHAT], env={"POSTPRESS_API_KEY": served.api_key}
            )
            for _ in range(reps)
        ]
    for result in runs:
        if result["counts"]["messages"] != n:
            raise RuntimeError(f"sync of {n} messages stored {result['counts']['messages']}")
    return min(runs, key=lambda r: float(r["peak_total"]))


def run(config: Config) -> Section:
    big = config.big_messages
    small = big // 10
    reps = max(1, config.slow_reps - 1)
    path = big_chat_file(big)  # generated once; the small chat is its newest tenth
    small_run = _peak_sync(path, small, reps)
    big_run = _peak_sync(path, big, reps)
    small_peak = float(small_run["peak_total"])
    big_peak = float(big_run["peak_total"])
    section = Section(NAME)
    label = f"4 memory sync {big:,} msgs"
    section.rows += [
        Row(
            f"{label}: peak RSS",
            megabytes(big_peak),
            "-",
            None,
            "< 600 MB",
            big_peak < LIMIT,
        ),
        at_most_row(
            f"{label}: peak vs {small:,} msgs",
            megabytes(big_peak),
            megabytes(small_peak),
            big_peak / small_peak,
            1.3,
        ),
    ]
    section.details.append(
        f"workload 4: sync_chat of {big:,} messages: peak RSS {megabytes(big_peak)} "
        f"(baseline {megabytes(float(big_run['baseline']))}), "
        f"{seconds(float(big_run['seconds']))}; {small:,} messages: "
        f"{megabytes(small_peak)}, {seconds(float(small_run['seconds']))}; "
        f"stored {big_run['counts']}"
    )
    return section
