"""A sync killed with SIGKILL at a random moment leaves a readable dataset; a rerun completes it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from postpress_frames.api.client import Client
from postpress_frames.pipeline.sync import sync_chat
from postpress_frames.storage.dataset import read_chat
from postpress_frames.testing import FakePostpress, demo_chat
from tests.conftest import FAST_RETRY

SCRIPT = """
import sys
from postpress_frames.pipeline.sync import sync_chat
sync_chat(sys.argv[1], sys.argv[2], page_size=50, batch_pages=2)
"""


@pytest.mark.parametrize("seed", range(6))
def test_sigkill_mid_sync_then_rerun(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    chat = "chat_kill"
    with FakePostpress({chat: demo_chat(1500, chat_id=chat, seed=seed)}, latency=0.01) as server:
        root = tmp_path / "lake"
        if seed % 2:  # half the trials kill an incremental sync over existing data
            with Client(api_key=server.api_key, base_url=server.base_url, retry=FAST_RETRY) as c:
                sync_chat(chat, root, client=c)
            server.add_messages(chat, 400)
        env = {
            **os.environ,
            "POSTPRESS_API_KEY": server.api_key,
            "POSTPRESS_BASE_URL": server.base_url,
        }
        server.requests.clear()
        proc = subprocess.Popen([sys.executable, "-c", SCRIPT, chat, str(root)], env=env)
        # Kill after a random number of page requests (mid-fetch), or just after the last one
        # (mid-merge or mid-write), plus a random few milliseconds.
        pages = len(server.messages(chat)) // 50 + 1
        kill_after = rng.randint(1, pages)
        deadline = time.monotonic() + 60
        while len(server.requests) < kill_after and proc.poll() is None:
            assert time.monotonic() < deadline, "the sync never reached its kill point"
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

        stored = read_chat(root, chat).validate()  # readable, whatever the moment of the kill
        assert stored.messages["id"].n_unique() == stored.messages.height

        with Client(api_key=server.api_key, base_url=server.base_url, retry=FAST_RETRY) as c:
            sync_chat(chat, root, client=c)
        final = read_chat(root, chat).validate()
        want = sorted(m["id"] for m in server.messages(chat))
        assert sorted(final.messages["id"].to_list()) == want
        assert final.messages.height == len(want)
        assert not any(p.name.startswith(".tmp-") for p in root.rglob("*"))
