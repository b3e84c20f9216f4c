"""Workload 6: start-up, each measured in fresh interpreters, best of N.

``postpress-frames --help``  wall time of the installed console script
``import postpress_frames``  ``python -c "import postpress_frames"`` minus ``python -c pass``
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from _common import Config, Row, Section, seconds

NAME = "startup"


def _best(command: list[str], reps: int) -> float:
    best = float("inf")
    for _ in range(max(2, reps)):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def run(config: Config) -> Section:
    cli = Path(sys.executable).parent / "postpress-frames"
    reps = config.startup_reps
    help_s = _best([str(cli), "--help"], reps)
    bare = _best([sys.executable, "-c", "pass"], reps)
    imported = _best([sys.executable, "-c", "import postpress_frames"], reps)
    section = Section(NAME)
    section.rows += [
        Row(
            "6 start-up: postpress-frames --help",
            seconds(help_s),
            "-",
            None,
            "<= 1 s",
            help_s <= 1.0,
        ),
        Row(
            "6 start-up: import postpress_frames adds",
            seconds(imported - bare),
            seconds(bare),
            None,
            "<= 0.5 s",
            imported - bare <= 0.5,
            "other = bare interpreter",
        ),
    ]
    section.details.append(
        f"workload 6: best of {max(2, reps)}: --help {seconds(help_s)}, bare python "
        f"{seconds(bare)}, python -c 'import postpress_frames' {seconds(imported)}"
    )
    return section
