"""A chat's *sequence* and the rules read from it: turns, conversations, responses.

The sequence is a chat's messages a sender wrote (events left out, deleted ones kept)
ordered by ``timestamp`` then ``id``. Every statistic, chart and the report read turns,
conversations and responses from :func:`chat_sequence`, and text sizes, local time and
medians from the expressions here, so each rule is written once (package-internal API).

>>> from postpress_frames import frames_from_pages
>>> from postpress_frames.analysis.inputs import prepare_inputs
>>> from postpress_frames.testing import demo_chat
>>> inputs = prepare_inputs(frames_from_pages([{"items": demo_chat(200), "cursor": None}]))
>>> responses = inputs.collect(response_rows(inputs, response_cap=timedelta(hours=1)))
>>> responses.columns
['chat_id', 'message_id', 'responder', 'responded_to', 'responded_at', 'response_time']
>>> responses.get_column("response_time").max() <= timedelta(hours=1)
True
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import polars as pl

from postpress_frames.analysis.inputs import Inputs
from postpress_frames.analysis.metrics import COUNT, DURATION

__all__ = [
    "KEPT",
    "chars",
    "chat_sequence",
    "local_time",
    "median_ms",
    "response_rows",
    "words",
]

WORD: Final = r"\S+"  # a maximal run of non-whitespace (Unicode White_Space)

#: Content metrics count only messages that were not deleted (their text and files are gone).
KEPT: Final = ~pl.col("deleted")


def words() -> pl.Expr:
    """Words in ``text`` (maximal runs of non-whitespace); a null text has 0."""
    return pl.col("text").fill_null("").str.count_matches(WORD).cast(COUNT)


def chars() -> pl.Expr:
    """Characters (Unicode code points) in ``text``; a null text has 0."""
    return pl.col("text").fill_null("").str.len_chars().cast(COUNT)


def local_time(tz: str) -> pl.Expr:
    """``timestamp`` on the wall clock of ``tz``: hours, weekdays and days are read from it;
    durations never are (a DST change shifts the clock, not the elapsed time)."""
    return pl.col("timestamp").dt.convert_time_zone(tz)


def median_ms(milliseconds: pl.Expr) -> pl.Expr:
    """The median of a column of milliseconds, rounded half up to the millisecond."""
    return (milliseconds.median() + 0.5).floor()


def chat_sequence(
    inputs: Inputs, *, tz: str, session_gap: timedelta, response_cap: timedelta
) -> pl.LazyFrame:
    """The sequence, with turn, conversation and response markers.

    * ``new_turn``: the first message of a maximal run of one sender's messages.
    * ``new_conversation``: the chat's first message, or one that comes *strictly more*
      than ``session_gap`` after the previous message; ``conversation`` numbers them.
    * ``is_response``: a turn's first message after another sender's message, at most
      ``response_cap`` (inclusive) later; ``gap`` is its response time.
    * ``answered_late``: such a message more than ``response_cap`` later: no response,
      and the previous sender's turn counts as unanswered.
    """
    sender = pl.col("sender_id")
    previous = pl.col("previous_sender")
    changed = previous.is_not_null() & (sender != previous)
    gap = pl.col("gap")
    local = local_time(tz)
    return (
        inputs.written.sort(["chat_id", "timestamp", "id"])
        .with_columns(
            previous_sender=sender.shift(1).over("chat_id"),
            gap=pl.col("timestamp").diff().over("chat_id"),
        )
        .with_columns(
            new_turn=previous.is_null() | (sender != previous),
            new_conversation=gap.is_null() | (gap > session_gap),
            is_response=changed & (gap <= response_cap),
            answered_late=changed & (gap > response_cap),
            words=words(),
            chars=chars(),
            hour=local.dt.hour(),
            weekday=local.dt.weekday(),
            day=local.dt.date(),
        )
        .with_columns(conversation=pl.col("new_conversation").cum_sum().over("chat_id"))
    )


def response_rows(inputs: Inputs, *, response_cap: timedelta) -> pl.LazyFrame:
    """Every response, one row each, in chat order: ``chat_id``, ``message_id`` (the
    response), ``responder``, ``responded_to``, ``responded_at`` (UTC), ``response_time``."""
    # Responses do not depend on conversations or local time: any session_gap and tz do.
    seq = chat_sequence(inputs, tz="UTC", session_gap=response_cap, response_cap=response_cap)
    return seq.filter(pl.col("is_response")).select(
        "chat_id",
        pl.col("id").alias("message_id"),
        pl.col("sender_id").alias("responder"),
        pl.col("previous_sender").alias("responded_to"),
        pl.col("timestamp").alias("responded_at"),
        pl.col("gap").cast(DURATION).alias("response_time"),
    )
