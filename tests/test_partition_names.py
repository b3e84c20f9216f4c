"""Partition folder names every engine decodes the same way (issue 12, defect 3).

``chat_id`` is escaped as Hive and Spark escape a partition value: only the controls, ``"``,
``#``, ``%``, ``'``, ``*``, ``/``, ``:``, ``=``, ``?``, ``\\``, ``{``, ``[``, ``]``, ``^`` and
U+007F become ``%XX``. Datasets written by earlier versions (``urllib.parse.quote`` of the
UTF-8 bytes) are still read, and the next write of such a chat moves it to the new names
without any reader seeing it twice or not at all. Paths that are URLs are refused.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import quote

import duckdb
import polars as pl
import pyarrow.dataset as pads
import pytest

from postpress_frames._exceptions import ConfigurationError, StorageError
from postpress_frames.pipeline.sync import sync_chat, sync_chats
from postpress_frames.storage import commit as commit_module
from postpress_frames.storage.dataset import (
    chat_ids,
    read_chat,
    scan_dataset,
    table_glob,
    write_dataset,
)
from postpress_frames.storage.layout import (
    HIVE_ESCAPED,
    chat_folder,
    decode_chat_folder,
    legacy_chat_folder,
    partition_dir,
)
from postpress_frames.storage.parquet import read_parquet, write_parquet, write_table
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import TABLE_MODELS, without_chat_id
from postpress_frames.testing import FakePostpress, demo_chat
from tests.conftest import demo_frames
from tests.reliability.helpers import client_for

#: The ids the issue checked with polars, DuckDB, pyarrow and Spark 4.
IDS = [
    "chat_é ü=x",
    "00123",
    "a/b",
    "50%",
    "k:v#?",
    'it\'s "q"',
    ".hidden",
    "..",
    "日本 語",
    "x{[]}^*\\",
]
#: Ids whose folder name changed with the escaping (a character outside both safe sets).
CHANGED = ["chat é 1", "日本 語", "a b/c", "x!y"]
SPARK_SET = set("\"#%'*/:=?\\{[]^") | {chr(c) for c in range(0x20)} | {"\x7f"}


def combined(*frames: ChatFrames) -> ChatFrames:
    return ChatFrames(**{t: pl.concat([f[t] for f in frames]) for t in TABLE_MODELS})


def frames_of(ids: list[str], n: int = 12) -> dict[str, ChatFrames]:
    return {c: demo_frames(n, chat_id=c, seed=i) for i, c in enumerate(ids)}


def rows_by_chat(pairs: list[tuple[str, int]] | dict[str, int]) -> dict[str, int]:
    return dict(pairs)


# -- the escaping ---------------------------------------------------------------------------------


def test_only_the_hive_characters_are_escaped_in_uppercase_hex() -> None:
    assert HIVE_ESCAPED == SPARK_SET
    for code in [*range(0x80), 0xA0, 0xE9, 0x202E, 0x65E5, 0x1F4AC]:
        char = chr(code)
        name = chat_folder(f"a{char}b")
        want = f"a%{code:02X}b" if char in SPARK_SET else f"a{char}b"
        assert name == f"chat_id={want}", repr(char)
    assert chat_folder("chat_é ü=x") == "chat_id=chat_é ü%3Dx"
    assert chat_folder("x{[]}^*\\") == "chat_id=x%7B%5B%5D}%5E%2A%5C"
    assert chat_folder("\n") == "chat_id=%0A"
    assert chat_folder(".") == "chat_id=." and chat_folder("..") == "chat_id=.."


def test_folder_names_decode_back_under_both_schemes() -> None:
    for chat_id in [*IDS, *CHANGED, "%2F", "%", "a+b", "~x", "\x00"]:
        assert decode_chat_folder(chat_folder(chat_id)) == chat_id
        assert decode_chat_folder(legacy_chat_folder(chat_id)) == chat_id
    # names neither scheme writes are not chats: a non-canonical escape, a bad UTF-8 byte
    for name in ["chat_id=%41", "chat_id=%FF", "chat_id=", "other=x", "chat_id=a b%20c"]:
        assert decode_chat_folder(name) is None, name


@pytest.mark.parametrize("chat_id", ["\ud800", "a\udfffb"])
def test_an_id_that_is_not_unicode_text_is_refused(chat_id: str) -> None:
    with pytest.raises(ConfigurationError, match="unicode"):
        chat_folder(chat_id)


# -- every engine reads the ids back ------------------------------------------------------------


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("names") / "lake"
    write_dataset(combined(*frames_of(IDS).values()), root)
    return root


def test_folder_names_are_the_hive_ones(lake: Path) -> None:
    names = sorted(p.name for p in (lake / "messages").iterdir())
    assert names == sorted(chat_folder(c) for c in IDS)
    assert "chat_id=chat_é ü%3Dx" in names and "chat_id=日本 語" in names


def test_polars_duckdb_pyarrow_and_the_package_read_the_ids_back(lake: Path) -> None:
    want = {c: f.messages.height for c, f in frames_of(IDS).items()}
    glob = table_glob(lake, "messages")
    polars = pl.scan_parquet(glob, hive_partitioning=True, hive_schema={"chat_id": pl.String})
    counts = polars.group_by("chat_id").len().collect().rows()
    assert rows_by_chat(counts) == want
    sql = (
        "SELECT chat_id, count(*) FROM read_parquet(?, hive_partitioning = true, "
        "hive_types = {'chat_id': VARCHAR}) GROUP BY 1"
    )
    assert rows_by_chat(duckdb.execute(sql, [glob]).fetchall()) == want
    table = pads.dataset(lake / "messages", format="parquet", partitioning="hive").to_table()
    got = pl.DataFrame(pl.from_arrow(table)).group_by("chat_id").len().rows()
    assert rows_by_chat(got) == want
    ours = scan_dataset(lake)["messages"].group_by("chat_id").len().collect().rows()
    assert rows_by_chat(ours) == want
    assert chat_ids(lake) == sorted(IDS)
    for chat_id, frames in frames_of(IDS).items():
        assert read_chat(lake, chat_id) == frames


def test_a_digits_only_id_stays_a_string(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    write_dataset(demo_frames(10, chat_id="00123"), root)
    for table, lazy in scan_dataset(root).items():
        assert lazy.collect_schema()["chat_id"] == pl.String, table
    assert scan_dataset(root)["messages"].collect()["chat_id"].unique().to_list() == ["00123"]
    sql = (
        "SELECT DISTINCT chat_id, typeof(chat_id) FROM read_parquet(?, hive_partitioning = true, "
        "hive_types = {'chat_id': VARCHAR})"
    )
    assert duckdb.execute(sql, [table_glob(root, "messages")]).fetchall() == [("00123", "VARCHAR")]


def test_a_root_whose_path_holds_key_value_folders_scans(tmp_path: Path) -> None:
    """polars reads every ``key=value`` folder of a path as a Hive column: the package's own
    scan names the chat of each file itself (today it failed on ``year=2024/lake``)."""
    root = tmp_path / "year=2024" / "lake"
    per_chat = frames_of(["chat_a", "chat b"])
    write_dataset(combined(*per_chat.values()), root)
    for table, lazy in scan_dataset(root).items():
        frame = lazy.collect()
        assert frame.height == sum(getattr(f, table).height for f in per_chat.values()), table
        assert "year" not in frame.columns


# -- datasets of earlier versions ---------------------------------------------------------------


def legacy_dataset(root: Path, per_chat: dict[str, ChatFrames]) -> None:
    """A dataset as earlier versions wrote it: folders named with ``quote(chat_id, safe="")``,
    no ``rejects`` table."""
    write_dataset(combined(*per_chat.values()), root)
    shutil.rmtree(root / "rejects")
    for chat_id in per_chat:
        for table in TABLE_MODELS:
            current = partition_dir(root, table, chat_id)
            if current.is_dir():
                current.rename(current.with_name(f"chat_id={quote(chat_id, safe='')}"))


def folder_names(root: Path, table: str = "messages") -> list[str]:
    return sorted(p.name for p in (root / table).iterdir())


def glob_counts(root: Path, table: str = "messages") -> dict[str, int]:
    sql = (
        "SELECT chat_id, count(*) FROM read_parquet(?, hive_partitioning = true, "
        "hive_types = {'chat_id': VARCHAR}) GROUP BY 1"
    )
    return rows_by_chat(duckdb.execute(sql, [table_glob(root, table)]).fetchall())


def test_a_dataset_of_an_earlier_version_is_read(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    per_chat = frames_of([*CHANGED, "chat_plain"])
    legacy_dataset(root, per_chat)
    assert "chat_id=chat%20%C3%A9%201" in folder_names(root)
    assert chat_ids(root) == sorted(per_chat)
    for chat_id, frames in per_chat.items():
        assert read_chat(root, chat_id) == frames
    for table, lazy in scan_dataset(root).items():
        counts = lazy.group_by("chat_id").len().collect().rows()
        want = {
            c: getattr(f, table).height for c, f in per_chat.items() if getattr(f, table).height
        }
        assert rows_by_chat(counts) == want, table


def test_the_next_write_moves_a_chat_to_its_new_folder_names(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    per_chat = frames_of(CHANGED)
    legacy_dataset(root, per_chat)
    newer = demo_frames(20, chat_id="chat é 1", seed=42)
    write_dataset(newer, root)
    for table in TABLE_MODELS:
        names = folder_names(root, table)
        assert chat_folder("chat é 1") in names or newer[table].is_empty(), table
        assert legacy_chat_folder("chat é 1") not in names, table
    assert read_chat(root, "chat é 1") == newer
    assert glob_counts(root)["chat é 1"] == 20
    for chat_id in CHANGED[1:]:  # the chats not written keep their folders, and read back
        assert legacy_chat_folder(chat_id) in folder_names(root)
        assert read_chat(root, chat_id) == per_chat[chat_id]


def test_the_next_sync_moves_a_chat_to_its_new_folder_names(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    chat = "chat é 1"
    messages = demo_chat(80, chat_id=chat, seed=3)
    with FakePostpress({chat: messages[20:]}) as server, client_for(server) as client:
        sync_chat(chat, root, client=client)
        for table in TABLE_MODELS:  # as an earlier version named them
            folder = partition_dir(root, table, chat)
            folder.rename(folder.with_name(legacy_chat_folder(chat)))
        assert glob_counts(root) == {chat: 60}
        server.add_chat(chat, messages)
        result = sync_chats([chat], root, client=client)[0]
        assert result.ok and (result.added, result.total) == (20, 80)
    for table in TABLE_MODELS:
        assert folder_names(root, table) == [chat_folder(chat)], table
    assert glob_counts(root) == {chat: 80}
    assert read_chat(root, chat).messages.height == 80


def test_moving_the_folders_never_shows_a_chat_twice_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before and after each folder rename of the move, every engine counts each table of
    the chat exactly once; a crash between two renames leaves a dataset read whole."""
    root = tmp_path / "lake"
    chat = "chat é 1"
    old = demo_frames(15, chat_id=chat, seed=1)
    legacy_dataset(root, {chat: old})
    want = {t: old[t].height for t in TABLE_MODELS}
    seen: list[dict[str, int]] = []
    real = os.replace

    def look() -> None:
        counts = {t: sum(glob_counts(root, t).values()) for t in TABLE_MODELS if want[t]}
        ours = {t: scan_dataset(root)[t].collect().height for t in TABLE_MODELS}
        assert ours == want and counts == {t: n for t, n in want.items() if n}
        seen.append(counts)

    def replace(src: object, dst: object) -> None:
        look()
        real(src, dst)  # type: ignore[arg-type]
        look()

    monkeypatch.setattr(commit_module.os, "replace", replace)
    commit_module.move_legacy_folders(root, chat)
    monkeypatch.undo()
    assert len(seen) == 2 * len(TABLE_MODELS)
    assert all(folder_names(root, t) == [chat_folder(chat)] for t in TABLE_MODELS if want[t])

    # a crash after the first rename: the tables under two names are still each read once
    legacy_dataset(tmp_path / "half", {chat: old})
    half = tmp_path / "half"
    first = half / "messages" / legacy_chat_folder(chat)
    first.rename(first.with_name(chat_folder(chat)))
    assert read_chat(half, chat) == old
    assert {t: lf.collect().height for t, lf in scan_dataset(half).items()} == want | {"rejects": 0}
    write_dataset(old, half)  # the next write finishes the move
    assert all(folder_names(half, t) == [chat_folder(chat)] for t in TABLE_MODELS if want[t])


