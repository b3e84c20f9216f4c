"""Workload 3: latency-bound syncing, and the CPU a small chat costs.

FakePostpress (in a child process) adds 20 ms to every request and serves 20 demo chats of
5,000 messages (20 pages each); each run syncs all of them into a fresh dataset folder.

speed  ``sync_chats(workers=8)`` vs ``sync_chats(workers=1)``, wall time
CPU    the process CPU time (user + system, every thread of this process) of the 1-worker
       run divided by the number of chats: CPU seconds per chat synced. Serving runs in the
       child, so none of it is counted, and waiting on the 20 ms is not CPU. One chat is
       synced first, untimed, so imports and first-call costs are not billed to any run.
bound  the CPU of an 8-worker run, ours and the server child's, over the machine's cores: no
       8-worker run can take less wall time, so no speed-up above ``1 worker / bound``
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
from pathlib import Path

from _common import RUNS, Config, Row, Section, check_counts, seconds, speedup_row, timed_cpu
from _data import chat_file, serve

NAME = "latency"
CPU_GOAL = 0.2  # seconds per chat


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
            served_cpu: dict[int, list[float]] = {1: [], 8: []}

            def sync(workers: int, first: int = len(ids)) -> dict[str, int]:
                start = served.cpu()
                root = scratch / f"w{workers}"
                shutil.rmtree(root, ignore_errors=True)
                with Client(served.api_key, served.base_url) as client:
                    results = sync_chats(ids[:first], root, client=client, workers=workers)
                served_cpu.setdefault(workers, []).append(served.cpu() - start)
                failed = [str(r) for r in results if not r.ok]
                if failed:
                    raise RuntimeError(f"sync_chats failed: {failed}")
                return {r.chat_id: r.total for r in results}

            sync(1, first=1)  # warm-up: imports, first polars queries
            reps = max(1, config.slow_reps)
            eight, eight_cpu, counts8 = timed_cpu(lambda: sync(8), reps)
            one, one_cpu, counts1 = timed_cpu(lambda: sync(1), reps)
            check_counts("sync_chats 1 worker", counts8, counts1)
            check_counts("served", dict.fromkeys(ids, n), counts8)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    per_chat = one_cpu / len(ids)
    server8 = statistics.median(served_cpu[8])
    bound = (eight_cpu + server8) / _cores()
    section.rows += [
        speedup_row(
            f"{label}: 8 workers vs 1",
            eight,
            one,
            6,
            note=f"CPU bound: ours + the server's CPU over {_cores()} cores = {seconds(bound)}, "
            f"so at most {one / bound:.2f}x at this CPU per chat",
        ),
        Row(
            f"3 sync {n:,}-msg chat: CPU seconds per chat",
            seconds(per_chat),
            "-",
            None,
            f"<= {CPU_GOAL:g} s",
            per_chat <= CPU_GOAL,
            f"process CPU of sync_chats(workers=1) over {len(ids)} chats / {len(ids)}, "
            f"median of {reps}; the server's CPU (child process) not counted",
        ),
    ]
    section.details.append(
        f"workload 3: {len(ids)} chats x {n:,} messages, "
        f"{len(ids) * -(-n // 250)} requests; 1 worker {one:.2f} s wall, {one_cpu:.2f} s CPU "
        f"({per_chat:.3f} s per chat); 8 workers {eight:.2f} s wall, {eight_cpu:.2f} s CPU "
        f"({eight_cpu / len(ids):.3f} s per chat), the server {server8:.2f} s CPU; on "
        f"{_cores()} cores no 8-worker run can take less than {bound:.2f} s, a speed-up of "
        f"{one / bound:.2f}x"
    )
    return section


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
