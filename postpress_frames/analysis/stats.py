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
* **Names.** Every per-sender result has a name column beside each sender id
  (``sender_name``; ``responder_name``, ``responded_to_name``): the name given in
  ``names=`` (a mapping ``sender_id -> name``, or a DataFrame with ``sender_id`` and
  ``name``), else the id cut to a prefix no other sender of the chat shares.
* **Local time.** Hours, weekdays and calendar days are read in ``tz`` (an IANA name), so a
  DST change shifts the wall clock, never the durations: gaps are always real elapsed time.

:func:`write_stats` writes any of these tables to Parquet, CSV or JSON (durations in
seconds, timestamps as UTC instants or ISO 8601 with offset); :func:`export_ready` is its
conversion for your own CSV or JSON. Both live in :mod:`postpress_frames.analysis.export`.

>>> from postpress_frames import frames_from_pages
>>> from postpress_frames.testing import demo_chat
>>> frames = frames_from_pages([{"items": demo_chat(200), "cursor": None}])
>>> stats = sender_activity(frames, tz="Europe/Paris")
>>> stats.shape
(4, 41)
>>> stats.select("messages", "events").sum().row(0)  # 200 items: 194 messages, 6 events
(194, 6)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Final

import polars as pl

from postpress_frames.analysis.content import content
from postpress_frames.analysis.export import export_ready, write_stats
from postpress_frames.analysis.inputs import (
    FrameLike,
    Inputs,
    check_every,
    check_positive,
    check_tz,
    prepare_inputs,
)
from postpress_frames.analysis.metrics import (
    COUNT,
    DEFAULT_RESPONSE_CAP,
    DEFAULT_SESSION_GAP,
    METRIC_DEFINITIONS,
    NIGHT_END_HOUR,
    QUICK_RESPONSE,
    SENDER_ACTIVITY_SCHEMA,
    STATISTIC_SCHEMAS,
)
from postpress_frames.analysis.names import Names, names_frame, with_names
from postpress_frames.analysis.receipts import (
    participants,
    read_matrix,
    read_receipts,
    read_times,
)
from postpress_frames.analysis.sequence import (
    KEPT,
    chars,
    chat_sequence,
    local_time,
    median_ms,
    response_rows,
    words,
)
from postpress_frames.tables.schemas import ATTACHMENT_TYPES

__all__ = [
    "METRIC_DEFINITIONS",
    "SENDER_ACTIVITY_SCHEMA",
    "activity_over_time",
    "content",
    "export_ready",
    "participants",
    "read_matrix",
    "read_receipts",
    "read_times",
    "response_matrix",
    "response_times",
    "sender_activity",
    "write_stats",
]

_KEYS: Final = ["chat_id", "sender_id"]
_PAIR_NAMES: Final = {"responder": "responder_name", "responded_to": "responded_to_name"}


def _share(numerator: str, denominator: pl.Expr) -> pl.Expr:
    return pl.when(denominator > 0).then(pl.col(numerator) / denominator).otherwise(None)


