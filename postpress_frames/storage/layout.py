"""The on-disk names of a dataset: the one place a chat id becomes a folder name.

A dataset at ``root`` holds, per table and chat, one Hive partition with one file, and the
table folders hold nothing else::

    root/<table>/chat_id=<escaped chat id>/part-0.parquet

Work in progress lives in two hidden folders of the root, under names that end in ``.tmp``
(:func:`~postpress_frames.storage.atomic.temp_path_for`), on the same filesystem as the part
files so that putting a file in place is one atomic rename::

    root/.commit/chat_id=<escaped>/       a commit of the chat in progress: its new tables
                                          (.tmp-<hex>-<table>.parquet.tmp) and journal.json
    root/.staging/chat_id=<escaped>/      a sync's staged batches and merge groups
                                          (<hex>/<table>/batch-000000.parquet.tmp)

So until it is committed under its final name no file is matched by
``root/<table>/*/*.parquet``, ``root/<table>/**/*.parquet``, ``root/*/*/*.parquet``, a Hive
read of ``root/<table>`` (pyarrow, Spark, DuckDB) or a polars scan of that folder.

**Escaping.** A chat id is escaped as Hive and Spark escape partition values: each character
of :data:`HIVE_ESCAPED` (the controls U+0000-U+001F and U+007F, and ``"#%'*/:=?\\{[]^``)
becomes ``%XX`` (uppercase hex); every other character, spaces and non-ASCII ones included,
is kept as it is. DuckDB, Spark, ``pyarrow.dataset`` and polars all decode such a name back
to the id. ``/`` is escaped, and ``.`` and ``..`` become ``chat_id=.`` and ``chat_id=..``:
a chat's folders never resolve outside ``root``.

**Folders of earlier versions.** Earlier versions percent-encoded the UTF-8 bytes of every
character but ASCII letters, digits and ``_.-~`` (``urllib.parse.quote(chat_id, safe="")``),
which Spark decodes wrongly for non-ASCII ids. :func:`legacy_chat_folder` gives that name; it
differs from :func:`chat_folder` only for ids holding a character outside those and outside
:data:`HIVE_ESCAPED` (a space, ``!``, ``é``, ...). Readers look for both names, and the next
write of such a chat renames its folders (see :mod:`postpress_frames.storage.commit`).
:func:`decode_chat_folder` decodes both: the new scheme escapes ASCII characters only, so
percent-decoding UTF-8 reads either.

>>> chat_folder("chat_é ü=x"), legacy_chat_folder("chat_é ü=x")
('chat_id=chat_é ü%3Dx', 'chat_id=chat_%C3%A9%20%C3%BC%3Dx')
>>> [decode_chat_folder(name) for name in chat_folders("chat_é ü=x")]
['chat_é ü=x', 'chat_é ü=x']
>>> partition_dir("lake", "messages", "a/../b").as_posix()
'lake/messages/chat_id=a%2F..%2Fb'
>>> staging_dir("lake", "..").as_posix()
'lake/.staging/chat_id=..'
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from postpress_frames._args import is_text
from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError
from postpress_frames.storage.store import Location, as_location, entries
from postpress_frames.tables.schemas import STORED_TABLES

__all__ = [
    "COMMITS",
    "DATASET_FOLDERS",
    "HIVE_ESCAPED",
    "JOURNAL",
    "LEGACY_JOURNAL",
    "PARTITION_KEY",
    "PART_FILE",
    "STAGED_SUFFIX",
    "STAGING",
    "chat_folder",
    "chat_folders",
    "check_table",
    "commit_dir",
    "decode_chat_folder",
    "escape_partition_value",
    "foreign_entries",
    "is_dataset",
    "journal_glob",
    "journal_path",
    "legacy_chat_folder",
    "legacy_journal_glob",
    "legacy_journal_paths",
    "part_file",
    "partition_dir",
    "partition_dirs",
    "partition_glob",
    "staging_dir",
    "staging_dirs",
    "table_glob",
]

PARTITION_KEY = "chat_id"
PART_FILE = "part-0.parquet"
STAGING = ".staging"
COMMITS = ".commit"
JOURNAL = "journal.json"
#: The journal's name and place in earlier versions: ``messages/chat_id=<id>/.commit.json``.
#: Still read, so a commit such a version left half done is finished.
LEGACY_JOURNAL = ".commit.json"
#: The ending of a staged batch file: never ``.parquet``, so no glob of a reader matches it.
STAGED_SUFFIX = ".parquet.tmp"
#: Every name a dataset root may hold (a dataset of an earlier version has no ``rejects``).
DATASET_FOLDERS = (*STORED_TABLES, STAGING, COMMITS)

#: The characters Hive and Spark escape in a partition value (``FileUtils.escapePathName``).
HIVE_ESCAPED = frozenset([chr(code) for code in range(0x20)] + list("\"#%'*/:=?\\{[]^") + ["\x7f"])


def escape_partition_value(value: str) -> str:
    """``value`` escaped as Hive and Spark escape a partition value.

    >>> escape_partition_value("k:v#? 50% 日本"), escape_partition_value("x{[]}^*\\\\")
    ('k%3Av%23%3F 50%25 日本', 'x%7B%5B%5D}%5E%2A%5C')
    """
    return "".join(f"%{ord(char):02X}" if char in HIVE_ESCAPED else char for char in value)


def _checked_id(chat_id: object) -> str:
    if not isinstance(chat_id, str):
        raise ArgumentTypeError("chat_id", "a string", chat_id)
    if not chat_id:
        raise ConfigurationError("chat_id must be a non-empty string")
    if not is_text(chat_id):
        raise ConfigurationError(f"chat_id={chat_id!r} is not valid unicode text")
    return chat_id


def chat_folder(chat_id: object) -> str:
    """The folder name of ``chat_id``'s partition (and staging folder): never a path.

    >>> chat_folder("chat/1"), chat_folder("."), chat_folder("00123")
    ('chat_id=chat%2F1', 'chat_id=.', 'chat_id=00123')
    """
    return f"{PARTITION_KEY}={escape_partition_value(_checked_id(chat_id))}"


def legacy_chat_folder(chat_id: object) -> str:
    """The folder name earlier versions gave ``chat_id`` (percent-encoded UTF-8 bytes).

    >>> legacy_chat_folder("chat 1"), legacy_chat_folder("chat_1")
    ('chat_id=chat%201', 'chat_id=chat_1')
    """
    return f"{PARTITION_KEY}={quote(_checked_id(chat_id), safe='')}"


def chat_folders(chat_id: object) -> list[str]:
    """The names ``chat_id``'s folders may have: the current one first, then the legacy one
    when it differs."""
    names = [chat_folder(chat_id), legacy_chat_folder(chat_id)]
    return names[:1] if names[0] == names[1] else names


def decode_chat_folder(name: str) -> str | None:
    """The chat id of a partition folder name written by this package (either scheme), or
    None for any other name.

    >>> [decode_chat_folder(name) for name in ("chat_id=a%2Fb", "chat_id=%61", "notes")]
    ['a/b', None, None]
    """
    prefix = f"{PARTITION_KEY}="
    if not name.startswith(prefix) or len(name) == len(prefix):
        return None
    try:
        chat_id = unquote(name[len(prefix) :], errors="strict")
        return chat_id if name in chat_folders(chat_id) else None
    except (UnicodeDecodeError, ConfigurationError):
        return None


def check_table(table: object) -> str:
    """``table`` when it names a table of the dataset; a ConfigurationError otherwise."""
    if not isinstance(table, str):
        raise ArgumentTypeError("table", "a table name", table)
    if table not in STORED_TABLES:
        raise ConfigurationError(f"unknown table {table!r}; expected one of {list(STORED_TABLES)}")
    return table


def partition_dir(root: str | Location, table: str, chat_id: str) -> Location:
    """The folder of one chat's rows of ``table``; it always stays inside ``root``."""
    return as_location(root, "root") / check_table(table) / chat_folder(chat_id)


