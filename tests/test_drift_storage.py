"""Drift tolerance on disk (issue 13): the messages set aside are stored and synced, and what
an earlier version wrote (no ``extra``, no ``rejects``) still reads and syncs."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from postpress_frames._exceptions import ConfigurationError, InvalidResponseError
from postpress_frames.api.client import Client
from postpress_frames.pipeline.sync import sync_chat, sync_chats
from postpress_frames.storage.dataset import read_chat, scan_dataset, scan_table, write_dataset
from postpress_frames.storage.merge import ChatUpdate
from postpress_frames.storage.parquet import is_fetch_folder, read_parquet, write_parquet
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.testing import FakePostpress, demo_chat
from tests.conftest import FAST_RETRY, invoke_cli, pages_of

CHAT = "chat_demo"
EVERYTHING = timedelta(days=365 * 30)  # an overlap that fetches the whole chat again


def bad_chat(n: int = 60, bad: tuple[int, ...] = (3,)) -> list[dict[str, Any]]:
    """A demo chat whose messages at ``bad`` carry a flag the schema cannot type."""
    items = demo_chat(n)
    for position in bad:
        items[position]["hidden"] = 2
    return items


def quarantined(items: list[dict[str, Any]]) -> ChatFrames:
    return frames_from_pages(pages_of(items, size=25), on_invalid="quarantine")


def client_of(server: FakePostpress) -> Client:
    return Client(api_key=server.api_key, base_url=server.base_url, retry=FAST_RETRY)


def message_ids(root: Path) -> list[str]:
    ids: list[str] = read_chat(root, CHAT).messages.get_column("id").to_list()
    return ids


def reject_ids(root: Path) -> list[str | None]:
    ids: list[str | None] = read_chat(root, CHAT).rejects.get_column("message_id").to_list()
    return ids


# -- fetch folders --------------------------------------------------------------------------------
def test_a_quarantine_build_round_trips_through_a_fetch_folder(tmp_path: Path) -> None:
    frames = quarantined(bad_chat(bad=(3, 40)))
    assert frames.rejects.height == 2
    folder = write_parquet(frames, tmp_path / "chat")
    assert (folder / "rejects.parquet").is_file() and is_fetch_folder(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["row_counts"]["rejects"] == 2
    assert manifest["tables"]["rejects"] == "rejects.parquet"
    back = read_parquet(folder)
    assert back == frames and back.rejects.height == 2
    write_parquet(back, folder)  # a folder with rejects is ours: it may be replaced


def test_a_fetch_folder_of_the_previous_version_reads_with_empty_rejects(tmp_path: Path) -> None:
    frames = frames_from_pages(pages_of(demo_chat(40)))
    folder = write_parquet(frames, tmp_path / "chat")
    (folder / "rejects.parquet").unlink()
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["row_counts"]["rejects"], manifest["tables"]["rejects"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    for name in ("messages", "attachments", "reactions"):
        file = folder / f"{name}.parquet"
        pl.read_parquet(file).drop("extra").write_parquet(file)
    back = read_parquet(folder)
    assert back.rejects.height == 0 and back.messages.height == 40
    assert back.messages.get_column("extra").null_count() == 40
    assert is_fetch_folder(folder)
    write_parquet(frames, folder)  # the next fetch replaces it
    assert read_parquet(folder) == frames


# -- datasets -------------------------------------------------------------------------------------
def test_rejects_round_trip_through_a_dataset(tmp_path: Path) -> None:
    frames = quarantined(bad_chat(bad=(3, 40)))
    root = tmp_path / "lake"
    assert write_dataset(frames, root) == [CHAT]
    assert (root / "rejects" / f"chat_id={CHAT}" / "part-0.parquet").is_file()
    assert read_chat(root, CHAT) == frames
    lazy = scan_dataset(root)
    assert lazy["rejects"].collect().equals(frames.rejects)
    assert scan_table(root, "rejects", chat_id=CHAT).collect().equals(frames.rejects)
    assert lazy["messages"].collect().height == 58


def previous_version(root: Path) -> None:
    """Make the dataset at ``root`` look as the previous version wrote it."""
    shutil.rmtree(root / "rejects")
    for table in ("messages", "attachments", "reactions"):
        for file in (root / table).glob("chat_id=*/part-0.parquet"):
            pl.read_parquet(file).drop("extra").write_parquet(file)


def test_a_dataset_of_the_previous_version_reads_and_syncs(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    items = demo_chat(60)
    write_dataset(frames_from_pages(pages_of(items)), root)
    previous_version(root)
    lazy = scan_dataset(root)
    assert lazy["rejects"].collect().height == 0
    messages = lazy["messages"].collect()
    assert messages.height == 60 and messages.get_column("extra").null_count() == 60
    assert scan_table(root, "attachments").collect().get_column("extra").is_null().all()
    assert read_chat(root, CHAT).rejects.height == 0
    with FakePostpress({CHAT: items}) as server, client_of(server) as client:
        server.add_messages(CHAT, 20)
        result = sync_chat(CHAT, root, client=client, on_invalid="quarantine")
    assert result.ok and result.added == 20 and result.total == 80 and result.rejected == 0
    assert (root / "rejects" / f"chat_id={CHAT}" / "part-0.parquet").is_file()
    read_chat(root, CHAT).validate()


# -- sync -----------------------------------------------------------------------------------------
def test_a_rejected_message_fixed_on_the_server_moves_to_messages(tmp_path: Path) -> None:
    items = bad_chat()
    bad_id = items[3]["id"]
    with FakePostpress({CHAT: items}) as server, client_of(server) as client:
        first = sync_chat(CHAT, tmp_path, client=client, on_invalid="quarantine")
        assert first.rejected == 1 and first.total == 59
        assert "1 set aside (see rejects)" in str(first)
        assert reject_ids(tmp_path) == [bad_id] and bad_id not in message_ids(tmp_path)
        again = sync_chat(
            CHAT, tmp_path, client=client, on_invalid="quarantine", overlap=EVERYTHING
        )
        assert again.rejected == 1 and reject_ids(tmp_path) == [bad_id]  # set aside once
        server.edit_message(CHAT, bad_id, hidden=0)
        fixed = sync_chat(
            CHAT, tmp_path, client=client, on_invalid="quarantine", overlap=EVERYTHING
        )
    assert fixed.rejected == 0 and fixed.total == 60
    ids = message_ids(tmp_path)
    assert ids.count(bad_id) == 1 and len(ids) == len(set(ids)) == 60
    assert reject_ids(tmp_path) == []
    read_chat(tmp_path, CHAT).validate()


def test_an_unchanged_bad_item_synced_twice_is_one_reject_row(tmp_path: Path) -> None:
    items = bad_chat()
    with FakePostpress({CHAT: items}) as server, client_of(server) as client:
        for _ in range(2):
            sync_chat(CHAT, tmp_path, client=client, on_invalid="quarantine", overlap=EVERYTHING)
    assert reject_ids(tmp_path) == [items[3]["id"]]


def test_a_bad_item_without_an_id_merged_twice_is_one_reject_row(tmp_path: Path) -> None:
    """The client refuses a page whose item has no usable id, but frames built from bodies
    keep it as a reject with a null message_id: the merge keys it by its item text."""
    items = bad_chat()
    items[5]["id"] = 123
    frames = quarantined(items)
    for _ in range(2):
        with ChatUpdate(tmp_path, CHAT) as update:
            update.add(frames, last=True)
            update.commit()
    rejects = read_chat(tmp_path, CHAT).rejects
    assert rejects.height == 2 and rejects.get_column("message_id").null_count() == 1
    assert not rejects.select("item").is_duplicated().any()


def test_a_stored_message_fetched_bad_moves_to_rejects(tmp_path: Path) -> None:
    """The version fetched now wins: a message stored good and now fetched in a shape that
    cannot be typed moves to rejects with its rows of every table; nothing is in both."""
    items = demo_chat(60)
    target = next(m for m in items if m["attachments"] or m["reactions"])
    with FakePostpress({CHAT: items}) as server, client_of(server) as client:
        sync_chat(CHAT, tmp_path, client=client)
        server.edit_message(CHAT, target["id"], hidden=2)
        result = sync_chat(
            CHAT, tmp_path, client=client, on_invalid="quarantine", overlap=EVERYTHING
        )
    assert result.rejected == 1 and result.total == 59
    frames = read_chat(tmp_path, CHAT)
    assert target["id"] not in frames.messages.get_column("id").to_list()
    for table in ("attachments", "reactions", "seen_by"):
        assert target["id"] not in frames[table].get_column("message_id").to_list(), table
    assert reject_ids(tmp_path) == [target["id"]]
    frames.validate()


def test_a_first_sync_that_sets_every_message_aside_stores_a_chat_of_rejects(
    tmp_path: Path,
) -> None:
    items = bad_chat(5, bad=(0, 1, 2, 3, 4))
    with FakePostpress({CHAT: items}) as server, client_of(server) as client:
        result = sync_chat(CHAT, tmp_path, client=client, on_invalid="quarantine")
    assert result.total == 0 and result.rejected == 5
    assert len(reject_ids(tmp_path)) == 5 and message_ids(tmp_path) == []


def test_under_raise_a_bad_message_fails_the_sync_and_changes_nothing(tmp_path: Path) -> None:
    with FakePostpress({CHAT: bad_chat()}) as server, client_of(server) as client:
        with pytest.raises(InvalidResponseError, match="quarantine"):
            sync_chat(CHAT, tmp_path, client=client)
        [result] = sync_chats([CHAT], tmp_path, client=client)
    assert isinstance(result.error, InvalidResponseError)
    assert not list(tmp_path.rglob("*.parquet"))


def test_on_invalid_is_checked_before_any_request(tmp_path: Path) -> None:
    with FakePostpress({CHAT: demo_chat(5)}) as server, client_of(server) as client:
        with pytest.raises(ConfigurationError, match="on_invalid"):
            sync_chat(CHAT, tmp_path, client=client, on_invalid="skip")  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="on_invalid"):
            sync_chats([CHAT], tmp_path, client=client, on_invalid="skip")  # type: ignore[arg-type]
        assert server.requests == []


def test_sync_chats_passes_on_invalid_to_each_chat(tmp_path: Path) -> None:
    chats = {CHAT: bad_chat(), "chat_good": demo_chat(10)}
    with FakePostpress(chats) as server, client_of(server) as client:
        results = sync_chats([CHAT, "chat_good"], tmp_path, client=client, on_invalid="quarantine")
    assert [r.rejected for r in results] == [1, 0] and all(r.ok for r in results)


# -- command line ---------------------------------------------------------------------------------
def cli(server: FakePostpress, *args: str) -> Any:
    env = {"POSTPRESS_BASE_URL": server.base_url, "POSTPRESS_API_KEY": server.api_key}
    return invoke_cli(*args, "--no-progress", env=env)


def test_cli_fetch_and_sync_count_the_messages_set_aside(tmp_path: Path) -> None:
    with FakePostpress({CHAT: bad_chat()}) as server:
        out, lake = str(tmp_path / "out"), str(tmp_path / "lake")
        fetched = cli(server, "fetch", CHAT, "--out", out, "--on-invalid", "quarantine")
        assert fetched.exit_code == 0, fetched.stderr
        assert "messages=59" in fetched.stdout and "1 set aside (see rejects)" in fetched.stdout
        synced = cli(server, "sync", CHAT, "--dataset", lake, "--on-invalid", "quarantine")
        assert synced.exit_code == 0, synced.stderr
        assert "59 stored, 1 set aside (see rejects)" in synced.stdout
        for path in (out, lake):
            checked = invoke_cli("validate", path)
            assert checked.exit_code == 0, checked.stderr
            assert "1 set aside (see rejects)" in checked.stdout


def test_cli_under_raise_names_the_cli_flag(tmp_path: Path) -> None:
    with FakePostpress({CHAT: bad_chat()}) as server:
        for args in (
            ("fetch", CHAT, "--out", str(tmp_path / "out")),
            ("sync", CHAT, "--dataset", str(tmp_path / "lake")),
        ):
            result = cli(server, *args)
            assert result.exit_code == 6, result.stderr
            assert "--on-invalid quarantine" in result.stderr, result.stderr
            assert 'on_invalid="quarantine"' not in result.stderr
        asked = len(server.requests)
        bad = cli(server, "fetch", CHAT, "--out", str(tmp_path / "x"), "--on-invalid", "skip")
        assert bad.exit_code == 2 and len(server.requests) == asked
