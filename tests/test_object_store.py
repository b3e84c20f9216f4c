"""Datasets on an object store (``s3://``, against the local S3 server of tests/s3server.py):
every operation gives what the same operation gives on a local folder."""

from __future__ import annotations

import base64
import logging
import re
import time
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.dataset as pads
import pytest
from polars.testing import assert_frame_equal

import postpress_frames as ppf
from postpress_frames.api.client import Client
from postpress_frames.storage.dataset import chat_ids, scan_table
from postpress_frames.storage.layout import table_glob
from postpress_frames.storage.store import as_location
from postpress_frames.tables.schemas import STORED_TABLES
from postpress_frames.testing import FakePostpress, demo_chat
from tests.conftest import FAST_RETRY, demo_frames
from tests.s3server import (
    S3Root,
    S3Server,
    arrow_filesystem,
    env_for,
    list_keys,
    storage_options_for,
)

#: A plain id, one with a space and non-ASCII letters, one with ``/``, ``%`` and ``=``; and
#: the partition folder names Hive/Spark escaping gives them (spelled out, not computed).
CHATS = {
    "chat_plain": "chat_id=chat_plain",
    "chat é ü": "chat_id=chat é ü",
    "team/a%b=c": "chat_id=team%2Fa%25b%3Dc",
}
CANARY = "sekret-canary-123"


def chat_messages(n: int = 120) -> dict[str, list[dict[str, Any]]]:
    return {chat: demo_chat(n, chat_id=chat, seed=i) for i, chat in enumerate(CHATS)}


def client_of(server: FakePostpress) -> Client:
    return Client(api_key=server.api_key, base_url=server.base_url, retry=FAST_RETRY)


def object_keys(root: S3Root) -> list[str]:
    """The object keys of ``root``'s bucket without pyarrow's empty ``dir/`` markers."""
    return [key for key in list_keys(root) if not key.endswith("/")]


def objects(server: S3Server, root: S3Root) -> dict[str, tuple[str, Any, int]]:
    """Every key of the bucket (markers too) -> (ETag, LastModified, Size)."""
    paginator = server.client().get_paginator("list_objects_v2")
    return {
        obj["Key"]: (obj["ETag"], obj["LastModified"], obj["Size"])
        for page in paginator.paginate(Bucket=root.bucket)
        for obj in page.get("Contents", [])
    }


def versions(server: S3Server, root: S3Root) -> list[tuple[str, str, bool]]:
    """Every object version and delete marker of a versioned bucket."""
    listed = server.client().list_object_versions(Bucket=root.bucket)
    found = [(v["Key"], v["VersionId"], False) for v in listed.get("Versions", [])]
    found += [(m["Key"], m["VersionId"], True) for m in listed.get("DeleteMarkers", [])]
    return sorted(found)


def same_charts(html: str) -> str:
    """The report with its embedded SVG charts decoded and their gradient ids (a counter
    of the process, different in every report) made equal."""

    def decoded(match: re.Match[str]) -> str:
        svg = base64.b64decode(match.group(1)).decode("utf-8")
        return "base64," + re.sub(r"gradient_\d+", "gradient_N", svg)

    return re.sub(r"base64,([A-Za-z0-9+/=]+)", decoded, html)


def counts(scan: dict[str, pl.LazyFrame]) -> dict[str, int]:
    return {table: lf.select(pl.len()).collect().item() for table, lf in scan.items()}


def synced_pair(
    s3_root: S3Root, tmp_path: Path, n: int = 120
) -> tuple[dict[str, list[dict[str, Any]]], Path]:
    """The three chats synced to ``s3_root`` and to a local folder; returns (chats, local)."""
    chats = chat_messages(n)
    local = tmp_path / "lake"
    with FakePostpress(chats) as server, client_of(server) as client:
        remote = ppf.sync_chats(
            CHATS, s3_root.url, client=client, storage_options=s3_root.storage_options
        )
        here = ppf.sync_chats(CHATS, local, client=client)
    assert [r.ok for r in remote] == [True] * 3, [str(r) for r in remote]
    assert [(r.added, r.total) for r in remote] == [(r.added, r.total) for r in here]
    return chats, local


# -- 1. sync_chats: the same dataset as on disk, under the same keys ----------------------------


