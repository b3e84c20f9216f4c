"""Datasets of many chats: each table Hive-partitioned by ``chat_id``.

Layout (one file per table and chat, so a chat is replaced with one atomic rename; see
:mod:`postpress_frames.storage.layout`)::

    root/messages/chat_id=<chat>/part-0.parquet
    root/attachments/chat_id=<chat>/part-0.parquet
    root/reactions/chat_id=<chat>/part-0.parquet
    root/seen_by/chat_id=<chat>/part-0.parquet

``chat_id`` lives in the folder name only, as Hive writers do; DuckDB
(``read_parquet('root/messages/*/*.parquet', hive_partitioning=true)``), Spark,
``pyarrow.dataset`` and ``polars.scan_parquet`` give it back as a column of every table.
Values are percent-encoded (``/`` becomes ``%2F``), which all of them decode, so a partition
folder can never escape ``root``.

A chat's four files are replaced as one unit (:func:`postpress_frames.storage.commit.write_chat`):
readers finish a commit a crash interrupted, so no reader ever sees one table new and
another one old.

>>> from postpress_frames.tables.build import frames_from_pages
>>> from postpress_frames.testing import demo_chat
>>> frames = frames_from_pages([{"items": demo_chat(50), "cursor": None}])
>>> write_dataset(frames, "lake")
['chat_demo']
>>> scan_dataset("lake")["messages"].collect().height
50
>>> read_chat("lake", "chat_demo") == frames
True
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from postpress_frames._args import as_path, as_str
from postpress_frames._exceptions import ArgumentTypeError
from postpress_frames.storage.commit import recover_for_reading, write_chat
from postpress_frames.storage.layout import (
    PART_FILE,
    PARTITION_KEY,
    check_table,
    part_file,
    partition_dir,
    partition_glob,
    table_glob,
)
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import TABLE_MODELS, key_column, polars_schema

__all__ = [
    "PARTITION_KEY",
    "PART_FILE",
    "chat_ids",
    "message_count",
    "newest_timestamp",
    "partition_dir",
    "read_chat",
    "scan_dataset",
    "scan_stored",
    "scan_table",
    "split_by_chat",
    "table_glob",
    "write_dataset",
]


def split_by_chat(frames: ChatFrames) -> dict[str, ChatFrames]:
    """Split multi-chat frames into one :class:`ChatFrames` per ``chat_id``."""
    messages = frames.messages
    out: dict[str, ChatFrames] = {}
    for chat_id in messages.get_column(PARTITION_KEY).unique(maintain_order=True).to_list():
        ids = messages.filter(pl.col(PARTITION_KEY) == chat_id).get_column("id").implode()
        tables = {
            name: frame.filter(pl.col(key_column(name)).is_in(ids))
            for name, frame in frames.items()
        }
        out[chat_id] = ChatFrames(**tables)
    return out


def write_dataset(frames: ChatFrames, root: str | Path) -> list[str]:
    """Validate ``frames`` and write each chat's tables into the dataset at ``root``.

    Chats already in the dataset but absent from ``frames`` are left as they are; the chats
    in ``frames`` are replaced whole, each as one unit (see the module docstring). Returns
    the chat ids written.
    """
    if not isinstance(frames, ChatFrames):
        raise ArgumentTypeError("frames", "ChatFrames", frames)
    root = as_path(root, "root")
    frames.validate()
    per_chat = split_by_chat(frames)
    for chat_id, chat in per_chat.items():
        write_chat(root, chat_id, chat)
    return list(per_chat)


def _file_schema(table: str) -> pl.Schema:
    """The columns of a stored file of ``table``: the schema's, without ``chat_id``."""
    schema = polars_schema(TABLE_MODELS[table])
    return pl.Schema({k: v for k, v in schema.items() if k != PARTITION_KEY})


def _with_partition(table: str) -> dict[str, pl.DataType]:
    """The columns a scan gives: messages keep the schema's order, others get ``chat_id`` first."""
    schema = polars_schema(TABLE_MODELS[table])
    if PARTITION_KEY in schema:
        return dict(schema)
    return {PARTITION_KEY: pl.String(), **dict(schema)}


def scan_stored(root: str | Path, table: str, chat_id: str) -> pl.LazyFrame:
    """Lazily scan one chat's file of ``table`` as stored: in order, without ``chat_id``.

    A chat that is not stored scans to no rows.
    """
    root, table = as_path(root, "root"), check_table(table)
    recover_for_reading(root, as_str(chat_id, "chat_id"))
    schema = _file_schema(table)
    source = part_file(root, table, chat_id)
    if not source.is_file():
        return pl.LazyFrame(schema=schema)
    return pl.scan_parquet(source, schema=schema).select(list(schema))


def scan_table(root: str | Path, table: str, *, chat_id: str | None = None) -> pl.LazyFrame:
    """Lazily scan one table of the dataset, ``chat_id`` restored as a column.

    Messages keep the schema's column order; child tables get ``chat_id`` first.
    """
    root, table = as_path(root, "root"), check_table(table)
    columns = list(_with_partition(table))
    if chat_id is not None:
        chat = pl.lit(as_str(chat_id, "chat_id"), dtype=pl.String).alias(PARTITION_KEY)
        return scan_stored(root, table, chat_id).with_columns(chat).select(columns)
    recover_for_reading(root, None)
    if not any((root / table).glob(partition_glob())):
        return pl.LazyFrame(schema=_with_partition(table))
    lf = pl.scan_parquet(
        table_glob(root, table),
        schema=_file_schema(table),
        hive_partitioning=True,
        hive_schema={PARTITION_KEY: pl.String},
        try_parse_hive_dates=False,
    )
    return lf.select(columns)


def scan_dataset(root: str | Path) -> dict[str, pl.LazyFrame]:
    """Lazily scan every table of the dataset at ``root`` (all chats as one table each).

    >>> lazy = scan_dataset("lake")
    >>> lazy["messages"].group_by("chat_id").len().collect().height
    0
    """
    root = as_path(root, "root")
    return {table: scan_table(root, table) for table in TABLE_MODELS}


def chat_ids(root: str | Path) -> list[str]:
    """The chats stored in the dataset (those with a messages file)."""
    return (
        scan_table(root, "messages")
        .select(pl.col(PARTITION_KEY).unique())
        .collect()
        .get_column(PARTITION_KEY)
        .sort()
        .to_list()
    )


def read_chat(root: str | Path, chat_id: str) -> ChatFrames:
    """One chat of the dataset as :class:`ChatFrames` (empty tables when it is absent)."""
    tables = {"messages": scan_table(root, "messages", chat_id=chat_id).collect()}
    for table in TABLE_MODELS:
        if table != "messages":
            tables[table] = scan_stored(root, table, chat_id).collect()
    return ChatFrames(**tables)


def message_count(root: str | Path, chat_id: str) -> int:
    """How many messages of ``chat_id`` the dataset holds."""
    count = scan_stored(root, "messages", chat_id).select(pl.len()).collect().item()
    return int(count)


def newest_timestamp(root: str | Path, chat_id: str) -> datetime | None:
    """The timestamp of the newest stored message of ``chat_id``, or None."""
    value = scan_stored(root, "messages", chat_id).select(pl.col("timestamp").max())
    newest = value.collect().item()
    return newest if isinstance(newest, datetime) else None
