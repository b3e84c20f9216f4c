"""A slow, obviously-correct reference for ``postpress_frames.analysis.stats``, in plain Python.

It reads the raw API message dicts (as in a page's ``items``), not the polars tables, and
follows the definitions of ``postpress_frames.analysis.stats.METRIC_DEFINITIONS`` one loop at a
time. The tests compare the vectorised statistics with it on the demo chat.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

ATTACHMENT_TYPES = ("img", "video", "audio", "file", "linkedin_post", "video_meeting")

# The Unicode White_Space property, which is what the regex \s of polars (Rust) matches.
WHITESPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)


def flag(value: Any) -> bool:
    return value in (1, "1", True)


def parse_time(text: str) -> datetime:
    """``2026-05-17T09:42:11.123456Z`` -> an aware UTC datetime, cut to the millisecond."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def count_words(text: str) -> int:
    words, inside = 0, False
    for char in text:
        if char in WHITESPACE:
            inside = False
        elif not inside:
            words, inside = words + 1, True
    return words


def median_ms(values: list[int]) -> int:
    """The median, rounded half up to a whole millisecond."""
    middle = statistics.median(values)
    return int(middle) + (1 if middle - int(middle) >= 0.5 else 0)


def nearest_rank_p90(values: list[int]) -> int:
    ordered = sorted(values)
    rank = -(-9 * len(ordered) // 10)  # ceil(0.9 * n), in integers
    return ordered[rank - 1]


def longest_streak(days: set[date]) -> int:
    best = 0
    for day in days:
        if day - timedelta(days=1) in days:
            continue  # not the first day of a run
        length = 1
        while day + timedelta(days=length) in days:
            length += 1
        best = max(best, length)
    return best


def share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def short_id(sender: str, others: Iterable[str], width: int = 8) -> str:
    """The shortest prefix of ``sender`` (at least ``width`` characters) no other id shares."""
    for size in range(width, len(sender)):
        if not any(o != sender and o[:size] == sender[:size] for o in others):
            return sender[:size] + "…"
    return sender


@dataclass
class Message:
    raw: dict[str, Any]
    at: datetime

    @property
    def id(self) -> str:
        return str(self.raw["id"])

    @property
    def sender(self) -> str:
        return str(self.raw["sender_id"])

    def is_(self, name: str) -> bool:
        return flag(self.raw.get(name))


def unique_messages(items: Iterable[Mapping[str, Any]]) -> list[Message]:
    """Messages in fetch order, the first copy of a repeated id kept."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item["id"] in seen:
            continue
        seen.add(item["id"])
        out.append(Message(dict(item), parse_time(item["timestamp"])))
    return out


def by_chat(items: Iterable[Mapping[str, Any]]) -> dict[str, list[Message]]:
    chats: dict[str, list[Message]] = defaultdict(list)
    for message in unique_messages(items):
        chats[message.raw["chat_id"]].append(message)
    return chats


def sequence(messages: list[Message]) -> list[Message]:
    """Non-event messages in chat order."""
    kept = [m for m in messages if not m.is_("is_event")]
    return sorted(kept, key=lambda m: (m.at, m.id))


def reference_sender_activity(
    items: Iterable[Mapping[str, Any]],
    *,
    tz: str = "UTC",
    session_gap: timedelta = timedelta(minutes=30),
    response_cap: timedelta = timedelta(hours=24),
) -> dict[tuple[str, str], dict[str, Any]]:
    """(chat_id, sender_id) -> metric name -> value, by brute force."""
    zone = ZoneInfo(tz)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for chat_id, messages in by_chat(items).items():
        seq = sequence(messages)
        senders = {m.sender for m in messages}
        senders |= {r["sender_id"] for m in messages for r in m.raw.get("reactions") or []}

        # Walk the sequence once, noting turns, conversations and responses.
        turn_starts: Counter[str] = Counter()
        conversation_of: list[int] = []
        starts: Counter[str] = Counter()
        response_ms: dict[str, list[int]] = defaultdict(list)
        unanswered: Counter[str] = Counter()
        conversation = 0
        for i, message in enumerate(seq):
            previous = seq[i - 1] if i else None
            if previous is None or message.at - previous.at > session_gap:
                conversation += 1
                starts[message.sender] += 1
            conversation_of.append(conversation)
            if previous is None or previous.sender != message.sender:
                turn_starts[message.sender] += 1
            if previous is not None and previous.sender != message.sender:
                gap = message.at - previous.at
                if gap <= response_cap:
                    response_ms[message.sender].append(gap // timedelta(milliseconds=1))
                else:
                    unanswered[previous.sender] += 1

        chat_total = len(seq)
        conversations_total = conversation
        for sender in senders:
            mine = [m for m in seq if m.sender == sender]
            kept = [m for m in mine if not m.is_("deleted")]
            chars = [len(m.raw.get("text") or "") for m in kept]
            local = [m.at.astimezone(zone) for m in mine]
            days = {moment.date() for moment in local}
            hours = Counter(moment.hour for moment in local)
            weekdays = Counter(moment.isoweekday() for moment in local)
            in_conversations = {conversation_of[i] for i, m in enumerate(seq) if m.sender == sender}
            own_attachments = [a for m in kept for a in m.raw.get("attachments") or []]
            times = response_ms[sender]
            n = len(mine)
            row: dict[str, Any] = {
                "sender_name": short_id(sender, senders),
                "is_sender": any(m.is_("is_sender") for m in messages if m.sender == sender)
                or any(
                    flag(r["is_sender"])
                    for m in messages
                    for r in m.raw.get("reactions") or []
                    if r["sender_id"] == sender
                ),
                "messages": n,
                "share_of_messages": share(n, chat_total),
                "words": sum(count_words(m.raw.get("text") or "") for m in kept),
                "chars": sum(chars),
                "chars_per_message_median": float(statistics.median(chars)) if chars else None,
                "turns": turn_starts[sender],
                "messages_per_turn": share(n, turn_starts[sender]),
                "first_at": min(local) if local else None,
                "last_at": max(local) if local else None,
                "active_days": len(days),
                "active_day_ratio": share(len(days), (max(days) - min(days)).days + 1)
                if days
                else None,
                "longest_streak_days": longest_streak(days),
                "attachments": len(own_attachments),
                **{
                    f"attachments_{kind}": sum(a["type"] == kind for a in own_attachments)
                    for kind in ATTACHMENT_TYPES
                },
                "reactions_given": sum(
                    r["sender_id"] == sender for m in seq for r in m.raw.get("reactions") or []
                ),
                "reactions_received": sum(len(m.raw.get("reactions") or []) for m in mine),
                "edited": sum(m.is_("edited") for m in mine),
                "deleted": sum(m.is_("deleted") for m in mine),
                "replies": sum(m.raw.get("reply_to") is not None for m in mine),
                "conversations_started": starts[sender],
                "share_of_starts": share(starts[sender], conversations_total),
                "conversations_joined": len(in_conversations) - starts[sender],
                "responses": len(times),
                "response_time_median": timedelta(milliseconds=median_ms(times)) if times else None,
                "response_time_p90": timedelta(milliseconds=nearest_rank_p90(times))
                if times
                else None,
                "responses_within_5min_share": share(sum(t <= 300_000 for t in times), len(times)),
                "unanswered": unanswered[sender],
                "peak_hour": min(h for h in hours if hours[h] == max(hours.values()))
                if hours
                else None,
                "peak_weekday": min(d for d in weekdays if weekdays[d] == max(weekdays.values()))
                if weekdays
                else None,
                "night_share": share(sum(moment.hour < 6 for moment in local), n),
                "weekend_share": share(sum(moment.isoweekday() >= 6 for moment in local), n),
                "events": sum(m.is_("is_event") for m in messages if m.sender == sender),
            }
            out[(chat_id, sender)] = row
    return out


def reference_response_matrix(
    items: Iterable[Mapping[str, Any]], *, response_cap: timedelta = timedelta(hours=24)
) -> dict[tuple[str, str, str], int]:
    """(chat_id, responder, responded_to) -> responses."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for chat_id, messages in by_chat(items).items():
        seq = sequence(messages)
        for previous, message in itertools.pairwise(seq):
            if previous.sender != message.sender and message.at - previous.at <= response_cap:
                counts[(chat_id, message.sender, previous.sender)] += 1
    return dict(counts)


def reference_daily_messages(
    items: Iterable[Mapping[str, Any]], *, tz: str = "UTC"
) -> dict[tuple[str, str, date], int]:
    """(chat_id, sender_id, local calendar day) -> non-event messages."""
    zone = ZoneInfo(tz)
    counts: Counter[tuple[str, str, date]] = Counter()
    for chat_id, messages in by_chat(items).items():
        for message in sequence(messages):
            counts[(chat_id, message.sender, message.at.astimezone(zone).date())] += 1
    return dict(counts)
