"""sync_chat / sync_chats: incremental, merge by id, nothing lost when a fetch fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from postpress_frames._exceptions import AuthenticationError, NotFoundError
from postpress_frames.client import Client
from postpress_frames.dataset import read_chat, scan_dataset
from postpress_frames.sync import sync_chat, sync_chats
from postpress_frames.testing import FakePostpress, Fault, demo_chats
from tests.conftest import FAST_RETRY


def stored_ids(root: Path, chat_id: str) -> list[str]:
    return sorted(read_chat(root, chat_id).messages["id"].to_list())


def server_ids(server: FakePostpress, chat_id: str) -> list[str]:
    return sorted(m.get("id") or m["message_id"] for m in server.messages(chat_id))


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_first_sync_fetches_everything(
    server: FakePostpress, client: Client, tmp_path: Path
) -> None:
    result = sync_chat(server.chat_id, tmp_path, client=client, batch_pages=1, page_size=50)
    assert result.ok and result.added == 300 and result.updated == 0 and result.total == 300
    assert stored_ids(tmp_path, server.chat_id) == server_ids(server, server.chat_id)
    read_chat(tmp_path, server.chat_id).validate()


def test_a_second_sync_with_nothing_new_changes_no_file(
    server: FakePostpress, client: Client, tmp_path: Path
) -> None:
    sync_chat(server.chat_id, tmp_path, client=client)
    before = snapshot(tmp_path)
    result = sync_chat(server.chat_id, tmp_path, client=client)
    assert (result.added, result.updated, result.total) == (0, 0, 300)
    assert result.fetched > 0  # the overlap window was fetched again
    assert snapshot(tmp_path) == before


def test_later_syncs_fetch_only_the_overlap(
    server: FakePostpress, client: Client, tmp_path: Path
) -> None:
    sync_chat(server.chat_id, tmp_path, client=client)
    server.requests.clear()
    sync_chat(server.chat_id, tmp_path, client=client)
    assert all("after" in r.query for r in server.requests)


def test_new_and_edited_messages_are_merged(
    server: FakePostpress, client: Client, tmp_path: Path
) -> None:
    chat = server.chat_id
    sync_chat(chat, tmp_path, client=client)
    newest = server.messages(chat)[0]
    server.edit_message(chat, newest["id"], text="edited after the first sync")
    server.add_messages(chat, 25)
    result = sync_chat(chat, tmp_path, client=client)
    assert (result.added, result.updated, result.total) == (25, 1, 325)
    stored = read_chat(tmp_path, chat)
    assert stored_ids(tmp_path, chat) == server_ids(server, chat)
    assert stored.messages["id"].n_unique() == stored.messages.height
    edited = stored.messages.filter(stored.messages["id"] == newest["id"])
    assert edited["text"].item() == "edited after the first sync"
    assert edited["edited"].item() is True
    stored.validate()


def test_a_failed_sync_leaves_the_dataset_as_it_was(
    server: FakePostpress, client: Client, tmp_path: Path
) -> None:
    chat = server.chat_id
    sync_chat(chat, tmp_path, client=client)
    server.add_messages(chat, 600)
    before = snapshot(tmp_path)
    server.fail_page(2, Fault.error(401, "errors/expired_credentials"))
    with pytest.raises(AuthenticationError):
        sync_chat(chat, tmp_path, client=client, batch_pages=1, page_size=100)
    assert snapshot(tmp_path) == before
    result = sync_chat(chat, tmp_path, client=client)
    assert result.added == 600
    assert stored_ids(tmp_path, chat) == server_ids(server, chat)


def test_sync_chats_reports_each_chat_and_survives_a_failure(tmp_path: Path) -> None:
    chats = demo_chats(3, 150, seed=1)
    with FakePostpress(chats) as server:
        client = Client(api_key=server.api_key, base_url=server.base_url, retry=FAST_RETRY)
        ids = [*chats, "chat_missing"]
        results = sync_chats(ids, tmp_path, client=client, workers=3)
        assert [r.chat_id for r in results] == ids
        assert [r.ok for r in results] == [True, True, True, False]
        assert isinstance(results[-1].error, NotFoundError)
        for chat_id in chats:
            assert stored_ids(tmp_path, chat_id) == server_ids(server, chat_id)
        for chat_id in chats:
            server.add_messages(chat_id, 10)
        again = sync_chats(chats, tmp_path, client=client, workers=2)
        assert [r.added for r in again] == [10, 10, 10]
        total = scan_dataset(tmp_path)["messages"].collect().height
        assert total == sum(len(server.messages(c)) for c in chats)


def test_sync_chats_progress_counts_messages_and_chats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chats = demo_chats(2, 120, seed=3)
    seen: list[int] = []
    with FakePostpress(chats) as server:
        client = Client(api_key=server.api_key, base_url=server.base_url, retry=FAST_RETRY)
        sync_chats(chats, tmp_path, client=client, workers=2, progress=True)
        chat = next(iter(chats))
        server.add_messages(chat, 5)
        sync_chat(chat, tmp_path, client=client, on_page=lambda page: seen.append(len(page.items)))
    err = capsys.readouterr().err
    assert "syncing 2 chats" in err
    assert "240 msg" in err
    assert "chats=2/2" in err
    assert sum(seen) >= 5  # the new messages and the overlap window
