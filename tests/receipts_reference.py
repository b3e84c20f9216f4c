"""A slow, obviously-correct reference for ``postpress_frames.analysis.receipts``, in plain
Python.

It reads the raw API message dicts (as in a page's ``items``), not the polars tables, and
follows the definitions of ``RECEIPT_METRICS`` and the docstrings of ``participants``,
``read_times`` and ``read_matrix`` one loop at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tests.stats_reference import (
    Message,
    by_chat,
    flag,
    median_ms,
    nearest_rank_p90,
    parse_time,
    share,
    short_id,
)

MS = timedelta(milliseconds=1)
QUICK = timedelta(minutes=5)


@dataclass
class Person:
    sender_id: str | None
    attendee_id: str | None
    is_sender: bool = False
    first_message_at: datetime | None = None
    last_message_at: datetime | None = None
    aliases: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return self.sender_id if self.sender_id is not None else str(self.attendee_id)


@dataclass
class Chat:
    """One chat's messages and people, with the attendee id -> person mapping."""

    messages: list[Message]
    people: list[Person]
    person_of: dict[str, Person]  # every attendee id -> its person

    def label(self, key: str) -> str:
        """A person's label: their sender id (else attendee id) cut short."""
        return short_id(key, [p.key for p in self.people])

    def written(self) -> list[Message]:
        return [m for m in self.messages if not m.is_("is_event")]


def receipt_values(message: Message) -> dict[str, Any]:
    return dict(message.raw.get("seen_by") or {})


def chats(items: Iterable[Mapping[str, Any]]) -> dict[str, Chat]:
    out = {}
    for chat_id, messages in by_chat(items).items():
        carried: Counter[tuple[str, str]] = Counter()
        for m in messages:
            if m.raw.get("sender_attendee_id"):
                carried[(m.sender, m.raw["sender_attendee_id"])] += 1
        owner: dict[str, str] = {}
        for attendee in {a for _, a in carried}:
            claims = [(-n, sender) for (sender, a), n in carried.items() if a == attendee]
            owner[attendee] = min(claims)[1]
        people: dict[str, Person] = {}
        senders = {m.sender for m in messages}
        senders |= {r["sender_id"] for m in messages for r in m.raw.get("reactions") or []}
        for sender in sorted(senders):
            own = [(-carried[(sender, a)], a) for a, s in owner.items() if s == sender]
            mine = [m for m in messages if m.sender == sender]
            times = [m.at for m in mine if not m.is_("is_event")]
            people[sender] = Person(
                sender,
                min(own)[1] if own else None,
                is_sender=any(m.is_("is_sender") for m in mine)
                or any(
                    flag(r["is_sender"])
                    for m in messages
                    for r in m.raw.get("reactions") or []
                    if r["sender_id"] == sender
                ),
                first_message_at=min(times, default=None),
                last_message_at=max(times, default=None),
                aliases={a for a, s in owner.items() if s == sender},
            )
        person_of = {a: people[s] for a, s in owner.items()}
        for m in messages:
            for attendee in receipt_values(m):
                if attendee not in person_of:
                    person_of[attendee] = Person(None, attendee, aliases={attendee})
        ordered = sorted(people.values(), key=lambda p: str(p.sender_id))
        readers = {id(p): p for p in person_of.values() if p.sender_id is None}
        ordered += sorted(readers.values(), key=lambda p: str(p.attendee_id))
        out[chat_id] = Chat(messages, ordered, person_of)
    return out


