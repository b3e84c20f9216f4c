"""Replace a chat's four table files as one unit, and finish a replacement a crash cut short.

:func:`write_chat` writes each table beside its target under a hidden temporary name, then
puts a small journal (``messages/chat_id=<chat>/.commit.json``, a JSON list of
``[temporary, target]`` paths relative to the root, in :data:`WRITE_ORDER`) in place, and
only then renames the files. Once the journal exists the change is decided: a process that
dies during the renames has them finished by the next reader or writer of that chat
(:func:`recover_chat`), so no reader ever sees one table new and another one old.

>>> from postpress_frames.tables.chat_frames import ChatFrames
>>> write_chat("lake", "chat_1", ChatFrames.empty())
>>> sorted(p.parent.name for p in Path("lake").glob("*/*/part-0.parquet"))
['chat_id=chat_1', 'chat_id=chat_1', 'chat_id=chat_1', 'chat_id=chat_1']
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from postpress_frames._args import as_path
from postpress_frames._exceptions import ConfigurationError
from postpress_frames.storage.atomic import TMP_PREFIX, commit_file, temp_path_for, write_atomic
from postpress_frames.storage.layout import (
    journal_glob,
    journal_path,
    part_file,
    partition_dir,
    staging_dir,
)
from postpress_frames.storage.parquet import write_table
from postpress_frames.tables.schemas import TABLE_MODELS, without_chat_id

__all__ = [
    "WRITE_ORDER",
    "commit_chat",
    "recover_chat",
    "recover_for_reading",
    "remove_leftovers",
    "write_chat",
    "write_hidden",
]

Table = pl.DataFrame | pl.LazyFrame

#: The order of a commit's renames: messages, which a sync reads its high-water mark from,
#: goes last.
WRITE_ORDER = ("attachments", "reactions", "seen_by", "messages")


def write_hidden(root: Path, chat_id: str, table: str, frame: Table) -> Path:
    """Write ``frame`` beside its target under a hidden name; return that temporary file.

    A LazyFrame is streamed to the file (see :func:`~postpress_frames.storage.parquet.write_table`).
    """
    target = part_file(root, table, chat_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(target)
    try:
        write_table(frame, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _roll_forward(root: Path, journal: Path) -> None:
    """Do the renames ``journal`` lists whose temporary file is still there, then drop it."""
    moves = json.loads(journal.read_text(encoding="utf-8"))
    for tmp, target in moves:
        if (root / tmp).is_file():
            commit_file(root / tmp, root / target)
    journal.unlink()


def commit_chat(root: Path, chat_id: str, written: Mapping[str, Path]) -> None:
    """Move a chat's hidden, fully written table files into place, as one unit.

    ``written`` maps every table to its temporary file (from :func:`write_hidden`). The
    journal of the renames is committed first: from then on the change is decided, and a
    crash is finished by :func:`recover_chat`.
    """
    moves = [
        [
            written[table].relative_to(root).as_posix(),
            part_file(root, table, chat_id).relative_to(root).as_posix(),
        ]
        for table in WRITE_ORDER
    ]
    journal = journal_path(root, chat_id)

    def write_journal(tmp: Path) -> None:
        tmp.write_text(json.dumps(moves), encoding="utf-8")

    write_atomic(journal, write_journal)
    _roll_forward(root, journal)


def write_chat(root: str | Path, chat_id: str, tables: Mapping[str, Table]) -> None:
    """Replace ``chat_id``'s files of every table with ``tables``, as one unit.

    ``tables`` maps each table name to its rows in the dataset's order (a LazyFrame is
    streamed). ``chat_id`` lives in the folder name only, so a ``chat_id`` column is dropped.
    A crash at any moment leaves the previous files or the new ones (see the module
    docstring); an error leaves the previous ones and no temporary file.
    """
    root = as_path(root, "root")
    missing = [table for table in TABLE_MODELS if table not in tables]
    if missing:
        raise ConfigurationError(f"tables of {chat_id!r} lack {missing}")
    recover_chat(root, chat_id)
    written: dict[str, Path] = {}
    try:
        for table in WRITE_ORDER:
            written[table] = write_hidden(root, chat_id, table, without_chat_id(tables[table]))
        commit_chat(root, chat_id, written)
    finally:
        for tmp in written.values():
            tmp.unlink(missing_ok=True)


def recover_chat(root: str | Path, chat_id: str) -> None:
    """Finish a commit of ``chat_id`` that a crash interrupted (nothing to do otherwise)."""
    root = as_path(root, "root")
    journal = journal_path(root, chat_id)
    if journal.is_file():
        _roll_forward(root, journal)


def recover_for_reading(root: Path, chat_id: str | None) -> None:
    """Readers finish interrupted commits too; on a read-only copy they read what is there.

    ``chat_id=None`` finishes those of every chat.
    """
    journals = (
        [journal_path(root, chat_id)]
        if chat_id is not None
        else list((root / "messages").glob(journal_glob()))
    )
    for journal in journals:
        if journal.is_file():
            with contextlib.suppress(OSError):
                _roll_forward(root, journal)


def remove_leftovers(root: Path, chat_id: str) -> None:
    """Delete what a writer of this chat that died left behind: staging and hidden files.

    Call it after :func:`recover_chat`, which still needs the journal's temporary files.
    """
    shutil.rmtree(staging_dir(root, chat_id), ignore_errors=True)
    for table in TABLE_MODELS:
        for tmp in partition_dir(root, table, chat_id).glob(f"{TMP_PREFIX}*"):
            tmp.unlink(missing_ok=True)
