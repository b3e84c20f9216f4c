"""Workload 5: the cost of pandera validation relative to building the tables.

build     ``frames_from_pages(pages)`` (workload 1's pages)
validate  ``frames.validate()``: every pandera check of the four tables and the cross-table
          keys (what ``write_parquet`` and ``sync_chat`` run before writing)
"""

from __future__ import annotations

from _common import Config, Section, at_most_row, seconds, timed
from _data import chat_file, pages_of, read_lines

NAME = "validation"
GOAL = 0.1  # validate at most this share of a build (issue 15; it was 0.25)


def run(config: Config) -> Section:
    from postpress_frames import frames_from_pages

    n = config.messages
    pages = pages_of(read_lines(chat_file("chat_demo", n)))
    warm = not config.smoke
    build, frames = timed(lambda: frames_from_pages(pages), config.reps, warmup=warm)
    check, _ = timed(frames.validate, config.reps, warmup=warm)
    section = Section(NAME)
    section.rows.append(
        at_most_row(
            f"5 validation {n:,} msgs: validate / build",
            seconds(check),
            seconds(build),
            check / build,
            GOAL,
        )
    )
    section.details.append(
        f"workload 5: build {seconds(build)}, validate {seconds(check)} ({frames!r})"
    )
    return section
