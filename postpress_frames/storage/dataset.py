"""Datasets of many chats: each table Hive-partitioned by ``chat_id``.

Layout (one file per table and chat, so a chat is replaced with one atomic rename; see
:mod:`postpress_frames.storage.layout`)::

    root/messages/chat_id=<chat>/part-0.parquet
    root/attachments/chat_id=<chat>/part-0.parquet
    root/reactions/chat_id=<chat>/part-0.parquet
    root/seen_by/chat_id=<chat>/part-0.parquet
    root/rejects/chat_id=<chat>/part-0.parquet

``rejects`` holds the messages ``on_invalid="quarantine"`` set aside (possibly none); its
``chat_id`` is the partition's, like every table's. A dataset written before ``rejects``
existed has no ``rejects`` folder and reads with empty rejects; a file written before
``extra`` existed reads with a null ``extra``.

``chat_id`` lives in the folder name only, as Hive writers do, escaped as Hive and Spark
escape it (``/`` becomes ``%2F``, ``é`` and spaces stay), so a partition folder never
escapes ``root``, and DuckDB (``read_parquet('root/messages/*/*.parquet',
hive_partitioning=true, hive_types={'chat_id': VARCHAR})``), Spark, ``pyarrow.dataset`` and
``polars.scan_parquet`` give it back, unchanged, as a column of every table. Work in
progress (a commit, a sync's batches) lives in ``root/.commit`` and ``root/.staging``, under
names no reader matches.

A chat's five files are replaced as one unit (:func:`postpress_frames.storage.commit.write_chat`):
readers finish a commit a crash interrupted, so no reader ever sees one table new and
another one old.

**Writing.** ``root`` must be absent, an empty folder or a dataset (a folder holding only
the table folders of ``chat_id=`` partitions, ``.staging`` and ``.commit``): anything else,
a file or a folder of other files, is refused with a :class:`~postpress_frames.StorageError`
before anything is written (:func:`check_dataset_target`; ``sync_chat`` checks it before its
first request). Nothing in ``root`` but the package's own files is ever deleted or replaced.
:func:`write_dataset` and ``sync_chat`` create the table folders even when they store
no chat, so what they made reads back as a dataset of no chats.

**Reading.** :func:`scan_dataset`, :func:`read_chat` and :func:`chat_ids` refuse what is not
a dataset: a missing root or an empty folder (:class:`~postpress_frames.MissingInputError`),
a file, a fetch folder of ``write_parquet`` or a folder of other files (``StorageError``). An
empty table folder reads as an empty table. Every file is checked before it is scanned: a
truncated or corrupt file, or one whose columns or dtypes are not the schema's, is a
``StorageError`` naming it. Only ``part-0.parquet`` of a ``chat_id=`` folder is read: what a
killed run of an earlier version left beside it is skipped and logged at debug level
(logger ``postpress_frames``). ``chat_id`` is always a string (``00123`` stays ``00123``).

>>> from postpress_frames.tables.build import frames_from_pages
>>> from postpress_frames.testing import demo_chat
>>> frames = frames_from_pages([{"items": demo_chat(50), "cursor": None}])
>>> write_dataset(frames, "lake")
['chat_demo']
>>> scan_dataset("lake")["messages"].collect().height
50
>>> read_chat("lake", "chat_demo") == frames
True
>>> read_chat("lake", "chat_unknown")
Traceback (most recent call last):
...
postpress_frames._exceptions.MissingInputError: lake: holds no chat 'chat_unknown' (it holds ...)
"""

from __future__ import annotations

import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import polars as pl

from postpress_frames._args import as_str
from postpress_frames._exceptions import (
    ArgumentTypeError,
    ConfigurationError,
    MissingInputError,
    StorageError,
)
from postpress_frames._outputs import check_folder_target
from postpress_frames.storage.commit import make_dataset_folders, recover_for_reading, write_chat
from postpress_frames.storage.layout import (
    DATASET_FOLDERS,
    PART_FILE,
    PARTITION_KEY,
    chat_folder,
    check_table,
    decode_chat_folder,
    foreign_entries,
    is_dataset,
    partition_dir,
    partition_dirs,
    table_glob,
)
from postpress_frames.storage.parquet import MANIFEST, check_schema, parquet_schema
from postpress_frames.storage.store import (
    Location,
    ObjectPath,
    StorageOptions,
    as_location,
    entries,
    exists,
    files_under,
    scan_source,
    storage_options_of,
)
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import (
    REJECTS,
    STORED_TABLES,
    TABLE_MODELS,
    key_column,
    table_schema,
)

