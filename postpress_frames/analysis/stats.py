"""Per-sender activity statistics: who talks, how much, when, how fast they answer.

Pure polars on the tables of :class:`~postpress_frames.tables.chat_frames.ChatFrames` (or any
mapping with ``messages``, ``attachments`` and ``reactions``). With LazyFrames, e.g. a
dataset of many chats from :func:`~postpress_frames.storage.dataset.scan_dataset`, the whole plan
runs once on polars' streaming engine. Every result has one row per ``chat_id``.

Shared definitions (the :data:`METRIC_DEFINITIONS` table states each metric):

* **Sequence.** A chat's messages ordered by ``timestamp`` then ``id``, *events removed*
  (``is_event``: "X joined", calls and the like are not something a sender wrote).
  Deleted messages stay: they were sent, so they count for volume, tenure, conversations,
  responsiveness and rhythm.
* **Content** metrics (``words``, ``chars``, ``chars_per_message_median``, attachments)
  also leave out deleted messages, whose text and files are gone. A null text counts as
  0 words and 0 characters.
* **Local time.** Hours, weekdays and calendar days are read in ``tz`` (an IANA name), so a
  DST change shifts the wall clock, never the durations: gaps are always real elapsed time.

>>> stats = sender_activity(frames, tz="Europe/Paris")                 # doctest: +SKIP
>>> stats.select("sender_id", "messages", "response_time_median")     # doctest: +SKIP
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final

import polars as pl

from postpress_frames._exceptions import ConfigurationError, SchemaFailure, SchemaValidationError
from postpress_frames.tables.schemas import ATTACHMENT_TYPES

__all__ = [
    "METRIC_DEFINITIONS",
    "SENDER_ACTIVITY_SCHEMA",
    "activity_over_time",
    "export_ready",
    "response_matrix",
    "response_times",
    "sender_activity",
]

FrameLike = pl.DataFrame | pl.LazyFrame

DEFAULT_SESSION_GAP: Final = timedelta(minutes=30)
DEFAULT_RESPONSE_CAP: Final = timedelta(hours=24)
QUICK_RESPONSE: Final = timedelta(minutes=5)
NIGHT_END_HOUR: Final = 6  # night is 00:00 <= local time < 06:00

_KEYS: Final = ["chat_id", "sender_id"]
_UTC_MS: Final = pl.Datetime("ms", "UTC")
_WORD: Final = r"\S+"  # a maximal run of non-whitespace (Unicode White_Space)

# The columns each statistic reads, per table.
_REQUIRED: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
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
        "reactions": ("message_id", "sender_id", "is_sender"),
    }
)

#: Metric column -> its definition (the docstring of :func:`sender_activity`, per column).
METRIC_DEFINITIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "chat_id": "The chat.",
        "sender_id": "The sender (the id in messages.sender_id and reactions.sender_id).",
        "is_sender": "True for the connected account (is_sender on any of its messages "
        "or reactions).",
        "messages": "Non-event messages sent, deleted ones included.",
        "share_of_messages": "messages / the chat's messages (null when the chat has none).",
        "words": "Whitespace-separated words in the text of non-event, non-deleted messages.",
        "chars": "Characters (Unicode code points) in those texts.",
        "chars_per_message_median": "Median characters per non-event, non-deleted message "
        "(a message without text counts 0).",
        "turns": "Runs of consecutive messages by this sender in the chat's sequence.",
        "messages_per_turn": "messages / turns.",
        "first_at": "Time of the first message, in tz.",
        "last_at": "Time of the last message, in tz.",
        "active_days": "Distinct calendar days (in tz) with at least one message.",
        "active_day_ratio": "active_days / calendar days from the first to the last message "
        "(both included).",
        "longest_streak_days": "Most consecutive calendar days (in tz) with a message.",
        "attachments": "Attachments of the sender's own non-deleted messages, any type "
        "(attachments of quoted messages are not counted).",
        **{
            f"attachments_{kind}": f"Of those, attachments of type {kind!r}."
            for kind in ATTACHMENT_TYPES
        },
        "reactions_given": "Reactions this sender left on non-event messages of the chat.",
        "reactions_received": "Reactions left by anyone on this sender's non-event messages.",
        "edited": "Messages marked edited.",
        "deleted": "Messages marked deleted.",
        "replies": "Messages that reply to another (reply_to present).",
        "conversations_started": "Conversations whose first message is this sender's; a "
        "conversation starts after a silence strictly longer than session_gap.",
        "share_of_starts": "conversations_started / the chat's conversations.",
        "conversations_joined": "Conversations this sender wrote in without starting them.",
        "responses": "First messages of a turn that follow another sender's message by at "
        "most response_cap (inclusive).",
        "response_time_median": "Median time from the previous sender's last message to the "
        "response (rounded half up to the millisecond).",
        "response_time_p90": "90th percentile response time (nearest rank: the smallest "
        "time with at least 90% of responses at or below it).",
        "responses_within_5min_share": "Share of responses that took at most 5 minutes.",
        "unanswered": "This sender's turns that the next sender answered only after more "
        "than response_cap (the chat's last turn, still open, is not counted).",
        "peak_hour": "Local hour (0-23) with the most messages; ties go to the earliest hour.",
        "peak_weekday": "ISO weekday (1 = Monday ... 7 = Sunday) with the most messages; "
        "ties go to the earliest day.",
        "night_share": "Share of messages sent 00:00-05:59 local time.",
        "weekend_share": "Share of messages sent on a local Saturday or Sunday.",
        "events": "Event messages (is_event) attributed to this sender; in no other metric.",
    }
)

_COUNT = pl.Int64
_SHARE = pl.Float64
_DURATION = pl.Duration("ms")

#: Column -> dtype of :func:`sender_activity` (``first_at``/``last_at`` carry ``tz``).
SENDER_ACTIVITY_SCHEMA: Final[Mapping[str, pl.DataType]] = MappingProxyType(
    {
        "chat_id": pl.String(),
        "sender_id": pl.String(),
        "is_sender": pl.Boolean(),
        "messages": _COUNT(),
        "share_of_messages": _SHARE(),
        "words": _COUNT(),
        "chars": _COUNT(),
        "chars_per_message_median": pl.Float64(),
        "turns": _COUNT(),
        "messages_per_turn": pl.Float64(),
        "first_at": _UTC_MS,
        "last_at": _UTC_MS,
        "active_days": _COUNT(),
        "active_day_ratio": _SHARE(),
        "longest_streak_days": _COUNT(),
        "attachments": _COUNT(),
        **{f"attachments_{kind}": _COUNT() for kind in ATTACHMENT_TYPES},
        "reactions_given": _COUNT(),
        "reactions_received": _COUNT(),
        "edited": _COUNT(),
        "deleted": _COUNT(),
        "replies": _COUNT(),
        "conversations_started": _COUNT(),
        "share_of_starts": _SHARE(),
        "conversations_joined": _COUNT(),
        "responses": _COUNT(),
        "response_time_median": _DURATION,
        "response_time_p90": _DURATION,
        "responses_within_5min_share": _SHARE(),
        "unanswered": _COUNT(),
        "peak_hour": pl.Int8(),
        "peak_weekday": pl.Int8(),
        "night_share": _SHARE(),
        "weekend_share": _SHARE(),
        "events": _COUNT(),
    }
)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class _Inputs:
    """The three tables as LazyFrames, children already carrying ``chat_id``."""

    messages: pl.LazyFrame
    attachments: pl.LazyFrame
    reactions: pl.LazyFrame
    streaming: bool

    def collect(self, plan: pl.LazyFrame) -> pl.DataFrame:
        return plan.collect(engine="streaming" if self.streaming else "auto")


def _check_columns(name: str, frame: FrameLike) -> pl.Schema:
    schema = frame.collect_schema()
    missing = [c for c in _REQUIRED[name] if c not in schema]
    if missing:
        failures = [SchemaFailure(name, c, "column_in_dataframe") for c in missing]
        raise SchemaValidationError(name, failures)
    timestamp = schema.get("timestamp")
    if name == "messages" and not (
        isinstance(timestamp, pl.Datetime) and timestamp.time_zone is not None
    ):
        raise SchemaValidationError(
            name, [SchemaFailure(name, "timestamp", f"dtype is {timestamp}, not a UTC Datetime")]
        )
    return schema


def _inputs(frames: Mapping[str, FrameLike]) -> _Inputs:
    if not isinstance(frames, Mapping):
        raise TypeError(
            "frames must be a ChatFrames or a mapping of table name -> polars frame, "
            f"got {type(frames).__name__}"
        )
    missing = [name for name in _REQUIRED if name not in frames]
    if missing:
        raise SchemaValidationError(
            ", ".join(missing), [SchemaFailure(name, None, "table_present") for name in missing]
        )
    tables: dict[str, pl.LazyFrame] = {}
    streaming = False
    for name in _REQUIRED:
        frame = frames[name]
        if not isinstance(frame, pl.DataFrame | pl.LazyFrame):
            raise TypeError(f"frames[{name!r}] must be a polars DataFrame or LazyFrame")
        streaming = streaming or isinstance(frame, pl.LazyFrame)
        schema = _check_columns(name, frame)
        columns = list(_REQUIRED[name])
        if name != "messages" and "chat_id" in schema:
            columns.append("chat_id")
        tables[name] = frame.lazy().select(columns)

    messages = tables["messages"].with_columns(
        pl.col("timestamp").dt.convert_time_zone("UTC").dt.cast_time_unit("ms")
    )
    # Child tables of one ChatFrames have no chat_id: take it (and the message's own fields)
    # from the message they belong to. Dataset tables have it: join on it too.
    parents = messages.select(
        "chat_id",
        pl.col("id").alias("message_id"),
        pl.col("sender_id").alias("author_id"),
        "is_event",
        pl.col("deleted").alias("message_deleted"),
    )

    def attach(child: pl.LazyFrame, name: str) -> pl.LazyFrame:
        on = (
            ["chat_id", "message_id"]
            if "chat_id" in frames[name].collect_schema()
            else ["message_id"]
        )
        return child.join(parents, on=on, how="inner")

    return _Inputs(
        messages=messages,
        attachments=attach(tables["attachments"], "attachments"),
        reactions=attach(tables["reactions"], "reactions"),
        streaming=streaming,
    )


def _check_tz(tz: str) -> None:
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigurationError(f"tz: unknown time zone {tz!r} (use an IANA name)") from None


def _check_positive(name: str, value: timedelta) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ConfigurationError(f"{name} must be a positive timedelta, got {value!r}")


def _check_every(every: str) -> None:
    try:
        pl.select(pl.lit(datetime(2026, 1, 1)).dt.truncate(every))
    except (pl.exceptions.PolarsError, TypeError, ValueError):
        raise ConfigurationError(
            f"every: {every!r} is not a polars duration such as '1h', '1d', '1w' or '1mo'"
        ) from None


# --------------------------------------------------------------------------- the sequence


def _sequence(
    inputs: _Inputs, *, tz: str, session_gap: timedelta, response_cap: timedelta
) -> pl.LazyFrame:
    """Non-event messages in chat order, with turn, conversation and response markers."""
    sender = pl.col("sender_id")
    previous = pl.col("previous_sender")
    changed = previous.is_not_null() & (sender != previous)
    gap = pl.col("gap")
    local = pl.col("timestamp").dt.convert_time_zone(tz)
    text = pl.col("text").fill_null("")
    return (
        inputs.messages.filter(~pl.col("is_event"))
        .sort(["chat_id", "timestamp", "id"])
        .with_columns(
            previous_sender=sender.shift(1).over("chat_id"),
            gap=pl.col("timestamp").diff().over("chat_id"),
        )
        .with_columns(
            new_turn=previous.is_null() | (sender != previous),
            new_conversation=gap.is_null() | (gap > session_gap),
            is_response=changed & (gap <= response_cap),
            answered_late=changed & (gap > response_cap),
            words=text.str.count_matches(_WORD).cast(_COUNT),
            chars=text.str.len_chars().cast(_COUNT),
            hour=local.dt.hour(),
            weekday=local.dt.weekday(),
            day=local.dt.date(),
        )
        .with_columns(conversation=pl.col("new_conversation").cum_sum().over("chat_id"))
    )


def _share(numerator: str, denominator: pl.Expr) -> pl.Expr:
    return pl.when(denominator > 0).then(pl.col(numerator) / denominator).otherwise(None)


# --------------------------------------------------------------------------- public API


def sender_activity(
    frames: Mapping[str, FrameLike],
    *,
    tz: str = "UTC",
    session_gap: timedelta = DEFAULT_SESSION_GAP,
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
) -> pl.DataFrame:
    """One row per ``chat_id`` and ``sender_id`` with volume, tenure, content, conversation,
    responsiveness and rhythm metrics (:data:`METRIC_DEFINITIONS` states each column).

    Rules (the *sequence* is a chat's non-event messages by ``timestamp`` then ``id``,
    deleted ones included):

    * Rows: every sender of a message (events too) or of a reaction; a sender with only
      events has ``messages == 0`` and nulls where a metric needs messages. Sorted by
      ``chat_id``, ``messages`` descending, ``sender_id``.
    * Turns: a turn is a maximal run of one sender's consecutive messages in the sequence.
    * Conversations: a message starts a new conversation when it is the chat's first or
      comes *strictly more* than ``session_gap`` after the previous message; a gap equal
      to ``session_gap`` stays in the same conversation.
    * Responses: the first message of a turn (after another sender's message) is a
      response to that sender when its gap is *at most* ``response_cap``; a gap longer
      than the cap is no response and counts as ``unanswered`` for the previous sender.
      The chat's last turn is neither. Response times are measured from the previous
      message (the other sender's last one). ``responses_within_5min_share`` includes
      exactly 5 minutes.
    * Peaks: hour and ISO weekday with the most messages in ``tz``; ties go to the
      smallest hour or weekday. Night is ``00:00 <= local time < 06:00``.
    * Shares and ratios are null when their denominator is 0; counts are 0, not null.
    * ``first_at``/``last_at`` are in ``tz``; durations are ``Duration("ms")`` (see
      :func:`export_ready` for CSV).

    >>> sender_activity(ChatFrames.empty()).height                     # doctest: +SKIP
    0
    """
    _check_tz(tz)
    _check_positive("session_gap", session_gap)
    _check_positive("response_cap", response_cap)
    inputs = _inputs(frames)
    return inputs.collect(_sender_activity_plan(inputs, tz, session_gap, response_cap))


def _sender_activity_plan(
    inputs: _Inputs, tz: str, session_gap: timedelta, response_cap: timedelta
) -> pl.LazyFrame:
    seq = _sequence(inputs, tz=tz, session_gap=session_gap, response_cap=response_cap)
    kept = ~pl.col("deleted")
    volume = seq.group_by(_KEYS).agg(
        messages=pl.len(),
        words=pl.col("words").filter(kept).sum(),
        chars=pl.col("chars").filter(kept).sum(),
        chars_per_message_median=pl.col("chars").filter(kept).median(),
        turns=pl.col("new_turn").sum(),
        first_at=pl.col("timestamp").min(),
        last_at=pl.col("timestamp").max(),
        first_day=pl.col("day").min(),
        last_day=pl.col("day").max(),
        edited=pl.col("edited").sum(),
        deleted=pl.col("deleted").sum(),
        replies=pl.col("reply_to_id").is_not_null().sum(),
        conversations_started=pl.col("new_conversation").sum(),
        conversations_in=pl.col("conversation").n_unique(),
        night=(pl.col("hour") < NIGHT_END_HOUR).sum(),
        weekend=(pl.col("weekday") >= 6).sum(),
    )

    response_ms = pl.col("gap").dt.total_milliseconds()
    nearest_rank_p90 = response_ms.sort().get((pl.len() * 9 + 9) // 10 - 1)
    responsiveness = (
        seq.filter(pl.col("is_response"))
        .group_by(_KEYS)
        .agg(
            responses=pl.len(),
            response_time_median=(response_ms.median() + 0.5).floor(),
            response_time_p90=nearest_rank_p90,
            within_5min=(pl.col("gap") <= QUICK_RESPONSE).sum(),
        )
    )
    unanswered = (
        seq.filter(pl.col("answered_late"))
        .group_by("chat_id", pl.col("previous_sender").alias("sender_id"))
        .agg(unanswered=pl.len())
    )

    def peak(column: str) -> pl.LazyFrame:
        counts = seq.group_by([*_KEYS, column]).agg(n=pl.len())
        top = pl.col(column).filter(pl.col("n") == pl.col("n").max()).min()
        return counts.group_by(_KEYS).agg(top.alias(f"peak_{column}"))

    # Streaks: distinct local days per sender; a new run starts where the day before is
    # missing. Calendar dates ignore DST, so a 23-hour day is still one day.
    days = seq.select(*_KEYS, "day").unique()
    run = (pl.col("day").diff() != timedelta(days=1)).fill_null(True).cum_sum()
    streaks = (
        days.sort([*_KEYS, "day"])
        .with_columns(run=run.over(_KEYS))
        .group_by([*_KEYS, "run"])
        .agg(length=pl.len())
        .group_by(_KEYS)
        .agg(active_days=pl.col("length").sum(), longest_streak_days=pl.col("length").max())
    )

    own = inputs.attachments.filter(
        ~pl.col("quoted") & ~pl.col("is_event") & ~pl.col("message_deleted")
    )
    attachments = (
        own.rename({"author_id": "sender_id"})
        .group_by(_KEYS)
        .agg(
            attachments=pl.len(),
            **{f"attachments_{kind}": (pl.col("type") == kind).sum() for kind in ATTACHMENT_TYPES},
        )
    )
    reactions = inputs.reactions.filter(~pl.col("is_event"))
    given = reactions.group_by(_KEYS).agg(reactions_given=pl.len())
    received = reactions.group_by("chat_id", pl.col("author_id").alias("sender_id")).agg(
        reactions_received=pl.len()
    )
    events = inputs.messages.filter(pl.col("is_event")).group_by(_KEYS).agg(events=pl.len())
    senders = (
        pl.concat(
            [
                inputs.messages.select(*_KEYS, "is_sender"),
                inputs.reactions.select(*_KEYS, "is_sender"),
            ]
        )
        .group_by(_KEYS)
        .agg(pl.col("is_sender").any())
    )

    joined = senders
    for part in (
        volume,
        responsiveness,
        unanswered,
        peak("hour"),
        peak("weekday"),
        streaks,
        attachments,
        given,
        received,
        events,
    ):
        joined = joined.join(part, on=_KEYS, how="left", nulls_equal=True)

    counts = [
        name
        for name, dtype in SENDER_ACTIVITY_SCHEMA.items()
        if dtype == _COUNT() and name != "conversations_joined"
    ]
    joined = joined.with_columns(
        pl.col(c).fill_null(0)
        for c in [*counts, "conversations_in", "night", "weekend", "within_5min"]
    )
    messages = pl.col("messages")
    span_days = (pl.col("last_day") - pl.col("first_day")).dt.total_days() + 1
    result = joined.with_columns(
        share_of_messages=_share("messages", messages.sum().over("chat_id")),
        messages_per_turn=_share("messages", pl.col("turns")),
        active_day_ratio=_share("active_days", span_days),
        share_of_starts=_share(
            "conversations_started", pl.col("conversations_started").sum().over("chat_id")
        ),
        conversations_joined=pl.col("conversations_in") - pl.col("conversations_started"),
        responses_within_5min_share=_share("within_5min", pl.col("responses")),
        night_share=_share("night", messages),
        weekend_share=_share("weekend", messages),
        first_at=pl.col("first_at").dt.convert_time_zone(tz),
        last_at=pl.col("last_at").dt.convert_time_zone(tz),
        response_time_median=pl.duration(
            milliseconds=pl.col("response_time_median").cast(pl.Int64), time_unit="ms"
        ),
        response_time_p90=pl.duration(milliseconds=pl.col("response_time_p90"), time_unit="ms"),
    )
    dtypes = dict(SENDER_ACTIVITY_SCHEMA)
    dtypes["first_at"] = dtypes["last_at"] = pl.Datetime("ms", tz)
    return result.select(pl.col(name).cast(dtype) for name, dtype in dtypes.items()).sort(
        ["chat_id", "messages", "sender_id"], descending=[False, True, False]
    )


def response_times(
    frames: Mapping[str, FrameLike], *, response_cap: timedelta = DEFAULT_RESPONSE_CAP
) -> pl.DataFrame:
    """Every response (as defined in :func:`sender_activity`), one row each, in chat order.

    Columns: ``chat_id``, ``message_id`` (the response), ``responder``, ``responded_to``,
    ``responded_at`` (UTC) and ``response_time`` (``Duration("ms")``).

    >>> response_times(frames).get_column("response_time").median()   # doctest: +SKIP
    """
    _check_positive("response_cap", response_cap)
    inputs = _inputs(frames)
    seq = _sequence(inputs, tz="UTC", session_gap=response_cap, response_cap=response_cap)
    plan = seq.filter(pl.col("is_response")).select(
        "chat_id",
        pl.col("id").alias("message_id"),
        pl.col("sender_id").alias("responder"),
        pl.col("previous_sender").alias("responded_to"),
        pl.col("timestamp").alias("responded_at"),
        pl.col("gap").cast(_DURATION).alias("response_time"),
    )
    return inputs.collect(plan)


def response_matrix(
    frames: Mapping[str, FrameLike], *, response_cap: timedelta = DEFAULT_RESPONSE_CAP
) -> pl.DataFrame:
    """Who answers whom: one row per ``chat_id``, ``responder`` and ``responded_to``.

    ``responses`` counts the responses (see :func:`sender_activity`), ``share`` is that
    count over all responses of the chat (a chat's shares sum to 1), and
    ``response_time_median`` is their median time (rounded half up to the millisecond).
    Pairs without responses have no row. Sorted by chat, then most responses first.

    >>> response_matrix(frames).columns                                # doctest: +SKIP
    ['chat_id', 'responder', 'responded_to', 'responses', 'share', 'response_time_median']
    """
    _check_positive("response_cap", response_cap)
    inputs = _inputs(frames)
    seq = _sequence(inputs, tz="UTC", session_gap=response_cap, response_cap=response_cap)
    response_ms = pl.col("gap").dt.total_milliseconds()
    plan = (
        seq.filter(pl.col("is_response"))
        .group_by(
            "chat_id",
            pl.col("sender_id").alias("responder"),
            pl.col("previous_sender").alias("responded_to"),
        )
        .agg(
            responses=pl.len().cast(_COUNT),
            median_ms=(response_ms.median() + 0.5).floor().cast(pl.Int64),
        )
        .with_columns(
            share=pl.col("responses") / pl.col("responses").sum().over("chat_id"),
            response_time_median=pl.duration(milliseconds=pl.col("median_ms"), time_unit="ms"),
        )
        .select(
            "chat_id", "responder", "responded_to", "responses", "share", "response_time_median"
        )
        .sort(
            ["chat_id", "responses", "responder", "responded_to"],
            descending=[False, True, False, False],
        )
    )
    return inputs.collect(plan)


def activity_over_time(
    frames: Mapping[str, FrameLike], every: str = "1d", *, tz: str = "UTC"
) -> pl.DataFrame:
    """Messages, words and characters per ``chat_id``, ``sender_id`` and period.

    ``period`` is the start of the period as a *local wall-clock* time in ``tz`` (a naive
    datetime: ``every="1d"`` gives local midnights, even across a DST change); ``every``
    is a polars duration (``"1h"``, ``"1d"``, ``"1w"`` weeks start on Monday, ``"1mo"``).
    ``messages`` counts non-event messages (deleted included), ``words`` and ``chars``
    those not deleted. Periods without messages have no row.

    >>> activity_over_time(frames, "1w", tz="Europe/Paris")            # doctest: +SKIP
    """
    _check_tz(tz)
    _check_every(every)
    inputs = _inputs(frames)
    kept = ~pl.col("deleted")
    local = pl.col("timestamp").dt.convert_time_zone(tz).dt.replace_time_zone(None)
    plan = (
        inputs.messages.filter(~pl.col("is_event"))
        .with_columns(
            period=local.dt.truncate(every),
            words=pl.col("text").fill_null("").str.count_matches(_WORD).cast(_COUNT),
            chars=pl.col("text").fill_null("").str.len_chars().cast(_COUNT),
        )
        .group_by("chat_id", "sender_id", "period")
        .agg(
            messages=pl.len().cast(_COUNT),
            words=pl.col("words").filter(kept).sum(),
            chars=pl.col("chars").filter(kept).sum(),
        )
        .sort("chat_id", "period", "sender_id")
    )
    return inputs.collect(plan)


def export_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy fit for CSV and JSON: durations become float seconds (``<name>_seconds``),
    datetimes ISO 8601 strings with their UTC offset.

    >>> export_ready(sender_activity(frames)).write_csv("stats.csv")   # doctest: +SKIP
    """
    columns: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Duration):
            seconds = column.dt.total_milliseconds() / 1000
            columns.append(seconds.alias(f"{name}_seconds"))
        elif isinstance(dtype, pl.Datetime):
            fmt = "%Y-%m-%dT%H:%M:%S%.3f" + ("%:z" if dtype.time_zone else "")
            columns.append(column.dt.strftime(fmt))
        else:
            columns.append(column)
    return frame.select(columns)
