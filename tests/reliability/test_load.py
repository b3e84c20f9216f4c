"""FakePostpress under 8 concurrent syncs for a bounded time (loopback only), while new
messages keep arriving: no errors, no lost or duplicated messages, and the process's open
file descriptors and threads are back to where they started after the syncs.

One run loads it for 5 seconds, the other for 60; both are marked slow (``make test`` runs
them, ``make check`` does not)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from postpress_frames.pipeline.sync import sync_chat
from postpress_frames.storage.dataset import read_chat
from postpress_frames.testing import FakePostpress, demo_chats
from tests.reliability.helpers import client_for, ids_of, live_threads, open_fds

WORKERS = 8
MAX_SYNCS_PER_WORKER = 500  # bounded in count as well as in time
T = TypeVar("T")


def settled(measure: Callable[[], T], expected: T | None = None) -> T:
    """``measure()`` once the server has closed its side of the finished connections.

    Closed clients' sockets are closed by FakePostpress's connection threads a moment later;
    wait (bounded) for that, rather than catch them half way.
    """
    deadline = time.monotonic() + 10
    last = measure()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = measure()
        if (expected is not None and now == expected) or (expected is None and now == last):
            return now
        last = now
    return last


def run_load(root: Path, seconds: float) -> dict[str, int]:
    chats = demo_chats(WORKERS, 400, seed=4)
    with FakePostpress(chats, seed=4) as server:
        # Polars' runtime opens its epoll/eventfd handles once, on first use: warm it up.
        with client_for(server) as client:
            sync_chat(next(iter(chats)), root, client=client)
        fds, threads = settled(lambda: (open_fds(), live_threads()))
        errors: list[BaseException] = []
        syncs = [0]
        lock = threading.Lock()
        stop = time.monotonic() + seconds

        def worker(chat_id: str) -> None:
            with client_for(server) as client:
                for _ in range(MAX_SYNCS_PER_WORKER):
                    if time.monotonic() > stop:
                        return
                    try:
                        before = set(ids_of(server.messages(chat_id)))
                        result = sync_chat(chat_id, root, client=client, page_size=50)
                        stored = read_chat(root, chat_id).messages["id"].to_list()
                        assert result.ok and len(stored) == len(set(stored)) == result.total
                        assert before <= set(stored)  # nothing the server had is lost
                    except BaseException as exc:  # reported below, with every other one
                        with lock:
                            errors.append(exc)
                        return
                    with lock:
                        syncs[0] += 1

        def arrivals() -> None:
            n = 0
            while time.monotonic() < stop:
                server.add_messages(list(chats)[n % WORKERS], 3)
                n += 1
                time.sleep(0.05)

        pool = [threading.Thread(target=worker, args=(c,)) for c in chats]
        pool.append(threading.Thread(target=arrivals))
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join(timeout=seconds + 300)
        assert not any(thread.is_alive() for thread in pool)
        assert errors == []
        assert settled(open_fds, fds) == fds
        assert settled(live_threads, threads) == threads

        lost = duplicated = stored_total = 0
        with client_for(server) as client:
            for chat_id in chats:  # one more sync after the arrivals stopped
                sync_chat(chat_id, root, client=client)
                stored = read_chat(root, chat_id).messages["id"].to_list()
                want = set(ids_of(server.messages(chat_id)))
                lost += len(want - set(stored))
                duplicated += len(stored) - len(set(stored))
                stored_total += len(stored)
        return {
            "syncs": syncs[0],
            "lost": lost,
            "duplicated": duplicated,
            "stored": stored_total,
            "requests": len(server.requests),
        }


@pytest.mark.slow  # five seconds of load plus the syncs around it
def test_eight_concurrent_syncs_for_five_seconds(tmp_path: Path) -> None:
    figures = run_load(tmp_path / "lake", 5.0)
    print(f"load 5 s: {figures}")
    assert figures["syncs"] >= WORKERS
    assert figures["lost"] == 0 and figures["duplicated"] == 0


@pytest.mark.slow
def test_eight_concurrent_syncs_for_sixty_seconds(tmp_path: Path) -> None:
    figures = run_load(tmp_path / "lake", 60.0)
    print(f"load 60 s: {figures}")
    assert figures["syncs"] >= WORKERS
    assert figures["lost"] == 0 and figures["duplicated"] == 0