__all__ = [
    "PARTITION_KEY",
    "PART_FILE",
    "chat_ids",
    "check_dataset_target",
    "empty_stored",
    "message_count",
    "newest_timestamp",
    "partition_dir",
    "read_chat",
    "readable_dataset",
    "scan_dataset",
    "scan_stored",
    "scan_table",
    "split_by_chat",
    "stored_file",
    "stored_files",
    "table_glob",
    "write_dataset",
]


logger = logging.getLogger("postpress_frames")

L = TypeVar("L", bound=Location)


def check_dataset_target(
    root: str | Path | Location, storage_options: StorageOptions | None = None
) -> Location:
    """``root`` when a dataset may be written there: absent, an empty folder or a dataset.

    Anything else is refused with a StorageError naming it and what it holds. A URL is a
    location on an object store (see :mod:`~postpress_frames.storage.store`).

    >>> _ = Path("notes.txt").write_text("mine")
    >>> check_dataset_target("notes.txt")
    Traceback (most recent call last):
    ...
    postpress_frames._exceptions.StorageError: notes.txt: is a file, not a folder; refusing ...
    """
    location = as_location(root, "root", storage_options)
    return check_folder_target(
        location, what="a dataset", ours=is_dataset, replaced=False, foreign=foreign_entries
    )


def readable_dataset(root: L) -> L:
    """``root`` when it is a dataset to read; a MissingInputError or StorageError otherwise."""
    if not exists(root):
        raise MissingInputError("does not exist (no dataset there)", path=root)
    if not root.is_dir():
        hint = (
            " (read one Parquet file with polars.read_parquet)" if root.suffix == ".parquet" else ""
        )
        raise StorageError(f"is a file, not a dataset folder{hint}", path=root)
    if (root / MANIFEST).is_file():
        raise StorageError(
            f"is a fetch folder (it holds {MANIFEST}), not a dataset: read it with read_parquet",
            path=root,
        )
    if not entries(root):
        raise MissingInputError(
            "is an empty folder, not a dataset (write_dataset and sync_chat create its "
            "table folders)",
            path=root,
        )
    foreign = foreign_entries(root)
    if foreign:
        shown = ", ".join(repr(name) for name in foreign[:3])
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise StorageError(
            f"is not a dataset: it holds {shown}{more} (a dataset root holds only "
            f"{', '.join(DATASET_FOLDERS)}, and a table folder only chat_id= folders)",
            path=root,
        )
    return root


def split_by_chat(frames: ChatFrames) -> dict[str, ChatFrames]:
    """Split multi-chat frames into one :class:`ChatFrames` per ``chat_id``.

    A reject goes to the chat its ``chat_id`` names; one without a ``chat_id`` to the one
    chat of ``frames`` (a ConfigurationError when there are several: which one is unknown).
    """
    messages, rejects = frames.messages, frames.rejects
    chats = pl.concat([messages.get_column(PARTITION_KEY), rejects.get_column(PARTITION_KEY)])
    chats = chats.drop_nulls().unique(maintain_order=True)
    unplaced = rejects.filter(pl.col(PARTITION_KEY).is_null())
    if unplaced.height and chats.len() != 1:
        raise ConfigurationError(
            f"{unplaced.height} rejects have no chat_id and the frames hold "
            f"{chats.len()} chats: set the rejects' chat_id to place them"
        )
    out: dict[str, ChatFrames] = {}
    for chat_id in chats.to_list():
        ids = messages.filter(pl.col(PARTITION_KEY) == chat_id).get_column("id").implode()
        tables = {
            name: frame.filter(pl.col(key_column(name)).is_in(ids))
            for name, frame in frames.items()
        }
        mine = rejects.filter(pl.col(PARTITION_KEY).fill_null(chat_id) == chat_id)
        tables[REJECTS] = mine.with_columns(pl.lit(chat_id, pl.String).alias(PARTITION_KEY))
        out[chat_id] = ChatFrames(**tables)
    return out


