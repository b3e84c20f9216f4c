"""Datasets of many chats: each table Hive-partitioned by ``chat_id``.

Layout (one file per table and chat, so a chat is replaced with one atomic rename)::

    root/messages/chat_id=<chat>/part-0.parquet
    root/attachments/chat_id=<chat>/part-0.parquet
    root/reactions/chat_id=<chat>/part-0.parquet
    root/seen_by/chat_id=<chat>/part-0.parquet

``chat_id`` lives in the folder name only, as Hive writers do; DuckDB
(``read_parquet('root/messages/*/*.parquet', hive_partitioning=true)``), Spark,
``pyarrow.dataset`` and ``polars.scan_parquet`` give it back as a column of every table.
Values are percent-encoded (``/`` becomes ``%2F``), which all of them decode, so a partition
folder can never escape ``root``.

A chat's four files are replaced as one unit: each is written under a hidden temporary
name, then a small journal (``messages/chat_id=<chat>/.commit.json``) listing the four
renames is put in place, and only then are the files renamed. A process that dies after
the journal appeared has its renames finished by the next reader or sync of that chat
(:func:`recover_chat`), so no reader ever sees one table new and another one old.

>>> write_dataset(frames, "lake")                       # doctest: +SKIP
>>> scan_dataset("lake")["messages"].collect().height   # doctest: +SKIP
5000
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

import polars as pl

from postpress_frames.storage.atomic import commit_file, temp_path_for, write_atomic
from postpress_frames.storage.parquet import write_table
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import TABLE_MODELS, polars_schema

PARTITION_KEY = "chat_id"
PART_FILE = "part-0.parquet"


def partition_dir(root: str | Path, table: str, chat_id: str) -> Path:
    """The folder of one chat's rows of ``table``; it always stays inside ``root``.

    >>> partition_dir("lake", "messages", "a/../b").as_posix()
    'lake/messages/chat_id=a%2F..%2Fb'
    """
    if table not in TABLE_MODELS:
        raise ValueError(f"unknown table {table!r}; expected one of {list(TABLE_MODELS)}")
    if not chat_id:
        raise ValueError("chat_id must be a non-empty string")
    return Path(root) / table / f"{PARTITION_KEY}={quote(chat_id, safe='')}"


def split_by_chat(frames: ChatFrames) -> dict[str, ChatFrames]:
    """Split multi-chat frames into one :class:`ChatFrames` per ``chat_id``."""
    messages = frames.messages
    out: dict[str, ChatFrames] = {}
    for chat_id in messages.get_column("chat_id").unique(maintain_order=True).to_list():
        ids = messages.filter(pl.col("chat_id") == chat_id).get_column("id")
        tables = {
            name: frame.filter(
                pl.col("id" if name == "messages" else "message_id").is_in(ids.implode())
            )
            for name, frame in frames.items()
        }
        out[chat_id] = ChatFrames(**tables)
    return out


def write_chat_table(root: str | Path, table: str, chat_id: str, frame: pl.DataFrame) -> None:
    """Atomically replace one chat's file of ``table`` (without the partition column)."""
    target = partition_dir(root, table, chat_id) / PART_FILE
    data = frame.drop(PARTITION_KEY) if PARTITION_KEY in frame.columns else frame
    write_atomic(target, lambda tmp: write_table(data, tmp))


# The order of the renames of a commit: messages, the table sync reads its high-water mark
# from, goes last.
WRITE_ORDER = ("attachments", "reactions", "seen_by", "messages")
COMMIT_JOURNAL = ".commit.json"


def _journal(root: str | Path, chat_id: str) -> Path:
    return partition_dir(root, "messages", chat_id) / COMMIT_JOURNAL


def _roll_forward(root: Path, journal: Path) -> None:
    """Do the renames ``journal`` lists whose temporary file is still there, then drop it."""
    moves = json.loads(journal.read_text(encoding="utf-8"))
    for tmp, target in moves:
        if (root / tmp).is_file():
            commit_file(root / tmp, root / target)
    journal.unlink()


def commit_chat(root: str | Path, chat_id: str, written: Mapping[str, Path]) -> None:
    """Move a chat's hidden, fully written table files into place, as one unit.

    ``written`` maps every table to its temporary file (from ``temp_path_for`` of the
    table's part file). The journal of the renames is committed first: from then on the
    change is decided, and a crash is finished by :func:`recover_chat`.
    """
    root = Path(root)
    moves = [
        [
            written[table].relative_to(root).as_posix(),
            (partition_dir(root, table, chat_id) / PART_FILE).relative_to(root).as_posix(),
        ]
        for table in WRITE_ORDER
    ]
    journal = _journal(root, chat_id)

    def write_journal(tmp: Path) -> None:
        tmp.write_text(json.dumps(moves), encoding="utf-8")

    write_atomic(journal, write_journal)
    _roll_forward(root, journal)