def reference_participants(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows of ``participants``, in its order."""
    return [
        {
            "chat_id": chat_id,
            "sender_id": p.sender_id,
            "sender_name": chat.label(p.key),
            "attendee_id": p.attendee_id,
            "is_sender": p.is_sender,
            "first_message_at": p.first_message_at,
            "last_message_at": p.last_message_at,
        }
        for chat_id, chat in sorted(chats(items).items())
        for p in chat.people
    ]


@dataclass
class Receipt:
    message: Message
    attendee_id: str
    reader: Person
    seen_at: datetime | None

    @property
    def time_to_read(self) -> timedelta | None:
        if self.seen_at is None:
            return None
        return max(self.seen_at - self.message.at, timedelta(0))


def receipts(chat: Chat) -> list[Receipt]:
    """Seen receipts of non-event messages by someone other than the writer."""
    out = []
    for m in chat.written():
        for attendee, value in receipt_values(m).items():
            reader = chat.person_of[attendee]
            if value is False or reader.sender_id == m.sender:
                continue
            seen_at = parse_time(value) if isinstance(value, str) else None
            out.append(Receipt(m, attendee, reader, seen_at))
    return out


def reference_read_times(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows of ``read_times``, in its order."""
    rows = []
    for chat_id, chat in chats(items).items():
        for r in receipts(chat):
            rows.append(
                {
                    "chat_id": chat_id,
                    "message_id": r.message.id,
                    "writer": r.message.sender,
                    "writer_name": chat.label(r.message.sender),
                    "reader_attendee_id": r.attendee_id,
                    "reader": r.reader.sender_id,
                    "reader_name": chat.label(r.reader.key),
                    "sent_at": r.message.at,
                    "seen_at": r.seen_at,
                    "time_to_read": r.time_to_read,
                }
            )
    return sorted(
        rows, key=lambda r: (r["chat_id"], r["sent_at"], r["message_id"], r["reader_attendee_id"])
    )


def reads(chat: Chat) -> dict[tuple[str, str], tuple[Message, timedelta | None]]:
    """(message id, reader's attendee id) -> the message and its time to read (earliest)."""
    merged: dict[tuple[str, str], tuple[Message, timedelta | None]] = {}
    for r in receipts(chat):
        key = (r.message.id, str(r.reader.attendee_id))
        times = [t for t in (merged.get(key, (None, None))[1], r.time_to_read) if t is not None]
        merged[key] = (r.message, min(times, default=None))
    return merged


def timings(times: list[timedelta]) -> dict[str, Any]:
    ms = [t // MS for t in times]
    return {
        "median": timedelta(milliseconds=median_ms(ms)) if ms else None,
        "p90": timedelta(milliseconds=nearest_rank_p90(ms)) if ms else None,
        "quick": share(sum(t <= QUICK for t in times), len(times)),
    }


def reference_read_receipts(
    items: Iterable[Mapping[str, Any]], *, response_cap: timedelta = timedelta(hours=24)
) -> dict[tuple[str, str], dict[str, Any]]:
    """(chat_id, attendee_id) -> the columns of ``read_receipts``."""
    out = {}
    for chat_id, chat in chats(items).items():
        written = chat.written()
        last = max((m.at for m in written), default=None)
        merged = reads(chat)
        for person in chat.people:
            if person.attendee_id is None:
                continue
            received = [m for m in written if m.sender != person.sender_id]
            mine = [(m, t) for (_, a), (m, t) in merged.items() if a == person.attendee_id]
            own_times = [m.at for m in written if m.sender == person.sender_id]
            left = 0
            for m, _ in mine:
                deadline = m.at + response_cap
                answered = any(m.at < t <= deadline for t in own_times)
                if not answered and last is not None and deadline <= last:
                    left += 1
            timed = timings([t for _, t in mine if t is not None])
            out[(chat_id, person.attendee_id)] = {
                "sender_id": person.sender_id,
                "sender_name": chat.label(person.key),
                "is_sender": person.is_sender,
                "messages_received": len(received),
                "seen": len(mine),
                "seen_share": share(len(mine), len(received)),
                "time_to_read_median": timed["median"],
                "time_to_read_p90": timed["p90"],
                "read_within_5min_share": timed["quick"],
                "left_on_read": left,
            }
    return out


def reference_read_matrix(
    items: Iterable[Mapping[str, Any]],
) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(chat_id, writer, reader's attendee id) -> the columns of ``read_matrix``."""
    out = {}
    for chat_id, chat in chats(items).items():
        written = chat.written()
        merged = reads(chat)
        for writer in sorted({m.sender for m in written}):
            sent = [m for m in written if m.sender == writer]
            for reader in chat.people:
                if reader.attendee_id is None or reader.sender_id == writer:
                    continue
                mine = [
                    t
                    for (_, a), (m, t) in merged.items()
                    if a == reader.attendee_id and m.sender == writer
                ]
                out[(chat_id, writer, reader.attendee_id)] = {
                    "reader": reader.sender_id,
                    "writer_name": chat.label(writer),
                    "reader_name": chat.label(reader.key),
                    "messages": len(sent),
                    "seen": len(mine),
                    "time_to_read_median": timings([t for t in mine if t is not None])["median"],
                }
    return out
