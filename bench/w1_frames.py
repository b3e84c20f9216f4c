"""Workload 1: the four typed tables from the page bytes of one chat (no network).

ours   ``frames_from_pages(pages)``
peers  pandas (``json.loads`` + ``json_normalize`` + ``record_path`` child tables, typed);
       the same with every page parsed by ``orjson.loads``; ``polars.from_dicts`` on the
       parsed pages, tables derived with explode/unnest
floor  ``pl.read_json`` of every page with our wire schema, nothing derived: the faster of
       one thread and two threads (the machine's cores) is the floor
memory peak RSS of ``frames_from_pages`` in a fresh interpreter, input included, over the
       input bytes
"""

from __future__ import annotations

from functools import partial

from _common import (
    Config,
    Row,
    Section,
    at_most_row,
    check_counts,
    megabytes,
    run_child,
    seconds,
    speedup_row,
    timed,
)
from _data import chat_file, pages_file, pages_of, read_lines
from _peers import (
    pandas_orjson_tables,
    pandas_tables,
    polars_from_dicts_tables,
    read_json_floor,
)

NAME = "frames"


def run(config: Config) -> Section:
    from postpress_frames import frames_from_pages

    n = config.messages
    pages = pages_of(read_lines(chat_file("chat_demo", n)))
    input_bytes = sum(map(len, pages))
    section = Section(NAME)
    label = f"1 frames {n:,} msgs"
    warm = not config.smoke

    def ours_fn() -> dict[str, int]:
        return {name: frame.height for name, frame in frames_from_pages(pages).items()}

    ours, counts = timed(ours_fn, config.reps, warmup=warm)
    pandas_s, pandas_counts = timed(lambda: pandas_tables(pages), config.slow_reps)
    check_counts("pandas", counts, pandas_counts)
    orjson_s, orjson_counts = timed(lambda: pandas_orjson_tables(pages), config.slow_reps)
    check_counts("pandas (orjson)", counts, orjson_counts)
    dicts_s, dicts_counts = timed(lambda: polars_from_dicts_tables(pages), config.slow_reps)
    check_counts("polars.from_dicts", counts, dicts_counts)
    floors: dict[int, float] = {}
    for threads in (1, 2):
        floors[threads], floor_counts = timed(
            partial(read_json_floor, pages, threads), config.reps, warmup=warm
        )
        check_counts(
            f"read_json floor ({threads} thread{'s' if threads > 1 else ''})",
            {"messages": counts["messages"]},
            floor_counts,
        )
    floor = min(floors.values())

    section.rows += [
        speedup_row(f"{label}: vs pandas.json_normalize", ours, pandas_s, 8),
        speedup_row(f"{label}: vs orjson + pandas.json_normalize", ours, orjson_s, 8),
        speedup_row(f"{label}: vs polars.from_dicts", ours, dicts_s, 10),
        Row(
            f"{label}: speed vs read_json floor",
            seconds(ours),
            seconds(floor),
            floor / ours,
            ">= 0.6x",
            floor / ours >= 0.6,
            f"floor: best of 1 thread {floors[1]:.3f} s, 2 threads {floors[2]:.3f} s",
        ),
    ]

    peaks = [run_child(["frames-peak", str(pages_file(n))]) for _ in range(config.slow_reps)]
    for peak in peaks:
        check_counts("frames-peak child", counts, peak["counts"])
    peak = min(p["peak"] for p in peaks)
    floor_peak = run_child(["frames-peak", str(pages_file(n)), "floor"])["peak"]
    section.rows.append(
        at_most_row(
            f"{label}: peak RSS / input bytes",
            megabytes(peak),
            megabytes(input_bytes),
            peak / input_bytes,
            3,
            note=f"fresh interpreter, input included; read_json of every page, kept: "
            f"{megabytes(floor_peak)} = {floor_peak / input_bytes:.2f}x",
        )
    )
    section.details.append(
        f"workload 1: {len(pages)} pages, {megabytes(input_bytes)} of page bytes; tables "
        f"{counts}; polars.from_dicts {seconds(dicts_s)}, pandas {seconds(pandas_s)} "
        f"(json.loads) / {seconds(orjson_s)} (orjson), "
        f"read_json 1 thread {seconds(floors[1])}, 2 threads {seconds(floors[2])}, "
        f"ours {seconds(ours)}; peak RSS over baseline per run "
        f"{[megabytes(p['peak']) for p in peaks]}"
    )
    return section
