"""The on-disk names of a dataset: the one place a chat id becomes a folder name.

A dataset at ``root`` holds, per table and chat, one Hive partition with one file::

    root/<table>/chat_id=<percent-encoded chat id>/part-0.parquet

plus, beside a chat's messages file, the journal of a commit in progress
(``.commit.json``), and, while a sync of the chat runs, its staging folder
``root/.staging/chat_id=<percent-encoded chat id>/``. Hidden temporary files start with
:data:`~postpress_frames.storage.atomic.TMP_PREFIX`.

Percent-encoding every reserved character (``/`` becomes ``%2F``) keeps ``.`` and ``..``
plain names: a chat's folders never resolve outside ``root``. DuckDB, Spark,
``pyarrow.dataset`` and polars decode the value back into the ``chat_id`` column.

>>> partition_dir("lake", "messages", "a/../b").as_posix()
'lake/messages/chat_id=a%2F..%2Fb'
>>> staging_dir("lake", "..").as_posix()
'lake/.staging/chat_id=..'
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from postpress_frames._args import as_path
from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError
from postpress_frames.tables.schemas import TABLE_MODELS

__all__ = [
    "COMMIT_JOURNAL",
    "PARTITION_KEY",
    "PART_FILE",
    "STAGING",
    "chat_folder",
    "check_table",
    "journal_glob",
    "journal_path",
    "part_file",
    "partition_dir",
    "partition_glob",
    "staging_dir",
    "table_glob",
]

PARTITION_KEY = "chat_id"
PART_FILE = "part-0.parquet"
STAGING = ".staging"
COMMIT_JOURNAL = ".commit.json"


def chat_folder(chat_id: object) -> str:
    """The folder name of ``chat_id``'s partition (and staging folder): never a path.

    >>> chat_folder("chat/1"), chat_folder(".")
    ('chat_id=chat%2F1', 'chat_id=.')
    """
    if not isinstance(chat_id, str):
        raise ArgumentTypeError("chat_id", "a string", chat_id)
    if not chat_id:
        raise ConfigurationError("chat_id must be a non-empty string")
    try:
        return f"{PARTITION_KEY}={quote(chat_id, safe='')}"
    except UnicodeEncodeError:
        raise ConfigurationError(f"chat_id={chat_id!r} is not valid unicode text") from None


def check_table(table: object) -> str:
    """``table`` when it names a table of the dataset; a ConfigurationError otherwise."""
    if not isinstance(table, str):
        raise ArgumentTypeError("table", "a table name", table)
    if table not in TABLE_MODELS:
        raise ConfigurationError(f"unknown table {table!r}; expected one of {list(TABLE_MODELS)}")
    return table


def partition_dir(root: str | Path, table: str, chat_id: str) -> Path:
    """The folder of one chat's rows of ``table``; it always stays inside ``root``."""
    return as_path(root, "root") / check_table(table) / chat_folder(chat_id)


def part_file(root: str | Path, table: str, chat_id: str) -> Path:
    """The one file of ``chat_id``'s rows of ``table``.

    >>> part_file("lake", "reactions", "chat_1").as_posix()
    'lake/reactions/chat_id=chat_1/part-0.parquet'
    """
    return partition_dir(root, table, chat_id) / PART_FILE


def journal_path(root: str | Path, chat_id: str) -> Path:
    """Where the journal of a commit of ``chat_id`` in progress lives (beside its messages)."""
    return partition_dir(root, "messages", chat_id) / COMMIT_JOURNAL


def staging_dir(root: str | Path, chat_id: str) -> Path:
    """The hidden folder a sync of ``chat_id`` stages its batches in; always one of its own.

    Named like a partition, so ``.`` and ``..`` stay names and never resolve to the staging
    root or the dataset root, which a sync deletes from.
    """
    return as_path(root, "root") / STAGING / chat_folder(chat_id)


def partition_glob() -> str:
    """The glob, under a table's folder, of every chat's part files."""
    return f"{PARTITION_KEY}=*/*.parquet"


def journal_glob() -> str:
    """The glob, under the messages folder, of every chat's commit journal."""
    return f"{PARTITION_KEY}=*/{COMMIT_JOURNAL}"


def table_glob(root: str | Path, table: str) -> str:
    """The glob DuckDB, polars and others use to read ``table`` of every chat.

    >>> table_glob("lake", "messages")
    'lake/messages/chat_id=*/*.parquet'
    """
    return str(as_path(root, "root") / check_table(table) / partition_glob())
