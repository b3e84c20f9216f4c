"""Replace a chat's table files (the four tables and ``rejects``) as one unit, and finish a
replacement a crash cut short.

:func:`write_chat` is the only code that replaces a chat's files. It

1. calls :func:`recover_chat`: a journal a killed writer left is finished, the chat's folders
   of an earlier version are moved to their current names (below), and what a killed writer
   left in the commit folder is deleted;
2. writes each table to ``root/.commit/chat_id=<chat>/.tmp-<hex>-<table>.parquet.tmp``:
   outside the table folders and not ending in ``.parquet``, so no reader sees it;
3. puts the journal ``root/.commit/chat_id=<chat>/journal.json`` in place atomically: a JSON
   list of ``[temporary, target]`` paths relative to the root, in :data:`WRITE_ORDER`. From
   then on the change is decided;
4. renames each temporary file onto ``root/<table>/chat_id=<chat>/part-0.parquet`` (one
   atomic ``os.replace`` each, on the same filesystem), then deletes the journal.

A process that dies during step 4 has the renames finished by the next reader or writer of
that chat (:func:`recover_for_reading`, :func:`recover_chat`), so once any reader has looked,
no table of the chat is new while another one is old. A process that dies before step 3
leaves the previous files, and temporary files the next writer deletes.

Journals of earlier versions (``messages/chat_id=<chat>/.commit.json``, naming temporary
files beside their targets, ``.tmp-<hex>-part-0.parquet``) are read and rolled forward the
same way, wherever they are.

**Moving a chat of an earlier version to its current folder names.** For a chat whose folder
name changed with the escaping (see :mod:`postpress_frames.storage.layout`), :func:`recover_chat`
renames each table's folder ``root/<table>/<legacy name>`` to ``root/<table>/<current name>``,
one ``os.replace`` of the whole folder each, before anything new is written. Each table of the
chat is thus in exactly one folder at every instant, holding the same file: a reader sees the
chat once, never twice and never not at all (the package's readers look under both names; a
directory listing that races the rename itself may, as POSIX allows, list both names or
neither, and :func:`~postpress_frames.storage.dataset.scan_dataset` drops the duplicate). A
crash between the renames of two tables leaves some tables under each name, which readers
handle and the next writer finishes. If a table is stored under both names (two versions
wrote the chat), the writer refuses with a :class:`~postpress_frames.StorageError` instead of
choosing, and readers read the current name.

>>> from postpress_frames.tables.chat_frames import ChatFrames
>>> write_chat("lake", "chat_1", ChatFrames.empty())
>>> sorted(p.parent.name for p in Path("lake").glob("*/*/*.parquet"))
['chat_id=chat_1', 'chat_id=chat_1', 'chat_id=chat_1', 'chat_id=chat_1', 'chat_id=chat_1']
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from postpress_frames._exceptions import ConfigurationError, StorageError
from postpress_frames.storage.atomic import (
    is_temp_name,
    roll_forward,
    temp_path_for,
    write_journal,
)
from postpress_frames.storage.layout import (
    COMMITS,
    PART_FILE,
    commit_dir,
    journal_glob,
    journal_path,
    legacy_journal_glob,
    legacy_journal_paths,
    part_file,
    partition_dirs,
    staging_dirs,
)
from postpress_frames.storage.parquet import write_table
from postpress_frames.storage.store import (
    Location,
    as_location,
    entries,
    fsync_dir,
    is_local,
    remove_tree,
    write_via_local,
)
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import REJECTS, STORED_TABLES, without_chat_id

__all__ = [
    "WRITE_ORDER",
    "commit_chat",
    "make_dataset_folders",
    "move_legacy_folders",
    "recover_chat",
    "recover_for_reading",
    "remove_leftovers",
    "write_chat",
    "write_hidden",
]

logger = logging.getLogger("postpress_frames")

Table = pl.DataFrame | pl.LazyFrame

#: The order of a commit's renames: messages, which a sync reads its high-water mark from,
#: goes last; rejects just before it.
WRITE_ORDER = ("attachments", "reactions", "seen_by", "rejects", "messages")


def make_dataset_folders(root: Location) -> None:
    """Create ``root`` and its table folders, ``rejects`` included (a dataset of no chats),
    if they are not there: what write_dataset and sync_chat made reads back as a dataset even
    when it stored no chat."""
    if isinstance(root, Path):
        for table in STORED_TABLES:
            (root / table).mkdir(parents=True, exist_ok=True)
        return
    present = {entry.name for entry in entries(root)}  # one listing, no PUT when all are there
    for table in STORED_TABLES:
        if table not in present:
            (root / table).mkdir(parents=True, exist_ok=True)


def write_hidden(root: Location, chat_id: str, table: str, frame: Table) -> Location:
    """Write ``frame`` to a temporary file in the chat's commit folder; return that file.

    A LazyFrame is streamed to the file (see :func:`~postpress_frames.storage.parquet.write_table`);
    on an object store to a local file first, then uploaded whole.
    """
    folder = commit_dir(root, chat_id)
    if is_local(folder):
        folder.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(folder / f"{table}.parquet")
    try:
        write_via_local(tmp, lambda path: write_table(frame, path))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _drop_empty(folder: Location) -> None:
    """Remove ``folder`` if it is empty (a chat's commit folder once its work is done); an
    object store has no empty folders to remove."""
    if is_local(folder):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _roll_forward(root: Location, journal: Location) -> None:
    """Finish the commit ``journal`` decided (:func:`~.atomic.roll_forward`), then drop the
    chat's emptied commit folder."""
    roll_forward(root, journal)
    if journal.parent.parent.name == COMMITS:
        _drop_empty(journal.parent)


def commit_chat(root: Location, chat_id: str, written: Mapping[str, Location]) -> None:
    """Move a chat's fully written temporary table files into place, as one unit.

    ``written`` maps every table to its temporary file (from :func:`write_hidden`). The
    journal of the renames is committed first: from then on the change is decided, and a
    crash is finished by :func:`recover_chat`.
    """
    moves = [(written[table], part_file(root, table, chat_id)) for table in WRITE_ORDER]
    journal = journal_path(root, chat_id)
    write_journal(root, journal, moves)
    _roll_forward(root, journal)


def write_chat(root: str | Location, chat_id: str, tables: Mapping[str, Table]) -> None:
    """Replace ``chat_id``'s files of every table with ``tables``, as one unit.

    ``tables`` maps each table name (``rejects`` included) to its rows in the dataset's order
    (a LazyFrame is streamed); a :class:`ChatFrames` gives its ``rejects`` too. ``chat_id``
    lives in the folder name only, so a ``chat_id`` column is dropped. A crash at any moment
    leaves the previous files or the new ones (see the module docstring); an error leaves
    the previous ones and no temporary file.
    """
    root = as_location(root, "root")
    if isinstance(tables, ChatFrames):
        tables = {**tables, REJECTS: tables.rejects}
    missing = [table for table in STORED_TABLES if table not in tables]
    if missing:
        raise ConfigurationError(f"tables of {chat_id!r} lack {missing}")
    recover_chat(root, chat_id)
    written: dict[str, Location] = {}
    try:
        for table in WRITE_ORDER:
            written[table] = write_hidden(root, chat_id, table, without_chat_id(tables[table]))
        commit_chat(root, chat_id, written)
    finally:
        for tmp in written.values():
            tmp.unlink(missing_ok=True)
        _drop_empty(commit_dir(root, chat_id))


def _journals(root: Location, chat_id: str | None) -> list[Location]:
    """The journals of ``chat_id`` (of every chat for None) that exist, older versions' first."""
    if chat_id is None:
        return [*root.glob(legacy_journal_glob()), *root.glob(journal_glob())]
    candidates = [*legacy_journal_paths(root, chat_id), journal_path(root, chat_id)]
    return [journal for journal in candidates if journal.is_file()]


def _remove_temps_in(folder: Location) -> None:
    try:
        found = entries(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in found:
        if is_temp_name(entry.name) and not entry.is_dir:
            logger.debug("removing %s, left by a writer that was killed", folder / entry.name)
            (folder / entry.name).unlink(missing_ok=True)


def move_legacy_folders(root: Location, chat_id: str) -> None:
    """Rename the chat's folders named by an earlier version to their current names.

    One atomic rename of the whole folder per table (see the module docstring). Nothing but
    temporary files is deleted; a table stored under both names is refused. On an object
    store (which no earlier version wrote to, and which cannot rename a folder) nothing is
    moved.
    """
    if not isinstance(root, Path):
        return
    for table in STORED_TABLES:
        folders = [f for f in partition_dirs(root, table, chat_id) if isinstance(f, Path)]
        if len(folders) == 1 or not folders[1].is_dir():
            continue
        current, legacy = folders
        if not (legacy / PART_FILE).is_file():  # no table there: only what a killed run left
            _remove_temps_in(legacy)
            _drop_empty(legacy)
            continue
        if (current / PART_FILE).is_file():
            raise StorageError(
                f"chat {chat_id!r} is stored under two folder names, {current.name!r} and "
                f"{legacy.name!r} (written by two versions of postpress-frames?); refusing to "
                "choose: delete the folders of the out-of-date copy",
                path=current.parent,
            )
        if current.is_dir():  # holds no table: an empty folder, or what a killed run left
            _remove_temps_in(current)
            try:
                current.rmdir()
            except OSError:
                raise StorageError(
                    f"holds files postpress-frames did not write; refusing to move chat "
                    f"{chat_id!r} there from {legacy.name!r}",
                    path=current,
                ) from None
        os.replace(legacy, current)
        fsync_dir(current.parent)
        logger.debug("moved %s to %s (the folder name of this version)", legacy, current.name)


def _remove_temps(root: Location, chat_id: str) -> None:
    """Delete temporary files a killed writer of this chat left (after its journal is done).

    Earlier versions wrote them beside the part files too; none wrote to an object store,
    where only the commit folder is looked in (a listing per folder is a request there).
    """
    _remove_temps_in(commit_dir(root, chat_id))
    if isinstance(root, Path):
        for table in STORED_TABLES:
            for folder in partition_dirs(root, table, chat_id):
                _remove_temps_in(folder)
    _drop_empty(commit_dir(root, chat_id))


def recover_chat(root: str | Location, chat_id: str) -> None:
    """Before writing a chat: finish a commit of it that a crash interrupted, move its folders
    of an earlier version to their current names, and delete the temporary files a killed
    writer left (see the module docstring). Nothing to do otherwise.

    Only a writer of the chat calls it: the temporary files it deletes would be those of a
    writer running at the same time.
    """
    root = as_location(root, "root")
    for journal in _journals(root, chat_id):
        _roll_forward(root, journal)
    move_legacy_folders(root, chat_id)
    _remove_temps(root, chat_id)


def recover_for_reading(root: Location, chat_id: str | None) -> None:
    """Readers finish interrupted commits too; on a read-only copy they read what is there.

    ``chat_id=None`` finishes those of every chat.
    """
    for journal in _journals(root, chat_id):
        with contextlib.suppress(OSError):
            _roll_forward(root, journal)


def remove_leftovers(root: Location, chat_id: str) -> None:
    """Delete what a writer of this chat that died left behind: staging and temporary files.

    Call it after :func:`recover_chat`, which still needs the journal's temporary files.
    """
    for staging in staging_dirs(root, chat_id):
        remove_tree(staging)
    _remove_temps(root, chat_id)