def write_dataset(
    frames: ChatFrames,
    root: str | Path,
    *,
    storage_options: StorageOptions | None = None,
) -> list[str]:
    """Validate ``frames`` and write each chat's tables into the dataset at ``root``.

    Chats already in the dataset but absent from ``frames`` are left as they are; the chats
    in ``frames`` are replaced whole, each as one unit (see the module docstring), and moved
    to their current folder names if an earlier version wrote them. Returns the chat ids
    written. ``root`` must be absent, empty or a dataset (see the module docstring); a URL
    (``s3://bucket/lake``) is a dataset on an object store, reached with ``storage_options``
    as polars takes them (see :mod:`~postpress_frames.storage.store`).
    """
    if not isinstance(frames, ChatFrames):
        raise ArgumentTypeError("frames", "ChatFrames", frames)
    location = check_dataset_target(root, storage_options)
    if "original" not in frames.messages.columns:
        raise ConfigurationError(
            "a dataset's messages table keeps the 'original' column; frames built with "
            "include_original=False can be written with write_parquet, not write_dataset"
        )
    frames.validate()
    per_chat = split_by_chat(frames)
    make_dataset_folders(location)
    for chat_id, chat in per_chat.items():
        write_chat(location, chat_id, chat)
    return list(per_chat)


def _file_schema(table: str) -> pl.Schema:
    """The columns of a stored file of ``table``: the schema's, without ``chat_id``."""
    schema = table_schema(table)
    return pl.Schema({k: v for k, v in schema.items() if k != PARTITION_KEY})


def empty_stored(table: str) -> pl.DataFrame:
    """No rows of ``table``, with the columns of a chat's file of it (no ``chat_id``).

    >>> empty_stored("seen_by").columns
    ['message_id', 'attendee_id', 'seen', 'seen_at']
    """
    return _empty_file(check_table(table)).clear()


@functools.cache
def _empty_file(table: str) -> pl.DataFrame:
    # Built once per table: a frame of some forty typed columns costs about a millisecond,
    # and a first sync asks for two of them.
    return pl.DataFrame(schema=_file_schema(table))


def _with_partition(table: str) -> dict[str, pl.DataType]:
    """The columns a scan gives: messages and rejects keep the schema's order, others get
    ``chat_id`` first."""
    schema = table_schema(table)
    if PARTITION_KEY in schema:
        return dict(schema)
    return {PARTITION_KEY: pl.String(), **dict(schema)}


def stored_file(root: Location, table: str, chat_id: str) -> Location | None:
    """The part file of ``chat_id``'s rows of ``table``, under the current folder name or
    the one of an earlier version; None when the chat has none."""
    folders = partition_dirs(root, table, chat_id)
    for folder in [*folders, folders[0]]:  # the current one again: it may have just moved
        if (folder / PART_FILE).is_file():
            return folder / PART_FILE
    return None


def _partitions(folder: Location) -> list[tuple[str, Location | None]]:
    """The ``chat_id=`` folders of a table folder and each one's part file (None: it has
    none), in name order; what else is there is logged at debug level.

    On disk one listing of the table folder and a ``stat`` per partition; on an object
    store one (paginated) listing of every key below the table folder.
    """
    debug = logger.isEnabledFor(logging.DEBUG)
    if isinstance(folder, ObjectPath):
        by_folder: dict[str, Location | None] = {}
        for file in files_under(folder):
            parts = file.relative_to(folder).parts
            if len(parts) == 2 and decode_chat_folder(parts[0]) is not None:
                if parts[1] == PART_FILE:
                    by_folder[parts[0]] = file
                else:
                    by_folder.setdefault(parts[0], None)
                    if debug:
                        logger.debug("skipping %s: not a part file", file)
            elif debug:
                logger.debug("skipping %s: not in a partition folder of postpress-frames", file)
        return sorted(by_folder.items())
    found: list[tuple[str, Location | None]] = []
    for entry in entries(folder):
        if not entry.is_dir or decode_chat_folder(entry.name) is None:
            logger.debug("skipping %s: not a partition folder of postpress-frames", entry.name)
            continue
        partition = folder / entry.name
        if debug:  # what else is there: only worth a listing when it is logged
            others = [e.name for e in entries(partition) if e.name != PART_FILE]
            if others:
                logger.debug("skipping %s in %s: not part files", others, partition)
        part = partition / PART_FILE
        found.append((entry.name, part if part.is_file() else None))
    return found


