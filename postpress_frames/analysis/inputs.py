"""Checking and preparing what the analysis functions are given (package-internal API).

Every public function of :mod:`~postpress_frames.analysis` checks its arguments here first,
so a wrong type is an :class:`~postpress_frames._exceptions.ArgumentTypeError` naming the
argument, a wrong value a :class:`~postpress_frames._exceptions.ConfigurationError`, and a
missing table or column (or one of the wrong dtype) a
:class:`~postpress_frames._exceptions.SchemaValidationError` naming table and column, all
before any data is read.

:func:`prepare_inputs` turns the tables (a :class:`~postpress_frames.tables.chat_frames.ChatFrames`,
or a mapping of LazyFrames such as a dataset) into :class:`Inputs`: the columns the
analysis reads, child rows already carrying their message's ``chat_id``.

>>> from postpress_frames.tables.chat_frames import ChatFrames
>>> inputs = prepare_inputs(ChatFrames.empty())
>>> inputs.collect(inputs.messages).columns[:4]
['chat_id', 'id', 'sender_id', 'timestamp']
>>> try:
...     check_tz("Mars/Olympus")
... except ConfigurationError as error:
...     print(error)
tz: unknown time zone 'Mars/Olympus' (use an IANA name)
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from types import MappingProxyType
from typing import Final, Literal

import polars as pl

from postpress_frames._exceptions import (
    ArgumentTypeError,
    ConfigurationError,
    SchemaFailure,
    SchemaValidationError,
)
from postpress_frames.tables.schemas import table_schema

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "SEEN_BY_COLUMNS",
    "UTC_MS",
    "FrameLike",
    "Inputs",
    "TableName",
    "check_every",
    "check_positive",
    "check_tz",
    "prepare_inputs",
]

FrameLike = pl.DataFrame | pl.LazyFrame
TableName = Literal["messages", "attachments", "reactions", "seen_by"]

#: The stored timestamp dtype (``Datetime("ms", "UTC")``), read from the messages model.
UTC_MS: Final = table_schema("messages")["timestamp"]

#: The columns the analysis reads, per table.
REQUIRED_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "messages": (
            "chat_id",
            "id",
            "sender_id",
            "timestamp",
            "text",
            "is_sender",
            "deleted",
            "edited",
            "is_event",
            "reply_to_id",
        ),
        "attachments": ("message_id", "quoted", "type"),
        "reactions": ("message_id", "sender_id", "is_sender", "value"),
    }
)

#: Columns read when present, null otherwise (tables written before they were required).
OPTIONAL_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {"messages": ("sender_attendee_id",)}
)

#: The read receipts' columns, read by the statistics that need ``seen_by``.
SEEN_BY_COLUMNS: Final = ("message_id", "attendee_id", "seen", "seen_at")

_CHAT_ID: Final = table_schema("messages")["chat_id"]
_FRAMES_EXPECTED: Final = "a ChatFrames or a mapping of table name -> polars frame"


@dataclass(frozen=True)
class Inputs:
    """The three tables as LazyFrames of the columns the analysis reads.

    ``messages`` has its ``timestamp`` in UTC milliseconds. ``attachment_rows`` and
    ``reaction_rows`` are the child tables as given; :attr:`attachments` and
    :attr:`reactions` add their message's ``chat_id``, ``author_id``, ``is_event`` and
    ``message_deleted``. ``streaming`` is True when a table is read lazily: plans then run
    on polars' streaming engine.
    """

    messages: pl.LazyFrame
    attachment_rows: pl.LazyFrame
    reaction_rows: pl.LazyFrame
    streaming: bool
    #: ``seen_by`` as given (``prepare_inputs(..., seen_by=True)``), else None.
    seen_rows: pl.LazyFrame | None = None

    @cached_property
    def attachments(self) -> pl.LazyFrame:
        return _with_parent(self.attachment_rows, self.messages)

    @cached_property
    def reactions(self) -> pl.LazyFrame:
        return _with_parent(self.reaction_rows, self.messages)

    @cached_property
    def seen_by(self) -> pl.LazyFrame:
        """Read receipts with their message's ``chat_id``, ``author_id``, ``is_event`` and
        ``message_deleted``; requires ``prepare_inputs(..., seen_by=True)``."""
        if self.seen_rows is None:
            raise ConfigurationError("these inputs were prepared without seen_by")
        return _with_parent(self.seen_rows, self.messages)

    @property
    def written(self) -> pl.LazyFrame:
        """Messages a sender wrote: events ("X joined", calls and the like) left out."""
        return self.messages.filter(~pl.col("is_event"))

    def collect(self, plan: pl.LazyFrame) -> pl.DataFrame:
        """Run ``plan`` (built on these tables) on the engine that suits them."""
        return plan.collect(engine="streaming" if self.streaming else "auto")

    def collected(self, *tables: TableName) -> Inputs:
        """The same tables with ``tables`` (default: all three) read into memory, each
        scanned once: for callers that run many plans over them (a report, a chart), so
        that a dataset is not read again per plan. Tables not named stay lazy."""
        every = {*REQUIRED_COLUMNS, *(["seen_by"] if self.seen_rows is not None else [])}
        wanted = set(tables or every)

        def read(name: str, plan: pl.LazyFrame) -> pl.LazyFrame:
            return self.collect(plan).lazy() if name in wanted else plan

        return Inputs(
            messages=read("messages", self.messages),
            attachment_rows=read("attachments", self.attachment_rows),
            reaction_rows=read("reactions", self.reaction_rows),
            streaming=self.streaming and wanted != every,
            seen_rows=None if self.seen_rows is None else read("seen_by", self.seen_rows),
        )


def _with_parent(rows: pl.LazyFrame, messages: pl.LazyFrame) -> pl.LazyFrame:
    # Child tables of one ChatFrames have no chat_id: take it (and the message's own fields)
    # from the message they belong to. Dataset tables have it: join on it too.
    parents = messages.select(
        "chat_id",
        pl.col("id").alias("message_id"),
        pl.col("sender_id").alias("author_id"),
        "is_event",
        pl.col("deleted").alias("message_deleted"),
    )
    on = ["chat_id", "message_id"] if "chat_id" in rows.collect_schema() else ["message_id"]
    return rows.join(parents, on=on, how="inner")


def _checked_columns(name: str, frame: FrameLike) -> list[pl.Expr]:
    """The columns of table ``name`` the analysis reads, as their expected dtypes."""
    schema = frame.collect_schema()
    required = SEEN_BY_COLUMNS if name == "seen_by" else REQUIRED_COLUMNS[name]
    missing = [c for c in required if c not in schema]
    if missing:
        failures = [SchemaFailure(name, c, "column_in_dataframe") for c in missing]
        raise SchemaValidationError(name, failures)
    expected = table_schema(name)
    required = SEEN_BY_COLUMNS if name == "seen_by" else REQUIRED_COLUMNS[name]
    optional = [*OPTIONAL_COLUMNS.get(name, ()), *(["chat_id"] if name != "messages" else [])]
    selected: list[pl.Expr] = []
    failures = []
    for column in [*required, *optional]:
        if column not in schema:  # an optional column: a child table's chat_id, ...
            if column != "chat_id":
                selected.append(pl.lit(None, expected[column]).alias(column))
            continue
        given = schema[column]
        wanted = expected.get(column, _CHAT_ID)
        if column in ("timestamp", "seen_at"):
            usable = isinstance(given, pl.Datetime) and given.time_zone is not None
            usable = usable or (column == "seen_at" and isinstance(given, pl.Null))
            problem = f"dtype is {given}, not a UTC Datetime"
            selected.append(pl.col(column).cast(wanted) if given == pl.Null else pl.col(column))
        else:
            # An all-null column, or categorical strings, read as the stored dtype.
            usable = given == wanted or isinstance(given, pl.Null)
            usable = usable or (wanted == pl.String and isinstance(given, pl.Categorical | pl.Enum))
            problem = f"dtype is {given}, not {wanted}"
            selected.append(pl.col(column).cast(wanted))
        if not usable:
            failures.append(SchemaFailure(name, column, problem))
    if failures:
        raise SchemaValidationError(name, failures)
    return selected


def prepare_inputs(frames: Mapping[str, FrameLike], *, seen_by: bool = False) -> Inputs:
    """Check ``frames`` (tables ``messages``, ``attachments`` and ``reactions``, and
    ``seen_by`` when ``seen_by`` is True; eager or lazy) and select what the analysis
    reads; nothing is read yet."""
    if not isinstance(frames, Mapping):
        raise ArgumentTypeError("frames", _FRAMES_EXPECTED, frames)
    names = [*REQUIRED_COLUMNS, *(["seen_by"] if seen_by else [])]
    missing = [name for name in names if name not in frames]
    if missing:
        raise SchemaValidationError(
            ", ".join(missing), [SchemaFailure(name, None, "table_present") for name in missing]
        )
    tables: dict[str, pl.LazyFrame] = {}
    streaming = False
    for name in names:
        frame = frames[name]
        if not isinstance(frame, pl.DataFrame | pl.LazyFrame):
            raise ArgumentTypeError(f"frames[{name!r}]", "a polars DataFrame or LazyFrame", frame)
        streaming = streaming or isinstance(frame, pl.LazyFrame)
        tables[name] = frame.lazy().select(_checked_columns(name, frame))
    messages = tables["messages"].with_columns(
        pl.col("timestamp").dt.convert_time_zone("UTC").dt.cast_time_unit("ms")
    )
    seen_rows = None
    if seen_by:
        seen_rows = tables["seen_by"].with_columns(
            pl.col("seen_at").dt.convert_time_zone("UTC").dt.cast_time_unit("ms")
        )
    return Inputs(
        messages,
        tables["attachments"],
        tables["reactions"],
        streaming=streaming,
        seen_rows=seen_rows,
    )


def check_tz(tz: object) -> None:
    """``tz`` must be an IANA time zone name such as ``"Europe/Paris"``."""
    if not isinstance(tz, str):
        raise ArgumentTypeError("tz", "an IANA time zone name (a string)", tz)
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"tz: unknown time zone {tz!r} (use an IANA name)") from None


def check_positive(name: str, value: object) -> None:
    """``value`` (the argument ``name``) must be a ``timedelta`` longer than zero."""
    if not isinstance(value, timedelta):
        raise ArgumentTypeError(name, "a datetime.timedelta", value)
    if value <= timedelta(0):
        raise ConfigurationError(f"{name} must be a positive timedelta, got {value!r}")


def check_every(every: object) -> None:
    """``every`` must be a polars duration string such as ``"1d"``."""
    if not isinstance(every, str):
        raise ArgumentTypeError("every", "a polars duration string such as '1d'", every)
    try:
        pl.select(pl.lit(datetime(2026, 1, 1)).dt.truncate(every))
    except (pl.exceptions.PolarsError, ValueError):
        raise ConfigurationError(
            f"every: {every!r} is not a polars duration such as '1h', '1d', '1w' or '1mo'"
        ) from None
