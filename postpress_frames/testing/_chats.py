"""The chats :class:`~postpress_frames.testing.FakePostpress` serves: each message serialised
once, and the pages of a query cut from them (filtered by before/after and sender).

>>> chat = Chat()
>>> chat.insert(0, [{"id": "m2", "timestamp": "2026-01-02T00:00:00Z"},
...                 {"id": "m1", "timestamp": "2026-01-01T00:00:00Z"}], "c")
>>> items, next_skip = Pages().page("c", chat, Query(1, 0, None, None, None, None))
>>> items, next_skip
([b'{"id":"m2","timestamp":"2026-01-02T00:00:00Z"}'], 1)
"""

from __future__ import annotations

import collections
import json
from typing import Any

from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError
from postpress_frames.testing._wire import ENCODER, Query, timestamp_ms

__all__ = ["Chat", "Pages"]


class Chat:
    """One chat's messages, newest first, pre-serialised once for fast pages.

    ``blobs`` holds the JSON of each message; ``ids``, ``senders`` and ``times`` (epoch ms)
    what the filters need; ``version`` changes with every edit (it keys the filter cache).
    """

    __slots__ = ("blobs", "ids", "senders", "times", "version")

    def __init__(self) -> None:
        self.blobs: list[bytes] = []
        self.ids: list[object] = []
        self.senders: list[object] = []
        self.times: list[int | None] = []
        self.version = 0

    def insert(self, position: int, messages: list[dict[str, Any]], chat_id: str) -> None:
        self.blobs[position:position] = [_serialise(m, chat_id) for m in messages]
        self.ids[position:position] = [m.get("id", m.get("message_id")) for m in messages]
        self.senders[position:position] = [m.get("sender_id") for m in messages]
        self.times[position:position] = [timestamp_ms(m.get("timestamp")) for m in messages]
        self.version += 1

    def replace(self, index: int, message: dict[str, Any], chat_id: str) -> None:
        self.blobs[index] = _serialise(message, chat_id)
        self.ids[index] = message.get("id", message.get("message_id"))
        self.senders[index] = message.get("sender_id")
        self.times[index] = timestamp_ms(message.get("timestamp"))
        self.version += 1

    def copies(self) -> list[dict[str, Any]]:
        if not self.blobs:
            return []
        parsed: list[dict[str, Any]] = json.loads(b"[" + b",".join(self.blobs) + b"]")
        return parsed


def _serialise(message: object, chat_id: str) -> bytes:
    if not isinstance(message, dict):
        raise ArgumentTypeError(f"each message of chat {chat_id!r}", "a dict", message)
    try:
        return ENCODER.encode(message).encode()
    except (TypeError, ValueError) as exc:
        ident = message.get("id", message.get("message_id"))
        raise ConfigurationError(
            f"chat {chat_id!r}, message {ident!r}: not JSON data: {exc}"
        ) from exc


class Pages:
    """Cuts the pages of a query from a chat; keeps the 32 latest filtered index lists."""

    def __init__(self) -> None:
        self._filters: collections.OrderedDict[tuple[Any, ...], list[int]] = (
            collections.OrderedDict()
        )

    def page(self, chat_id: str, chat: Chat, query: Query) -> tuple[list[bytes], int | None]:
        """The serialised items of ``query``'s page, and the offset of the next (None: last)."""
        indexes = self._filtered(chat_id, chat, query)
        chosen = indexes[query.skip : query.skip + query.limit]
        items = [chat.blobs[i] for i in chosen]
        end = query.skip + query.limit
        return items, end if end < len(indexes) else None

    def _filtered(self, chat_id: str, chat: Chat, query: Query) -> range | list[int]:
        if query.after is None and query.before is None and query.sender_id is None:
            return range(len(chat.blobs))
        key = (chat_id, chat.version, query.after, query.before, query.sender_id)
        cached = self._filters.get(key)
        if cached is not None:
            self._filters.move_to_end(key)
            return cached
        low = -1 if query.after is None else query.after
        high = None if query.before is None else query.before
        bounded = query.after is not None or query.before is not None
        indexes = [
            i
            for i, (ts, sender) in enumerate(zip(chat.times, chat.senders, strict=True))
            if (query.sender_id is None or sender == query.sender_id)
            and (not bounded or (ts is not None and ts > low and (high is None or ts < high)))
        ]
        self._filters[key] = indexes
        if len(self._filters) > 32:
            self._filters.popitem(last=False)
        return indexes