def stored_files(root: Location, table: str) -> dict[str, Location]:
    """Every chat's part file of ``table``: chat id -> file, in folder name order.

    Anything else in the table folder (a killed run's leftovers of an earlier version,
    foreign files) is skipped and logged at debug level; a chat stored under both folder
    names is read from the current one.
    """
    folder = root / table
    found: dict[str, Location] = {}
    if not folder.is_dir():
        return found
    for name, file in _partitions(folder):
        chat_id = decode_chat_folder(name)
        if chat_id is None or file is None:
            continue
        if chat_id in found:
            logger.debug(
                "chat %r is stored under two folder names; reading the current one", chat_id
            )
            if name != chat_folder(chat_id):
                continue
        found[chat_id] = file
    return found


def _checked(file: Location, table: str) -> Location:
    """``file`` once its footer says it holds ``table`` as stored; a StorageError otherwise.

    A file written before ``extra`` existed passes: scans insert it, null
    (``missing_columns="insert"``).
    """
    got, expected = parquet_schema(file), _file_schema(table)
    if "extra" in expected and "extra" not in got:
        expected = pl.Schema({k: v for k, v in expected.items() if k != "extra"})
    check_schema(file, table, got, expected)
    return file


def scan_stored(root: str | Location, table: str, chat_id: str) -> pl.LazyFrame:
    """Lazily scan one chat's file of ``table`` as stored: in order, without ``chat_id``.

    A chat that is not stored scans to no rows (a sync's first run reads it so).
    """
    root, table = as_location(root, "root"), check_table(table)
    recover_for_reading(root, as_str(chat_id, "chat_id"))
    schema = _file_schema(table)
    source = stored_file(root, table, chat_id)
    if source is None:
        return empty_stored(table).lazy()
    checked = _checked(source, table)
    lf = pl.scan_parquet(
        scan_source(checked),
        schema=schema,
        missing_columns="insert",
        storage_options=storage_options_of(checked),
    )
    return lf.select(list(schema))


_SOURCE = "__postpress_frames_source_file"
_FOOTER_READERS = 16  # footers of an object-store dataset read at once


def _scan_all(root: Location, table: str) -> pl.LazyFrame:
    """Every chat's rows of ``table`` of the dataset ``root`` (checked), ``chat_id`` first
    for child tables."""
    columns = list(_with_partition(table))
    stored = stored_files(root, table)
    if isinstance(root, ObjectPath) and len(stored) > 1:
        # A footer on a store is a request of a few milliseconds: many at once, not in turn.
        with ThreadPoolExecutor(max_workers=_FOOTER_READERS) as pool:
            checked = list(pool.map(lambda file: _checked(file, table), stored.values()))
    else:
        checked = [_checked(file, table) for file in stored.values()]
    files = {str(file): chat for file, chat in zip(checked, stored, strict=True)}
    if not files:
        return pl.LazyFrame(schema=_with_partition(table))
    # The chat id of each file is the package's decoding of its folder name (both schemes),
    # not an engine's: polars would also read every other key=value folder of the root's path.
    lf = pl.scan_parquet(
        list(files),
        schema=_file_schema(table),
        include_file_paths=_SOURCE,
        missing_columns="insert",
        storage_options=storage_options_of(root),
    )
    chat_column = pl.col(_SOURCE).replace_strict(files, return_dtype=pl.String)
    return lf.with_columns(chat_column.alias(PARTITION_KEY)).select(columns)


