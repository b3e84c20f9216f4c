"""Crash-safe file replacement: readers see the old file or the new one, never half of one.

A temporary file or folder is named ``.tmp-<hex>-<final name>.tmp`` (:func:`temp_path_for`):
the leading ``.`` hides it from Spark and ``pyarrow.dataset``, and the ``.tmp`` ending keeps
it out of every ``*.parquet`` glob (DuckDB, ``polars.scan_parquet``), whatever it holds. It
is written on the filesystem of its target, so the final ``os.replace`` is a rename, which
POSIX makes atomic. Earlier versions named them ``.tmp-<hex>-<final name>`` (ending in
``.parquet`` for a table): :func:`is_temp_name` knows both, so their leftovers are still
recognised and removed.

>>> temp_path_for(Path("lake/part-0.parquet")).name.endswith("-part-0.parquet.tmp")
True
>>> is_temp_name(".tmp-0123456789ab-part-0.parquet"), is_temp_name("part-0.parquet")
(True, False)
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import overload

from postpress_frames._args import as_path
from postpress_frames.storage.store import (
    Location,
    ObjectPath,
    fsync_dir,
    fsync_file,
    relative_key,
    replace_file,
    write_via_local,
)

__all__ = [
    "BACKUP_SUFFIX",
    "TMP_PREFIX",
    "TMP_SUFFIX",
    "commit_file",
    "is_temp_name",
    "recover_dir",
    "replace_dir_atomically",
    "roll_forward",
    "temp_path_for",
    "write_atomic",
    "write_journal",
]

TMP_PREFIX = ".tmp-"
TMP_SUFFIX = ".tmp"
BACKUP_SUFFIX = ".previous"


@overload
def temp_path_for(target: Path) -> Path: ...
@overload
def temp_path_for(target: ObjectPath) -> ObjectPath: ...
@overload
def temp_path_for(target: Location) -> Location: ...
def temp_path_for(target: Location) -> Location:
    """A hidden, unique sibling of ``target`` for writing before the atomic rename.

    Its name never ends in ``.parquet``, so no reader's glob matches it.
    """
    return target.with_name(f"{TMP_PREFIX}{uuid.uuid4().hex[:12]}-{target.name}{TMP_SUFFIX}")


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is that of a temporary file of this package (of any version)."""
    return name.startswith(TMP_PREFIX)


def write_atomic(target: Location, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` then move ``tmp`` onto ``target`` atomically.

    On an object store ``tmp`` is a local file, uploaded to ``target`` in one PUT (which a
    store makes atomic).

    >>> write_atomic(Path("out.json"), lambda tmp: tmp.write_text("{}"))
    >>> Path("out.json").read_text()
    '{}'
    """
    if not isinstance(target, ObjectPath):
        target = as_path(target, "target")
    if isinstance(target, ObjectPath):
        write_via_local(target, write)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(target)
    try:
        write(tmp)
        commit_file(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_journal(
    root: Location, journal: Location, moves: list[tuple[Location, Location]]
) -> None:
    """Put the journal of ``moves`` (finished temporary file -> target, both under ``root``)
    at ``journal``, atomically: from then on the change is decided, and
    :func:`roll_forward` finishes it, whoever runs it."""
    listed = [[relative_key(tmp, root), relative_key(target, root)] for tmp, target in moves]

    def write(tmp: Path) -> None:
        tmp.write_text(json.dumps(listed), encoding="utf-8")

    write_atomic(journal, write)


def roll_forward(root: Location, journal: Location) -> None:
    """Do the moves ``journal`` lists whose temporary file is still there, then delete it.

    A reader and the writer may roll the same journal forward at once: a temporary file
    that vanishes under one of them was moved by the other, which is no error.
    """
    moves = json.loads(journal.read_text(encoding="utf-8"))
    for tmp, target in moves:
        if (root / tmp).is_file():
            folder = (root / target).parent
            if isinstance(folder, Path) and not folder.is_dir():
                folder.mkdir(parents=True, exist_ok=True)
                fsync_dir(folder.parent)
            try:
                commit_file(root / tmp, root / target)
            except FileNotFoundError:
                if (root / tmp).exists() or not (root / target).is_file():
                    raise
    journal.unlink(missing_ok=True)


def commit_file(tmp: Location, target: Location) -> None:
    """Put the finished ``tmp`` onto ``target``: a rename on disk, a copy on a store (see
    :func:`~postpress_frames.storage.store.replace_file`)."""
    replace_file(tmp, target)


@contextlib.contextmanager
def replace_dir_atomically(target: Path) -> Iterator[Path]:
    """Yield a hidden staging folder; on success it takes ``target``'s place.

    The old folder is renamed aside, the new one renamed in, and only then is the old one
    deleted. Between the two renames a crash leaves ``<target>.previous``, which
    :func:`recover_dir` puts back, so the previous copy is never lost.

    >>> with replace_dir_atomically(Path("folder")) as staging:
    ...     _ = (staging / "a.txt").write_text("new")
    >>> [p.name for p in Path("folder").iterdir()]
    ['a.txt']
    """
    target = as_path(target, "target")
    target.parent.mkdir(parents=True, exist_ok=True)
    recover_dir(target)
    staging = temp_path_for(target)
    staging.mkdir()
    try:
        yield staging
        for child in staging.iterdir():
            fsync_file(child)
        fsync_dir(staging)
        backup = target.with_name(target.name + BACKUP_SUFFIX)
        if target.exists():
            os.replace(target, backup)
        os.replace(staging, target)
        fsync_dir(target.parent)
        shutil.rmtree(backup, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def recover_dir(target: Path) -> None:
    """Undo a swap that a crash interrupted: put ``<target>.previous`` back if needed."""
    backup = target.with_name(target.name + BACKUP_SUFFIX)
    if backup.exists():
        if target.exists():
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(backup, target)