def sender_activity(
    frames: Mapping[str, FrameLike],
    *,
    tz: str = "UTC",
    session_gap: timedelta = DEFAULT_SESSION_GAP,
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
    names: Names | None = None,
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
    * ``first_at``/``last_at`` are in ``tz``; durations are ``Duration("ms")`` (in files,
      float seconds: see :func:`write_stats` and :func:`export_ready`).

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> empty = sender_activity(ChatFrames.empty(), tz="Europe/Paris")
    >>> empty.height, empty.schema["first_at"]
    (0, Datetime(time_unit='ms', time_zone='Europe/Paris'))
    """
    check_tz(tz)
    check_positive("session_gap", session_gap)
    check_positive("response_cap", response_cap)
    known = names_frame(names)
    inputs = prepare_inputs(frames)
    plan = sender_activity_plan(inputs, tz=tz, session_gap=session_gap, response_cap=response_cap)
    return with_names(inputs.collect(plan), known)


def sender_activity_plan(
    inputs: Inputs, *, tz: str, session_gap: timedelta, response_cap: timedelta
) -> pl.LazyFrame:
    """The plan of :func:`sender_activity` on prepared, checked inputs (all columns but
    ``sender_name``: :func:`~postpress_frames.analysis.names.with_names` adds it)."""
    seq = chat_sequence(inputs, tz=tz, session_gap=session_gap, response_cap=response_cap)
    volume = seq.group_by(_KEYS).agg(
        messages=pl.len(),
        words=pl.col("words").filter(KEPT).sum(),
        chars=pl.col("chars").filter(KEPT).sum(),
        chars_per_message_median=pl.col("chars").filter(KEPT).median(),
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
            response_time_median=median_ms(response_ms),
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
        if dtype == COUNT and name != "conversations_joined"
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
    dtypes = {k: v for k, v in SENDER_ACTIVITY_SCHEMA.items() if k != "sender_name"}
    dtypes["first_at"] = dtypes["last_at"] = pl.Datetime("ms", tz)
    return result.select(pl.col(name).cast(dtype) for name, dtype in dtypes.items()).sort(
        ["chat_id", "messages", "sender_id"], descending=[False, True, False]
    )


def response_times(
    frames: Mapping[str, FrameLike],
    *,
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
    names: Names | None = None,
) -> pl.DataFrame:
    """Every response (as defined in :func:`sender_activity`), one row each, in chat order.

    Columns: ``chat_id``, ``message_id`` (the response), ``responder``, ``responded_to``
    (each followed by its ``*_name``, see ``names``), ``responded_at`` (UTC) and
    ``response_time`` (``Duration("ms")``).

    >>> from postpress_frames import frames_from_pages
    >>> from postpress_frames.testing import demo_chat
    >>> frames = frames_from_pages([{"items": demo_chat(200), "cursor": None}])
    >>> times = response_times(frames, response_cap=timedelta(hours=1))
    >>> times.height, times.get_column("response_time").max() <= timedelta(hours=1)
    (130, True)
    """
    check_positive("response_cap", response_cap)
    known = names_frame(names)
    inputs = prepare_inputs(frames)
    times = inputs.collect(response_rows(inputs, response_cap=response_cap))
    return with_names(times, known, _PAIR_NAMES)


def response_matrix(
    frames: Mapping[str, FrameLike],
    *,
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
    names: Names | None = None,
) -> pl.DataFrame:
    """Who answers whom: one row per ``chat_id``, ``responder`` and ``responded_to``.

    ``responses`` counts the responses (see :func:`sender_activity`), ``share`` is that
    count over all responses of the chat (a chat's shares sum to 1), and
    ``response_time_median`` is their median time (rounded half up to the millisecond).
    Pairs without responses have no row. Sorted by chat, then most responses first.

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> response_matrix(ChatFrames.empty()).columns  # doctest: +NORMALIZE_WHITESPACE
    ['chat_id', 'responder', 'responder_name', 'responded_to', 'responded_to_name',
     'responses', 'share', 'response_time_median']
    """
    check_positive("response_cap", response_cap)
    known = names_frame(names)
    inputs = prepare_inputs(frames)
    response_ms = pl.col("response_time").dt.total_milliseconds()
    plan = (
        response_rows(inputs, response_cap=response_cap)
        .group_by("chat_id", "responder", "responded_to")
        .agg(
            responses=pl.len().cast(COUNT),
            median_ms=median_ms(response_ms).cast(pl.Int64),
        )
        .with_columns(
            share=pl.col("responses") / pl.col("responses").sum().over("chat_id"),
            response_time_median=pl.duration(milliseconds=pl.col("median_ms"), time_unit="ms"),
        )
        .select(c for c in STATISTIC_SCHEMAS["response_matrix"] if c not in _PAIR_NAMES.values())
        .sort(
            ["chat_id", "responses", "responder", "responded_to"],
            descending=[False, True, False, False],
        )
    )
    return with_names(inputs.collect(plan), known, _PAIR_NAMES)


def activity_over_time(
    frames: Mapping[str, FrameLike],
    every: str = "1d",
    *,
    tz: str = "UTC",
    names: Names | None = None,
) -> pl.DataFrame:
    """Messages, words and characters per ``chat_id``, ``sender_id`` and period.

    ``period`` is the start of the period as a *local wall-clock* time in ``tz`` (a naive
    datetime: ``every="1d"`` gives local midnights, even across a DST change); ``every``
    is a polars duration (``"1h"``, ``"1d"``, ``"1w"`` weeks start on Monday, ``"1mo"``).
    ``messages`` counts non-event messages (deleted included), ``words`` and ``chars``
    those not deleted. Periods without messages have no row.

    >>> from postpress_frames import frames_from_pages
    >>> from postpress_frames.testing import demo_chat
    >>> frames = frames_from_pages([{"items": demo_chat(200), "cursor": None}])
    >>> weekly = activity_over_time(frames, "1w", tz="Europe/Paris")
    >>> weekly.columns, weekly.get_column("messages").sum()
    (['chat_id', 'sender_id', 'sender_name', 'period', 'messages', 'words', 'chars'], 194)
    """
    check_tz(tz)
    check_every(every)
    known = names_frame(names)
    inputs = prepare_inputs(frames)
    return with_names(inputs.collect(activity_over_time_plan(inputs, every, tz=tz)), known)


def activity_over_time_plan(inputs: Inputs, every: str, *, tz: str) -> pl.LazyFrame:
    """The plan of :func:`activity_over_time` on prepared, checked inputs."""
    return (
        inputs.written.with_columns(
            period=local_time(tz).dt.replace_time_zone(None).dt.truncate(every),
            words=words(),
            chars=chars(),
        )
        .group_by("chat_id", "sender_id", "period")
        .agg(
            messages=pl.len().cast(COUNT),
            words=pl.col("words").filter(KEPT).sum(),
            chars=pl.col("chars").filter(KEPT).sum(),
        )
        .sort("chat_id", "period", "sender_id")
    )
