"""SIGKILL at seeded random points of a sync in a subprocess: the dataset stays readable and
valid, and one rerun makes it equal to the server's full list.

Twenty trials, four of each kind of kill point, half over an existing dataset:

* ``requests``: the parent kills the sync after a random number of page requests;
* ``stage-write``: the sync dies halfway through writing a random staged batch file;
* ``merge-write``: it dies halfway through writing one of the four merged files;
* ``commit-before`` / ``commit-after``: it dies just before or just after one of the four
  renames that put the merged files in place (the commit).

(``tests/test_sync_crash.py`` kills at random moments; these trials aim at each phase.)
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from postpress_frames.pipeline.sync import sync_chat
from postpress_frames.storage.dataset import read_chat
from postpress_frames.testing import FakePostpress, demo_chat
from tests.reliability.helpers import client_for, ids_of, leftovers

CHAT = "chat_killed"
PAGE_SIZE = 50
MODES = ("requests", "stage-write", "merge-write", "commit-before", "commit-after")
TRIALS = 20

SCRIPT = r"""
import os, signal, sys
from pathlib import Path
import postpress_frames.storage.dataset as dataset
import postpress_frames.pipeline.sync as sync

chat, root, mode, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
calls = {"stage": 0, "merge": 0, "commit": 0}
merging = []

def die():
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)

real_write, real_hidden, real_commit = sync.write_table, sync._write_hidden, dataset.commit_file

def write_table(frame, target):
    phase = "merge" if merging else "stage"
    calls[phase] += 1
    real_write(frame, target)
    if mode == f"{phase}-write" and calls[phase] == n:
        data = Path(target).read_bytes()
        Path(target).write_bytes(data[: len(data) // 2])  # half written, then killed
        die()

def write_hidden(*args):
    merging.append(True)
    return real_hidden(*args)

def commit_file(tmp, target):
    calls["commit"] += 1
    if mode == "commit-before" and calls["commit"] == n:
        die()
    real_commit(tmp, target)
    if mode == "commit-after" and calls["commit"] == n:
        die()

sync.write_table, sync._write_hidden = write_table, write_hidden
dataset.commit_file = commit_file
sync.sync_chat(chat, root, page_size=50, batch_pages=2)
"""


def kill_point(seed: int) -> tuple[str, int, bool]:
    rng = random.Random(seed)
    mode = MODES[seed % len(MODES)]
    incremental = bool(seed // len(MODES) % 2)
    # An initial sync makes 25 requests, an incremental one about 20.
    high = {"requests": 18, "stage-write": 12, "merge-write": 4}.get(mode, 4)
    return mode, rng.randint(1, high), incremental


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(TRIALS))
def test_sigkill_then_rerun(tmp_path: Path, seed: int) -> None:
    mode, n, incremental = kill_point(seed)
    root = tmp_path / "lake"
    with FakePostpress({CHAT: demo_chat(1200, chat_id=CHAT, seed=seed)}, seed=seed) as server:
        if incremental:
            with client_for(server) as client:
                sync_chat(CHAT, root, client=client)
            newest = server.messages(CHAT)[0]
            server.edit_message(CHAT, newest["id"], text="edited after the first sync")
            server.add_messages(CHAT, 900)
        env = {
            **os.environ,
            "POSTPRESS_API_KEY": server.api_key,
            "POSTPRESS_BASE_URL": server.base_url,
        }
        server.requests.clear()
        proc = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, CHAT, str(root), mode, str(n)], env=env
        )
        if mode == "requests":
            deadline = time.monotonic() + 120
            while len(server.requests) < n and proc.poll() is None:
                assert time.monotonic() < deadline, "the sync never reached its kill point"
                time.sleep(0.002)
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=120)
        assert proc.returncode == -signal.SIGKILL, f"{mode} {n}: the sync was not killed"

        stored = read_chat(root, CHAT).validate()  # readable and valid, whatever the moment
        assert stored.messages["id"].n_unique() == stored.messages.height

        with client_for(server) as client:
            result = sync_chat(CHAT, root, client=client)
        assert result.ok
        final = read_chat(root, CHAT).validate()
        want = ids_of(server.messages(CHAT))
        assert sorted(final.messages["id"].to_list()) == want
        assert final.messages.height == len(want)
        if incremental:
            edited = final.messages.filter(final.messages["id"] == newest["id"])
            assert edited["text"].item() == "edited after the first sync"
        assert leftovers(root) == []