def partition_dirs(root: str | Location, table: str, chat_id: str) -> list[Location]:
    """The folders that may hold ``chat_id``'s rows of ``table``: the current name first,
    then the name of earlier versions when it differs."""
    base = as_location(root, "root") / check_table(table)
    return [base / name for name in chat_folders(chat_id)]


def part_file(root: str | Location, table: str, chat_id: str) -> Location:
    """The one file of ``chat_id``'s rows of ``table`` (under the current folder name).

    >>> part_file("lake", "reactions", "chat_1").as_posix()
    'lake/reactions/chat_id=chat_1/part-0.parquet'
    """
    return partition_dir(root, table, chat_id) / PART_FILE


def commit_dir(root: str | Location, chat_id: str) -> Location:
    """The hidden folder a commit of ``chat_id`` writes its new tables and journal in."""
    return as_location(root, "root") / COMMITS / chat_folder(chat_id)


def journal_path(root: str | Location, chat_id: str) -> Location:
    """Where the journal of a commit of ``chat_id`` in progress lives.

    >>> journal_path("lake", "chat_1").as_posix()
    'lake/.commit/chat_id=chat_1/journal.json'
    """
    return commit_dir(root, chat_id) / JOURNAL


def legacy_journal_paths(root: str | Location, chat_id: str) -> list[Location]:
    """Where earlier versions put the journal of a commit of ``chat_id`` (beside its messages,
    under either folder name)."""
    return [folder / LEGACY_JOURNAL for folder in partition_dirs(root, "messages", chat_id)]


