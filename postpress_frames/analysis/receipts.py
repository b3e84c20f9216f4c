"""Read receipts: who is who in a chat, who reads whom, how fast, and what is left on read.

Pure polars on the tables of a :class:`~postpress_frames.tables.chat_frames.ChatFrames` (or
any mapping with ``messages``, ``attachments``, ``reactions`` and ``seen_by``, eager or lazy:
a dataset of many chats from :func:`~postpress_frames.storage.dataset.scan_dataset` too).
Every result has one row per ``chat_id`` and person (or pair, or receipt).

Shared definitions:

* **People.** ``seen_by.attendee_id`` holds attendee ids (``att_…``), the statistics sender
  ids: :func:`participants` makes the one mapping, from ``messages.sender_attendee_id``
  (events included), per chat. Every attendee id on a sender's messages is that sender's;
  an id carried by the messages of two senders is the one whose messages carry it most
  often (ties: the smallest sender id). A sender's ``attendee_id`` is, of the ids that are
  theirs, the one on most of their messages (ties: the smallest id); a sender whose
  messages carry none has a null ``attendee_id`` and cannot be matched to receipts. An
  attendee id of ``seen_by`` that is no sender's is a reader who never wrote: a person
  with a null ``sender_id``.
* **Received.** A reader receives every non-event message of the chat written by someone
  else, deleted ones included (they were sent), whether or not a receipt came back. A
  receipt on an event, or by the writer on their own message, is ignored.
* **Read.** A message is seen by a reader when one of the reader's receipts on it has
  ``seen`` true (``seen_by`` value ``true`` or a time); ``false`` is no read. Its
  *time to read* is ``seen_at - timestamp`` for the earliest known ``seen_at`` (receipts
  that are only ``true`` have none); a ``seen_at`` before the message (clock skew) counts
  as 0.
* **Names.** Each person shows as the name given in ``names=`` (keyed by ``sender_id``, or
  by ``attendee_id`` for a reader who never wrote), else that id cut short (unique within
  the chat); one person has one label across all four tables.

>>> from postpress_frames import frames_from_pages
>>> from postpress_frames.testing import demo_chat
>>> frames = frames_from_pages([{"items": demo_chat(200), "cursor": None}])
>>> people = participants(frames)
>>> people.height, people.get_column("is_sender").sum(), people.get_column("sender_id").null_count()
(4, 1, 0)
>>> read_receipts(frames).select("messages_received", "seen").sum().row(0)
(582, 492)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Final

import polars as pl

from postpress_frames.analysis.inputs import (
    UTC_MS,
    FrameLike,
    Inputs,
    check_positive,
    check_tz,
    prepare_inputs,
)
from postpress_frames.analysis.metrics import (
    COUNT,
    DEFAULT_RESPONSE_CAP,
    DURATION,
    PARTICIPANTS_SCHEMA,
    QUICK_RESPONSE,
    READ_MATRIX_SCHEMA,
    READ_RECEIPTS_SCHEMA,
    READ_TIMES_SCHEMA,
)
from postpress_frames.analysis.names import Names, names_frame, with_names
from postpress_frames.analysis.sequence import median_ms

__all__ = [
    "participants",
    "read_matrix",
    "read_receipts",
    "read_times",
]

_READER: Final = ["chat_id", "attendee_id"]  # a reader's key: their (primary) attendee id
_ZERO: Final = timedelta(0)


# --------------------------------------------------------------------------- plans


def _identities(inputs: Inputs) -> pl.LazyFrame:
    """Every attendee id of each chat -> its person: ``chat_id``, ``receipt_attendee_id``
    (as in ``seen_by``), ``sender_id`` (null for a reader who never wrote) and
    ``attendee_id`` (the person's own, as in :func:`participants`)."""
    carried = (
        inputs.messages.filter(pl.col("sender_attendee_id").is_not_null())
        .group_by("chat_id", "sender_id", "sender_attendee_id")
        .agg(n=pl.len())
    )
    owners = carried.group_by("chat_id", "sender_attendee_id").agg(
        pl.col("sender_id").sort_by("n", "sender_id", descending=[True, False]).first()
    )
    own = carried.join(owners, on=["chat_id", "sender_attendee_id", "sender_id"], how="semi")
    primary = own.group_by("chat_id", "sender_id").agg(
        attendee_id=pl.col("sender_attendee_id")
        .sort_by("n", "sender_attendee_id", descending=[True, False])
        .first()
    )
    senders = owners.join(primary, on=["chat_id", "sender_id"]).rename(
        {"sender_attendee_id": "receipt_attendee_id"}
    )
    readers = (
        inputs.seen_by.select("chat_id", pl.col("attendee_id").alias("receipt_attendee_id"))
        .unique()
        .join(senders, on=["chat_id", "receipt_attendee_id"], how="anti")
        .select(
            "chat_id",
            "receipt_attendee_id",
            pl.lit(None, pl.String).alias("sender_id"),
            pl.col("receipt_attendee_id").alias("attendee_id"),
        )
    )
    return pl.concat([senders.select(readers.collect_schema().names()), readers])


def _participants_plan(inputs: Inputs, identities: pl.LazyFrame) -> pl.LazyFrame:
    """:func:`participants` without ``sender_name``."""
    people = pl.concat(
        [
            inputs.messages.select("chat_id", "sender_id", "is_sender"),
            inputs.reactions.select("chat_id", "sender_id", "is_sender"),
        ]
    )
    senders = people.group_by("chat_id", "sender_id").agg(pl.col("is_sender").any())
    tenure = inputs.written.group_by("chat_id", "sender_id").agg(
        first_message_at=pl.col("timestamp").min(), last_message_at=pl.col("timestamp").max()
    )
    attendee = identities.filter(pl.col("sender_id").is_not_null()).select(
        "chat_id", "sender_id", "attendee_id"
    )
    known = senders.join(tenure, on=["chat_id", "sender_id"], how="left").join(
        attendee.unique(), on=["chat_id", "sender_id"], how="left"
    )
    readers = identities.filter(pl.col("sender_id").is_null()).select(
        "chat_id",
        "sender_id",
        "attendee_id",
        is_sender=pl.lit(False),
        first_message_at=pl.lit(None, UTC_MS),
        last_message_at=pl.lit(None, UTC_MS),
    )
    columns = [c for c in PARTICIPANTS_SCHEMA if c != "sender_name"]
    return pl.concat([known.select(columns), readers.select(columns)]).sort(
        "chat_id", "sender_id", "attendee_id", nulls_last=True
    )


def _receipt_rows(inputs: Inputs, identities: pl.LazyFrame) -> pl.LazyFrame:
    """Seen receipts of non-event messages by someone other than the writer, with the
    message's time and the reader as a person (see :func:`read_times`)."""
    sent = inputs.messages.select(
        "chat_id", pl.col("id").alias("message_id"), pl.col("timestamp").alias("sent_at")
    )
    late = pl.col("seen_at") - pl.col("sent_at")
    return (
        inputs.seen_by.filter(pl.col("seen") & ~pl.col("is_event"))
        .join(sent, on=["chat_id", "message_id"])
        .join(
            identities.rename({"attendee_id": "reader_key", "sender_id": "reader"}),
            left_on=["chat_id", "attendee_id"],
            right_on=["chat_id", "receipt_attendee_id"],
        )
        .filter(pl.col("reader").is_null() | (pl.col("reader") != pl.col("author_id")))
        .with_columns(time_to_read=pl.when(late < _ZERO).then(_ZERO).otherwise(late).cast(DURATION))
    )


def _reads(receipts: pl.LazyFrame) -> pl.LazyFrame:
    """One row per message and reader (their receipts merged): ``chat_id``, ``message_id``,
    ``writer``, ``attendee_id`` (the reader's key), ``sent_at``, ``time_to_read`` (from the
    earliest known ``seen_at``; null when none is known)."""
    return receipts.group_by(
        "chat_id", "message_id", pl.col("reader_key").alias("attendee_id")
    ).agg(
        writer=pl.col("author_id").first(),
        reader=pl.col("reader").first(),
        sent_at=pl.col("sent_at").first(),
        time_to_read=pl.col("time_to_read").min(),
    )


def _read_times_plan(inputs: Inputs, identities: pl.LazyFrame) -> pl.LazyFrame:
    """:func:`read_times` without the name columns."""
    return (
        _receipt_rows(inputs, identities)
        .select(
            "chat_id",
            "message_id",
            pl.col("author_id").alias("writer"),
            pl.col("attendee_id").alias("reader_attendee_id"),
            "reader",
            "sent_at",
            "seen_at",
            "time_to_read",
        )
        .sort("chat_id", "sent_at", "message_id", "reader_attendee_id")
    )


def _timings(reads: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    """Per ``keys``: ``timed`` reads, their median and p90 (ms, nearest rank), and how many
    took at most five minutes."""
    ms = pl.col("time_to_read").dt.total_milliseconds()
    return (
        reads.filter(pl.col("time_to_read").is_not_null())
        .group_by(keys)
        .agg(
            timed=pl.len(),
            median_ms=median_ms(ms).cast(pl.Int64),
            p90_ms=ms.sort().get((pl.len() * 9 + 9) // 10 - 1),
            quick=(pl.col("time_to_read") <= QUICK_RESPONSE).sum(),
        )
    )


def _duration(milliseconds: str) -> pl.Expr:
    return pl.duration(milliseconds=pl.col(milliseconds), time_unit="ms")


def _share(numerator: str, denominator: str) -> pl.Expr:
    return (
        pl.when(pl.col(denominator) > 0)
        .then(pl.col(numerator) / pl.col(denominator))
        .otherwise(None)
    )


def _read_receipts_plan(
    inputs: Inputs,
    identities: pl.LazyFrame,
    people: pl.LazyFrame,
    *,
    response_cap: timedelta,
) -> pl.LazyFrame:
    """:func:`read_receipts` without ``sender_name``."""
    written = inputs.written
    chat_total = written.group_by("chat_id").agg(
        chat_messages=pl.len(), last_at=pl.col("timestamp").max()
    )
    own = written.group_by("chat_id", "sender_id").agg(own_messages=pl.len())
    readers = (
        people.filter(pl.col("attendee_id").is_not_null())
        .select("chat_id", "attendee_id", "sender_id", "is_sender")
        .join(chat_total, on="chat_id", how="left")
        .join(own, on=["chat_id", "sender_id"], how="left")
        .with_columns(
            messages_received=pl.col("chat_messages").fill_null(0)
            - pl.col("own_messages").fill_null(0)
        )
    )
    reads = _reads(_receipt_rows(inputs, identities))
    # The reader's first own message strictly after each message read, if any.
    answers = written.select(
        "chat_id", pl.col("sender_id").alias("reader"), pl.col("timestamp").alias("answered_at")
    ).sort("answered_at")
    answered = (
        reads.filter(pl.col("reader").is_not_null())
        .sort("sent_at")
        .join_asof(
            answers,
            left_on="sent_at",
            right_on="answered_at",
            by=["chat_id", "reader"],
            strategy="forward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
        .select("chat_id", "message_id", "attendee_id", "answered_at")
    )
    deadline = pl.col("sent_at") + response_cap
    left = (
        reads.join(answered, on=["chat_id", "message_id", "attendee_id"], how="left")
        .join(chat_total.select("chat_id", "last_at"), on="chat_id", how="left")
        .with_columns(
            left=pl.col("answered_at").is_null() | (pl.col("answered_at") > deadline),
            closed=deadline <= pl.col("last_at"),
        )
    )
    counts = left.group_by(_READER).agg(
        seen=pl.len(), left_on_read=(pl.col("left") & pl.col("closed")).sum()
    )
    result = (
        readers.join(counts, on=_READER, how="left")
        .join(_timings(reads, _READER), on=_READER, how="left")
        .with_columns(pl.col("seen", "left_on_read", "quick").fill_null(0))
        .with_columns(
            seen_share=_share("seen", "messages_received"),
            time_to_read_median=_duration("median_ms"),
            time_to_read_p90=_duration("p90_ms"),
            read_within_5min_share=_share("quick", "timed"),
        )
    )
    columns = [c for c in READ_RECEIPTS_SCHEMA if c != "sender_name"]
    return result.select(pl.col(c).cast(READ_RECEIPTS_SCHEMA[c]) for c in columns).sort(
        "chat_id", "sender_id", "attendee_id", nulls_last=True
    )


def _read_matrix_plan(
    inputs: Inputs, identities: pl.LazyFrame, people: pl.LazyFrame
) -> pl.LazyFrame:
    """:func:`read_matrix` without the name columns."""
    writers = inputs.written.group_by("chat_id", pl.col("sender_id").alias("writer")).agg(
        messages=pl.len()
    )
    readers = people.filter(pl.col("attendee_id").is_not_null()).select(
        "chat_id", "attendee_id", pl.col("sender_id").alias("reader")
    )
    pairs = writers.join(readers, on="chat_id").filter(
        pl.col("reader").is_null() | (pl.col("reader") != pl.col("writer"))
    )
    reads = _reads(_receipt_rows(inputs, identities))
    keys = ["chat_id", "writer", "attendee_id"]
    seen = reads.group_by(keys).agg(seen=pl.len())
    return (
        pairs.join(seen, on=keys, how="left")
        .join(_timings(reads, keys), on=keys, how="left")
        .select(
            "chat_id",
            "writer",
            pl.col("attendee_id").alias("reader_attendee_id"),
            "reader",
            pl.col("messages").cast(COUNT),
            pl.col("seen").fill_null(0).cast(COUNT),
            _duration("median_ms").alias("time_to_read_median"),
        )
        .sort(
            ["chat_id", "messages", "writer", "reader_attendee_id"],
            descending=[False, True, False, False],
        )
    )


# --------------------------------------------------------------------------- names


def _collect(inputs: Inputs, *plans: pl.LazyFrame) -> list[pl.DataFrame]:
    """Run ``plans`` together (shared parts are read once) on the engine that suits them."""
    return pl.collect_all(plans, engine="streaming" if inputs.streaming else "auto")


def _labels(people: pl.DataFrame, known: pl.DataFrame) -> pl.DataFrame:
    """``chat_id``, ``person`` (sender id, else attendee id), ``label``: one per person."""
    persons = people.select("chat_id", person=pl.coalesce("sender_id", "attendee_id")).drop_nulls(
        "person"
    )
    return with_names(persons, known, {"person": "label"})


def _named(
    frame: pl.DataFrame,
    labels: pl.DataFrame,
    names: Mapping[str, pl.Expr],
    schema: Mapping[str, pl.DataType],
) -> pl.DataFrame:
    """``frame`` with each name column of ``names`` (name column -> the person it labels),
    in the columns and dtypes of ``schema``."""
    for name_column, person in names.items():
        frame = frame.with_columns(person.alias("_person")).join(
            labels.rename({"person": "_person", "label": name_column}),
            on=["chat_id", "_person"],
            how="left",
            maintain_order="left",
        )
    return frame.select(pl.col(c).cast(dtype) for c, dtype in schema.items())


_PERSON: Final = pl.coalesce("sender_id", "attendee_id")
_READER_PERSON: Final = pl.coalesce("reader", "reader_attendee_id")


# --------------------------------------------------------------------------- public


def participants(frames: Mapping[str, FrameLike], *, names: Names | None = None) -> pl.DataFrame:
    """One row per ``chat_id`` and person: every sender of a message (events too) or of a
    reaction, and every reader of ``seen_by`` who never wrote (``sender_id`` null).

    Columns: ``chat_id``, ``sender_id``, ``sender_name``, ``attendee_id`` (see the module's
    *People*: null for a sender whose messages carry none), ``is_sender`` (the connected
    account: is_sender on any of its messages or reactions; False for a reader who never
    wrote), ``first_message_at`` and ``last_message_at`` (UTC, of non-event messages,
    deleted ones included; null for a pure reader or a sender of events only). Sorted by
    ``chat_id``, ``sender_id`` (readers who never wrote last), ``attendee_id``.

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> participants(ChatFrames.empty()).columns  # doctest: +NORMALIZE_WHITESPACE
    ['chat_id', 'sender_id', 'sender_name', 'attendee_id', 'is_sender', 'first_message_at',
     'last_message_at']
    """
    known = names_frame(names)
    inputs = prepare_inputs(frames, seen_by=True)
    (people,) = _collect(inputs, _participants_plan(inputs, _identities(inputs)))
    return _named(people, _labels(people, known), {"sender_name": _PERSON}, PARTICIPANTS_SCHEMA)


def read_times(frames: Mapping[str, FrameLike], *, names: Names | None = None) -> pl.DataFrame:
    """Every read: one row per seen receipt of a non-event message by someone other than
    its writer (a receipt ``false`` is no read and has no row), in chat order.

    Columns: ``chat_id``, ``message_id``, ``writer`` (its sender id), ``reader_attendee_id``
    (the receipt's attendee id), ``reader`` (the reader's sender id, null if they never
    wrote; each followed by its ``*_name``), ``sent_at`` and ``seen_at`` (UTC; ``seen_at``
    null when the receipt was only ``true``) and ``time_to_read`` (``Duration("ms")``,
    ``seen_at - sent_at``, 0 for a ``seen_at`` before the message, null when unknown).

    >>> from postpress_frames import frames_from_pages
    >>> from postpress_frames.testing import demo_chat
    >>> frames = frames_from_pages([{"items": demo_chat(200), "cursor": None}])
    >>> times = read_times(frames)
    >>> times.height, times.get_column("time_to_read").null_count()
    (492, 237)
    """
    known = names_frame(names)
    inputs = prepare_inputs(frames, seen_by=True)
    identities = _identities(inputs)
    people, times = _collect(
        inputs, _participants_plan(inputs, identities), _read_times_plan(inputs, identities)
    )
    return _named(
        times,
        _labels(people, known),
        {"writer_name": pl.col("writer"), "reader_name": _READER_PERSON},
        READ_TIMES_SCHEMA,
    )


def read_receipts(
    frames: Mapping[str, FrameLike],
    *,
    tz: str = "UTC",
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
    names: Names | None = None,
) -> pl.DataFrame:
    """One row per ``chat_id`` and reader (every participant with an attendee id): how much
    they received, saw, how fast they read and what they left on read
    (:data:`RECEIPT_METRICS` states each column).

    Counts are 0, not null; shares and durations are null when their denominator is 0.
    ``tz`` is checked (an IANA name) but no column depends on it: times to read are
    elapsed time, whatever the wall clock. Sorted like :func:`participants`.

    >>> from postpress_frames import frames_from_pages
    >>> from postpress_frames.testing import demo_chat
    >>> frames = frames_from_pages([{"items": demo_chat(200), "cursor": None}])
    >>> you = read_receipts(frames).filter("is_sender").row(0, named=True)
    >>> you["seen"] <= you["messages_received"], you["left_on_read"] <= you["seen"]
    (True, True)
    """
    check_tz(tz)
    check_positive("response_cap", response_cap)
    known = names_frame(names)
    inputs = prepare_inputs(frames, seen_by=True)
    identities = _identities(inputs)
    people_plan = _participants_plan(inputs, identities)
    people, receipts = _collect(
        inputs,
        people_plan,
        _read_receipts_plan(inputs, identities, people_plan, response_cap=response_cap),
    )
    return _named(receipts, _labels(people, known), {"sender_name": _PERSON}, READ_RECEIPTS_SCHEMA)


def read_matrix(frames: Mapping[str, FrameLike], *, names: Names | None = None) -> pl.DataFrame:
    """Who reads whom: one row per ``chat_id``, ``writer`` (a sender of non-event messages)
    and reader (every other participant with an attendee id).

    ``messages`` counts the writer's non-event messages (deleted included: each reader
    received them), ``seen`` those this reader saw and ``time_to_read_median`` the median
    time to read of the seen ones with a known ``seen_at`` (rounded half up to the
    millisecond; null without one). Columns: ``chat_id``, ``writer``, ``writer_name``,
    ``reader_attendee_id``, ``reader`` (null if they never wrote), ``reader_name``,
    ``messages``, ``seen``, ``time_to_read_median``. Summed over writers, ``messages`` and
    ``seen`` are the reader's ``messages_received`` and ``seen`` in :func:`read_receipts`.
    Sorted by chat, then writers with most messages first, then reader.

    >>> from postpress_frames import frames_from_pages
    >>> from postpress_frames.testing import demo_chat
    >>> frames = frames_from_pages([{"items": demo_chat(200), "cursor": None}])
    >>> matrix = read_matrix(frames)
    >>> matrix.height, matrix.get_column("seen").sum()
    (12, 492)
    """
    known = names_frame(names)
    inputs = prepare_inputs(frames, seen_by=True)
    identities = _identities(inputs)
    people_plan = _participants_plan(inputs, identities)
    people, matrix = _collect(
        inputs, people_plan, _read_matrix_plan(inputs, identities, people_plan)
    )
    return _named(
        matrix,
        _labels(people, known),
        {"writer_name": pl.col("writer"), "reader_name": _READER_PERSON},
        READ_MATRIX_SCHEMA,
    )
