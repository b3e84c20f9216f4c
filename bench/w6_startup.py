"""Workload 6: start-up, each measured in fresh interpreters, best of N.

``postpress-frames --help``  wall time of the installed console script
``import postpress_frames``  ``python -c "import postpress_frames"`` minus ``python -c pass``
``p.fetch_chat``             the whole ``python -c "import postpress_frames as p; p.fetch_chat"``
                             (what a script that fetches pays before its first request), and
                             which of pandera, altair and pandas that path imports (none may);
                             its floor is importing only the libraries that path needs
                             (``DEPENDENCIES``), in one fresh interpreter
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _common import Config, Row, Section, best_wall, seconds

NAME = "startup"
FETCH_CHAT = "import postpress_frames as p; p.fetch_chat"
HEAVY = ("pandera", "altair", "pandas")  # not needed to fetch a chat
#: What fetching a chat cannot do without: tables, HTTP, retries, the id scan.
DEPENDENCIES = "import polars, requests, tenacity, msgspec"


def heavy_imports(code: str) -> list[str]:
    """Which of ``HEAVY`` a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport sys\nprint(*[m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return done.stdout.split()


def run(config: Config) -> Section:
    cli = Path(sys.executable).parent / "postpress-frames"
    reps = config.startup_reps
    help_s = best_wall([str(cli), "--help"], reps)
    bare = best_wall([sys.executable, "-c", "pass"], reps)
    imported = best_wall([sys.executable, "-c", "import postpress_frames"], reps)
    fetch_s = best_wall([sys.executable, "-c", FETCH_CHAT], reps)
    floor = best_wall([sys.executable, "-c", DEPENDENCIES], reps)
    heavy = heavy_imports(FETCH_CHAT)
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
        Row(
            "6 start-up: import postpress_frames as p; p.fetch_chat",
            seconds(fetch_s),
            seconds(floor),
            fetch_s / floor,
            f"<= 0.5 s, no {'/'.join(HEAVY)}",
            fetch_s <= 0.5 and not heavy,
            f"the whole command; floor = python -c '{DEPENDENCIES}'; of "
            f"{', '.join(HEAVY)}, imported on that path: {', '.join(heavy) or 'none'}",
        ),
    ]
    section.details.append(
        f"workload 6: best of {max(2, reps)}: --help {seconds(help_s)}, bare python "
        f"{seconds(bare)}, python -c 'import postpress_frames' {seconds(imported)}, "
        f"python -c '{FETCH_CHAT}' {seconds(fetch_s)} (imports "
        f"{', '.join(heavy) or 'none'} of {', '.join(HEAVY)}), its dependencies alone "
        f"(python -c '{DEPENDENCIES}') {seconds(floor)}"
    )
    return section