def test_sync_chats_to_s3_stores_what_a_local_sync_stores_under_hive_keys(
    s3_root: S3Root, tmp_path: Path
) -> None:
    chats, local = synced_pair(s3_root, tmp_path)
    options = s3_root.storage_options

    remote_scan = ppf.scan_dataset(s3_root.url, storage_options=options)
    assert counts(remote_scan) == counts(ppf.scan_dataset(local))
    assert counts(remote_scan)["messages"] == sum(len(m) for m in chats.values())
    for chat in CHATS:
        assert ppf.read_chat(s3_root.url, chat, storage_options=options) == ppf.read_chat(
            local, chat
        )
    assert chat_ids(s3_root.url, storage_options=options) == chat_ids(local) == sorted(CHATS)

    expected = sorted(
        f"{s3_root.prefix}/{table}/{folder}/part-0.parquet"
        for table in STORED_TABLES
        for folder in CHATS.values()
    )
    assert object_keys(s3_root) == expected
    assert not [key for key in list_keys(s3_root) if ".tmp" in key]
    # The local dataset holds the same files under the same relative names.
    local_files = sorted(
        f"{s3_root.prefix}/{p.relative_to(local).as_posix()}"
        for p in local.rglob("*")
        if p.is_file()
    )
    assert local_files == expected


# -- 2. incremental sync -----------------------------------------------------------------------


def test_incremental_sync_to_s3_adds_only_the_new_messages_as_a_local_sync_does(
    s3_root: S3Root, tmp_path: Path
) -> None:
    options = s3_root.storage_options
    chat = "chat é ü"
    local = tmp_path / "lake"
    with FakePostpress({chat: demo_chat(150, chat_id=chat)}) as server, client_of(server) as c:
        first = ppf.sync_chat(chat, s3_root.url, client=c, storage_options=options)
        ppf.sync_chat(chat, local, client=c)
        assert (first.added, first.total) == (150, 150)

        server.add_messages(chat, 25)
        second = ppf.sync_chat(chat, s3_root.url, client=c, storage_options=options)
        local_second = ppf.sync_chat(chat, local, client=c)
        server_ids = sorted(m["id"] for m in server.messages(chat))
    assert (second.added, second.updated, second.total) == (25, 0, 175)
    assert (local_second.added, local_second.updated, local_second.total) == (25, 0, 175)
    stored = ppf.read_chat(s3_root.url, chat, storage_options=options)
    assert stored == ppf.read_chat(local, chat)
    assert sorted(stored.messages["id"].to_list()) == server_ids
    assert len(object_keys(s3_root)) == len(STORED_TABLES)
    assert not [key for key in list_keys(s3_root) if ".tmp" in key]


def noop_sync(s3_server: S3Server, s3_root: S3Root) -> tuple[dict[str, Any], list[Any]]:
    """Sync a chat, then sync it again with nothing new on a versioned bucket; returns the
    objects and versions before the second sync (the caller compares with after)."""
    chat = "team/a%b=c"
    options = s3_root.storage_options
    with FakePostpress({chat: demo_chat(60, chat_id=chat)}) as server, client_of(server) as c:
        ppf.sync_chat(chat, s3_root.url, client=c, storage_options=options)
        s3_server.client().put_bucket_versioning(
            Bucket=s3_root.bucket, VersioningConfiguration={"Status": "Enabled"}
        )
        before, versions_before = objects(s3_server, s3_root), versions(s3_server, s3_root)
        time.sleep(1.1)  # LastModified has a resolution of one second
        again = ppf.sync_chat(chat, s3_root.url, client=c, storage_options=options)
    assert (again.added, again.updated, again.total) == (0, 0, 60)
    assert again.fetched > 0  # the overlap window was fetched again
    return before, versions_before


def test_a_sync_to_s3_that_finds_nothing_new_rewrites_no_part_file(
    s3_server: S3Server, s3_root: S3Root
) -> None:
    before, versions_before = noop_sync(s3_server, s3_root)
    after = objects(s3_server, s3_root)
    files = [key for key in before if not key.endswith("/")]
    assert len(files) == len(STORED_TABLES)
    assert {k: after.get(k) for k in files} == {k: before[k] for k in files}
    assert [v for v in versions(s3_server, s3_root) if not v[0].endswith("/")] == [
        v for v in versions_before if not v[0].endswith("/")
    ]


def test_a_sync_to_s3_that_finds_nothing_new_writes_no_object_at_all(
    s3_server: S3Server, s3_root: S3Root
) -> None:
    """As on disk, where it changes no file: no PUT at all, not even of pyarrow's folder
    markers (each is a new LastModified, and a new version in a versioned bucket)."""
    before, versions_before = noop_sync(s3_server, s3_root)
    assert objects(s3_server, s3_root) == before
    assert versions(s3_server, s3_root) == versions_before