def staging_dir(root: str | Location, chat_id: str) -> Location:
    """The hidden folder a sync of ``chat_id`` stages its batches in; always one of its own.

    Named like a partition, so ``.`` and ``..`` stay names and never resolve to the staging
    root or the dataset root, which a sync deletes from.
    """
    return as_location(root, "root") / STAGING / chat_folder(chat_id)


def staging_dirs(root: str | Location, chat_id: str) -> list[Location]:
    """The staging folders of ``chat_id`` of this version and of earlier ones."""
    return [as_location(root, "root") / STAGING / name for name in chat_folders(chat_id)]


def partition_glob() -> str:
    """The glob, under a table's folder, of every chat's part files."""
    return f"{PARTITION_KEY}=*/*.parquet"


def journal_glob() -> str:
    """The glob, under the root, of every chat's commit journal."""
    return f"{COMMITS}/{PARTITION_KEY}=*/{JOURNAL}"


def legacy_journal_glob() -> str:
    """The glob, under the root, of the journals earlier versions left."""
    return f"messages/{PARTITION_KEY}=*/{LEGACY_JOURNAL}"


def table_glob(root: str | Location, table: str) -> str:
    """The glob DuckDB, polars and others use to read ``table`` of every chat.

    Only committed part files match it. A URL stays a URL (give the engine the dataset's
    storage options).

    >>> table_glob("lake", "messages"), table_glob("s3://bucket/lake", "seen_by")
    ('lake/messages/chat_id=*/*.parquet', 's3://bucket/lake/seen_by/chat_id=*/*.parquet')
    """
    folder = as_location(root, "root") / check_table(table)
    return f"{folder}/{partition_glob()}"


def foreign_entries(root: Location) -> list[str]:
    """The entries of the folder ``root`` that a dataset does not hold, as sorted relative
    paths.

    A dataset root holds only the table folders, ``.staging`` and ``.commit``, and a table
    folder only ``chat_id=`` folders. One directory listing per table folder (no ``stat``).
    """
    prefix = f"{PARTITION_KEY}="
    foreign: list[str] = []
    for entry in entries(root):
        if entry.name not in DATASET_FOLDERS or not entry.is_dir:
            foreign.append(entry.name)
        elif entry.name in STORED_TABLES:
            foreign += [
                f"{entry.name}/{p.name}"
                for p in entries(root / entry.name)
                if not (p.name.startswith(prefix) and p.is_dir)
            ]
    return sorted(foreign)


def is_dataset(root: Location) -> bool:
    """Whether ``root`` is a folder laid out as a dataset: at least one of
    :data:`DATASET_FOLDERS` and nothing foreign (see :func:`foreign_entries`)."""
    if not root.is_dir():
        return False
    try:
        return bool(entries(root)) and not foreign_entries(root)
    except OSError:
        return False
