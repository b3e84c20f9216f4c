"""Measurements that need a fresh interpreter, run by ``_common.run_child``.

``serve SPEC LATENCY``
    FakePostpress for the chats in SPEC (JSON: chat id -> [lines file, n]) until stdin closes.
``frames-peak PAGES_FILE [ours|floor]``
    Peak RSS of ``frames_from_pages`` (or of the read_json floor) over the stored pages.
``sync-peak BASE_URL CHAT_ID``
    Peak RSS and time of ``sync_chat`` of one chat into a fresh dataset folder.

Peak RSS is ``VmHWM`` of ``/proc/self/status``, the high-water mark of this process; the
baseline is the RSS after the imports, before any input is loaded, and is subtracted, so
``peak`` is what the measured call (with its input) adds to a fresh interpreter, and
``peak_total`` the whole process's high-water mark.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path


def _rss() -> int:
    """Current resident set size in bytes (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def _peak() -> int:
    """This process's RSS high-water mark in bytes (VmHWM).

    Not ``ru_maxrss``: Linux carries that over ``execve`` from the forked parent, so a child
    of a big bench process would report the parent's size.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def frames_peak(pages_file: str, what: str = "ours") -> dict[str, object]:
    from _data import load_pages_file

    from postpress_frames import frames_from_pages

    base = _rss()
    pages = load_pages_file(Path(pages_file))
    loaded = _rss()
    start = time.perf_counter()
    if what == "floor":  # every page read by read_json and kept, nothing derived
        import polars as pl

        from postpress_frames.tables.build import wire_schema

        schema = wire_schema()
        kept = [pl.read_json(page, schema=schema).get_column("items") for page in pages]
        counts = {"messages": sum(int(items.list.len().sum()) for items in kept)}
    else:
        counts = {name: frame.height for name, frame in frames_from_pages(pages).items()}
    elapsed = time.perf_counter() - start
    return {
        "baseline": base,
        "input_bytes": sum(map(len, pages)),
        "after_load": loaded - base,
        "peak": _peak() - base,
        "peak_total": _peak(),
        "seconds": elapsed,
        "counts": counts,
    }


def sync_peak(base_url: str, chat_id: str) -> dict[str, object]:
    import polars as pl

    from postpress_frames import Client, sync_chat
    from postpress_frames.storage.dataset import scan_table

    base = _rss()
    with (
        tempfile.TemporaryDirectory(prefix="bench-sync-") as root,
        Client(base_url=base_url) as client,
    ):
        start = time.perf_counter()
        result = sync_chat(chat_id, root, client=client)
        elapsed = time.perf_counter() - start
        peak = _peak() - base
        stored = {
            table: scan_table(root, table, chat_id=chat_id).select(pl.len()).collect().item()
            for table in ("messages", "attachments", "reactions", "seen_by")
        }
    return {
        "baseline": base,
        "peak": peak,
        "peak_total": peak + base,
        "seconds": elapsed,
        "pages": result.pages,
        "counts": stored,
    }


def main(argv: list[str]) -> None:
    command, *args = argv
    if command == "serve":
        from _data import serve_in_this_process

        serve_in_this_process(json.loads(args[0]), float(args[1]))
        return
    if command == "frames-peak":
        out = frames_peak(*args)
    elif command == "sync-peak":
        out = sync_peak(*args)
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
