"""The input of ``validate``, ``stats`` and ``report``: a fetch folder or a dataset root.

A file that cannot be read never surfaces as a polars traceback. The storage readers check
what they open (a truncated or foreign Parquet file, a foreign manifest or dataset is a
``StorageError`` naming it); a polars error raised later, while lazy tables are read and
computed (a damaged page behind a sound footer), is turned into one by :func:`reading`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from postpress_frames._exceptions import ConfigurationError, StorageError

__all__ = ["is_fetch_folder_input", "load", "load_names", "reading"]


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@contextlib.contextmanager
def reading(path: Path | str) -> Iterator[None]:
    """Turn a polars error raised inside the block into a ``StorageError`` naming ``path``."""
    import polars as pl

    try:
        yield
    except pl.exceptions.PolarsError as exc:
        raise StorageError(f"cannot read the tables ({_first_line(exc)})", path=path) from exc


def is_fetch_folder_input(path: Path | str, storage_options: dict[str, str] | None) -> bool:
    """Whether ``path`` is a fetch folder (it has a manifest); otherwise a dataset root."""
    from postpress_frames.storage.parquet import MANIFEST
    from postpress_frames.storage.store import as_location

    return (as_location(path, "PATH", storage_options) / MANIFEST).is_file()


def load(path: Path | str, storage_options: dict[str, str] | None = None) -> Any:
    """A fetch folder as ChatFrames, or a dataset root as lazy tables of all its chats
    (``path`` may be an ``s3://`` URL, reached with ``storage_options``)."""
    from postpress_frames.storage.dataset import chat_ids, scan_dataset
    from postpress_frames.storage.parquet import read_parquet

    options = {"storage_options": storage_options}
    with reading(path):
        if is_fetch_folder_input(path, storage_options):
            return read_parquet(path, **options)
        if not chat_ids(path, **options):
            raise click.UsageError(f"{path}: neither a fetch folder nor a dataset with chats")
        return scan_dataset(path, **options)


def load_names(path: Path | None) -> Any:
    """``--names FILE.csv`` (columns ``sender_id,name``; other columns ignored) as the
    checked names frame; None without the option."""
    if path is None:
        return None
    import polars as pl

    from postpress_frames.analysis.names import names_frame

    try:
        table = pl.read_csv(path, infer_schema=False, encoding="utf8")
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise StorageError(f"cannot read the names CSV ({_first_line(exc)})", path=path) from exc
    try:
        return names_frame(table)
    except ConfigurationError as exc:
        raise StorageError(f"not a names CSV: {exc}", path=path) from exc