# -- 3. write_dataset ----------------------------------------------------------------------------


def test_write_dataset_to_s3_reads_back_as_written_and_as_on_disk(
    s3_root: S3Root, tmp_path: Path
) -> None:
    options = s3_root.storage_options
    frames = {chat: demo_frames(80, chat_id=chat, seed=i) for i, chat in enumerate(CHATS)}
    for chat, chat_frames in frames.items():
        assert ppf.write_dataset(chat_frames, s3_root.url, storage_options=options) == [chat]
        ppf.write_dataset(chat_frames, tmp_path / "lake")
    for chat, chat_frames in frames.items():
        assert ppf.read_chat(s3_root.url, chat, storage_options=options) == chat_frames
    assert counts(ppf.scan_dataset(s3_root.url, storage_options=options)) == counts(
        ppf.scan_dataset(tmp_path / "lake")
    )
    messages = scan_table(s3_root.url, "messages", storage_options=options).collect()
    assert messages.height == 3 * 80
    assert sorted(messages["chat_id"].unique().to_list()) == sorted(CHATS)
    assert len(object_keys(s3_root)) == 3 * len(STORED_TABLES)


def test_write_dataset_to_an_s3_prefix_holding_a_foreign_object_is_refused_untouched(
    s3_server: S3Server, s3_root: S3Root, tmp_path: Path
) -> None:
    key = f"{s3_root.prefix}/notes.txt"
    s3_server.client().put_object(Bucket=s3_root.bucket, Key=key, Body=b"mine")
    before = objects(s3_server, s3_root)
    with pytest.raises(ppf.StorageError) as error:
        ppf.write_dataset(demo_frames(20), s3_root.url, storage_options=s3_root.storage_options)
    assert s3_root.url in str(error.value) and "notes.txt" in str(error.value)
    assert objects(s3_server, s3_root) == before
    assert list_keys(s3_root) == [key]
    body = s3_server.client().get_object(Bucket=s3_root.bucket, Key=key)["Body"].read()
    assert body == b"mine"
    # As on disk.
    (tmp_path / "lake").mkdir()
    (tmp_path / "lake" / "notes.txt").write_text("mine")
    with pytest.raises(ppf.StorageError):
        ppf.write_dataset(demo_frames(20), tmp_path / "lake")


# -- 4. statistics and the report ------------------------------------------------------------------


def test_statistics_and_report_of_an_s3_scan_equal_those_of_a_local_scan(
    s3_root: S3Root, tmp_path: Path
) -> None:
    options = s3_root.storage_options
    for i, chat in enumerate(CHATS):
        frames = demo_frames(150, chat_id=chat, seed=i)
        ppf.write_dataset(frames, s3_root.url, storage_options=options)
        ppf.write_dataset(frames, tmp_path / "lake")
    remote = ppf.scan_dataset(s3_root.url, storage_options=options)
    local = ppf.scan_dataset(tmp_path / "lake")
    for statistic in (ppf.sender_activity, ppf.read_receipts, ppf.content, ppf.participants):
        got = statistic(remote)
        assert got.height > 0, statistic.__name__
        assert sorted(got["chat_id"].unique().to_list()) == sorted(CHATS)
        assert_frame_equal(got, statistic(local))

    remote_page = ppf.write_report(remote, tmp_path / "s3.html", static=True)
    local_page = ppf.write_report(local, tmp_path / "local.html", static=True)
    assert remote_page == tmp_path / "s3.html"
    html = remote_page.read_text(encoding="utf-8")
    assert "<html" in html.lower() and "team/a%b=c" in html.replace("&#x2F;", "/")
    assert same_charts(html) == same_charts(local_page.read_text(encoding="utf-8"))


# -- 5. configuration from the environment alone ---------------------------------------------------


