"""Statistics as files: one conversion for CSV, JSON and Parquet, and the one stats writer.

:func:`export_ready` and :func:`write_stats` (public through :mod:`postpress_frames.stats`
and ``postpress_frames``) share :func:`exportable`, so a file and the CLI's output never
disagree:

* a duration becomes float seconds, the unit in its name (``response_time_median`` ->
  ``response_time_median_s``): BI tools read a number of seconds, never a bare integer
  of unknown unit;
* a datetime with a time zone is an ISO 8601 string with its UTC offset in CSV and JSON
  (``2026-05-17T11:42:11.000+02:00``) and a UTC instant in Parquet
  (``Datetime(time_zone="UTC")``, which DuckDB and Spark read as a timestamp with time
  zone); a naive datetime (``activity_over_time``'s local ``period``) stays a wall-clock
  time, without an offset;
* every other column is kept as it is.

:func:`write_stats` replaces only a statistics file it wrote before (see
:func:`is_stats_file`); anything else at the path is refused with a ``StorageError``.

>>> from postpress_frames import frames_from_pages
>>> from postpress_frames.analysis.stats import sender_activity
>>> from postpress_frames.testing import demo_chat
>>> activity = sender_activity(frames_from_pages([{"items": demo_chat(100), "cursor": None}]))
>>> write_stats(activity, "senders.parquet")
PosixPath('senders.parquet')
>>> pl.read_parquet("senders.parquet").schema["response_time_median_s"]
Float64
>>> write_stats(activity, "senders.parquet")  # an earlier file of ours: replaced
PosixPath('senders.parquet')
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

import polars as pl

from postpress_frames._args import as_path
from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError, StorageError
from postpress_frames._outputs import check_file_target
from postpress_frames._version import __version__
from postpress_frames.analysis.metrics import STATISTIC_SCHEMAS

__all__ = [
    "GENERATOR",
    "STATISTIC_KEY",
    "STATS_FORMATS",
    "check_stats_target",
    "export_columns",
    "export_ready",
    "exportable",
    "is_stats_file",
    "replace_file",
    "statistic_of",
    "stats_format",
    "write_stats",
]

#: The name every output of the package carries as its generator.
GENERATOR: Final = "postpress-frames"
#: The key, in a stats Parquet file's key-value metadata, naming the statistic it holds.
STATISTIC_KEY: Final = "postpress_frames.statistic"
#: File suffix -> format that :func:`write_stats` writes.
STATS_FORMATS: Final = {".parquet": "parquet", ".csv": "csv", ".json": "json"}
_PREFIX_BYTES: Final = 256 * 1024  # what is read of a CSV or JSON file to recognise it
# Temporary files are named as storage names its own: hidden, and never ending in .parquet.
_TMP_PREFIX: Final = ".tmp-"
_TMP_SUFFIX: Final = ".tmp"
_ISO: Final = "%Y-%m-%dT%H:%M:%S%.3f"


def _seconds(column: pl.Expr, dtype: pl.Duration) -> pl.Expr:
    if dtype.time_unit == "ms":
        return column.dt.total_milliseconds() / 1_000
    if dtype.time_unit == "us":
        return column.dt.total_microseconds() / 1_000_000
    return column.dt.total_nanoseconds() / 1_000_000_000


def exportable(frame: pl.DataFrame, *, text: bool) -> pl.DataFrame:
    """``frame`` as it is written to a file: for CSV and JSON (``text``) or for Parquet.

    The one conversion of the module docstring; column order is kept.

    >>> from datetime import datetime, timedelta, timezone
    >>> frame = pl.DataFrame(
    ...     {"at": [datetime(2026, 5, 17, 9, 42, 11, tzinfo=timezone.utc)],
    ...      "wait": [timedelta(seconds=24.484)]},
    ...     schema={"at": pl.Datetime("ms", "Europe/Paris"), "wait": pl.Duration("ms")},
    ... )
    >>> exportable(frame, text=True).row(0)
    ('2026-05-17T11:42:11.000+02:00', 24.484)
    >>> exportable(frame, text=False).schema
    Schema([('at', Datetime(time_unit='ms', time_zone='UTC')), ('wait_s', Float64)])
    """
    columns: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Duration):
            columns.append(_seconds(column, dtype).cast(pl.Float64).alias(f"{name}_s"))
        elif isinstance(dtype, pl.Datetime) and text:
            columns.append(column.dt.strftime(_ISO + ("%:z" if dtype.time_zone else "")))
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone:
            columns.append(column.dt.convert_time_zone("UTC"))
        else:
            columns.append(column)
    return frame.select(columns)


def export_columns(schema: Mapping[str, pl.DataType]) -> list[str]:
    """The column names a table of ``schema`` has in a file (durations get ``_s``).

    >>> export_columns(STATISTIC_SCHEMAS["response_matrix"])[-1]
    'response_time_median_s'
    """
    return [
        f"{name}_s" if isinstance(dtype, pl.Duration) else name for name, dtype in schema.items()
    ]


def export_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy fit for CSV and JSON: durations become float seconds (``<name>_s``),
    datetimes ISO 8601 strings with their UTC offset (naive ones without).

    For Parquet, use :func:`write_stats`, which keeps timestamps as UTC instants.

    >>> from postpress_frames.analysis.stats import sender_activity
    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> exported = export_ready(sender_activity(ChatFrames.empty(), tz="Europe/Paris"))
    >>> [c for c in exported.columns if c.startswith("response_time")]
    ['response_time_median_s', 'response_time_p90_s']
    >>> exported.write_csv("stats.csv") is None
    True
    """
    if not isinstance(frame, pl.DataFrame):
        raise ArgumentTypeError("frame", "a polars DataFrame", frame)
    return exportable(frame, text=True)


