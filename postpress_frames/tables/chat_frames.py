"""``ChatFrames``: the immutable bundle of a chat's four tables, and of the messages set aside.

It is a read-only mapping of table name -> polars DataFrame, in the order ``messages``,
``attachments``, ``reactions``, ``seen_by``, with the tables also as attributes.

``rejects`` (the messages ``frames_from_pages(on_invalid="quarantine")`` set aside, empty
otherwise) is an attribute only, not one of the mapping's keys: iterating a ``ChatFrames``
(``for name, frame in frames.items()``, ``dict(frames)``) gives the four tables of messages,
as code written for four tables expects; ``validate``, ``replace`` and ``==`` include it.
:meth:`ChatFrames.filter` keeps the messages of a time window, senders or chats, with their
children and the rejects that may belong to them. In Jupyter a bundle shows each table's row
count and first rows (``_repr_html_``).

>>> frames = ChatFrames.empty()
>>> frames
ChatFrames(messages=0, attachments=0, reactions=0, seen_by=0)
>>> list(frames), frames.rejects.height
(['messages', 'attachments', 'reactions', 'seen_by'], 0)
>>> frames["seen_by"].columns
['message_id', 'attendee_id', 'seen', 'seen_at']
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import polars as pl

from postpress_frames._args import as_bool, as_id_list
from postpress_frames._exceptions import (
    ArgumentTypeError,
    ConfigurationError,
    SchemaFailure,
    SchemaValidationError,
)
from postpress_frames.api.params import TimestampLike
from postpress_frames.api.params import parse_timestamp as moment_argument
from postpress_frames.tables.schemas import REJECTS, key_column, table_schema, validate_frames
from postpress_frames.tables.wire import parse_timestamp

__all__ = ["TABLE_NAMES", "ChatFrames", "empty_rejects"]

TABLE_NAMES: Final = ("messages", "attachments", "reactions", "seen_by")
#: Rows of each table ``_repr_html_`` previews; the columns it leaves out of the preview.
PREVIEW_ROWS: Final = 5
PREVIEW_HIDDEN: Final = ("original",)
# Compared in microseconds: a bound is a whole microsecond, a timestamp a whole millisecond.
_MOMENT: Final = pl.Datetime("us", "UTC")


def empty_rejects() -> pl.DataFrame:
    """An empty ``rejects`` table with :class:`RejectSchema`'s columns."""
    return pl.DataFrame(schema=table_schema(REJECTS))