def scan_table(
    root: str | Path,
    table: str,
    *,
    chat_id: str | None = None,
    storage_options: StorageOptions | None = None,
) -> pl.LazyFrame:
    """Lazily scan one table of the dataset, ``chat_id`` restored as a string column.

    Messages keep the schema's column order; child tables get ``chat_id`` first. ``root``
    must be a dataset (see the module docstring); every file is checked before the scan.
    """
    location, table = as_location(root, "root", storage_options), check_table(table)
    if chat_id is not None:
        as_str(chat_id, "chat_id")
    readable_dataset(location)
    if chat_id is not None:
        chat = pl.lit(chat_id, dtype=pl.String).alias(PARTITION_KEY)
        columns = list(_with_partition(table))
        return scan_stored(location, table, chat_id).with_columns(chat).select(columns)
    recover_for_reading(location, None)
    return _scan_all(location, table)


def scan_dataset(
    root: str | Path, *, storage_options: StorageOptions | None = None
) -> dict[str, pl.LazyFrame]:
    """Lazily scan every table of the dataset at ``root`` (all chats as one table each).

    ``root`` must be a dataset: a missing one, a fetch folder or a folder of other files is
    refused (see the module docstring); a dataset of no chats scans to empty tables. Every
    file's footer is read (and checked against the schema) now; the rows when collected.
    The tables are those of :data:`~postpress_frames.tables.schemas.STORED_TABLES`: the four
    tables, then ``rejects`` (empty for a dataset written before it existed). A URL
    (``s3://bucket/lake``) is read from an object store with ``storage_options`` as polars
    takes them (see :mod:`~postpress_frames.storage.store`).

    >>> write_dataset(ChatFrames.empty(), "lake")
    []
    >>> lazy = scan_dataset("lake")
    >>> lazy["messages"].group_by("chat_id").len().collect().height
    0
    """
    location = readable_dataset(as_location(root, "root", storage_options))
    recover_for_reading(location, None)
    return {table: _scan_all(location, table) for table in STORED_TABLES}


def chat_ids(root: str | Path, *, storage_options: StorageOptions | None = None) -> list[str]:
    """The chats stored in the dataset (those with a messages file), sorted."""
    location = readable_dataset(as_location(root, "root", storage_options))
    recover_for_reading(location, None)
    return sorted(stored_files(location, "messages"))


def read_chat(
    root: str | Path, chat_id: str, *, storage_options: StorageOptions | None = None
) -> ChatFrames:
    """One chat of the dataset as :class:`ChatFrames`.

    A chat the dataset does not hold is a :class:`~postpress_frames.MissingInputError`
    naming the root, never empty tables that look like a chat without messages.
    """
    location = as_location(root, "root", storage_options)
    as_str(chat_id, "chat_id")
    if not location.is_dir() or (location / MANIFEST).is_file():
        readable_dataset(location)  # says what it is instead
    recover_for_reading(location, chat_id)
    if stored_file(location, "messages", chat_id) is None:
        readable_dataset(location)  # a folder that is no dataset says so; a dataset, which chats
        stored = sorted(stored_files(location, "messages"))
        noun = "chat" if len(stored) == 1 else "chats"
        shown = ", ".join(repr(c) for c in stored[:3]) + (" ..." if len(stored) > 3 else "")
        held = f"it holds {len(stored)} {noun}" + (f": {shown}" if stored else "")
        raise MissingInputError(f"holds no chat {chat_id!r} ({held})", path=location)
    columns = list(_with_partition("messages"))
    chat = pl.lit(chat_id, dtype=pl.String).alias(PARTITION_KEY)
    messages = scan_stored(location, "messages", chat_id).with_columns(chat).select(columns)
    tables = {"messages": messages.collect()}
    for table in TABLE_MODELS:
        if table != "messages":
            tables[table] = scan_stored(location, table, chat_id).collect()
    rejects = scan_stored(location, REJECTS, chat_id).with_columns(chat)
    tables[REJECTS] = rejects.select(list(_with_partition(REJECTS))).collect()
    return ChatFrames(**tables)


def message_count(root: str | Location, chat_id: str) -> int:
    """How many messages of ``chat_id`` the dataset holds."""
    count = scan_stored(root, "messages", chat_id).select(pl.len()).collect().item()
    return int(count)


def newest_timestamp(root: str | Location, chat_id: str) -> datetime | None:
    """The timestamp of the newest stored message of ``chat_id``, or None."""
    value = scan_stored(root, "messages", chat_id).select(pl.col("timestamp").max())
    newest = value.collect().item()
    return newest if isinstance(newest, datetime) else None