def statistic_of(frame: pl.DataFrame) -> str:
    """The statistic (``sender_activity``, ``response_times``, ``response_matrix`` or
    ``activity_over_time``) whose columns ``frame`` has, in any order.

    >>> statistic_of(pl.DataFrame(schema=dict(STATISTIC_SCHEMAS["response_times"])))
    'response_times'
    """
    columns = set(frame.columns)
    for name, schema in STATISTIC_SCHEMAS.items():
        if columns == set(schema):
            return name
    shown = ", ".join(frame.columns[:6]) + (", ..." if frame.width > 6 else "")
    raise ConfigurationError(
        "frame must be a table of postpress_frames.stats (the result of "
        f"{', '.join(STATISTIC_SCHEMAS)}, all its columns); got columns [{shown}]"
    )


def stats_format(path: Path) -> str:
    """``parquet``, ``csv`` or ``json``, from the suffix of ``path``."""
    fmt = STATS_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigurationError(
            f"cannot tell the statistics format from {str(path)!r}: "
            "use a .parquet, .csv or .json file name"
        )
    return fmt


def _prefix(path: Path) -> str:
    with path.open("rb") as file:
        return file.read(_PREFIX_BYTES).decode("utf-8", errors="replace")


def _known_headers() -> list[list[str]]:
    return [export_columns(schema) for schema in STATISTIC_SCHEMAS.values()]


def is_stats_file(path: Path) -> bool:
    """Whether ``path`` is a statistics file :func:`write_stats` wrote (so it may be replaced).

    * Parquet: its key-value metadata names the statistic (:data:`STATISTIC_KEY`).
    * CSV: its header is exactly the columns of a statistic as written (``_s`` durations).
    * JSON: an array whose first object has exactly those keys. An empty array ``[]`` is
      not recognised: it could be anyone's.

    >>> _ = Path("notes.csv").write_text("name,phone\\n")
    >>> is_stats_file(Path("notes.csv"))
    False
    """
    try:
        fmt = stats_format(path)
        if fmt == "parquet":
            return pl.read_parquet_metadata(path).get(STATISTIC_KEY) in STATISTIC_SCHEMAS
        text = _prefix(path)
    except (OSError, ConfigurationError, pl.exceptions.PolarsError):
        return False
    if fmt == "csv":
        header = text.split("\n", 1)[0].rstrip("\r")
        return any(header == ",".join(columns) for columns in _known_headers())
    body = text.lstrip()
    if not body.startswith("["):
        return False
    try:
        first, _ = json.JSONDecoder().raw_decode(body[1:].lstrip())
    except ValueError:
        return False
    return isinstance(first, dict) and any(list(first) == c for c in _known_headers())


def check_stats_target(path: str | Path) -> Path:
    """``path`` when :func:`write_stats` may write there: a known suffix, and absent or an
    earlier statistics file of ours; a ``StorageError`` naming the path otherwise."""
    target = as_path(path, "path")
    stats_format(target)
    return check_file_target(target, what="a statistics file", ours=is_stats_file)


def replace_file(target: Path, write: Callable[[Path], object], *, what: str) -> Path:
    """Call ``write(tmp)`` on a hidden sibling, then rename it onto ``target``: a reader
    sees the old file or the new one. A failure is a ``StorageError`` naming ``target``."""
    tmp = target.with_name(f"{_TMP_PREFIX}{uuid.uuid4().hex[:12]}-{target.name}{_TMP_SUFFIX}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise StorageError(f"cannot write {what}: {exc.strerror or exc}", path=target) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    return target


def _metadata(frame: pl.DataFrame, statistic: str) -> dict[str, str]:
    metadata = {
        "generator": GENERATOR,
        STATISTIC_KEY: statistic,
        "postpress_frames.version": __version__,
    }
    zones = {
        d.time_zone for d in frame.schema.values() if isinstance(d, pl.Datetime) and d.time_zone
    }
    if len(zones) == 1:
        metadata["postpress_frames.time_zone"] = str(zones.pop())
    return metadata


def write_stats(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write a table of :mod:`postpress_frames.stats` to ``path`` (``.parquet``, ``.csv``
    or ``.json``); returns the path.

    Durations are float seconds in ``<name>_s`` columns, timestamps UTC instants in
    Parquet and ISO 8601 strings with their offset in CSV and JSON (see the module
    docstring). A Parquet file records the statistic, the package version and the time
    zone of the statistics in its key-value metadata. The file is written aside and
    renamed into place. An existing file is replaced only when it is an earlier statistics
    file of ours (:func:`is_stats_file`); anything else is refused with a ``StorageError``
    naming the path, before anything is written.

    >>> from postpress_frames.analysis.stats import response_matrix
    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> write_stats(response_matrix(ChatFrames.empty()), "out/matrix.csv")
    PosixPath('out/matrix.csv')
    >>> Path("out/matrix.csv").read_text().split(",")[:5]
    ['chat_id', 'responder', 'responder_name', 'responded_to', 'responded_to_name']
    """
    if not isinstance(frame, pl.DataFrame):
        raise ArgumentTypeError(
            "frame", "a polars DataFrame (a table of postpress_frames.stats)", frame
        )
    target = as_path(path, "path")
    fmt = stats_format(target)
    statistic = statistic_of(frame)
    check_stats_target(target)
    ordered = frame.select(list(STATISTIC_SCHEMAS[statistic]))
    table = exportable(ordered, text=fmt != "parquet")

    def write(tmp: Path) -> None:
        if fmt == "parquet":
            table.write_parquet(
                tmp, compression="zstd", statistics=True, metadata=_metadata(ordered, statistic)
            )
        elif fmt == "csv":
            table.write_csv(tmp)
        else:
            table.write_json(tmp)

    return replace_file(target, write, what="a statistics file")