@dataclass(frozen=True, eq=False, repr=False)
class ChatFrames(Mapping[str, pl.DataFrame]):
    """A chat's ``messages``, ``attachments``, ``reactions`` and ``seen_by`` tables, and the
    ``rejects`` set aside (empty by default, so four tables are enough to build one).

    Immutable: use :meth:`filter` to keep some messages (their children and rejects follow)
    and :meth:`replace` to derive a bundle with other tables. Two bundles are equal when
    every table, ``rejects`` included, is equal (same columns, dtypes and rows in the same
    order). In Jupyter a bundle shows each table's row count and first rows.

    >>> from postpress_frames.tables.build import frames_from_pages
    >>> from postpress_frames.testing import demo_chat
    >>> frames = frames_from_pages([{"items": demo_chat(200), "cursor": None}])
    >>> frames
    ChatFrames(messages=200, attachments=38, reactions=63, seen_by=533)
    >>> frames.messages.height == frames["messages"].height, frames.rejects.height
    (True, 0)
    >>> frames.replace(reactions=frames.reactions.head(0))
    ChatFrames(messages=200, attachments=38, reactions=0, seen_by=533)
    """

    messages: pl.DataFrame
    attachments: pl.DataFrame
    reactions: pl.DataFrame
    seen_by: pl.DataFrame
    rejects: pl.DataFrame = field(default_factory=empty_rejects)
    #: The undocumented values and missing required fields ``frames_from_pages`` counted
    #: and warned about (None: not counted); ``validate`` does not count them again.
    #: ``filter`` keeps them (its rows are some of those counted), ``replace`` resets them.
    _unknown_values: Mapping[tuple[str, str, Any], int] | None = field(
        default=None, init=False, repr=False
    )
    _missing_fields: Mapping[tuple[str, str], int] | None = field(
        default=None, init=False, repr=False
    )

    def __post_init__(self) -> None:
        for name in (*TABLE_NAMES, REJECTS):
            value = getattr(self, name)
            if not isinstance(value, pl.DataFrame):
                raise ArgumentTypeError(f"ChatFrames.{name}", "a polars DataFrame", value)

    @classmethod
    def empty(cls, *, include_original: bool = True) -> ChatFrames:
        """Empty tables with the full schema of each model."""
        tables = {name: pl.DataFrame(schema=table_schema(name)) for name in TABLE_NAMES}
        if not as_bool(include_original, "include_original"):
            tables["messages"] = tables["messages"].drop("original")
        return cls(**tables)._counted({}, {})

    def _counted(
        self,
        unknown: Mapping[tuple[str, str, Any], int],
        missing: Mapping[tuple[str, str], int],
    ) -> ChatFrames:
        """``self``, marked as counted for undocumented values and missing required fields
        (``frames_from_pages`` warned about them)."""
        object.__setattr__(self, "_unknown_values", dict(unknown))  # dicts: picklable
        object.__setattr__(self, "_missing_fields", dict(missing))
        return self

    def validate(self) -> ChatFrames:
        """Check every table and the cross-table keys; return ``self`` or raise.

        Every check runs in one polars query (pandera runs only to name what failed).
        Raises :class:`~postpress_frames._exceptions.SchemaValidationError` listing every
        failure (table, column, check, message ids); ``rejects`` is checked too.
        """
        validate_frames(self, stacklevel=2)
        return self

    def replace(self, **tables: pl.DataFrame) -> ChatFrames:
        """A copy with some tables replaced: ``frames.replace(messages=filtered)``."""
        names = (*TABLE_NAMES, REJECTS)
        for name in tables:
            if name not in names:
                raise ArgumentTypeError(
                    "each keyword of replace()", f"a table name ({', '.join(names)})", name
                )
        return type(self)(**{name: tables.get(name, getattr(self, name)) for name in names})

    def filter(
        self,
        *,
        after: TimestampLike | None = None,
        before: TimestampLike | None = None,
        sender_ids: Iterable[str] | None = None,
        chat_ids: Iterable[str] | None = None,
    ) -> ChatFrames:
        """The messages with ``after <= timestamp < before`` (a half-open window: ``after``
        included, ``before`` excluded; either may be None), whose ``sender_id`` is one of
        ``sender_ids`` and whose ``chat_id`` is one of ``chat_ids`` (iterables of ids; an
        empty one keeps nothing), with their attachments, reactions and receipts.

        ``after`` and ``before`` take what ``fetch_chat`` takes: an aware ``datetime``, a
        ``date`` (midnight UTC: ``before=date(2026, 2, 1)`` ends with January) or an ISO 8601
        string with ``Z`` or an offset; a naive datetime is refused, since guessing its zone
        could drop or keep the wrong messages. ``after`` later than ``before`` is a
        ``ConfigurationError``; ``after == before`` keeps nothing.

        ``rejects`` follows what can be told of each message set aside, keeping whatever may
        belong to the selection: a reject is kept when its ``chat_id`` is one of
        ``chat_ids`` (one without a ``chat_id`` when no chat of the bundle is dropped, as it
        may belong to any), and it is dropped by ``after``/``before`` only when its item's
        ``timestamp`` is a timestamp of the API's format outside the window, by
        ``sender_ids`` only when its item's ``sender_id`` is there and not one of them. A
        reject whose timestamp or sender is missing, null or unreadable is kept (it may be
        the very problem in the window). The result's tables stay consistent (it validates
        when ``self`` does), keep their columns and order, and are empty when nothing is
        kept; the values ``frames_from_pages`` warned about are not warned about again.

        >>> from datetime import UTC, date, datetime
        >>> from postpress_frames.tables.build import frames_from_pages
        >>> from postpress_frames.testing import demo_chat
        >>> frames = frames_from_pages([{"items": demo_chat(200), "cursor": None}])
        >>> day = frames.filter(after=datetime(2026, 10, 19, tzinfo=UTC), before=date(2026, 10, 20))
        >>> day
        ChatFrames(messages=30, attachments=5, reactions=9, seen_by=77)
        >>> day.messages["timestamp"].dt.date().unique().to_list()
        [datetime.date(2026, 10, 19)]
        >>> first = frames.messages["sender_id"][0]
        >>> frames.filter(sender_ids=[first]).messages["sender_id"].unique().to_list() == [first]
        True
        >>> frames.filter(chat_ids=["another_chat"])
        ChatFrames(messages=0, attachments=0, reactions=0, seen_by=0)
        >>> frames.filter(after=datetime(2026, 10, 20))
        Traceback (most recent call last):
        ...
        postpress_frames._exceptions.ConfigurationError: after=... has no timezone; ...tzinfo=UTC...
        """
        start = None if after is None else moment_argument(after, name="after")
        end = None if before is None else moment_argument(before, name="before")
        if start is not None and end is not None and start > end:
            raise ConfigurationError(
                f"after must not be later than before, got after={start.isoformat()} "
                f"and before={end.isoformat()}"
            )
        senders = None if sender_ids is None else as_id_list(sender_ids, "sender_ids", "sender")
        chats = None if chat_ids is None else as_id_list(chat_ids, "chat_ids", "chat")
        windowed = start is not None or end is not None
        if not windowed and senders is None and chats is None:
            return self._carried(dict(self._tables()))
        self._check_filterable(windowed=windowed, senders=senders, chats=chats)

        kept_message = pl.lit(True)
        kept_reject = pl.lit(True)
        if windowed:
            inside = _inside(pl.col("timestamp"), start, end)
            kept_message &= inside
            stamp = parse_timestamp(pl.col("item").str.json_path_match("$.timestamp"))
            kept_reject &= stamp.is_null() | _inside(stamp, start, end)
        if senders is not None:
            wanted = pl.Series(senders, dtype=pl.String).implode()
            kept_message &= pl.col("sender_id").is_in(wanted)
            sender = pl.col("item").str.json_path_match("$.sender_id")
            kept_reject &= sender.is_null() | sender.is_in(wanted)
        if chats is not None:
            wanted = pl.Series(chats, dtype=pl.String).implode()
            kept_message &= pl.col("chat_id").is_in(wanted)
            in_chats = pl.col("chat_id").is_in(wanted)
            if chats and self._no_chat_dropped(wanted):
                in_chats |= pl.col("chat_id").is_null()
            kept_reject &= in_chats.fill_null(False)

        messages = self.messages.filter(kept_message.fill_null(False))
        ids = messages.get_column("id").implode()
        children = [
            self[name].lazy().filter(pl.col(key_column(name)).is_in(ids))
            for name in TABLE_NAMES[1:]
        ]
        rejects = self.rejects.lazy().filter(kept_reject)
        *kept, kept_rejects = pl.collect_all([*children, rejects])
        tables = dict(zip(TABLE_NAMES, [messages, *kept], strict=True))
        return self._carried({**tables, REJECTS: kept_rejects})

    def _tables(self) -> Iterator[tuple[str, pl.DataFrame]]:
        for name in (*TABLE_NAMES, REJECTS):
            yield name, getattr(self, name)

    def _carried(self, tables: Mapping[str, pl.DataFrame]) -> ChatFrames:
        """New frames of some of ``self``'s rows, marked as counted when ``self`` is."""
        frames = type(self)(**tables)
        object.__setattr__(frames, "_unknown_values", self._unknown_values)
        object.__setattr__(frames, "_missing_fields", self._missing_fields)
        return frames

    def _no_chat_dropped(self, wanted: pl.Series) -> bool:
        """Whether every chat the bundle names is one of ``wanted`` (a reject without a
        ``chat_id`` then belongs to a kept chat, whichever it is)."""
        if not self.rejects.get_column("chat_id").null_count():
            return False  # no reject without a chat_id: nothing to decide
        named = pl.concat(
            [self.messages.get_column("chat_id"), self.rejects.get_column("chat_id")]
        ).drop_nulls()
        return bool(named.is_in(wanted).all())

    def _check_filterable(
        self, *, windowed: bool, senders: list[str] | None, chats: list[str] | None
    ) -> None:
        """The columns ``filter`` reads are there with their dtypes, or a
        ``SchemaValidationError`` naming each one that is not."""
        needed: list[tuple[str, str]] = [("messages", "id")]
        needed += [(name, "message_id") for name in TABLE_NAMES[1:]]
        if windowed:
            needed.append(("messages", "timestamp"))
        if senders is not None:
            needed.append(("messages", "sender_id"))
        if chats is not None:
            needed += [("messages", "chat_id"), (REJECTS, "chat_id")]
        if windowed or senders is not None:
            needed.append((REJECTS, "item"))
        failures = []
        for table, column in needed:
            schema = table_schema(table)
            given = getattr(self, table).schema.get(column)
            if given is None:
                failures.append(SchemaFailure(table, column, "column_in_dataframe"))
            elif not _same_kind(given, schema[column]):
                failures.append(SchemaFailure(table, column, f"dtype('{schema[column]}')"))
        if failures:
            raise SchemaValidationError(
                ", ".join(dict.fromkeys(f.table for f in failures)), failures
            )

    def __getitem__(self, name: str) -> pl.DataFrame:
        if name not in TABLE_NAMES:
            hint = " (the messages set aside are ChatFrames.rejects)" if name == REJECTS else ""
            raise KeyError(f"no table {name!r}; the tables are {', '.join(TABLE_NAMES)}{hint}")
        frame: pl.DataFrame = getattr(self, name)
        return frame

    def __iter__(self) -> Iterator[str]:
        return iter(TABLE_NAMES)

    def __len__(self) -> int:
        return len(TABLE_NAMES)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChatFrames):
            return NotImplemented
        return all(
            getattr(self, name).equals(getattr(other, name)) for name in (*TABLE_NAMES, REJECTS)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable-looking contents: not hashable

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={self[name].height}" for name in TABLE_NAMES)
        if self.rejects.height:
            counts += f", rejects={self.rejects.height}"
        return f"{type(self).__name__}({counts})"

    def _repr_html_(self) -> str:
        """Jupyter's view: each table's name and row count (``rejects`` when there are
        any), then its first rows as polars shows them, ``original`` (raw JSON) left out."""
        shown = [*TABLE_NAMES, *([REJECTS] if self.rejects.height else [])]
        parts = ['<div class="postpress-frames">', f"<p><code>{html.escape(repr(self))}</code></p>"]
        for name in shown:
            frame: pl.DataFrame = getattr(self, name)
            hidden = [column for column in PREVIEW_HIDDEN if column in frame.columns]
            rows = frame.height
            note = f"{rows:,} row{'' if rows == 1 else 's'}"
            if rows > PREVIEW_ROWS:
                note += f", the first {PREVIEW_ROWS} shown"
            if hidden:
                note += f"; {', '.join(hidden)} not shown"
            preview = frame.head(PREVIEW_ROWS).drop(hidden)._repr_html_()
            summary = f"<summary><code>{html.escape(name)}</code>: {html.escape(note)}</summary>"
            opened = " open" if name == "messages" else ""
            parts.append(f"<details{opened}>{summary}{preview}</details>")
        parts.append("</div>")
        return "\n".join(parts)


def _inside(moment: pl.Expr, start: datetime | None, end: datetime | None) -> pl.Expr:
    """``start <= moment < end`` (a None bound: no limit on that side)."""
    moment = moment.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    inside = pl.lit(True)
    if start is not None:
        inside &= moment >= pl.lit(start, dtype=_MOMENT)
    if end is not None:
        inside &= moment < pl.lit(end, dtype=_MOMENT)
    return inside


def _same_kind(given: pl.DataType, expected: pl.DataType) -> bool:
    """``given`` can be filtered as ``expected``: equal, or any aware Datetime for one."""
    if isinstance(expected, pl.Datetime):
        return isinstance(given, pl.Datetime) and given.time_zone is not None
    return bool(given == expected)