def recover_chat(root: str | Path, chat_id: str) -> None:
    """Finish a commit of ``chat_id`` that a crash interrupted (nothing to do otherwise)."""
    journal = _journal(root, chat_id)
    if journal.is_file():
        _roll_forward(Path(root), journal)


def _recover_for_reading(root: str | Path, chat_id: str | None) -> None:
    """Readers finish interrupted commits too; on a read-only copy they read what is there."""
    journals = (
        [_journal(root, chat_id)]
        if chat_id is not None
        else list((Path(root) / "messages").glob(f"{PARTITION_KEY}=*/{COMMIT_JOURNAL}"))
    )
    for journal in journals:
        if journal.is_file():
            with contextlib.suppress(OSError):
                _roll_forward(Path(root), journal)


def write_dataset(frames: ChatFrames, root: str | Path) -> list[str]:
    """Validate ``frames`` and write each chat's tables into the dataset at ``root``.

    Chats already in the dataset but absent from ``frames`` are left as they are; the chats
    in ``frames`` are replaced whole, each as one unit (see the module docstring). Returns
    the chat ids written.
    """
    frames.validate()
    per_chat = split_by_chat(frames)
    for chat_id, chat in per_chat.items():
        recover_chat(root, chat_id)
        written: dict[str, Path] = {}
        try:
            for table in WRITE_ORDER:
                target = partition_dir(root, table, chat_id) / PART_FILE
                target.parent.mkdir(parents=True, exist_ok=True)
                written[table] = temp_path_for(target)
                frame = chat[table]
                if PARTITION_KEY in frame.columns:
                    frame = frame.drop(PARTITION_KEY)
                write_table(frame, written[table])
            commit_chat(root, chat_id, written)
        finally:
            for tmp in written.values():
                tmp.unlink(missing_ok=True)
    return list(per_chat)


def table_glob(root: str | Path, table: str) -> str:
    """The glob DuckDB, polars and others use to read ``table`` of every chat."""
    return str(Path(root) / table / f"{PARTITION_KEY}=*" / "*.parquet")


def scan_table(root: str | Path, table: str, *, chat_id: str | None = None) -> pl.LazyFrame:
    """Lazily scan one table of the dataset, ``chat_id`` restored as a column.

    Messages keep the schema's column order; child tables get ``chat_id`` first.
    """
    _recover_for_reading(root, chat_id)
    schema = polars_schema(TABLE_MODELS[table])
    file_schema = {k: v for k, v in schema.items() if k != PARTITION_KEY}
    if chat_id is not None:
        source = partition_dir(root, table, chat_id) / PART_FILE
        if not source.is_file():
            return pl.LazyFrame(schema=_with_partition(table, schema))
        lf = pl.scan_parquet(source, schema=file_schema).with_columns(
            pl.lit(chat_id, dtype=pl.String).alias(PARTITION_KEY)
        )
    else:
        if not any((Path(root) / table).glob(f"{PARTITION_KEY}=*/*.parquet")):
            return pl.LazyFrame(schema=_with_partition(table, schema))
        lf = pl.scan_parquet(
            table_glob(root, table),
            schema=file_schema,
            hive_partitioning=True,
            hive_schema={PARTITION_KEY: pl.String},
            try_parse_hive_dates=False,
        )
    return lf.select(list(_with_partition(table, schema)))


def _with_partition(table: str, schema: pl.Schema) -> dict[str, pl.DataType]:
    if PARTITION_KEY in schema:
        return dict(schema)
    return {PARTITION_KEY: pl.String(), **dict(schema)}


def scan_dataset(root: str | Path) -> dict[str, pl.LazyFrame]:
    """Lazily scan every table of the dataset at ``root`` (all chats as one table each).

    >>> lazy = scan_dataset("lake")                                 # doctest: +SKIP
    >>> lazy["messages"].group_by("chat_id").len().collect()        # doctest: +SKIP
    """
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
    tables = {}
    for table in TABLE_MODELS:
        lf = scan_table(root, table, chat_id=chat_id)
        if table != "messages":
            lf = lf.drop(PARTITION_KEY)
        tables[table] = lf.collect()
    return ChatFrames(**tables)
