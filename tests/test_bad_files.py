"""Bad files and paths: one clear error naming the path and the problem (issue 12, defect 4).

A truncated or corrupt Parquet file, a missing or foreign manifest, a table whose columns or
dtypes are not the schema's, a missing dataset root, a fetch folder where a dataset goes and
the reverse, a chat the dataset does not hold: each is a ``StorageError`` (a missing input:
its ``MissingInputError`` subclass, also a ``FileNotFoundError``) naming the path, never
polars' bare error and never an empty result that looks like data.

Decided here: a dataset root that exists but is an empty folder is a ``MissingInputError``
(nothing was written there); a dataset of no chats, as ``write_dataset`` of empty frames or a
sync of an empty chat leaves it (its table folders), reads as empty tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from postpress_frames._exceptions import (
    ConfigurationError,
    MissingInputError,
    SchemaValidationError,
    StorageError,
)
from postpress_frames.pipeline.sync import sync_chat
from postpress_frames.storage.dataset import chat_ids, read_chat, scan_dataset, write_dataset
from postpress_frames.storage.layout import part_file
from postpress_frames.storage.parquet import read_manifest, read_parquet, write_parquet
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.testing import FakePostpress, demo_chat
from tests.conftest import demo_frames, pages_of
from tests.reliability.helpers import client_for

CHAT = "chat_bad"

#: Every way to read a dataset, each forcing the data to be read.
DATASET_READERS: dict[str, Callable[[Path], Any]] = {
    "scan_dataset": lambda root: [lf.collect() for lf in scan_dataset(root).values()],
    "read_chat": lambda root: read_chat(root, CHAT),
    "chat_ids": chat_ids,
}


@pytest.fixture(scope="module")
def frames() -> ChatFrames:
    return demo_frames(60, chat_id=CHAT)


@pytest.fixture
def lake(tmp_path: Path, frames: ChatFrames) -> Path:
    root = tmp_path / "lake"
    write_dataset(frames, root)
    return root


@pytest.fixture
def folder(tmp_path: Path, frames: ChatFrames) -> Path:
    out = tmp_path / "out"
    write_parquet(frames, out)
    return out


def truncate(file: Path) -> None:
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])


def garble(file: Path) -> None:
    file.write_bytes(b"this is not a parquet file at all, just text\n" * 20)


def only_storage_error(call: Callable[[], Any]) -> StorageError:
    """The StorageError ``call`` raises; any other exception fails the test."""
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the type is asserted below
        call()
    assert isinstance(caught.value, StorageError), (type(caught.value), caught.value)
    assert "\n" not in str(caught.value)
    return caught.value


# -- Parquet files --------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", [truncate, garble], ids=["truncated", "corrupt"])
@pytest.mark.parametrize("table", ["messages", "reactions"])
def test_a_damaged_dataset_file_is_a_storage_error_naming_it(
    lake: Path, damage: Callable[[Path], None], table: str
) -> None:
    file = part_file(lake, table, CHAT)
    damage(file)
    for name, read in DATASET_READERS.items():
        if name == "chat_ids":
            continue  # lists folders, reads no file
        error = only_storage_error(lambda read=read: read(lake))  # type: ignore[misc]
        assert error.path == str(file), name
        assert "not a readable Parquet file" in error.problem, name


@pytest.mark.parametrize("damage", [truncate, garble], ids=["truncated", "corrupt"])
def test_a_damaged_fetch_folder_file_is_a_storage_error_naming_it(
    folder: Path, damage: Callable[[Path], None]
) -> None:
    damage(folder / "seen_by.parquet")
    error = only_storage_error(lambda: read_parquet(folder))
    assert error.path == str(folder / "seen_by.parquet")
    assert "truncated or corrupt" in error.problem


def test_a_dataset_table_of_another_schema_is_a_storage_error_naming_it(
    lake: Path, frames: ChatFrames
) -> None:
    file = part_file(lake, "messages", CHAT)
    bad = frames.messages.drop("chat_id").with_columns(pl.col("seen").cast(pl.Int8))
    bad.write_parquet(file)
    for name in ("scan_dataset", "read_chat"):
        error = only_storage_error(lambda name=name: DATASET_READERS[name](lake))  # type: ignore[misc]
        assert error.path == str(file)
        assert "column 'seen' is Int8, expected Boolean" in error.problem
    frames.messages.drop("chat_id", "original").write_parquet(file)
    error = only_storage_error(lambda: read_chat(lake, CHAT))
    assert "column 'original' is missing" in error.problem
    frames.messages.drop("chat_id").with_columns(surplus=pl.lit(1)).write_parquet(file)
    error = only_storage_error(lambda: scan_dataset(lake))
    assert "column 'surplus' is not in the schema" in error.problem


def test_a_fetch_folder_table_of_another_schema_or_missing_is_a_storage_error(
    folder: Path, frames: ChatFrames
) -> None:
    frames.reactions.drop("value").write_parquet(folder / "reactions.parquet")
    error = only_storage_error(lambda: read_parquet(folder))
    assert error.path == str(folder / "reactions.parquet")
    assert "column 'value' is missing" in error.problem
    (folder / "reactions.parquet").unlink()
    error = only_storage_error(lambda: read_parquet(folder))
    assert error.path == str(folder / "reactions.parquet") and "missing" in error.problem


def test_values_that_fail_their_checks_are_still_a_schema_error(
    folder: Path, frames: ChatFrames
) -> None:
    """Files of the right columns and dtypes whose values break the pandera model."""
    bad = frames.messages.with_columns(pl.lit(None, dtype=pl.String).alias("id"))
    bad.write_parquet(folder / "messages.parquet")
    with pytest.raises(SchemaValidationError, match="id"):
        read_parquet(folder)


# -- manifests ------------------------------------------------------------------------------------


def test_a_missing_manifest_is_a_missing_input_naming_the_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for read in (read_parquet, read_manifest):
        error = only_storage_error(lambda read=read: read(empty))  # type: ignore[misc]
        assert isinstance(error, MissingInputError) and isinstance(error, FileNotFoundError)
        assert error.path == str(empty) and "manifest.json" in error.problem
        error = only_storage_error(lambda read=read: read(tmp_path / "absent"))  # type: ignore[misc]
        assert isinstance(error, MissingInputError) and "does not exist" in error.problem


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "not JSON"),
        ('{"format": "delta", "chat_ids": []}', "format 'delta'"),
        ("[1, 2, 3]", "no format field"),
        ('{"format": "postpress-frames", "chat_ids": []}', "lacks 'row_counts'"),
        ('{"format": "postpress-frames", "chat_ids": [], "row_counts": 3}', "not a readable"),
    ],
)
def test_a_foreign_or_unparsable_manifest_is_a_storage_error_naming_it(
    folder: Path, text: str, problem: str
) -> None:
    (folder / "manifest.json").write_text(text)
    for read in (read_parquet, read_manifest):
        error = only_storage_error(lambda read=read: read(folder))  # type: ignore[misc]
        assert not isinstance(error, MissingInputError)
        assert error.path == str(folder / "manifest.json")
        assert problem in error.problem


def test_row_counts_that_differ_from_the_manifest_are_a_storage_error(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["row_counts"]["messages"] += 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    error = only_storage_error(lambda: read_parquet(folder))
    assert error.path == str(folder / "manifest.json") and "row counts" in error.problem


# -- the wrong kind of folder ---------------------------------------------------------------------


@pytest.mark.parametrize("reader", list(DATASET_READERS))
def test_a_missing_or_empty_dataset_root_is_a_missing_input(tmp_path: Path, reader: str) -> None:
    """Today scan_dataset of a missing path returned empty tables."""
    read = DATASET_READERS[reader]
    error = only_storage_error(lambda: read(tmp_path / "absent"))
    assert isinstance(error, MissingInputError) and "does not exist" in error.problem
    assert error.path == str(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    error = only_storage_error(lambda: read(tmp_path / "empty"))
    assert isinstance(error, MissingInputError) and "empty folder" in error.problem


@pytest.mark.parametrize("reader", list(DATASET_READERS))
def test_a_fetch_folder_where_a_dataset_goes_is_a_storage_error(folder: Path, reader: str) -> None:
    """Today scan_dataset of a fetch folder returned empty tables."""
    error = only_storage_error(lambda: DATASET_READERS[reader](folder))
    assert error.path == str(folder)
    assert "fetch folder" in error.problem and "read_parquet" in error.problem


@pytest.mark.parametrize("reader", list(DATASET_READERS))
def test_a_folder_of_other_files_or_a_file_is_not_a_dataset(tmp_path: Path, reader: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("mine")
    error = only_storage_error(lambda: DATASET_READERS[reader](project))
    assert error.path == str(project) and "'notes.txt'" in error.problem
    error = only_storage_error(lambda: DATASET_READERS[reader](project / "notes.txt"))
    assert "is a file" in error.problem


def test_a_dataset_root_where_a_fetch_folder_goes_is_a_storage_error(lake: Path) -> None:
    for read in (read_parquet, read_manifest):
        error = only_storage_error(lambda read=read: read(lake))  # type: ignore[misc]
        assert error.path == str(lake)
        assert "is a dataset" in error.problem and "scan_dataset" in error.problem
    single = part_file(lake, "messages", CHAT)
    error = only_storage_error(lambda: read_parquet(single))
    assert "is a file" in error.problem and "polars.read_parquet" in error.problem


def test_an_unknown_chat_is_a_missing_input_naming_the_chats_held(lake: Path) -> None:
    """Today read_chat(root, "chat_unknown") returned empty ChatFrames."""
    error = only_storage_error(lambda: read_chat(lake, "chat_unknown"))
    assert isinstance(error, MissingInputError)
    assert error.path == str(lake)
    assert "'chat_unknown'" in error.problem and repr(CHAT) in error.problem


def test_a_dataset_of_no_chats_reads_as_empty_tables(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    write_dataset(ChatFrames.empty(), root)
    assert all(lf.collect().is_empty() for lf in scan_dataset(root).values())
    assert chat_ids(root) == []
    error = only_storage_error(lambda: read_chat(root, CHAT))
    assert "holds no chat" in error.problem and "0 chats" in error.problem
    with FakePostpress({"chat_empty": []}) as server, client_for(server) as client:
        synced = tmp_path / "synced"
        assert sync_chat("chat_empty", synced, client=client).total == 0
    assert all(lf.collect().is_empty() for lf in scan_dataset(synced).values())


def test_write_dataset_refuses_frames_without_the_original_column(tmp_path: Path) -> None:
    """Today it wrote a dataset no reader could scan (polars: 'did not find column')."""
    lean = frames_from_pages(pages_of(demo_chat(10, chat_id=CHAT)), include_original=False)
    with pytest.raises(ConfigurationError, match="original"):
        write_dataset(lean, tmp_path / "lake")
    assert list(tmp_path.iterdir()) == []
