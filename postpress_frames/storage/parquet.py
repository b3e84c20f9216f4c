"""One chat's tables as a folder of Parquet files that BI tools read as they are.

``write_parquet(frames, path)`` writes ``messages.parquet``, ``attachments.parquet``,
``reactions.parquet``, ``seen_by.parquet``, ``rejects.parquet`` (the messages set aside by
``on_invalid="quarantine"``, possibly empty) and ``manifest.json`` into ``path``, atomically:
the folder is built aside and swapped in, so a crash leaves the previous copy readable.
It never replaces what it did not write: ``path`` must be absent, an empty folder, or a
fetch folder of the package (a valid ``manifest.json`` and nothing but those files);
anything else is refused with a :class:`~postpress_frames.StorageError` naming the path and
what is there, before anything is written.

Reading checks what it reads: a missing folder or ``manifest.json`` is a
:class:`~postpress_frames.MissingInputError`; a foreign or unreadable manifest, a truncated
or corrupt Parquet file, a table whose columns or dtypes are not the schema's, or row counts
that differ from the manifest's are a :class:`~postpress_frames.StorageError` naming the file.
A folder written before ``rejects.parquet`` existed reads with empty ``rejects``, one written
before ``extra`` existed with a null ``extra``.

Files are zstd-compressed; timestamps are UTC-adjusted Parquet timestamps in milliseconds;
booleans are BOOLEAN; enum-like strings are dictionary-encoded; no column is of Null type.

>>> from postpress_frames.tables.build import frames_from_pages
>>> from postpress_frames.testing import demo_chat
>>> frames = frames_from_pages([{"items": demo_chat(50), "cursor": None}])
>>> write_parquet(frames, "out/chat").as_posix()
'out/chat'
>>> read_parquet("out/chat") == frames
True
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from postpress_frames._exceptions import ArgumentTypeError, MissingInputError, StorageError
from postpress_frames._outputs import check_folder_target
from postpress_frames._version import __version__
from postpress_frames.storage.atomic import (
    is_temp_name,
    recover_dir,
    replace_dir_atomically,
    roll_forward,
    temp_path_for,
    write_journal,
)
from postpress_frames.storage.layout import is_dataset
from postpress_frames.storage.store import (
    Location,
    ObjectPath,
    StorageOptions,
    as_location,
    entries,
    exists,
    scan_source,
    storage_options_of,
    write_via_local,
)
from postpress_frames.tables.chat_frames import ChatFrames, empty_rejects
from postpress_frames.tables.schemas import (
    REJECTS,
    SCHEMA_VERSION,
    TABLE_MODELS,
    table_schema,
)

__all__ = [
    "FORMAT",
    "MANIFEST",
    "Manifest",
    "check_fetch_folder_target",
    "check_schema",
    "fetch_folder_files",
    "file_hint",
    "is_fetch_folder",
    "parquet_schema",
    "read_manifest",
    "read_parquet",
    "read_table",
    "rows_per_group",
    "schema_difference",
    "write_parquet",
    "write_table",
]

MANIFEST = "manifest.json"
#: The journal of a fetch folder's replacement on an object store (hidden from every reader).
FOLDER_JOURNAL = ".commit.json"
FORMAT = "postpress-frames"  # the manifest's "format"
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "statistics": True}


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` records beside the tables."""

    chat_ids: list[str]
    row_counts: dict[str, int]
    filters: dict[str, str | None] = field(default_factory=dict)
    fetched_at: str | None = None
    package_version: str = __version__
    schema_version: str = str(SCHEMA_VERSION)

    @property
    def chat_id(self) -> str | None:
        """The chat id when the folder holds exactly one chat."""
        return self.chat_ids[0] if len(self.chat_ids) == 1 else None

    def to_json(self) -> str:
        body = {
            "format": FORMAT,
            "package_version": self.package_version,
            "schema_version": self.schema_version,
            "chat_id": self.chat_id,
            "chat_ids": self.chat_ids,
            "filters": self.filters,
            "fetched_at": self.fetched_at,
            "row_counts": self.row_counts,
            "tables": {name: f"{name}.parquet" for name in (*TABLE_MODELS, REJECTS)},
        }
        return json.dumps(body, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, *, where: Location) -> Manifest:
        """The manifest in ``text``; a StorageError naming ``where`` when it is not one."""
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise StorageError(
                f"is not a postpress-frames manifest (not JSON: {exc})", path=where
            ) from None
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            found = body.get("format") if isinstance(body, dict) else None
            shown = f"format {found!r}" if found is not None else "no format field"
            raise StorageError(
                f"is not a postpress-frames manifest ({shown}; expected format {FORMAT!r})",
                path=where,
            )
        try:
            return cls(
                chat_ids=[str(chat_id) for chat_id in body["chat_ids"]],
                row_counts={str(k): int(v) for k, v in body["row_counts"].items()},
                filters=dict(body.get("filters") or {}),
                fetched_at=body.get("fetched_at"),
                package_version=str(body["package_version"]),
                schema_version=str(body["schema_version"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            problem = f"lacks {exc}" if isinstance(exc, KeyError) else str(exc)
            raise StorageError(
                f"is not a readable postpress-frames manifest ({problem})", path=where
            ) from None


#: A table written from a LazyFrame is streamed in row groups of about this many bytes (in
#: memory): polars' streaming sink holds a few row groups at once, so this bounds its memory.
ROW_GROUP_BYTES = 8 * 2**20
ROW_GROUP_ROWS = (1024, 512**2)  # the fewest and most rows of such a row group
_SAMPLE_ROWS = 1000


def rows_per_group(sample: pl.DataFrame) -> int:
    """Rows of a row group of about :data:`ROW_GROUP_BYTES` for rows like ``sample``'s.

    >>> rows_per_group(pl.DataFrame({"x": range(1000)}, schema={"x": pl.Int64}))
    262144
    """
    per_row = sample.estimated_size() / max(sample.height, 1)
    low, high = ROW_GROUP_ROWS
    return int(min(max(ROW_GROUP_BYTES // max(per_row, 1), low), high))


def write_table(frame: pl.DataFrame | pl.LazyFrame, target: Path) -> None:
    """Write one table with the BI-friendly options (zstd, statistics, dictionary strings).

    A LazyFrame is streamed to the file (polars' streaming engine), never collected whole;
    its row groups are sized from its first rows (see :data:`ROW_GROUP_BYTES`).
    """
    if isinstance(frame, pl.LazyFrame):
        sample = frame.head(_SAMPLE_ROWS).collect()
        frame.sink_parquet(target, row_group_size=rows_per_group(sample), **PARQUET_OPTIONS)
    else:
        frame.write_parquet(target, row_group_size=rows_per_group(frame), **PARQUET_OPTIONS)


def write_parquet(
    frames: ChatFrames,
    path: str | Path,
    *,
    filters: Mapping[str, object] | None = None,
    fetched_at: datetime | None = None,
    storage_options: StorageOptions | None = None,
) -> Location:
    """Validate ``frames`` and write them to the folder ``path`` atomically; return the path
    (``.`` and ``..`` resolved: ``out/chat/..`` is ``out``).

    ``filters`` (e.g. ``{"after": "2026-01-01T00:00:00.000Z"}``) and ``fetched_at`` are
    recorded in ``manifest.json``. ``path`` must be absent, an empty folder or an earlier
    fetch folder (see the module docstring); the current folder and the folders holding it
    are refused, since the swap would move them away. A URL (``s3://bucket/out/chat``) is a
    folder on an object store, reached with ``storage_options`` as polars takes them; there
    the files are replaced as one unit through a journal (see :func:`_write_to_store`).

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> write_parquet(ChatFrames.empty(), "out/empty").as_posix()
    'out/empty'
    >>> _ = Path("notes.txt").write_text("mine")
    >>> write_parquet(ChatFrames.empty(), "notes.txt")
    Traceback (most recent call last):
    ...
    postpress_frames._exceptions.StorageError: notes.txt: is a file, not a folder; refusing ...
    """
    if not isinstance(frames, ChatFrames):
        raise ArgumentTypeError("frames", "ChatFrames", frames)
    target = as_location(path, "path", storage_options)
    if filters is not None and not isinstance(filters, Mapping):
        raise ArgumentTypeError("filters", "a mapping of filter names to values (or None)", filters)
    if fetched_at is not None and not isinstance(fetched_at, datetime):
        raise ArgumentTypeError("fetched_at", "a datetime (or None)", fetched_at)
    folder = check_fetch_folder_target(target)
    frames.validate()
    manifest = Manifest(
        chat_ids=sorted(frames.messages.get_column("chat_id").unique().to_list()),
        row_counts={
            **{name: frame.height for name, frame in frames.items()},
            REJECTS: frames.rejects.height,
        },
        filters={k: None if v is None else str(v) for k, v in (filters or {}).items()},
        fetched_at=(fetched_at or datetime.now(UTC)).isoformat(timespec="milliseconds"),
    )
    if isinstance(folder, ObjectPath):
        _write_to_store(frames, folder, manifest)
        return folder
    with replace_dir_atomically(folder) as staging:
        for name, frame in frames.items():
            write_table(frame, staging / f"{name}.parquet")
        write_table(frames.rejects, staging / f"{REJECTS}.parquet")
        (staging / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return folder


def _write_to_store(frames: ChatFrames, folder: ObjectPath, manifest: Manifest) -> None:
    """Replace the fetch folder ``folder`` on an object store as one unit.

    A store cannot rename a folder, so each file is uploaded to a hidden temporary object,
    then the journal :data:`FOLDER_JOURNAL` (which decides the change) is put, then each
    file is copied onto its name, ``manifest.json`` last (see
    :func:`~postpress_frames.storage.atomic.roll_forward`). A reader that finds a journal
    finishes it first, so it reads the previous files or the new ones, never a mix.
    """
    tables = {**dict(frames.items()), REJECTS: frames.rejects}
    written: list[tuple[Location, Location]] = []
    try:
        for name, frame in tables.items():
            tmp = temp_path_for(folder / f"{name}.parquet")
            written.append((tmp, folder / f"{name}.parquet"))
            write_via_local(tmp, functools.partial(write_table, frame))
        manifest_tmp = temp_path_for(folder / MANIFEST)
        written.append((manifest_tmp, folder / MANIFEST))
        manifest_tmp.write_text(manifest.to_json())
        journal = folder / FOLDER_JOURNAL
        write_journal(folder, journal, written)
        roll_forward(folder, journal)
    finally:
        for leftover, _ in written:
            leftover.unlink(missing_ok=True)


def _recover_store_folder(folder: ObjectPath, *, writer: bool) -> None:
    """Finish a replacement of a fetch folder on a store that a crash cut short; a writer
    also deletes the temporary objects a killed writer left (readers leave them)."""
    journal = folder / FOLDER_JOURNAL
    if journal.is_file():
        roll_forward(folder, journal)
    if writer:
        for entry in entries(folder):
            if is_temp_name(entry.name):
                (folder / entry.name).unlink(missing_ok=True)


def check_fetch_folder_target(
    path: str | Path | Location, storage_options: StorageOptions | None = None
) -> Location:
    """The folder :func:`write_parquet` would write at ``path``, checked now (before any
    request): absent, empty or a fetch folder; anything else a StorageError."""
    target = as_location(path, "path", storage_options)
    return _output_folder(target) if isinstance(target, Path) else _store_output_folder(target)


def _store_output_folder(folder: ObjectPath) -> ObjectPath:
    """The fetch folder ``write_parquet`` may write to on a store, checked (see
    :func:`_output_folder`)."""
    _recover_store_folder(folder, writer=True)
    return check_folder_target(
        folder, what="a fetch folder", ours=is_fetch_folder, foreign=_not_of_a_fetch_folder
    )


def fetch_folder_files() -> frozenset[str]:
    """The names a fetch folder holds: one Parquet file per table, ``rejects.parquet`` (absent
    in a folder of an earlier version) and ``manifest.json``."""
    return frozenset({MANIFEST, *(f"{name}.parquet" for name in (*TABLE_MODELS, REJECTS))})


def is_fetch_folder(folder: Location) -> bool:
    """Whether ``folder`` is a fetch folder written by :func:`write_parquet`: a valid
    postpress-frames ``manifest.json`` and no file or folder but the ones it writes."""
    try:
        files = {entry.name: entry.is_file for entry in entries(folder)}
    except OSError:
        return False
    if MANIFEST not in files or not set(files) <= fetch_folder_files():
        return False
    if not all(files.values()):
        return False
    try:
        Manifest.from_json((folder / MANIFEST).read_text(encoding="utf-8"), where=folder)
    except (OSError, UnicodeDecodeError, StorageError):
        return False
    return True


def _not_of_a_fetch_folder(folder: Location) -> list[str]:
    """What in ``folder`` keeps it from being a fetch folder, for a refusal's message."""
    foreign = [
        entry.name
        for entry in entries(folder)
        if entry.name not in fetch_folder_files() or not entry.is_file
    ]
    if foreign:
        return foreign
    if (folder / MANIFEST).is_file():
        return [f"{MANIFEST}, not a postpress-frames manifest"]
    return [f"table files without a {MANIFEST}"]


def _output_folder(target: Path) -> Path:
    """The folder ``write_parquet`` may write to at ``target`` (the path as typed), checked.

    ``..`` and ``.`` are resolved first (``out/chat/..`` is ``out``), so the folder checked
    is the one replaced.
    """
    here = Path.cwd()
    if Path(os.path.abspath(target)) in (here, *here.parents):
        where = Path(os.path.abspath(target))
        what = "the current folder" if where == here else "a folder holding the current folder"
        raise StorageError(
            f"is {what}; write_parquet replaces its target folder whole, so give it a new "
            "subfolder (for example out/chat)",
            path=target,
        )
    folder = Path(os.path.normpath(target))
    recover_dir(folder)
    return check_folder_target(
        folder, what="a fetch folder", ours=is_fetch_folder, foreign=_not_of_a_fetch_folder
    )


def file_hint(path: Location) -> str:
    """A hint for a Parquet file given where a folder goes ('' for other files)."""
    return " (read one Parquet file with polars.read_parquet)" if path.suffix == ".parquet" else ""


def _input_folder(path: Location) -> Location:
    """``path`` when it is a folder; a MissingInputError or StorageError naming it otherwise."""
    if isinstance(path, ObjectPath):
        _recover_store_folder(path, writer=False)
    else:
        recover_dir(path)
    if not exists(path):
        raise MissingInputError("does not exist", path=path)
    if not path.is_dir():
        hint = (
            " (read one Parquet file with polars.read_parquet)" if path.suffix == ".parquet" else ""
        )
        raise StorageError(
            f"is a file, not a fetch folder (a folder written by write_parquet){hint}", path=path
        )
    return path


def read_manifest(path: str | Path | Location) -> Manifest:
    """Read the manifest of a folder written by :func:`write_parquet`.

    >>> _ = Path("lake/messages").mkdir(parents=True)
    >>> read_manifest("lake")
    Traceback (most recent call last):
    ...
    postpress_frames._exceptions.StorageError: lake: is a dataset (...), not a fetch folder: ...
    """
    folder = _input_folder(as_location(path, "path"))
    file = folder / MANIFEST
    if not file.is_file():
        if is_dataset(folder):
            raise StorageError(
                "is a dataset (table folders of chat_id= partitions), not a fetch folder: "
                "read it with scan_dataset or read_chat",
                path=folder,
            )
        raise MissingInputError(
            f"no {MANIFEST}; not a folder written by write_parquet (postpress-frames fetch)",
            path=folder,
        )
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise StorageError(
            "is not a postpress-frames manifest (not UTF-8 text)", path=file
        ) from None
    except OSError as exc:
        raise StorageError(f"cannot be read ({exc.strerror or exc})", path=file) from exc
    return Manifest.from_json(text, where=file)


def _polars_problem(exc: BaseException) -> str:
    """The first line of a polars or OS error, for a StorageError's message."""
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    lines = text.strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def parquet_schema(file: Location) -> dict[str, pl.DataType]:
    """The schema in ``file``'s footer; a StorageError naming ``file`` when it has none.

    Reads the footer only, so a truncated or corrupt file is found before any scan.
    """
    try:
        if isinstance(file, ObjectPath):
            lf = pl.scan_parquet(scan_source(file), storage_options=storage_options_of(file))
            return dict(lf.collect_schema())
        return pl.read_parquet_schema(file)
    except FileNotFoundError:
        raise MissingInputError("does not exist", path=file) from None
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise StorageError(
            f"is not a readable Parquet file (truncated or corrupt?): {_polars_problem(exc)}",
            path=file,
        ) from exc


def schema_difference(expected: Mapping[str, pl.DataType], got: Mapping[str, pl.DataType]) -> str:
    """How the columns ``got`` differ from ``expected``, for an error message ('' if equal).

    >>> schema_difference({"a": pl.Int64(), "b": pl.String()}, {"a": pl.Int8(), "c": pl.String()})
    "column 'a' is Int8, expected Int64; column 'b' is missing; column 'c' is not in the schema"
    """
    problems = []
    for column, dtype in expected.items():
        if column not in got:
            problems.append(f"column {column!r} is missing")
        elif got[column] != dtype:
            problems.append(f"column {column!r} is {got[column]}, expected {dtype}")
    problems += [
        f"column {column!r} is not in the schema" for column in got if column not in expected
    ]
    if not problems and list(expected) != list(got):
        problems.append(f"columns are in the order {list(got)}, expected {list(expected)}")
    return "; ".join(problems)


def check_schema(
    file: Location, table: str, got: Mapping[str, pl.DataType], expected: Mapping[str, pl.DataType]
) -> None:
    """A StorageError naming ``file`` when its columns ``got`` are not ``expected``."""
    difference = schema_difference(expected, got)
    if difference:
        raise StorageError(
            f"does not hold the {table!r} table of this version's schema: {difference}",
            path=file,
        )


def read_table(file: Location, name: str) -> pl.DataFrame:
    """Read one table file and check its columns and dtypes against the schema."""
    if not file.is_file():
        raise StorageError(
            f"is missing: the fetch folder is incomplete (its {MANIFEST} lists {file.name})",
            path=file,
        )
    got = parquet_schema(file)
    expected = table_schema(name)
    if name == "messages" and "original" not in got:  # include_original=False
        expected = pl.Schema({k: v for k, v in expected.items() if k != "original"})
    old = "extra" in expected and "extra" not in got  # written before schema 1.1.0
    if old:
        expected = pl.Schema({k: v for k, v in expected.items() if k != "extra"})
    check_schema(file, name, got, expected)
    try:
        frame = pl.read_parquet(scan_source(file), storage_options=storage_options_of(file))
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise StorageError(
            f"is not a readable Parquet file (truncated or corrupt?): {_polars_problem(exc)}",
            path=file,
        ) from exc
    return frame.with_columns(pl.lit(None, pl.String).alias("extra")) if old else frame


def read_parquet(path: str | Path, *, storage_options: StorageOptions | None = None) -> ChatFrames:
    """Read a folder written by :func:`write_parquet` back into validated :class:`ChatFrames`.

    A URL is read from an object store with ``storage_options`` (see :func:`write_parquet`).

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> _ = write_parquet(ChatFrames.empty(), "out/empty")
    >>> read_parquet("out/empty")
    ChatFrames(messages=0, attachments=0, reactions=0, seen_by=0)
    """
    folder = as_location(path, "path", storage_options)
    manifest = read_manifest(folder)
    tables = {name: read_table(folder / f"{name}.parquet", name) for name in TABLE_MODELS}
    rejects_file = folder / f"{REJECTS}.parquet"
    if REJECTS in manifest.row_counts or rejects_file.exists():
        tables[REJECTS] = read_table(rejects_file, REJECTS)
    else:  # written before rejects.parquet existed
        tables[REJECTS] = empty_rejects()
    frames = ChatFrames(**tables)
    counts = {name: frame.height for name, frame in frames.items()}
    if REJECTS in manifest.row_counts or frames.rejects.height:
        counts[REJECTS] = frames.rejects.height
    if counts != manifest.row_counts:
        raise StorageError(
            f"lists row counts {manifest.row_counts}, but the files hold {counts} "
            "(a table file was replaced after it was written?)",
            path=folder / MANIFEST,
        )
    return frames.validate()
