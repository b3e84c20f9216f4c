"""A deterministic demo chat: realistic postpress messages of any size, without any I/O.

The same ``(n_messages, seed, chat_id)`` always gives the same messages, newest first (the
API's order), ready to be served as JSON. The chat has 4-5 senders (the connected account is
one of them, ``is_sender=1``) living in different time zones, each with their own rhythm:
conversations are bursts of messages inside the sender's waking hours, separated by silences
of hours or days. Every field of the spec page appears somewhere: replies, quotes with their
own attachments, threads, reactions, read receipts of both kinds, edits, deletions, hidden
messages, events, all six attachment variants, InMail subjects, and unicode text (accents,
CJK, right-to-left scripts, emoji with ZWJ sequences, skin tones and flags, links to a
spread of sites, question marks of three scripts). :func:`demo_names` gives the senders'
display names.

Epoch fields (``url_expires_at``, ``starts_at``, ``expires_at``) are Unix seconds, except for
one sender per chat whose provider sends milliseconds, as the real service has been seen to.

>>> chat = demo_chat(200, seed=7)
>>> len(chat), chat[0]["timestamp"] > chat[-1]["timestamp"]
(200, True)
>>> chat == demo_chat(200, seed=7)
True

A bad argument is a :class:`~postpress_frames.ConfigurationError` (a ``ValueError``), or an
:class:`~postpress_frames.ArgumentTypeError` when its type is wrong. The generator itself
lives in the private modules beside this one: ``_vocabulary`` (the people and the words
they use), ``_timeline`` (who speaks when), ``_content`` (text, attachments, payloads) and
``_messages`` (each message, field by field).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from postpress_frames._args import as_int, as_str
from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError
from postpress_frames.testing._messages import build
from postpress_frames.testing._timeline import DAY, EPOCH, cast, format_timestamp_ms, timeline

__all__ = [
    "DEFAULT_END",
    "DEMO_ACCOUNT_ID",
    "DEMO_CHAT_ID",
    "demo_chat",
    "demo_chats",
    "demo_names",
    "format_timestamp_ms",
    "messages_after",
]

#: Default upper bound of the demo timeline: output never depends on today's date.
DEFAULT_END: Final = datetime(2026, 11, 1, tzinfo=UTC)
DEMO_CHAT_ID: Final = "chat_demo"
DEMO_ACCOUNT_ID: Final = "acc_demo"


def _rng(seed: int, chat_id: str) -> random.Random:
    return random.Random(f"postpress-demo\x00{seed}\x00{chat_id}")


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ConfigurationError(f"end must be timezone-aware, got the naive datetime {moment!r}")
    return (moment - EPOCH) // timedelta(milliseconds=1)


def _check_common(n_messages: object, seed: object, chat_id: object, account_id: object) -> None:
    as_int(n_messages, "n_messages", minimum=0)
    as_int(seed, "seed")
    as_str(chat_id, "chat_id")
    as_str(account_id, "account_id")


# -- public API ------------------------------------------------------------------------------


def demo_chat(
    n_messages: int = 5000,
    *,
    seed: int = 0,
    chat_id: str = DEMO_CHAT_ID,
    account_id: str = DEMO_ACCOUNT_ID,
    end: datetime | None = None,
) -> list[dict[str, Any]]:
    """``n_messages`` demo messages of one chat, newest first, all strictly before ``end``.

    ``end`` (timezone-aware) defaults to :data:`DEFAULT_END`; the newest message falls within
    the day before it. The result is JSON-ready dicts shaped like the spec page's items.

    >>> newest = demo_chat(50, seed=1)[0]
    >>> newest["chat_id"], newest["timestamp"] < "2026-11-01T00:00:00.000Z"
    ('chat_demo', True)
    """
    _check_common(n_messages, seed, chat_id, account_id)
    if end is not None and not isinstance(end, datetime):
        raise ArgumentTypeError("end", "a timezone-aware datetime", end)
    end_ms = _ms(DEFAULT_END if end is None else end)
    rng = _rng(seed, chat_id)
    members = cast(chat_id, account_id)
    times, senders = timeline(rng, members, n_messages, end_ms - 30 * DAY)
    if times:
        # Shift by whole days (local hours stay put) so the newest message is just before end.
        days = -(-(times[-1] - end_ms + 1) // DAY)
        times = [t - days * DAY for t in times]
    built = build(
        rng,
        members,
        times,
        senders,
        chat_id=chat_id,
        account_id=account_id,
        cap_ms=end_ms,
        dress=_rng(seed, f"{chat_id}\x00text"),
    )
    built.reverse()
    return built


def messages_after(
    existing: Sequence[dict[str, Any]],
    n_messages: int,
    *,
    seed: int = 0,
    chat_id: str = DEMO_CHAT_ID,
    account_id: str = DEMO_ACCOUNT_ID,
) -> list[dict[str, Any]]:
    """``n_messages`` new demo messages, newest first, all newer than every ``existing`` one.

    The new messages may reply to or quote recent ``existing`` messages (newest first, as
    the API serves them); ``existing`` itself is never modified.

    >>> chat = demo_chat(20)
    >>> new = messages_after(chat, 5, seed=1)
    >>> len(new), new[-1]["timestamp"] > chat[0]["timestamp"]
    (5, True)
    """
    if not isinstance(existing, Sequence) or isinstance(existing, str | bytes):
        raise ArgumentTypeError("existing", "a sequence of messages, newest first", existing)
    _check_common(n_messages, seed, chat_id, account_id)
    times = [_parse_ms(m.get("timestamp")) for m in existing if isinstance(m, dict)]
    latest = max((t for t in times if t is not None), default=None)
    start = _ms(DEFAULT_END) if latest is None else latest
    rng = _rng(seed, f"{chat_id}\x00after\x00{start}")
    dress = _rng(seed, f"{chat_id}\x00after\x00{start}\x00text")
    members = cast(chat_id, account_id)
    new_times, senders = timeline(rng, members, n_messages, start)
    recent = [m for m in reversed(existing[:50]) if isinstance(m, dict)]
    built = build(
        rng,
        members,
        new_times,
        senders,
        chat_id=chat_id,
        account_id=account_id,
        cap_ms=None,
        dress=dress,
        earlier=recent,
    )
    built.reverse()
    return built


def _parse_ms(value: object) -> int | None:
    if not isinstance(value, str) or not value.endswith("Z"):
        return None
    try:
        return _ms(datetime.fromisoformat(value))
    except ValueError:
        return None


def demo_chats(
    k: int = 3, n_messages: int = 500, seed: int = 0, *, account_id: str = DEMO_ACCOUNT_ID
) -> dict[str, list[dict[str, Any]]]:
    """``k`` demo chats of the same account: ``chat_demo``, ``chat_demo_2``, ... -> messages.

    >>> chats = demo_chats(2, 10)
    >>> list(chats), [len(m) for m in chats.values()]
    (['chat_demo', 'chat_demo_2'], [10, 10])
    """
    as_int(k, "k", minimum=1)
    _check_common(n_messages, seed, DEMO_CHAT_ID, account_id)
    ids = [DEMO_CHAT_ID if i == 1 else f"{DEMO_CHAT_ID}_{i}" for i in range(1, k + 1)]
    return {
        chat_id: demo_chat(n_messages, seed=seed, chat_id=chat_id, account_id=account_id)
        for chat_id in ids
    }


def demo_names(chat_id: str = DEMO_CHAT_ID, *, account_id: str = DEMO_ACCOUNT_ID) -> dict[str, str]:
    """The display names of the people of a demo chat, ``sender_id -> name``, the connected
    account first: the senders of :func:`demo_chat` (any size and seed), :func:`demo_chats`
    and :func:`messages_after` for this ``chat_id`` and ``account_id``. Pass it as
    ``names=`` to a statistic, chart or report.

    >>> names = demo_names()
    >>> list(names.values())
    ['Léa Martin', 'ياسمين حداد', 'Priya Raman', '佐藤 春樹']
    >>> {m["sender_id"] for m in demo_chat(300)} == set(names)
    True
    >>> all(set(demo_names(chat_id)) >= {m["sender_id"] for m in messages}
    ...     for chat_id, messages in demo_chats(3, 200).items())
    True
    """
    as_str(chat_id, "chat_id")
    as_str(account_id, "account_id")
    return {member.sender_id: member.persona.name for member in cast(chat_id, account_id)}
