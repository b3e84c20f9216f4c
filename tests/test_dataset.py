"""Hive-partitioned datasets: DuckDB, pyarrow.dataset and polars read all chats as one table."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.dataset as pads
import pytest

from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError
from postpress_frames.storage import atomic, commit
from postpress_frames.storage.dataset import (
    PART_FILE,
    chat_ids,
    partition_dir,
    read_chat,
    scan_dataset,
    scan_table,
    table_glob,
    write_dataset,
)
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import TABLE_MODELS
from tests.conftest import demo_frames

CHATS = ["chat_a", "chat_b", "chat/../escape"]


def combined(*frames: ChatFrames) -> ChatFrames:
    return ChatFrames(**{t: pl.concat([f[t] for f in frames]) for t in TABLE_MODELS})


@pytest.fixture(scope="module")
def per_chat() -> dict[str, ChatFrames]:
    return {c: demo_frames(120, chat_id=c, seed=i) for i, c in enumerate(CHATS)}


@pytest.fixture
def lake(tmp_path: Path, per_chat: dict[str, ChatFrames]) -> Path:
    root = tmp_path / "lake"
    write_dataset(combined(*per_chat.values()), root)
    return root


def test_partition_folders_never_escape_the_root(lake: Path) -> None:
    for path in lake.rglob("*"):
        assert path.resolve().is_relative_to(lake.resolve())
    assert partition_dir(lake, "messages", "a/../b").name == "chat_id=a%2F..%2Fb"
    assert partition_dir(lake, "messages", "..").parent == lake / "messages"
    with pytest.raises(ValueError, match="non-empty"):
        partition_dir(lake, "messages", "")


def test_scan_dataset_reads_every_chat(lake: Path, per_chat: dict[str, ChatFrames]) -> None:
    lazy = scan_dataset(lake)
    assert set(lazy) == {*TABLE_MODELS, "rejects"}
    for table in TABLE_MODELS:
        frame = lazy[table].collect()
        assert frame.height == sum(f[table].height for f in per_chat.values())
        assert sorted(frame["chat_id"].unique().to_list()) == sorted(
            c for c, f in per_chat.items() if f[table].height
        )
    assert chat_ids(lake) == sorted(CHATS)


def test_read_chat_round_trips_each_chat(lake: Path, per_chat: dict[str, ChatFrames]) -> None:
    for chat_id, frames in per_chat.items():
        back = read_chat(lake, chat_id)
        for table in TABLE_MODELS:
            assert back[table].equals(frames[table]), (chat_id, table)


def test_duckdb_reads_the_partitioned_dataset(lake: Path, per_chat: dict[str, ChatFrames]) -> None:
    con = duckdb.connect()
    for table in TABLE_MODELS:
        rows = con.execute(
            "SELECT chat_id, count(*) FROM read_parquet(?, hive_partitioning = true) GROUP BY 1",
            [table_glob(lake, table)],
        ).fetchall()
        want = {c: f[table].height for c, f in per_chat.items() if f[table].height}
        assert dict(rows) == want, table
    kinds = dict(
        con.execute(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = true))",
            [table_glob(lake, "messages")],
        ).fetchall()
    )
    assert kinds["timestamp"] == "TIMESTAMP WITH TIME ZONE"
    assert kinds["deleted"] == "BOOLEAN"


def test_pyarrow_dataset_reads_the_partitioned_dataset(
    lake: Path, per_chat: dict[str, ChatFrames]
) -> None:
    data = pads.dataset(lake / "messages", format="parquet", partitioning="hive").to_table()
    assert data.num_rows == sum(f.messages.height for f in per_chat.values())
    assert sorted(set(data.column("chat_id").to_pylist())) == sorted(CHATS)


def test_rewriting_a_chat_leaves_the_others(lake: Path, per_chat: dict[str, ChatFrames]) -> None:
    smaller = demo_frames(30, chat_id="chat_a", seed=9)
    write_dataset(smaller, lake)
    assert read_chat(lake, "chat_a").messages.height == 30
    assert read_chat(lake, "chat_b").messages.height == per_chat["chat_b"].messages.height


def test_a_dataset_of_no_chats_scans_to_empty_tables(tmp_path: Path) -> None:
    """write_dataset of empty frames makes a dataset of no chats; a missing root is refused
    (tests/test_bad_files.py), never read as one."""
    root = tmp_path / "lake"
    assert write_dataset(ChatFrames.empty(), root) == []
    assert sorted(p.name for p in root.iterdir()) == sorted([*TABLE_MODELS, "rejects"])
    lazy = scan_dataset(root)
    assert all(lf.collect().height == 0 for lf in lazy.values())
    assert "chat_id" in lazy["reactions"].collect_schema()
    assert chat_ids(root) == []


def test_wrong_arguments_are_named_before_any_file_access(tmp_path: Path) -> None:
    frames = demo_frames(20)
    with pytest.raises(ArgumentTypeError) as caught:
        write_dataset(frames.messages, tmp_path / "lake")  # type: ignore[arg-type]
    assert caught.value.argument == "frames"
    for call in (
        lambda: write_dataset(frames, 123),  # type: ignore[arg-type]
        lambda: scan_dataset(None),  # type: ignore[arg-type]
        lambda: read_chat(b"lake", "chat_demo"),  # type: ignore[arg-type]
        lambda: chat_ids(1.5),  # type: ignore[arg-type]
    ):
        with pytest.raises(ArgumentTypeError) as caught:
            call()
        assert caught.value.argument == "root"
    with pytest.raises(ArgumentTypeError) as caught:
        read_chat(tmp_path, 17)  # type: ignore[arg-type]
    assert caught.value.argument == "chat_id"
    with pytest.raises(ConfigurationError, match="unknown table"):
        scan_table(tmp_path, "messagez")
    with pytest.raises(ConfigurationError, match="URL"):
        write_dataset(frames, "gs://bucket/lake")
    assert list(tmp_path.iterdir()) == []


# -- files in progress and leftovers (issue 12, defect 2) ----------------------------------------


def test_leftovers_of_a_killed_run_are_skipped_by_the_package_and_logged(
    lake: Path, per_chat: dict[str, ChatFrames], caplog: pytest.LogCaptureFixture
) -> None:
    """Earlier versions wrote ``.tmp-<hex>-part-0.parquet`` beside the part file: a killed
    run left it, and DuckDB, polars and scan_dataset counted the chat twice."""
    folder = partition_dir(lake, "messages", "chat_a")
    shutil.copy(folder / PART_FILE, folder / ".tmp-0123456789ab-part-0.parquet")
    half = (folder / PART_FILE).read_bytes()
    (folder / ".tmp-ba9876543210-part-0.parquet").write_bytes(half[: len(half) // 2])
    with caplog.at_level(logging.DEBUG, logger="postpress_frames"):
        total = scan_dataset(lake)["messages"].collect().height
    assert total == sum(f.messages.height for f in per_chat.values())
    assert ".tmp-0123456789ab-part-0.parquet" in caplog.text and "skipping" in caplog.text
    assert read_chat(lake, "chat_a") == per_chat["chat_a"]
    assert chat_ids(lake) == sorted(CHATS)
    write_dataset(per_chat["chat_a"], lake)  # the next writer of the chat removes them
    assert sorted(p.name for p in folder.iterdir()) == [PART_FILE]


def test_a_commit_shows_readers_only_committed_part_files(
    lake: Path, per_chat: dict[str, ChatFrames], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At every step of a commit (each file written, each rename), the table folders hold
    only part files, and no file of the root but a part file ends in ``.parquet``."""
    checks = []

    def check() -> None:
        assert_only_part_files(lake)
        checks.append(1)

    real_write, real_commit = commit.write_table, atomic.commit_file

    def write_table(frame: pl.DataFrame, target: Path) -> None:
        real_write(frame, target)
        check()

    def commit_file(tmp: Path, target: Path) -> None:
        check()
        real_commit(tmp, target)
        check()

    monkeypatch.setattr(commit, "write_table", write_table)
    monkeypatch.setattr(atomic, "commit_file", commit_file)
    write_dataset(demo_frames(30, chat_id="chat_b", seed=7), lake)
    assert len(checks) == 5 + 2 * 6  # five tables written, the journal's and five renames
    assert read_chat(lake, "chat_b").messages.height == 30


def assert_only_part_files(root: Path) -> None:
    """What any reader's glob or folder scan could match under ``root`` is a part file."""
    for path in root.rglob("*"):
        if path.is_file() and path.name.endswith(".parquet"):
            assert path.name == PART_FILE, path
            assert path.parent.parent.parent == root, path
            assert path.parent.parent.name in (*TABLE_MODELS, "rejects"), path
    for table in TABLE_MODELS:
        folder = root / table
        if folder.is_dir():
            for partition in folder.iterdir():
                assert partition.is_dir() and partition.name.startswith("chat_id="), partition
                assert [p.name for p in partition.iterdir()] in ([], [PART_FILE]), partition
            if any(folder.glob("*/*.parquet")):
                pl.scan_parquet(folder).collect()  # a folder scan: one kind of file only