def test_a_journal_of_an_earlier_version_is_rolled_forward(tmp_path: Path) -> None:
    """A commit today's code left half done: its journal ``messages/<legacy>/.commit.json``
    names temporary files ``.tmp-<hex>-part-0.parquet`` beside their targets."""
    root = tmp_path / "lake"
    chat = "chat é 1"
    old, new = demo_frames(15, chat_id=chat, seed=1), demo_frames(25, chat_id=chat, seed=2)
    legacy_dataset(root, {chat: old})
    moves = []
    for table in (t for t in commit_module.WRITE_ORDER if t != "rejects"):  # an earlier version's
        folder = root / table / legacy_chat_folder(chat)
        folder.mkdir(exist_ok=True)
        tmp = folder / ".tmp-0123456789ab-part-0.parquet"
        write_table(without_chat_id(getattr(new, table)), tmp)
        moves.append([tmp.relative_to(root).as_posix(), f"{table}/{folder.name}/part-0.parquet"])
    for tmp, target in moves[:2]:  # killed after two of the four renames
        (root / tmp).replace(root / target)
    journal = root / "messages" / legacy_chat_folder(chat) / ".commit.json"
    journal.write_text(json.dumps(moves))
    assert read_chat(root, chat) == new  # the reader finishes the commit
    assert not journal.exists()
    assert glob_counts(root) == {chat: 25}
    write_dataset(new, root)  # then the writer moves the folders
    assert folder_names(root) == [chat_folder(chat)]
    assert read_chat(root, chat) == new


