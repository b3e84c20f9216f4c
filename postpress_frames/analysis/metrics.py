"""What the per-person statistics return: one table of columns per statistic, each column
with its dtype and its definition, and the constants those definitions name.

This is the one place a metric is declared: :data:`METRICS` (``sender_activity``),
:data:`RECEIPT_METRICS` (``read_receipts``) and :data:`CONTENT_METRICS` (``content``).
:data:`METRIC_DEFINITIONS` (what the README and the report show) and the schemas the
results are cast to (:data:`STATISTIC_SCHEMAS`) are read from them, so they cannot disagree.

>>> METRICS["response_time_median"].dtype
Duration(time_unit='ms')
>>> list(SENDER_ACTIVITY_SCHEMA) == list(METRICS) == list(METRIC_DEFINITIONS)[: len(METRICS)]
True
>>> METRIC_DEFINITIONS["seen_share"]
'seen / messages_received (null when nothing was received).'
>>> METRIC_DEFINITIONS["night_share"]
'Share of messages sent 00:00-05:59 local time.'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Final, NamedTuple

import polars as pl

from postpress_frames.analysis.inputs import UTC_MS
from postpress_frames.tables.schemas import ATTACHMENT_TYPES

__all__ = [
    "CONTENT_METRICS",
    "CONTENT_SCHEMA",
    "COUNT",
    "DEFAULT_RESPONSE_CAP",
    "DEFAULT_SESSION_GAP",
    "DURATION",
    "METRICS",
    "METRIC_DEFINITIONS",
    "NIGHT_END_HOUR",
    "PARTICIPANTS_SCHEMA",
    "QUICK_RESPONSE",
    "READ_MATRIX_SCHEMA",
    "READ_RECEIPTS_SCHEMA",
    "READ_TIMES_SCHEMA",
    "RECEIPT_METRICS",
    "SENDER_ACTIVITY_SCHEMA",
    "SHARE",
    "STATISTIC_SCHEMAS",
    "TOP",
    "TOP_N",
    "Metric",
]

DEFAULT_SESSION_GAP: Final = timedelta(minutes=30)
DEFAULT_RESPONSE_CAP: Final = timedelta(hours=24)
QUICK_RESPONSE: Final = timedelta(minutes=5)
NIGHT_END_HOUR: Final = 6  # night is 00:00 <= local time < 06:00

COUNT: Final = pl.Int64()
SHARE: Final = pl.Float64()
DURATION: Final = pl.Duration("ms")

_QUICK_MINUTES: Final = QUICK_RESPONSE // timedelta(minutes=1)


class Metric(NamedTuple):
    """One column of a statistic: its dtype and its definition."""

    dtype: pl.DataType
    definition: str


def _definitions(*tables: Mapping[str, Metric]) -> Mapping[str, str]:
    """Column -> definition over ``tables``; a column of several keeps its first one."""
    merged: dict[str, str] = {}
    for table in tables:
        for name, metric in table.items():
            merged.setdefault(name, metric.definition)
    return MappingProxyType(merged)


#: Metric column -> (dtype, definition), in the order of the result's columns.
#: ``first_at``/``last_at`` are stored in UTC here; the result carries them in ``tz``.
METRICS: Final[Mapping[str, Metric]] = MappingProxyType(
    {
        "chat_id": Metric(pl.String(), "The chat."),
        "sender_id": Metric(
            pl.String(), "The sender (the id in messages.sender_id and reactions.sender_id)."
        ),
        "sender_name": Metric(
            pl.String(),
            "The sender's name from names=, else its id cut short (unique within the chat).",
        ),
        "is_sender": Metric(
            pl.Boolean(),
            "True for the connected account (is_sender on any of its messages or reactions).",
        ),
        "messages": Metric(COUNT, "Non-event messages sent, deleted ones included."),
        "share_of_messages": Metric(
            SHARE, "messages / the chat's messages (null when the chat has none)."
        ),
        "words": Metric(
            COUNT, "Whitespace-separated words in the text of non-event, non-deleted messages."
        ),
        "chars": Metric(COUNT, "Characters (Unicode code points) in those texts."),
        "chars_per_message_median": Metric(
            pl.Float64(),
            "Median characters per non-event, non-deleted message "
            "(a message without text counts 0).",
        ),
        "turns": Metric(
            COUNT, "Runs of consecutive messages by this sender in the chat's sequence."
        ),
        "messages_per_turn": Metric(pl.Float64(), "messages / turns."),
        "first_at": Metric(UTC_MS, "Time of the first message, in tz."),
        "last_at": Metric(UTC_MS, "Time of the last message, in tz."),
        "active_days": Metric(COUNT, "Distinct calendar days (in tz) with at least one message."),
        "active_day_ratio": Metric(
            SHARE,
            "active_days / calendar days from the first to the last message (both included).",
        ),
        "longest_streak_days": Metric(
            COUNT, "Most consecutive calendar days (in tz) with a message."
        ),
        "attachments": Metric(
            COUNT,
            "Attachments of the sender's own non-deleted messages, any type "
            "(attachments of quoted messages are not counted).",
        ),
        **{
            f"attachments_{kind}": Metric(COUNT, f"Of those, attachments of type {kind!r}.")
            for kind in ATTACHMENT_TYPES
        },
        "reactions_given": Metric(
            COUNT, "Reactions this sender left on non-event messages of the chat."
        ),
        "reactions_received": Metric(
            COUNT, "Reactions left by anyone on this sender's non-event messages."
        ),
        "edited": Metric(COUNT, "Messages marked edited."),
        "deleted": Metric(COUNT, "Messages marked deleted."),
        "replies": Metric(COUNT, "Messages that reply to another (reply_to present)."),
        "conversations_started": Metric(
            COUNT,
            "Conversations whose first message is this sender's; a conversation starts "
            "after a silence strictly longer than session_gap.",
        ),
        "share_of_starts": Metric(SHARE, "conversations_started / the chat's conversations."),
        "conversations_joined": Metric(
            COUNT, "Conversations this sender wrote in without starting them."
        ),
        "responses": Metric(
            COUNT,
            "First messages of a turn that follow another sender's message by at most "
            "response_cap (inclusive).",
        ),
        "response_time_median": Metric(
            DURATION,
            "Median time from the previous sender's last message to the response "
            "(rounded half up to the millisecond).",
        ),
        "response_time_p90": Metric(
            DURATION,
            "90th percentile response time (nearest rank: the smallest time with at "
            "least 90% of responses at or below it).",
        ),
        "responses_within_5min_share": Metric(
            SHARE, f"Share of responses that took at most {_QUICK_MINUTES} minutes."
        ),
        "unanswered": Metric(
            COUNT,
            "This sender's turns that the next sender answered only after more than "
            "response_cap (the chat's last turn, still open, is not counted).",
        ),
        "peak_hour": Metric(
            pl.Int8(),
            "Local hour (0-23) with the most messages; ties go to the earliest hour.",
        ),
        "peak_weekday": Metric(
            pl.Int8(),
            "ISO weekday (1 = Monday ... 7 = Sunday) with the most messages; "
            "ties go to the earliest day.",
        ),
        "night_share": Metric(
            SHARE, f"Share of messages sent 00:00-{NIGHT_END_HOUR - 1:02d}:59 local time."
        ),
        "weekend_share": Metric(SHARE, "Share of messages sent on a local Saturday or Sunday."),
        "events": Metric(
            COUNT, "Event messages (is_event) attributed to this sender; in no other metric."
        ),
    }
)

#: Column -> dtype of ``sender_activity`` (``first_at``/``last_at`` carry ``tz``).
SENDER_ACTIVITY_SCHEMA: Final[Mapping[str, pl.DataType]] = MappingProxyType(
    {name: metric.dtype for name, metric in METRICS.items()}
)

#: How many values a top list holds at most.
TOP_N: Final = 5
#: The dtype of a top list: ``[{value, count}, ...]``, most frequent first.
TOP: Final = pl.List(pl.Struct({"value": pl.String(), "count": COUNT}))


#: Column -> (dtype, definition) of :func:`read_receipts`, in the order of its columns.
RECEIPT_METRICS: Final[Mapping[str, Metric]] = MappingProxyType(
    {
        "chat_id": Metric(pl.String(), "The chat."),
        "attendee_id": Metric(
            pl.String(),
            "The reader's attendee id (seen_by.attendee_id); for a sender, the one on most "
            "of their messages (ties: the smallest id).",
        ),
        "sender_id": Metric(
            pl.String(), "The reader's sender id (messages.sender_id); null if they never wrote."
        ),
        "sender_name": Metric(
            pl.String(),
            "The reader's name from names= (by sender_id, or by attendee_id for a reader who "
            "never wrote), else that id cut short (unique within the chat).",
        ),
        "is_sender": Metric(
            pl.Boolean(),
            "True for the connected account (is_sender on any of its messages or reactions; "
            "False for a reader who never wrote).",
        ),
        "messages_received": Metric(
            COUNT,
            "Non-event messages of the chat written by others, deleted ones included, "
            "whether or not a receipt came back.",
        ),
        "seen": Metric(
            COUNT,
            "Of those, messages with a seen receipt from this reader (seen_by true or a "
            "time; false is not seen).",
        ),
        "seen_share": Metric(SHARE, "seen / messages_received (null when nothing was received)."),
        "time_to_read_median": Metric(
            DURATION,
            "Median time from a message to its seen_at, over seen messages with a known "
            "seen_at (rounded half up to the millisecond; a seen_at before the message, "
            "clock skew, counts 0).",
        ),
        "time_to_read_p90": Metric(
            DURATION,
            "90th percentile time to read (nearest rank: the smallest time with at least "
            "90% of timed reads at or below it).",
        ),
        "read_within_5min_share": Metric(
            SHARE,
            f"Share of seen messages with a known seen_at read at most {_QUICK_MINUTES} "
            "minutes after they were sent.",
        ),
        "left_on_read": Metric(
            COUNT,
            "Seen messages the reader did not answer: no non-event message of theirs "
            "strictly after it and at most response_cap later (inclusive); one less than "
            "response_cap before the chat's last message, still open, is not counted.",
        ),
    }
)

#: Column -> dtype of :func:`read_receipts`.
READ_RECEIPTS_SCHEMA: Final[Mapping[str, pl.DataType]] = MappingProxyType(
    {name: metric.dtype for name, metric in RECEIPT_METRICS.items()}
)

#: Column -> dtype of :func:`participants`.
PARTICIPANTS_SCHEMA: Final[Mapping[str, pl.DataType]] = MappingProxyType(
    {
        "chat_id": pl.String(),
        "sender_id": pl.String(),
        "sender_name": pl.String(),
        "attendee_id": pl.String(),
        "is_sender": pl.Boolean(),
        "first_message_at": UTC_MS,
        "last_message_at": UTC_MS,
    }
)

#: Column -> dtype of :func:`read_times`.
READ_TIMES_SCHEMA: Final[Mapping[str, pl.DataType]] = MappingProxyType(
    {
        "chat_id": pl.String(),
        "message_id": pl.String(),
        "writer": pl.String(),
        "writer_name": pl.String(),
        "reader_attendee_id": pl.String(),
        "reader": pl.String(),
        "reader_name": pl.String(),
        "sent_at": UTC_MS,
        "seen_at": UTC_MS,
        "time_to_read": DURATION,
    }
)

#: Column -> dtype of :func:`read_matrix`.
READ_MATRIX_SCHEMA: Final[Mapping[str, pl.DataType]] = MappingProxyType(
    {
        "chat_id": pl.String(),
        "writer": pl.String(),
        "writer_name": pl.String(),
        "reader_attendee_id": pl.String(),
        "reader": pl.String(),
        "reader_name": pl.String(),
        "messages": COUNT,
        "seen": COUNT,
        "time_to_read_median": DURATION,
    }
)

#: Column -> (dtype, definition) of :func:`content`, in the order of the result's columns.
CONTENT_METRICS: Final[Mapping[str, Metric]] = MappingProxyType(
    {
        **{key: METRICS[key] for key in ("chat_id", "sender_id", "sender_name")},
        "emoji": Metric(
            COUNT,
            "Emoji in the text of non-event, non-deleted messages, as the emoji library "
            "finds them (a ZWJ sequence, skin-toned emoji or flag is one).",
        ),
        "emoji_distinct": Metric(COUNT, "Distinct emoji among those (as written)."),
        "top_emoji": Metric(TOP, "The five most used emoji with their counts (ties: by value)."),
        "links": Metric(
            COUNT,
            "Web links (an http or https address, or one starting with www., at a word "
            "start) in the text of non-event, non-deleted messages.",
        ),
        "link_domains": Metric(
            COUNT, "Distinct domains of those links (host lowercased, without www. and port)."
        ),
        "top_domains": Metric(
            TOP, "The five most linked domains with their link counts (ties: by domain)."
        ),
        "questions": Metric(
            COUNT,
            "Non-event, non-deleted messages whose text, without trailing whitespace, "
            "ends in ?, \uff1f or ؟.",
        ),
        "top_reactions_given": Metric(
            TOP,
            "The five reactions this sender left most on non-event messages, "
            "with their counts (ties: by value).",
        ),
        "top_reactions_received": Metric(
            TOP,
            "The five reactions left most by anyone on this sender's non-event messages, "
            "with their counts (ties: by value).",
        ),
    }
)

#: Column -> dtype of :func:`content`.
CONTENT_SCHEMA: Final[Mapping[str, pl.DataType]] = MappingProxyType(
    {name: metric.dtype for name, metric in CONTENT_METRICS.items()}
)

#: Column -> its definition, for every per-person statistic: ``sender_activity``'s columns,
#: then those ``read_receipts`` and ``content`` add (shared columns keep the first
#: definition; the README's tables and the report show these).
METRIC_DEFINITIONS: Final[Mapping[str, str]] = _definitions(
    METRICS, RECEIPT_METRICS, CONTENT_METRICS
)

#: Column -> dtype of each public statistic's table, keyed by the function that returns it:
#: how :func:`~postpress_frames.analysis.export.write_stats` tells a table of statistics,
#: and a file it wrote, from other data. Datetimes are shown in UTC here; ``sender_activity``
#: carries ``first_at``/``last_at`` in ``tz`` and ``activity_over_time``'s ``period`` is a
#: naive local wall-clock time.
STATISTIC_SCHEMAS: Final[Mapping[str, Mapping[str, pl.DataType]]] = MappingProxyType(
    {
        "sender_activity": SENDER_ACTIVITY_SCHEMA,
        "response_times": MappingProxyType(
            {
                "chat_id": pl.String(),
                "message_id": pl.String(),
                "responder": pl.String(),
                "responder_name": pl.String(),
                "responded_to": pl.String(),
                "responded_to_name": pl.String(),
                "responded_at": UTC_MS,
                "response_time": DURATION,
            }
        ),
        "response_matrix": MappingProxyType(
            {
                "chat_id": pl.String(),
                "responder": pl.String(),
                "responder_name": pl.String(),
                "responded_to": pl.String(),
                "responded_to_name": pl.String(),
                "responses": COUNT,
                "share": SHARE,
                "response_time_median": DURATION,
            }
        ),
        "activity_over_time": MappingProxyType(
            {
                "chat_id": pl.String(),
                "sender_id": pl.String(),
                "sender_name": pl.String(),
                "period": pl.Datetime("ms"),
                "messages": COUNT,
                "words": COUNT,
                "chars": COUNT,
            }
        ),
        "participants": PARTICIPANTS_SCHEMA,
        "read_times": READ_TIMES_SCHEMA,
        "read_receipts": READ_RECEIPTS_SCHEMA,
        "read_matrix": READ_MATRIX_SCHEMA,
        "content": CONTENT_SCHEMA,
    }
)
