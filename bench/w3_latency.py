"""Workload 3: latency-bound syncing, ``sync_chats`` with 8 workers vs 1.

FakePostpress (in a child process) adds 20 ms to every request and serves 20 demo chats of
5,000 messages (20 pages each); each run syncs all of them into a fresh dataset folder.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from _common import RUNS, Config, Section, check_counts, speedup_row, timed
from _data import chat_file, serve

NAME = "latency"


def run(config: Config) -> Section:
    from postpress_frames import Client, sync_chats

    ids = ["chat_demo" if i == 1 else f"chat_demo_{i}" for i in range(1, config.chats + 1)]
    n = config.chat_messages
    chats = {cid: (chat_file(cid, n), n) for cid in ids}
    RUNS.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="w3-", dir=RUNS))
    section = Section(NAME)
    label = f"3 latency {len(ids)} chats x {n:,}, {config.latency * 1000:g} ms"
    try:
        with serve(chats, latency=config.latency) as served:

            def sync(workers: int) -> dict[str, int]:
                root = scratch / f"w{workers}"
                shutil.rmtree(root, ignore_errors=True)
                with Client(served.api_key, served.base_url) as client:
                    results = sync_chats(ids, root, client=client, workers=workers)
                failed = [str(r) for r in results if not r.ok]
                if failed:
                    raise RuntimeError(f"sync_chats failed: {failed}")
                return {r.chat_id: r.total for r in results}

            reps = max(1, config.slow_reps)
            eight, counts8 = timed(lambda: sync(8), reps)
            one, counts1 = timed(lambda: sync(1), reps)
            check_counts("sync_chats 1 worker", counts8, counts1)
            check_counts("served", dict.fromkeys(ids, n), counts8)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    section.rows.append(speedup_row(f"{label}: 8 workers vs 1", eight, one, 6))
    section.details.append(
        f"workload 3: {len(ids)} chats x {n:,} messages, "
        f"{len(ids) * -(-n // 250)} requests; 1 worker {one:.2f} s, 8 workers {eight:.2f} s"
    )
    return section
