"""sync_chat / sync_chats: incremental, merge by id, nothing lost when a fetch fails."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import pyarrow.parquet as pq
import pytest

from postpress_frames._exceptions import (
    ArgumentTypeError,
    AuthenticationError,
    ConfigurationError,
    InvalidResponseError,
    NotFoundError,
    PostpressError,
)
from postpress_frames.api.client import Client
from postpress_frames.pipeline.fetch import fetch_chat
from postpress_frames.pipeline.sync import sync_chat, sync_chats
from postpress_frames.storage import atomic
from postpress_frames.storage import commit as commit_module
from postpress_frames.storage import merge as merge_module
from postpress_frames.storage import parquet as parquet_module
from postpress_frames.storage.dataset import PART_FILE, partition_dir, read_chat, scan_dataset
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.schemas import TABLE_MODELS
from postpress_frames.testing import FakePostpress, Fault, demo_chat, demo_chats
from tests.conftest import FAST_RETRY, pages_of
from tests.reliability.helpers import leftovers
from tests.test_dataset import assert_only_part_files


def stored_ids(root: Path, chat_id: str) -> list[str]:
    return sorted(read_chat(root, chat_id).messages["id"].to_list())


def server_ids(server: FakePostpress, chat_id: str) -> list[str]:
    return sorted(m.get("id") or m["message_id"] for m in server.messages(chat_id))


def client_of(server: FakePostpress) -> Client:
    return Client(api_key=server.api_key, base_url=server.base_url, retry=FAST_RETRY)


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
    assert stored == fetch_chat(chat, client=client)  # in the order of one build


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


# -- the merge: the dataset's order and files, whatever the batches --------------------------


def colliding(messages: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """The messages with their timestamps drawn from a few values and the order shuffled, so
    batches overlap in (timestamp, id) and ties cross batch and stored/fetched boundaries."""
    rng = random.Random(seed)
    stamps = sorted({m["timestamp"] for m in messages})[:: max(1, len(messages) // 6)]
    out = [{**m, "timestamp": rng.choice(stamps)} for m in messages]
    rng.shuffle(out)
    return out


@pytest.mark.parametrize("batch_pages", [1, 3, 40])
def test_the_synced_chat_is_the_chat_built_in_one_go(tmp_path: Path, batch_pages: int) -> None:
    """Messages by (timestamp, id), child rows in their message's order: as frames_from_pages
    builds the whole chat, even when batches overlap in time."""
    chat = "chat_merge"
    messages = colliding(demo_chat(420, chat_id=chat, seed=3), seed=batch_pages)
    with FakePostpress({chat: messages}) as server, client_of(server) as c:
        result = sync_chat(chat, tmp_path, client=c, page_size=30, batch_pages=batch_pages)
        assert (result.added, result.total) == (420, 420)
        assert read_chat(tmp_path, chat) == fetch_chat(chat, client=c, page_size=30)


def test_an_incremental_sync_keeps_the_order_across_stored_and_fetched_rows(
    tmp_path: Path,
) -> None:
    """Stored rows that are not fetched again (here: gone from the server) stay, in order
    among the fetched ones they share timestamps with; edited ones take the new version."""
    chat = "chat_merge"
    messages = colliding(demo_chat(500, chat_id=chat, seed=4), seed=4)
    gone = messages[250:260]
    with FakePostpress({chat: messages[200:]}) as server, client_of(server) as c:
        sync_chat(chat, tmp_path, client=c, page_size=40, batch_pages=2)
        server.add_chat(chat, messages[:250] + messages[260:])  # 200 new, 10 gone
        for m in messages[300:303]:
            server.edit_message(chat, m["id"], text="edited")
        everything = timedelta(days=99_999)
        result = sync_chat(
            chat, tmp_path, client=c, page_size=40, batch_pages=2, overlap=everything
        )
        assert (result.added, result.updated, result.total) == (200, 3, 500)
        want = frames_from_pages(pages_of(server.messages(chat) + gone))
    assert read_chat(tmp_path, chat) == want


def test_a_sync_streams_the_tables_in_row_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written row group by row group (tiny ones here), the files read back the same."""
    monkeypatch.setattr(parquet_module, "ROW_GROUP_BYTES", 1)
    monkeypatch.setattr(parquet_module, "ROW_GROUP_ROWS", (16, 512**2))
    chat = "chat_merge"
    server = FakePostpress({chat: demo_chat(300, chat_id=chat, seed=5)})
    with server, client_of(server) as c:
        sync_chat(chat, tmp_path, client=c, page_size=50, batch_pages=2)
        want = fetch_chat(chat, client=c)
    assert read_chat(tmp_path, chat) == want
    groups = pq.ParquetFile(partition_dir(tmp_path, "messages", chat) / PART_FILE)
    assert groups.metadata.num_row_groups == -(-300 // 16)


def test_synced_files_are_bi_friendly(
    server: FakePostpress, client: Client, tmp_path: Path
) -> None:
    """As write_dataset's: zstd, UTC milliseconds, statistics, dictionary strings, no Null."""
    sync_chat(server.chat_id, tmp_path, client=client, page_size=50, batch_pages=2)
    for table in TABLE_MODELS:
        file = pq.ParquetFile(partition_dir(tmp_path, table, server.chat_id) / PART_FILE)
        for column in file.schema:
            logical = str(column.logical_type)
            assert "NANOS" not in logical, (table, column.name)
            if "Timestamp" in logical:
                assert "isAdjustedToUTC=true" in logical and "MILLIS" in logical.upper()
        assert all(str(f.type) != "null" for f in file.schema_arrow), table
        assert "chat_id" not in file.schema_arrow.names or table == "messages"
        group = file.metadata.row_group(0)
        for i in range(group.num_columns):
            assert group.column(i).compression == "ZSTD", (table, i)
            assert group.column(i).statistics is not None, (table, i)
    messages = pq.ParquetFile(partition_dir(tmp_path, "messages", server.chat_id) / PART_FILE)
    group = messages.metadata.row_group(0)
    encodings = {
        group.column(i).path_in_schema: group.column(i).encodings for i in range(group.num_columns)
    }
    assert "RLE_DICTIONARY" in encodings["message_type"]


def test_include_original_false_is_refused_before_any_request(
    server: FakePostpress, client: Client, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="original"):
        sync_chat(server.chat_id, tmp_path, client=client, include_original=False)
    assert server.requests == []
    assert not tmp_path.joinpath("messages").exists()


# -- the error contract: a wrong argument is named before any request or file access ---------


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"root": 123}, "root"),
        ({"client": "not a client"}, "client"),
        ({"overlap": 3600}, "overlap"),
        ({"page_size": "250"}, "page_size"),
        ({"batch_pages": 2.5}, "batch_pages"),
        ({"include_original": "yes"}, "include_original"),
        ({"progress": 1}, "progress"),
        ({"on_page": "print"}, "on_page"),
    ],
)
def test_sync_chat_names_a_wrong_argument_before_any_request_or_file(
    server: FakePostpress, client: Client, tmp_path: Path, kwargs: dict[str, Any], argument: str
) -> None:
    args: dict[str, Any] = {"root": tmp_path / "lake", "client": client, **kwargs}
    root = args.pop("root")
    with pytest.raises(ArgumentTypeError) as caught:
        sync_chat(server.chat_id, root, **args)
    assert caught.value.argument == argument
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, PostpressError)
    assert server.requests == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"batch_pages": 0}, "batch_pages"), ({"page_size": 0}, "page_size")],
)
def test_sync_chat_refuses_out_of_range_numbers_before_any_request(
    server: FakePostpress, client: Client, tmp_path: Path, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(ConfigurationError, match=match):
        sync_chat(server.chat_id, tmp_path / "lake", client=client, **kwargs)
    assert server.requests == []
    assert list(tmp_path.iterdir()) == []


def test_sync_chat_refuses_a_url_of_an_unsupported_store(
    server: FakePostpress, client: Client
) -> None:
    with pytest.raises(ConfigurationError, match="URL of a store postpress-frames does not"):
        sync_chat(server.chat_id, "gs://bucket/lake", client=client)
    assert server.requests == []


@pytest.mark.parametrize(
    ("chat_ids", "kwargs", "argument"),
    [
        ("chat_x", {}, "chat_ids"),  # one string, not the chats c, h, a, t, ...
        (["chat_x", 7], {}, "each of chat_ids"),
        (["chat_x"], {"root": 123}, "root"),
        (["chat_x"], {"workers": "4"}, "workers"),
        (["chat_x"], {"overlap": 60}, "overlap"),
        (["chat_x"], {"page_size": 2.0}, "page_size"),
        (["chat_x"], {"client": object()}, "client"),
        (["chat_x"], {"progress": None}, "progress"),
    ],
)
def test_sync_chats_names_a_wrong_argument_before_any_request_or_file(
    server: FakePostpress,
    client: Client,
    tmp_path: Path,
    chat_ids: object,
    kwargs: dict[str, Any],
    argument: str,
) -> None:
    args: dict[str, Any] = {"root": tmp_path / "lake", "client": client, **kwargs}
    root = args.pop("root")
    with pytest.raises(ArgumentTypeError) as caught:
        sync_chats(chat_ids, root, **args)  # type: ignore[arg-type]
    assert caught.value.argument == argument
    assert server.requests == []
    assert list(tmp_path.iterdir()) == []


def test_sync_chats_refuses_zero_workers(
    server: FakePostpress, client: Client, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError, match="workers"):
        sync_chats([server.chat_id], tmp_path, client=client, workers=0)
    assert server.requests == []


# -- files in progress are invisible to every reader (issue 12, defect 2) ----------------------


def test_staged_and_merged_files_are_never_seen_by_a_reader(
    server: FakePostpress, client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At each staged batch, each merged file and each rename of a first and a later sync,
    no file but a committed part file ends in ``.parquet`` or sits in a table folder."""
    root = tmp_path / "lake"
    seen: dict[str, int] = {"staged": 0, "merged": 0, "renames": 0}
    real_write, real_commit = merge_module.write_table, atomic.commit_file

    def write_table(frame: Any, target: Path) -> None:
        real_write(frame, target)
        assert not target.name.endswith(".parquet"), target
        seen["staged" if ".staging" in target.parts else "merged"] += 1
        assert_only_part_files(root)

    def commit_file(tmp: Path, target: Path) -> None:
        assert_only_part_files(root)
        real_commit(tmp, target)
        seen["renames"] += 1
        assert_only_part_files(root)

    monkeypatch.setattr(merge_module, "write_table", write_table)
    monkeypatch.setattr(commit_module, "write_table", write_table)
    monkeypatch.setattr(atomic, "commit_file", commit_file)
    sync_chat(server.chat_id, root, client=client, page_size=50, batch_pages=1)
    server.add_messages(server.chat_id, 120)
    result = sync_chat(server.chat_id, root, client=client, page_size=50, batch_pages=1)
    assert result.added == 120 and result.total == 420
    assert seen["staged"] > 0 and seen["merged"] == 10 and seen["renames"] == 12
    assert leftovers(root) == []


def test_a_sync_removes_what_a_killed_run_of_an_earlier_version_left(
    server: FakePostpress, client: Client, tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    sync_chat(server.chat_id, root, client=client)
    folder = partition_dir(root, "messages", server.chat_id)
    (folder / ".tmp-0123456789ab-part-0.parquet").write_bytes(b"half a file")
    old_staging = root / ".staging" / f"chat_id={server.chat_id}" / "abc" / "messages"
    old_staging.mkdir(parents=True)
    (old_staging / "batch-000000.parquet").write_bytes(b"a staged batch")
    server.add_messages(server.chat_id, 3)
    assert sync_chat(server.chat_id, root, client=client).added == 3
    assert sorted(p.name for p in folder.iterdir()) == [PART_FILE]
    assert leftovers(root) == []


def serve_two_ids(
    server: FakePostpress, chat: str, *, two_arrays: bool = False, **change: object
) -> tuple[str, str]:
    """Page 1 of ``chat`` (one message a page) gets a first ``id`` key naming the other
    message (``two_arrays``: a first ``items`` array holding both messages instead), its
    message the values ``change``; returns (the id page 1's message has, the other id)."""
    import json

    import requests

    first = requests.get(
        f"{server.base_url}/chats/{chat}/messages",
        params={"limit": "1"},
        headers={"X-API-KEY": server.api_key},
        timeout=10,
    ).json()
    [item] = first["items"]
    item.update(change)
    other = next(m for m in server.messages(chat) if m["id"] != item["id"])
    cursor = json.dumps(first["cursor"])
    if two_arrays:
        both = json.dumps(item) + ", " + json.dumps(other)
        hostile = '{"items": [' + both + '], "items": [' + json.dumps(item) + '], "cursor": '
        hostile += cursor + "}"
    else:
        two_ids = '{"id": ' + json.dumps(other["id"]) + ", " + json.dumps(item)[1:]
        hostile = '{"items": [' + two_ids + '], "cursor": ' + cursor + "}"
    fault = Fault.raw(200, hostile.encode(), content_type="application/json")
    server.fail_page(1, fault, times=10)
    return item["id"], other["id"]


def test_a_message_with_two_disagreeing_id_keys_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    """The client reads the last of two ``id`` keys (msgspec) and drops repeats by it, the
    table builder reads the first (polars): by the builder's reading, the next page's
    message would be a repeat stored twice by a sync of one page a batch. The builder
    refuses the message whose readings differ, naming it."""
    chat = "chat_two_ids"
    with FakePostpress({chat: demo_chat(2, chat_id=chat, seed=5)}) as server:
        own, other = serve_two_ids(server, chat)
        with client_of(server) as c, pytest.raises(InvalidResponseError) as caught:
            sync_chat(chat, tmp_path / "lake", client=c, page_size=1, batch_pages=1)
    error = caught.value
    assert (error.page, error.field, error.chat_id) == (1, "items[0].id", chat)
    assert repr(other) in error.problem and repr(own) in error.problem
    assert not list((tmp_path / "lake").rglob("*.parquet"))


def test_under_quarantine_it_is_set_aside_and_every_id_is_stored_once(tmp_path: Path) -> None:
    chat = "chat_two_ids"
    with FakePostpress({chat: demo_chat(2, chat_id=chat, seed=5)}) as server:
        own, other = serve_two_ids(server, chat)
        with client_of(server) as c:
            result = sync_chat(
                chat, tmp_path, client=c, page_size=1, batch_pages=1, on_invalid="quarantine"
            )
            built = fetch_chat(chat, client=c, page_size=1, on_invalid="quarantine")
    stored = read_chat(tmp_path, chat).validate()
    assert stored.messages["id"].to_list() == [other]  # from page 2, once
    assert stored.rejects["message_id"].to_list() == [None]  # ambiguous: no id of its own
    assert repr(own) in stored.rejects["reason"][0]
    assert (result.total, result.rejected) == (1, 1)
    assert stored == built


def test_a_message_already_set_aside_for_a_value_loses_its_ambiguous_id(tmp_path: Path) -> None:
    """Set aside first for a bad value, the two-id message must not keep polars' reading of
    its id: that id is the other message's, which is stored; each is in one table."""
    chat = "chat_two_ids"
    with FakePostpress({chat: demo_chat(2, chat_id=chat, seed=5)}) as server:
        _, other = serve_two_ids(server, chat, provider_id=12345)
        with client_of(server) as c:
            result = sync_chat(
                chat, tmp_path, client=c, page_size=1, batch_pages=1, on_invalid="quarantine"
            )
    stored = read_chat(tmp_path, chat).validate()
    assert stored.messages["id"].to_list() == [other]
    assert stored.rejects.select("message_id", "field").rows() == [(None, "provider_id")]
    assert (result.total, result.rejected) == (1, 1)


@pytest.mark.parametrize("on_invalid", ["raise", "quarantine"])
def test_a_body_with_two_items_arrays_cannot_store_a_message_twice(
    tmp_path: Path, on_invalid: Literal["raise", "quarantine"]
) -> None:
    """The client reads the last ``items`` array, polars the first: a message only polars
    read is refused (set aside), so the next page's copy is the one stored."""
    chat = "chat_two_arrays"
    with FakePostpress({chat: demo_chat(2, chat_id=chat, seed=6)}) as server:
        own, other = serve_two_ids(server, chat, two_arrays=True)
        with client_of(server) as c:
            if on_invalid == "raise":
                with pytest.raises(InvalidResponseError) as caught:
                    sync_chat(chat, tmp_path, client=c, page_size=1, batch_pages=1)
                assert (caught.value.page, caught.value.field) == (1, "items[1].id")
                return
            sync_chat(chat, tmp_path, client=c, page_size=1, batch_pages=1, on_invalid=on_invalid)
    stored = read_chat(tmp_path, chat).validate()
    assert sorted(stored.messages["id"].to_list()) == sorted([own, other])
    assert stored.rejects["message_id"].to_list() == [None]
