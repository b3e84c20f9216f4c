"""One chat's tables as a folder of Parquet files that BI tools read as they are.

``write_parquet(frames, path)`` writes ``messages.parquet``, ``attachments.parquet``,
``reactions.parquet``, ``seen_by.parquet`` and ``manifest.json`` into ``path``, atomically:
the folder is built aside and swapped in, so a crash leaves the previous copy readable.

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

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from postpress_frames._args import as_path
from postpress_frames._exceptions import ArgumentTypeError, SchemaFailure, SchemaValidationError
from postpress_frames._version import __version__
from postpress_frames.storage.atomic import recover_dir, replace_dir_atomically
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import SCHEMA_VERSION, TABLE_MODELS, polars_schema

__all__ = [
    "MANIFEST",
    "Manifest",
    "read_manifest",
    "read_parquet",
    "read_table",
    "rows_per_group",
    "write_parquet",
    "write_table",
]

MANIFEST = "manifest.json"
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
            "format": "postpress-frames",
            "package_version": self.package_version,
            "schema_version": self.schema_version,
            "chat_id": self.chat_id,
            "chat_ids": self.chat_ids,
            "filters": self.filters,
            "fetched_at": self.fetched_at,
            "row_counts": self.row_counts,
            "tables": {name: f"{name}.parquet" for name in TABLE_MODELS},
        }
        return json.dumps(body, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, *, where: Path) -> Manifest:
        try:
            body = json.loads(text)
            return cls(
                chat_ids=list(body["chat_ids"]),
                row_counts={k: int(v) for k, v in body["row_counts"].items()},
                filters=dict(body.get("filters") or {}),
                fetched_at=body.get("fetched_at"),
                package_version=str(body["package_version"]),
                schema_version=str(body["schema_version"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            failure = SchemaFailure("manifest", None, f"readable manifest at {where} ({exc})")
            raise SchemaValidationError("manifest", [failure]) from exc


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
) -> Path:
    """Validate ``frames`` and write them to the folder ``path`` atomically; return the path.

    ``filters`` (e.g. ``{"after": "2026-01-01T00:00:00.000Z"}``) and ``fetched_at`` are
    recorded in ``manifest.json``.

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> write_parquet(ChatFrames.empty(), "out/empty").as_posix()
    'out/empty'
    """
    if not isinstance(frames, ChatFrames):
        raise ArgumentTypeError("frames", "ChatFrames", frames)
    target = as_path(path, "path")
    if filters is not None and not isinstance(filters, Mapping):
        raise ArgumentTypeError("filters", "a mapping of filter names to values (or None)", filters)
    if fetched_at is not None and not isinstance(fetched_at, datetime):
        raise ArgumentTypeError("fetched_at", "a datetime (or None)", fetched_at)
    frames.validate()
    manifest = Manifest(
        chat_ids=sorted(frames.messages.get_column("chat_id").unique().to_list()),
        row_counts={name: frame.height for name, frame in frames.items()},
        filters={k: None if v is None else str(v) for k, v in (filters or {}).items()},
        fetched_at=(fetched_at or datetime.now(UTC)).isoformat(timespec="milliseconds"),
    )
    with replace_dir_atomically(target) as staging:
        for name, frame in frames.items():
            write_table(frame, staging / f"{name}.parquet")
        (staging / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return target


def read_manifest(path: str | Path) -> Manifest:
    """Read the manifest of a folder written by :func:`write_parquet`."""
    folder = as_path(path, "path")
    recover_dir(folder)
    file = folder / MANIFEST
    if not file.is_file():
        raise FileNotFoundError(f"{folder}: no {MANIFEST}; not a postpress-frames folder")
    return Manifest.from_json(file.read_text(encoding="utf-8"), where=file)


def read_table(file: Path, name: str) -> pl.DataFrame:
    """Read one table file and check its columns and dtypes against the schema."""
    frame = pl.read_parquet(file)
    expected = polars_schema(TABLE_MODELS[name])
    if name == "messages" and "original" not in frame.columns:  # include_original=False
        expected = pl.Schema({k: v for k, v in expected.items() if k != "original"})
    if frame.schema != expected:
        got = dict(frame.schema)
        wrong = [
            SchemaFailure(name, col, f"dtype {dtype} in {file} (found {got.get(col)})")
            for col, dtype in expected.items()
            if got.get(col) != dtype
        ] + [
            SchemaFailure(name, col, f"column known to the schema ({file})")
            for col in got
            if col not in expected
        ]
        raise SchemaValidationError(name, wrong)
    return frame


def read_parquet(path: str | Path) -> ChatFrames:
    """Read a folder written by :func:`write_parquet` back into validated :class:`ChatFrames`.

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> _ = write_parquet(ChatFrames.empty(), "out/empty")
    >>> read_parquet("out/empty")
    ChatFrames(messages=0, attachments=0, reactions=0, seen_by=0)
    """
    folder = as_path(path, "path")
    manifest = read_manifest(folder)
    tables = {name: read_table(folder / f"{name}.parquet", name) for name in TABLE_MODELS}
    frames = ChatFrames(**tables)
    counts = {name: frame.height for name, frame in frames.items()}
    if counts != manifest.row_counts:
        check = f"row counts {counts} equal to the manifest's {manifest.row_counts}"
        raise SchemaValidationError("manifest", [SchemaFailure("manifest", None, check)])
    return frames.validate()
