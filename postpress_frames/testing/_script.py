"""What :class:`~postpress_frames.testing.FakePostpress` does on purpose: the faults queued
for the next requests, the faults pinned to a page, and messages due to arrive after a page.

Not thread-safe on its own: the fake holds its lock around every call.

>>> script = Script()
>>> script.pin(2, Fault.drop(), times=2)
>>> script.take([("limit", "10")]), script.take([("limit", "10"), ("cursor", "eyJza2lwIjoxMH0")])
(None, Fault(kind='drop', ...))
>>> script.pending
1
"""

from __future__ import annotations

import collections

from postpress_frames.testing._wire import EnvelopeError, parse_query
from postpress_frames.testing.faults import Fault

__all__ = ["Script"]


class Script:
    """Queued faults go first, then the faults of the requested page, in order."""

    def __init__(self) -> None:
        self._queued: collections.deque[Fault] = collections.deque()
        self._by_page: dict[int, collections.deque[Fault]] = {}
        self._arrivals: list[tuple[str, int, int]] = []

    def queue(self, faults: tuple[Fault, ...]) -> None:
        """Queue ``faults`` for the next requests; no fault clears the queue."""
        if faults:
            self._queued.extend(faults)
        else:
            self._queued.clear()

    def pin(self, page: int, fault: Fault, *, times: int) -> None:
        """The next ``times`` requests of page ``page`` get ``fault``."""
        self._by_page.setdefault(page, collections.deque()).extend([fault] * times)

    def arrive(self, chat_id: str, n: int, *, after_page: int) -> None:
        """Once page ``after_page`` of ``chat_id`` is served, ``n`` messages are due."""
        self._arrivals.append((chat_id, n, after_page))

    def take(self, pairs: list[tuple[str, str]]) -> Fault | None:
        """The fault for a request with query ``pairs``, if any (it is used up)."""
        if self._queued:
            return self._queued.popleft()
        if not self._by_page:
            return None
        try:
            page = parse_query(pairs).page
        except EnvelopeError:
            return None
        queued = self._by_page.get(page)
        if not queued:
            return None
        fault = queued.popleft()
        if not queued:
            del self._by_page[page]
        return fault

    def due(self, chat_id: str, page: int) -> list[int]:
        """How many messages arrive now that page ``page`` of ``chat_id`` was served."""
        due = [a for a in self._arrivals if a[0] == chat_id and a[2] == page]
        for arrival in due:
            self._arrivals.remove(arrival)
        return [n for _, n, _ in due]

    @property
    def pending(self) -> int:
        """How many faults are still waiting, queued and pinned."""
        return len(self._queued) + sum(len(q) for q in self._by_page.values())

    def clear(self) -> None:
        """Forget every fault and pending arrival."""
        self._queued.clear()
        self._by_page.clear()
        self._arrivals.clear()
