"""Messages arriving between page requests (newest-first offset cursors shift under the client):
no duplicate in the frames or the dataset, nothing that existed before is missed, and one
more sync stores every message the server holds."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from postpress_frames.pipeline.fetch import fetch_chat
from postpress_frames.pipeline.sync import sync_chat
from postpress_frames.storage.dataset import read_chat
from postpress_frames.testing import FakePostpress, demo_chat
from tests.reliability.helpers import client_for, ids_of, leftovers

CHAT = "chat_busy"
PAGE_SIZE = 100


def schedule_arrivals(server: FakePostpress, seed: int) -> int:
    """Seeded bursts of new messages after random pages; returns how many will arrive."""
    rng = random.Random(seed)
    total = 0
    for page in sorted(rng.sample(range(1, 12), 4)):
        n = rng.choice([1, 7, 99, 100, 101, 250])
        server.arrive_between_pages(CHAT, n, after_page=page)
        total += n
    return total


@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow), 2])
def test_a_fetch_during_arrivals_has_no_duplicate_and_misses_nothing_older(seed: int) -> None:
    with FakePostpress({CHAT: demo_chat(1200, chat_id=CHAT, seed=seed)}, seed=seed) as server:
        before = set(ids_of(server.messages(CHAT)))
        arriving = schedule_arrivals(server, seed)
        with client_for(server) as client:
            frames = fetch_chat(CHAT, client=client, page_size=PAGE_SIZE)
        ids = frames.messages["id"].to_list()
        assert len(ids) == len(set(ids))  # no duplicates
        assert before <= set(ids)  # every message that existed when the fetch began
        assert set(ids) <= set(ids_of(server.messages(CHAT)))
        assert len(server.messages(CHAT)) == len(before) + arriving
        frames.validate()


@pytest.mark.parametrize("seed", [0, 1, pytest.param(2, marks=pytest.mark.slow)])
def test_one_more_sync_after_arrivals_stores_the_servers_full_list(
    tmp_path: Path, seed: int
) -> None:
    root = tmp_path / "lake"
    with FakePostpress({CHAT: demo_chat(1200, chat_id=CHAT, seed=seed)}, seed=seed) as server:
        with client_for(server) as client:
            if seed % 2:  # half the runs start from a stored copy
                sync_chat(CHAT, root, client=client, page_size=PAGE_SIZE)
                server.add_messages(CHAT, 1000)
            schedule_arrivals(server, seed)
            first = sync_chat(CHAT, root, client=client, page_size=PAGE_SIZE, batch_pages=3)
            stored = read_chat(root, CHAT).validate().messages["id"].to_list()
            assert len(stored) == len(set(stored)) == first.total
            second = sync_chat(CHAT, root, client=client, page_size=PAGE_SIZE)
        final = read_chat(root, CHAT).validate().messages["id"].to_list()
        assert len(final) == len(set(final)) == second.total  # not lost, not duplicated
        assert sorted(final) == ids_of(server.messages(CHAT))
        assert leftovers(root) == []
