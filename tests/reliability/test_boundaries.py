"""Hostile ids and cursors stay where they belong: ``chat_id``, ``sender_id`` and cursor values
with ``/``, ``..``, ``%2F``, ``?``, ``#``, spaces, unicode and CR/LF never reach another path
or inject a header (asserted on what FakePostpress received), and a chat's partition and
staging folders never leave the dataset root."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postpress_frames._exceptions import BadRequestError, ConfigurationError
from postpress_frames.pipeline.sync import sync_chat
from postpress_frames.storage.dataset import chat_ids, read_chat
from postpress_frames.storage.layout import partition_dir, staging_dir
from postpress_frames.tables.schemas import TABLE_MODELS
from postpress_frames.testing import FakePostpress, Fault, demo_chat
from tests.reliability.helpers import client_for, ids_of

HOSTILE = [
    "a/b",
    "..",
    ".",
    "../../etc/passwd",
    "%2F..%2F",
    "chat?limit=1&cursor=x",
    "chat#fragment",
    "chat with spaces",
    "chät_ünïcödé_💬",
    "\u202echat",
    "chat\r\nX-Injected: 1",
    "chat\nX-Injected: 1",
    "/leading",
    "trailing/",
    "a%00b",
]
SENT_HEADERS = {"host", "x-api-key", "accept", "user-agent", "accept-encoding", "connection"}


def route_segments(path: str) -> list[str]:
    return urlsplit(path).path.split("/")


@pytest.mark.parametrize("chat_id", HOSTILE)
def test_a_hostile_chat_id_and_sender_id_stay_in_their_place(chat_id: str) -> None:
    messages = demo_chat(5, chat_id=chat_id, seed=1)
    sender = f"{chat_id}&limit=1"
    with FakePostpress({chat_id: messages}) as server, client_for(server) as client:
        pages = list(client.iter_pages(chat_id))
        assert ids_of(item for page in pages for item in page.items) == ids_of(messages)
        if any(c in chat_id for c in "\r\n\x00"):
            with pytest.raises(ConfigurationError):
                client.iter_pages(chat_id, sender_id=sender)
        else:
            list(client.iter_pages(chat_id, sender_id=sender))
    for recorded in server.requests:
        segments = route_segments(recorded.path)
        assert segments[:4] == ["", "api", "v1", "chats"] and segments[5:] == ["messages"]
        assert unquote(segments[4]) == chat_id
        assert {name.lower() for name in recorded.headers} <= SENT_HEADERS
        assert set(recorded.query) <= {"limit", "sender_id", "cursor"}
    if len(server.requests) > 1:
        assert server.requests[-1].query["sender_id"] == sender


@pytest.mark.parametrize(
    "cursor",
    ["../../other?limit=1", "a/b#c", "%2F..%2F", "x y", "curs\u00f6r", "c\r\nX-Injected: 1"],
)
def test_a_hostile_cursor_goes_back_only_as_the_cursor_parameter(cursor: str) -> None:
    chat = "chat_cursor"
    with FakePostpress({chat: demo_chat(5, chat_id=chat)}) as server:
        body = json.dumps({"object": "MessageList", "items": [], "cursor": cursor}).encode()
        server.fail_next(Fault.raw(200, body, content_type="application/json"))
        with client_for(server) as client, pytest.raises(BadRequestError, match="cursor"):
            list(client.iter_pages(chat))  # FakePostpress refuses the unknown cursor
    first, second = server.requests
    assert route_segments(second.path) == route_segments(first.path)
    assert second.query["cursor"] == cursor
    assert set(second.query) == {"limit", "cursor"}
    assert {name.lower() for name in second.headers} <= SENT_HEADERS


@settings(max_examples=300, deadline=None)
@given(chat_id=st.text(min_size=1, max_size=40))
def test_partition_and_staging_folders_never_leave_the_root(chat_id: str) -> None:
    root = Path("/data/lake")
    for table in TABLE_MODELS:
        folder = partition_dir(root, table, chat_id)
        assert folder.parent == root / table
        assert folder.name.startswith("chat_id=") and "/" not in folder.name
        assert Path(*(p for p in folder.parts if p not in (".", ".."))) == folder
    staging = staging_dir(root, chat_id)
    assert staging.parent == root / ".staging" and staging.name.startswith("chat_id=")


def test_hostile_chats_sync_side_by_side_and_nothing_leaves_the_root(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    chats = {c: demo_chat(20, chat_id=c, seed=i) for i, c in enumerate(HOSTILE)}
    with FakePostpress(chats) as server, client_for(server) as client:
        for chat_id in chats:
            assert sync_chat(chat_id, root, client=client).total == 20
    assert [p.name for p in tmp_path.iterdir()] == ["lake"]
    assert sorted(chat_ids(root)) == sorted(chats)
    for chat_id, messages in chats.items():
        assert sorted(read_chat(root, chat_id).messages["id"].to_list()) == ids_of(messages)


@pytest.mark.parametrize("chat_id", ["", None, 17])
def test_an_empty_or_non_string_chat_id_is_refused_before_any_file_is_touched(
    tmp_path: Path, chat_id: object
) -> None:
    with pytest.raises(ConfigurationError):
        sync_chat(chat_id, tmp_path / "lake")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
