"""Shared pieces of the reliability tests: instant retries, dataset snapshots, id lists."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from postpress_frames.api.client import Client
from postpress_frames.api.retry import RetryPolicy
from postpress_frames.testing import FakePostpress

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