def test_sync_and_scan_reach_s3_with_only_aws_environment_variables(
    s3_root: S3Root, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env_for(s3_root).items():
        monkeypatch.setenv(name, value)
    chat = "team/a%b=c"
    with FakePostpress({chat: demo_chat(90, chat_id=chat)}) as server, client_of(server) as c:
        result = ppf.sync_chat(chat, s3_root.url, client=c)
        ppf.sync_chat(chat, tmp_path / "lake", client=c)
    assert (result.ok, result.added, result.total) == (True, 90, 90)
    assert counts(ppf.scan_dataset(s3_root.url)) == counts(ppf.scan_dataset(tmp_path / "lake"))
    assert chat_ids(s3_root.url) == [chat]
    assert ppf.read_chat(s3_root.url, chat) == ppf.read_chat(tmp_path / "lake", chat)
    assert f"{s3_root.prefix}/messages/chat_id=team%2Fa%25b%3Dc/part-0.parquet" in list_keys(
        s3_root
    )


# -- 6. errors ----------------------------------------------------------------------------------------


def test_reading_an_s3_prefix_that_holds_nothing_is_a_missing_input_error(
    s3_root: S3Root, tmp_path: Path
) -> None:
    options = s3_root.storage_options
    readers = [
        lambda root, **kw: ppf.scan_dataset(root, **kw),
        lambda root, **kw: scan_table(root, "messages", **kw),
        lambda root, **kw: ppf.read_chat(root, "chat_plain", **kw),
        lambda root, **kw: chat_ids(root, **kw),
    ]
    for read in readers:
        with pytest.raises(ppf.MissingInputError) as error:
            read(s3_root.url, storage_options=options)
        assert s3_root.url in str(error.value)
        with pytest.raises(ppf.MissingInputError):
            read(tmp_path / "nothing")
    assert list_keys(s3_root) == []


def test_a_refused_s3_connection_is_a_storage_error_naming_the_url_and_no_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    options = {**storage_options_for("http://127.0.0.1:1"), "aws_secret_access_key": CANARY}
    url = "s3://nowhere/lake"
    calls = {
        "scan_dataset": lambda: ppf.scan_dataset(url, storage_options=options),
        "read_chat": lambda: ppf.read_chat(url, "chat_plain", storage_options=options),
        "chat_ids": lambda: chat_ids(url, storage_options=options),
        "write_dataset": lambda: ppf.write_dataset(demo_frames(10), url, storage_options=options),
        "sync_chats": lambda: ppf.sync_chats(["chat_plain"], url, storage_options=options),
    }
    caplog.set_level(logging.DEBUG)
    for name, call in calls.items():
        started = time.perf_counter()
        with pytest.raises(ppf.PostpressError) as info:
            call()
        elapsed = time.perf_counter() - started
        error = info.value
        assert isinstance(error, ppf.StorageError), (name, repr(error))
        assert not isinstance(error, ppf.MissingInputError), name
        assert url in str(error), name
        assert "127.0.0.1:1" in str(error), name  # the endpoint that refused
        for text in (str(error), repr(error), repr(error.__cause__), str(error.__cause__)):
            assert CANARY not in text, name
        assert elapsed < 10, (name, elapsed)  # pyarrow's retries stay short
    location = as_location(url, "root", options)
    assert CANARY not in repr(location) and CANARY not in str(location)
    assert CANARY not in caplog.text


def test_sync_to_an_unreachable_store_fails_before_any_api_request() -> None:
    options = {**storage_options_for("http://127.0.0.1:1"), "aws_secret_access_key": CANARY}
    with FakePostpress({"chat_plain": demo_chat(10, chat_id="chat_plain")}) as server:
        with client_of(server) as c, pytest.raises(ppf.StorageError) as error:
            ppf.sync_chat("chat_plain", "s3://nowhere/lake", client=c, storage_options=options)
        assert server.requests == []
    assert CANARY not in repr(error.value)


def test_objects_returned_from_s3_hold_no_secret_in_their_repr(
    s3_root: S3Root, caplog: pytest.LogCaptureFixture
) -> None:
    # moto accepts any secret: the canary is the one the package really signs with.
    options = {**s3_root.storage_options, "aws_secret_access_key": CANARY}
    chat = "chat_plain"
    caplog.set_level(logging.DEBUG)
    with FakePostpress({chat: demo_chat(40, chat_id=chat)}) as server, client_of(server) as c:
        results = ppf.sync_chats([chat], s3_root.url, client=c, storage_options=options)
        single = ppf.sync_chat(chat, s3_root.url, client=c, storage_options=options)
    scan = ppf.scan_dataset(s3_root.url, storage_options=options)
    frames = ppf.read_chat(s3_root.url, chat, storage_options=options)
    table = scan_table(s3_root.url, "messages", storage_options=options)
    shown = [
        repr(results),
        str(results[0]),
        repr(single),
        repr(scan),
        repr(frames),
        str(frames),
        repr(table),
        str(table),
        table.explain(),
        repr(as_location(s3_root.url, "root", options)),
        repr(chat_ids(s3_root.url, storage_options=options)),
        caplog.text,
    ]
    for text in shown:
        assert CANARY not in text
    assert results[0].ok and single.total == 40


def test_storage_options_with_a_local_path_is_a_configuration_error(tmp_path: Path) -> None:
    options = {"aws_region": "us-east-1"}
    calls = [
        lambda: ppf.scan_dataset(tmp_path, storage_options=options),
        lambda: ppf.read_chat(tmp_path, "chat_plain", storage_options=options),
        lambda: chat_ids(tmp_path, storage_options=options),
        lambda: scan_table(tmp_path, "messages", storage_options=options),
        lambda: ppf.write_dataset(demo_frames(5), tmp_path / "lake", storage_options=options),
        lambda: ppf.sync_chat("chat_plain", tmp_path / "lake", storage_options=options),
        lambda: ppf.sync_chats(["chat_plain"], tmp_path / "lake", storage_options=options),
    ]
    for call in calls:
        with pytest.raises(ppf.ConfigurationError) as error:
            call()
        assert "storage_options" in str(error.value)
    assert not (tmp_path / "lake").exists()


def test_a_gs_url_is_a_configuration_error(tmp_path: Path) -> None:
    url = "gs://bucket/lake"
    calls = [
        lambda: ppf.scan_dataset(url),
        lambda: ppf.read_chat(url, "chat_plain"),
        lambda: chat_ids(url),
        lambda: scan_table(url, "messages"),
        lambda: ppf.write_dataset(demo_frames(5), url),
        lambda: ppf.sync_chat("chat_plain", url),
        lambda: ppf.sync_chats(["chat_plain"], url),
    ]
    for call in calls:
        with pytest.raises(ppf.ConfigurationError) as error:
            call()
        assert not isinstance(error.value, ppf.ArgumentTypeError)
        assert url in str(error.value) and "s3://" in str(error.value)


@pytest.mark.parametrize(
    "options",
    [
        {"aws_allow_http": True},
        {"aws_region": None},
        {"aws_endpoint_url": b"http://127.0.0.1:1"},
        {1: "x"},
        [("aws_region", "us-east-1")],
        "aws_region=us-east-1",
    ],
    ids=["bool", "none", "bytes", "int-key", "list", "str"],
)
def test_storage_options_that_are_not_a_mapping_of_strings_are_an_argument_type_error(
    s3_root: S3Root, options: object
) -> None:
    calls = [
        lambda: ppf.scan_dataset(s3_root.url, storage_options=options),
        lambda: ppf.read_chat(s3_root.url, "chat_plain", storage_options=options),
        lambda: chat_ids(s3_root.url, storage_options=options),
        lambda: ppf.write_dataset(demo_frames(5), s3_root.url, storage_options=options),
        lambda: ppf.sync_chats(["chat_plain"], s3_root.url, storage_options=options),
    ]
    for call in calls:
        with pytest.raises(ppf.ArgumentTypeError) as error:
            call()
        assert "storage_options" in str(error.value)
    assert list_keys(s3_root) == []


# -- 7. other engines read the dataset ---------------------------------------------------------------


def test_table_glob_and_hive_reads_of_polars_and_pyarrow_count_and_decode_the_s3_dataset(
    s3_root: S3Root, tmp_path: Path
) -> None:
    chats, _ = synced_pair(s3_root, tmp_path, n=60)
    expected = {chat: len(messages) for chat, messages in chats.items()}
    glob = table_glob(s3_root.url, "messages")
    assert glob == f"{s3_root.url}/messages/chat_id=*/*.parquet"

    read = pl.scan_parquet(glob, storage_options=s3_root.storage_options, hive_partitioning=True)
    by_chat = read.group_by("chat_id").len().collect()
    assert by_chat["len"].sum() == sum(expected.values())
    assert dict(by_chat.iter_rows()) == expected

    dataset = pads.dataset(
        f"{s3_root.bucket}/{s3_root.prefix}/messages",
        filesystem=arrow_filesystem(s3_root),
        partitioning="hive",
    )
    assert dataset.count_rows() == sum(expected.values())
    table = pl.from_arrow(dataset.to_table(columns=["chat_id", "id"]))
    assert isinstance(table, pl.DataFrame)
    assert dict(table.group_by("chat_id").len().iter_rows()) == expected