def test_a_chat_stored_under_both_names_is_read_once_and_never_overwritten(
    tmp_path: Path,
) -> None:
    root = tmp_path / "lake"
    chat = "chat é 1"
    write_dataset(demo_frames(10, chat_id=chat, seed=1), root)
    current = partition_dir(root, "messages", chat)
    shutil.copytree(current, current.with_name(legacy_chat_folder(chat)))
    assert scan_dataset(root)["messages"].collect().height == 10
    assert chat_ids(root) == [chat]
    with pytest.raises(StorageError, match="two folder names"):
        write_dataset(demo_frames(12, chat_id=chat, seed=2), root)
    assert read_chat(root, chat).messages.height == 10


# -- URLs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["gs://bucket/lake", "az://container/lake", "http://host/lake"])
def test_every_path_taking_function_refuses_a_url_of_an_unsupported_store(url: str) -> None:
    frames = demo_frames(5)
    calls = [
        lambda: table_glob(url, "messages"),
        lambda: partition_dir(url, "messages", "chat_x"),
        lambda: scan_dataset(url),
        lambda: read_chat(url, "chat_x"),
        lambda: chat_ids(url),
        lambda: write_dataset(frames, url),
        lambda: write_parquet(frames, url),
        lambda: read_parquet(url),
        lambda: sync_chat("chat_x", url),
        lambda: sync_chats(["chat_x"], url),
    ]
    for call in calls:
        with pytest.raises(ConfigurationError, match="URL"):
            call()
