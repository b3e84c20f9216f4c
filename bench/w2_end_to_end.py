"""Workload 2: end to end, FakePostpress (in a child process, no latency) to Parquet.

ours   ``fetch_chat`` + ``write_parquet`` (validation included); ``sync_chat`` into a fresh
       dataset is timed too and reported in the details
peer   dlt's ``rest_api`` source, cursor paginator, ``X-API-KEY`` header, filesystem
       destination writing Parquet; a fresh pipeline folder each run, telemetry off
floor  a ``requests.Session`` that only downloads every page (the cursor is cut out of the
       body's tail; nothing is parsed)
bound  the CPU ours and the server's child use per run, over the machine's cores: no run of
       ours can take less wall time than that, however well its work overlaps
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _common import RUNS, Config, Section, at_most_row, check_counts, seconds, speedup_row, timed
from _data import chat_file, serve
from _peers import dlt_to_parquet, download_floor

NAME = "end-to-end"
CHAT = "chat_demo"


def run(config: Config) -> Section:
    from postpress_frames import Client, fetch_chat, sync_chat, write_parquet

    n = config.messages
    section = Section(NAME)
    label = f"2 end to end {n:,} msgs"
    scratch = Path(tempfile.mkdtemp(prefix="w2-", dir=_scratch_root()))
    try:
        with serve({CHAT: (chat_file(CHAT, n), n)}) as served:
            cpu: list[float] = []  # ours + the server's, per call of ours_fn

            def ours_fn() -> dict[str, int]:
                start = time.process_time() + served.cpu()
                with Client(served.api_key, served.base_url) as client:
                    frames = fetch_chat(CHAT, client=client)
                write_parquet(frames, scratch / "ours")
                cpu.append(time.process_time() + served.cpu() - start)
                return {name: frame.height for name, frame in frames.items()}

            def sync_fn() -> dict[str, int]:
                root = scratch / "sync"
                shutil.rmtree(root, ignore_errors=True)
                with Client(served.api_key, served.base_url) as client:
                    result = sync_chat(CHAT, root, client=client)
                return {"messages": result.total}

            ours, counts = timed(ours_fn, config.reps, warmup=not config.smoke)
            bound = statistics.median(cpu[-max(1, config.reps) :]) / (os.cpu_count() or 1)
            sync_s, sync_counts = timed(sync_fn, max(1, config.reps // 2))
            check_counts("sync_chat", {"messages": counts["messages"]}, sync_counts)
            floor, floor_counts = timed(
                lambda: download_floor(served.base_url, served.api_key, CHAT),
                config.reps,
                warmup=not config.smoke,
            )
            check_counts("download floor", {"messages": counts["messages"]}, floor_counts)
            dlt_s, dlt_counts = timed(
                lambda: dlt_to_parquet(served.base_url, served.api_key, CHAT, scratch / "dlt"),
                config.slow_reps,
            )
            check_counts("dlt rest_api", counts, dlt_counts)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    section.rows += [
        speedup_row(f"{label}: vs dlt rest_api -> Parquet", ours, dlt_s, 5),
        at_most_row(
            f"{label}: time / download-only floor",
            seconds(ours),
            seconds(floor),
            ours / floor,
            1.5,
            note=f"CPU bound: ours + the server's CPU over {os.cpu_count()} cores = "
            f"{seconds(bound)} = {bound / floor:.2f}x the floor",
        ),
    ]
    section.details.append(
        f"workload 2: {floor_counts['pages']} pages; tables {counts}; fetch_chat + "
        f"write_parquet {seconds(ours)}, sync_chat into a fresh dataset {seconds(sync_s)}, "
        f"dlt {seconds(dlt_s)}, download only {seconds(floor)}; fetch_chat + write_parquet "
        f"used {seconds(bound * (os.cpu_count() or 1))} of CPU (ours and the server's), so "
        f"on {os.cpu_count()} cores it cannot take less than {seconds(bound)}"
    )
    return section


def _scratch_root() -> Path:
    RUNS.mkdir(parents=True, exist_ok=True)
    return RUNS
