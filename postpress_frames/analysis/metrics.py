"""What :func:`~postpress_frames.analysis.stats.sender_activity` returns: one table of its
columns, each with its dtype and its definition, and the constants those definitions name.

:data:`METRICS` is the one place a metric is declared; :data:`METRIC_DEFINITIONS` (what
the README and the report show) and :data:`SENDER_ACTIVITY_SCHEMA` (what the result is
cast to) are both read from it, so they cannot disagree.

>>> METRICS["response_time_median"].dtype
Duration(time_unit='ms')
>>> list(METRIC_DEFINITIONS) == list(SENDER_ACTIVITY_SCHEMA) == list(METRICS)
True
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
    "COUNT",
    "DEFAULT_RESPONSE_CAP",
    "DEFAULT_SESSION_GAP",
    "DURATION",
    "METRICS",
    "METRIC_DEFINITIONS",
    "NIGHT_END_HOUR",
    "QUICK_RESPONSE",
    "SENDER_ACTIVITY_SCHEMA",
    "SHARE",
    "STATISTIC_SCHEMAS",
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
    """One column of :func:`~postpress_frames.analysis.stats.sender_activity`."""

    dtype: pl.DataType
    definition: str


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

#: Metric column -> its definition (the docstring of ``sender_activity``, per column).
METRIC_DEFINITIONS: Final[Mapping[str, str]] = MappingProxyType(
    {name: metric.definition for name, metric in METRICS.items()}
)

#: Column -> dtype of ``sender_activity`` (``first_at``/``last_at`` carry ``tz``).
SENDER_ACTIVITY_SCHEMA: Final[Mapping[str, pl.DataType]] = MappingProxyType(
    {name: metric.dtype for name, metric in METRICS.items()}
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
    }
)
