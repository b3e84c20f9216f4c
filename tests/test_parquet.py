"""write_parquet / read_parquet: exact round trip, BI-friendly files, atomic replacement."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from postpress_frames._exceptions import (
    ArgumentTypeError,
    ConfigurationError,
    MissingInputError,
    StorageError,
)
from postpress_frames.storage import parquet as parquet_module
from postpress_frames.storage.atomic import BACKUP_SUFFIX
from postpress_frames.storage.parquet import read_manifest, read_parquet, write_parquet
from postpress_frames.tables.schemas import SCHEMA_VERSION, TABLE_MODELS
from tests.conftest import demo_frames

TABLES = list(TABLE_MODELS)


@pytest.fixture(scope="module")
def frames():  # type: ignore[no-untyped-def]
    return demo_frames(400)


def test_round_trip_is_exact(frames, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_parquet(frames, tmp_path / "chat")
    back = read_parquet(tmp_path / "chat")
    for name in TABLES:
        assert_frame_equal(back[name], frames[name])


def test_round_trip_without_original(tmp_path: Path) -> None:
    from postpress_frames.tables.build import frames_from_pages
    from postpress_frames.testing import demo_chat
    from tests.conftest import pages_of

    frames = frames_from_pages(pages_of(demo_chat(60)), include_original=False)
    write_parquet(frames, tmp_path / "chat")
    back = read_parquet(tmp_path / "chat")
    assert "original" not in back.messages.columns
    assert back == frames


def test_folder_holds_one_file_per_table_and_a_manifest(frames, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_parquet(frames, tmp_path / "chat", filters={"after": "2026-01-01T00:00:00.000Z"})
    names = sorted(p.name for p in (tmp_path / "chat").iterdir())
    assert names == sorted([f"{t}.parquet" for t in TABLES] + ["rejects.parquet", "manifest.json"])
    manifest = json.loads((tmp_path / "chat" / "manifest.json").read_text())
    assert manifest["chat_id"] == "chat_demo"
    assert manifest["schema_version"] == str(SCHEMA_VERSION)
    assert manifest["filters"] == {"after": "2026-01-01T00:00:00.000Z"}
    assert manifest["row_counts"] == {t: frames[t].height for t in TABLES} | {"rejects": 0}
    assert read_manifest(tmp_path / "chat").fetched_at is not None


def test_files_are_bi_friendly(frames, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_parquet(frames, tmp_path / "chat")
    for name in TABLES:
        file = pq.ParquetFile(tmp_path / "chat" / f"{name}.parquet")
        arrow = file.schema_arrow
        for column in file.schema:
            logical = str(column.logical_type)
            assert "NANOS" not in logical, (name, column.name)
            if "Timestamp" in logical:
                assert "isAdjustedToUTC=true" in logical, (name, column.name)
        for f in arrow:
            assert str(f.type) != "null", (name, f.name)
        meta = file.metadata.row_group(0) if file.metadata.num_row_groups else None
        if meta is not None:
            for i in range(meta.num_columns):
                assert meta.column(i).compression == "ZSTD"
    messages = pq.ParquetFile(tmp_path / "chat" / "messages.parquet")
    nested = [
        f.name
        for f in messages.schema_arrow
        if str(f.type).startswith(("list", "large_list", "struct"))
    ]
    assert nested == ["reply_by"]
    booleans = {f.name for f in messages.schema_arrow if str(f.type) == "bool"}
    assert {"is_sender", "seen", "hidden", "deleted", "edited", "is_event", "delivered"} <= booleans
    encodings = {
        messages.metadata.row_group(0).column(i).path_in_schema: messages.metadata.row_group(0)
        .column(i)
        .encodings
        for i in range(messages.metadata.num_columns)
    }
    assert "RLE_DICTIONARY" in encodings["message_type"]


def test_duckdb_reads_every_file_with_the_same_values(frames, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_parquet(frames, tmp_path / "chat")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name in TABLES:
        file = str(tmp_path / "chat" / f"{name}.parquet")
        (count,) = con.execute("SELECT count(*) FROM read_parquet(?)", [file]).fetchall()[0]
        assert count == frames[name].height
    types = dict(
        con.execute(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))",
            [str(tmp_path / "chat" / "messages.parquet")],
        ).fetchall()
    )
    assert types["timestamp"] == "TIMESTAMP WITH TIME ZONE"
    assert types["is_sender"] == "BOOLEAN"
    got = pl.from_arrow(
        con.sql(
            "SELECT id, timestamp, is_sender, text FROM read_parquet($f) ORDER BY timestamp, id",
            params={"f": str(tmp_path / "chat" / "messages.parquet")},
        ).to_arrow_table()
    )
    assert isinstance(got, pl.DataFrame)
    want = frames.messages.select("id", "timestamp", "is_sender", "text")
    assert got["id"].to_list() == want["id"].to_list()
    assert got["is_sender"].to_list() == want["is_sender"].to_list()
    assert got["text"].to_list() == want["text"].to_list()
    assert [t.timestamp() for t in got["timestamp"]] == [t.timestamp() for t in want["timestamp"]]


def test_a_crash_mid_write_keeps_the_previous_copy(frames, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "chat"
    write_parquet(frames, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    calls = {"n": 0}
    real = parquet_module.write_table

    def crash_on_second(frame: pl.DataFrame, path: Path) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        real(frame, path)

    monkeypatch.setattr(parquet_module, "write_table", crash_on_second)
    with pytest.raises(OSError, match="disk full"):
        write_parquet(demo_frames(50), target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chat"]  # no staging left behind
    assert read_parquet(target).messages.height == frames.messages.height


def test_a_crash_between_the_renames_is_recovered(frames, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "chat"
    write_parquet(frames, target)
    target.rename(target.with_name(target.name + BACKUP_SUFFIX))  # the state after rename 1 of 2
    assert read_parquet(target).messages.height == frames.messages.height
    assert target.is_dir()


def test_a_tampered_file_is_a_storage_error_naming_it(frames, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_parquet(frames, tmp_path / "chat")
    bad = frames.messages.with_columns(pl.col("seen").cast(pl.Int8))
    bad.write_parquet(tmp_path / "chat" / "messages.parquet")
    with pytest.raises(StorageError, match="column 'seen' is Int8, expected Boolean") as caught:
        read_parquet(tmp_path / "chat")
    assert caught.value.path == str(tmp_path / "chat" / "messages.parquet")


def test_reading_a_folder_without_manifest_names_it(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError, match=r"manifest\.json") as caught:
        read_parquet(tmp_path)
    assert isinstance(caught.value, FileNotFoundError)  # what read_parquet raised before
    assert caught.value.path == str(tmp_path)


def test_write_parquet_names_a_wrong_argument_before_writing(frames, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cases = [
        ((frames.messages, tmp_path / "chat"), {}, "frames"),  # a DataFrame, not ChatFrames
        ((frames, 123), {}, "path"),
        ((frames, tmp_path / "chat"), {"filters": ["after"]}, "filters"),
        ((frames, tmp_path / "chat"), {"fetched_at": "2026-01-01"}, "fetched_at"),
    ]
    for args, kwargs, argument in cases:
        with pytest.raises(ArgumentTypeError) as caught:
            write_parquet(*args, **kwargs)
        assert caught.value.argument == argument
    assert list(tmp_path.iterdir()) == []
    for read in (read_parquet, read_manifest):
        with pytest.raises(ArgumentTypeError, match="path"):
            read(123)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="URL of a store postpress-frames does not"):
        write_parquet(frames, "gs://bucket/chat")
