"""Who is in a demo chat, and when each of them speaks; the ids and timestamps they get.

The cast depends on the chat and the account only; the timeline on the random generator
the caller passes, which it advances in a fixed order (the demo chats are reproducible).

>>> format_timestamp_ms(1_779_010_931_000), len(ulid(0, random.Random(1)))
('2026-05-17T09:42:11.000Z', 26)
"""

from __future__ import annotations

import base64
import functools
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from zoneinfo import ZoneInfo

from postpress_frames._exceptions import ArgumentTypeError
from postpress_frames.testing._vocabulary import ACCOUNT, OTHERS, Persona

__all__ = [
    "DAY",
    "EPOCH",
    "HOUR",
    "MINUTE",
    "SECOND",
    "Member",
    "b64",
    "cast",
    "crockford",
    "digest",
    "format_timestamp_ms",
    "timeline",
    "ulid",
]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
SECOND: Final = 1000
MINUTE: Final = 60 * SECOND
HOUR: Final = 60 * MINUTE
DAY: Final = 24 * HOUR


@dataclass(frozen=True, slots=True)
class Member:
    persona: Persona
    zone: ZoneInfo
    sender_id: str
    attendee_id: str
    urn: str
    is_account: bool
    epoch_ms: bool  # this sender's provider sends epoch fields in milliseconds


# -- ids and timestamps -----------------------------------------------------------------------


def format_timestamp_ms(ms: int) -> str:
    """Unix milliseconds -> the API's ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC).

    >>> format_timestamp_ms(1_779_010_931_000)
    '2026-05-17T09:42:11.000Z'
    """
    if type(ms) is not int:
        raise ArgumentTypeError("ms", "Unix milliseconds (int)", ms)
    day, rest = divmod(ms, DAY)
    date = _day_prefix(day)
    seconds, millis = divmod(rest, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{date}T{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


@functools.lru_cache(maxsize=4096)
def _day_prefix(day: int) -> str:
    return f"{datetime.fromtimestamp(day * 86_400, UTC):%Y-%m-%d}"


# Crockford base32 digits, two per 10 bits: ids are built from 13 table lookups.
_B32: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_B32_PAIRS: Final = tuple(a + b for a in _B32 for b in _B32)
_PAIR_SHIFTS: Final = tuple(range(120, -1, -10))


def ulid(ms: int, rng: random.Random) -> str:
    """A ULID-like id: 48-bit time then 80 random bits, Crockford base32, so ids sort by time."""
    return crockford((ms << 82) | (rng.getrandbits(80) << 2))


def crockford(value: int) -> str:
    """The low 130 bits of ``value`` as 26 Crockford base32 digits."""
    return "".join([_B32_PAIRS[(value >> shift) & 1023] for shift in _PAIR_SHIFTS])


def digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _member(persona: Persona, account_id: str, *, is_account: bool, epoch_ms: bool) -> Member:
    # Ids depend on the account and the person only: the same person has the same ids in
    # every chat of the account, as on the real service.
    seed = bytes.fromhex(digest(account_id, persona.name))
    sender_id = "ACoAA" + b64(seed[:24])[:30]
    attendee_id = "att_" + crockford(int.from_bytes(seed[14:]))
    return Member(
        persona=persona,
        zone=ZoneInfo(persona.tz),
        sender_id=sender_id,
        attendee_id=attendee_id,
        urn=f"urn:li:fsd_profile:{sender_id}",
        is_account=is_account,
        epoch_ms=epoch_ms,
    )


def cast(chat_id: str, account_id: str) -> list[Member]:
    """The account plus 3 or 4 others; exactly one of them sends epoch milliseconds.

    The cast depends on the chat and the account only, so messages added to a chat later
    (:func:`messages_after`) come from the same people whatever the seed.
    """
    rng = random.Random(f"postpress-cast\x00{account_id}\x00{chat_id}")
    others = rng.sample(OTHERS, rng.choice((3, 4)))
    # The second chattiest sends epoch milliseconds: about a fifth of the messages, and
    # still present in small chats.
    in_ms = sorted(others, key=lambda p: p.weight, reverse=True)[1]
    members = [_member(ACCOUNT, account_id, is_account=True, epoch_ms=False)]
    members += [_member(p, account_id, is_account=False, epoch_ms=p is in_ms) for p in others]
    return members


# -- the timeline: when, and who --------------------------------------------------------------


def _is_active(member: Member, ms: int) -> bool:
    hour = datetime.fromtimestamp(ms / 1000, member.zone).hour
    start, end = member.persona.active
    return start <= hour < end or start <= hour + 24 < end


def _wake_up(member: Member, ms: int, rng: random.Random) -> int:
    """The first moment at or after ``ms`` inside the member's waking hours."""
    for _ in range(24):
        if _is_active(member, ms):
            return ms
        ms = (ms // HOUR + 1) * HOUR + rng.randrange(40 * MINUTE)
    return ms


def _silence(rng: random.Random, scale: float) -> int:
    """The quiet time between two conversations: mostly hours, sometimes days."""
    roll = rng.random()
    if roll < 0.6:
        gap = rng.expovariate(1 / (4 * HOUR)) + 10 * MINUTE
    elif roll < 0.92:
        gap = rng.expovariate(1 / (1.5 * DAY)) + HOUR
    else:
        gap = rng.uniform(3 * DAY, 10 * DAY)
    return int(gap * scale)


# About 9 messages per conversation and 26 hours between two: a big chat is a busier one,
# its silences shrink so that it spans at most about two years.
_TYPICAL_SPAN_PER_MESSAGE: Final = 26 * HOUR / 9
_MAX_SPAN: Final = 730 * DAY


def timeline(
    rng: random.Random, members: Sequence[Member], n: int, start_ms: int
) -> tuple[list[int], list[int]]:
    """Oldest-first timestamps (ms) and sender indexes of ``n`` messages after ``start_ms``."""
    times: list[int] = []
    senders: list[int] = []
    weights = [m.persona.weight for m in members]
    indexes = range(len(members))
    scale = min(1.0, _MAX_SPAN / (max(n, 1) * _TYPICAL_SPAN_PER_MESSAGE))
    t = start_ms
    while len(times) < n:
        t += _silence(rng, scale)
        first = rng.choices(indexes, weights)[0]
        t = _wake_up(members[first], t, rng)
        joined = {first, *rng.choices(indexes, weights, k=rng.randint(1, 3))}
        if len(joined) == 1:
            joined.add((first + 1) % len(members))
        people = sorted(joined)
        length = min(n - len(times), 1 + int(rng.expovariate(1 / 8)))
        sender = first
        for k in range(length):
            if k:
                persona = members[sender].persona
                if rng.random() >= persona.streak:  # someone else answers
                    others = [i for i in people if i != sender]
                    sender = rng.choices(others, [weights[i] for i in others])[0]
                persona = members[sender].persona
                if rng.random() < 0.004:
                    gap = 0  # two messages in the same millisecond (ids still differ)
                else:
                    gap = int(rng.lognormvariate(persona.reply_mu, 1.1) * 1000) + rng.randrange(
                        1000
                    )
                t += gap
            times.append(t)
            senders.append(sender)
    return times, senders
