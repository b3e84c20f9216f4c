"""Shared pieces of the reliability tests: instant retries, dataset snapshots, id lists, and
what each engine (DuckDB, polars, pyarrow, the package) sees of a dataset."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from postpress_frames.api.client import Client
from postpress_frames.api.retry import RetryPolicy
from postpress_frames.tables.schemas import TABLE_MODELS
from postpress_frames.testing import FakePostpress
from tests.engines import NoFiles, Reader, read_package

ATTEMPTS = 3


class SleepRecorder:
    """A fake ``sleep`` for RetryPolicy: records each wait, never sleeps."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def instant_retry(sleep: SleepRecorder | None = None) -> RetryPolicy:
    """Three attempts, zero backoff, a fake sleep (``Retry-After`` is recorded, not slept)."""
    return RetryPolicy(
        max_attempts=ATTEMPTS,
        initial_backoff=0.0,
        max_backoff=0.0,
        jitter=0.0,
        sleep=sleep or SleepRecorder(),
    )


def client_for(server: FakePostpress, **kwargs: Any) -> Client:
    kwargs.setdefault("retry", instant_retry())
    kwargs.setdefault("timeout", 10.0)
    return Client(server.api_key, server.base_url, **kwargs)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones included) -> its bytes."""
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def leftovers(root: Path) -> list[str]:
    """Hidden temporary files or staging folders a sync must not leave behind."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.name.startswith(".tmp-") or (p.name == ".staging" and any(p.iterdir()))
    )


def ids_of(messages: Iterable[dict[str, Any]]) -> list[str]:
    return sorted(m.get("id") or m["message_id"] for m in messages)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def live_threads() -> set[threading.Thread]:
    return set(threading.enumerate())


# -- what each engine sees of a dataset -------------------------------------------------------
#: One dataset state as a reader sees it: table -> chat id -> its sorted keys (message ids,
#: repeats kept), or the error the reader raised on that table.
Generation = dict[str, dict[str, list[str]] | str]


def generation(root: Path, read: Reader = read_package) -> Generation:
    """What ``read`` sees of every table at ``root``; a table without files reads as empty."""
    seen: Generation = {}
    for table in TABLE_MODELS:
        try:
            seen[table] = read(root, table).keys_by_chat()
        except NoFiles:
            seen[table] = {}
        except Exception as error:  # a partial file, say: reported, not raised
            seen[table] = f"{type(error).__name__}: {str(error)[:300]}"
    return seen


def empty_generation() -> Generation:
    return {table: {} for table in TABLE_MODELS}


def _describe(keys: dict[str, list[str]] | str) -> str:
    if isinstance(keys, str):
        return keys
    rows = sum(len(k) for k in keys.values())
    distinct = len({key for k in keys.values() for key in k})
    return f"{rows} rows of {distinct} distinct messages in chats {sorted(keys)!r}"


def generation_problems(
    views: dict[str, Generation], previous: Generation, new: Generation
) -> list[str]:
    """How ``views`` (engine -> what it saw) break "each table is the previous generation or
    the new one, whole": a table read twice (hidden files counted), partly, or not at all.

    The view named ``scan_dataset`` (the package, which finishes a decided commit) must also
    see all four tables from the same generation.
    """
    problems = []
    for engine, view in views.items():
        common = {"previous", "new"}
        for table in TABLE_MODELS:
            got = view[table]
            matches = {n for n, g in (("previous", previous), ("new", new)) if got == g[table]}
            if not matches:
                problems.append(
                    f"{engine} {table}: {_describe(got)}; the previous generation has "
                    f"{_describe(previous[table])}, the new one {_describe(new[table])}"
                )
            common &= matches or {"previous", "new"}
        if engine == "scan_dataset" and not common:
            tables = {t: _describe(view[t]) for t in TABLE_MODELS}
            problems.append(f"{engine}: tables from different generations: {tables}")
    return problems


def listing(root: Path) -> list[str]:
    """Every file under ``root`` (hidden ones included), relative, with its size."""
    if not root.exists():
        return []
    return [
        f"{p.relative_to(root).as_posix()} ({p.stat().st_size} B)"
        for p in sorted(root.rglob("*"))
        if p.is_file()
    ]
