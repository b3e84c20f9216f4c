"""The cursor strategy: request parameters per page, end of pages, repeated-cursor guard.

>>> paginator = CursorPaginator({"limit": "2"})
>>> paginator.params()
{'limit': '2'}
>>> paginator.advance("c1", page=1)
>>> paginator.params(), paginator.done
({'limit': '2', 'cursor': 'c1'}, False)
>>> paginator.advance(None, page=2)
>>> paginator.done
True
"""

from __future__ import annotations

from collections.abc import Mapping

from postpress_frames._exceptions import CursorLoopError

__all__ = ["CursorPaginator"]


class CursorPaginator:
    """Walks the pages of one listing by cursor.

    ``params()`` gives the query for the next request (the fixed filters plus the
    cursor once there is one). ``advance(cursor, page=n)`` records the cursor a page
    returned: null, absent or empty ends the listing; a cursor seen before raises
    :class:`CursorLoopError` instead of fetching the same pages forever.
    """

    def __init__(self, base_params: Mapping[str, str], *, chat_id: str | None = None) -> None:
        self._base = dict(base_params)
        self._chat_id = chat_id
        self._cursor: str | None = None
        self._seen: set[str] = set()
        self.done = False

    @property
    def cursor(self) -> str | None:
        """The cursor the next request will send (None for the first page)."""
        return self._cursor

    def params(self) -> dict[str, str]:
        """Query parameters for the next page request."""
        if self._cursor is None:
            return dict(self._base)
        return {**self._base, "cursor": self._cursor}

    def advance(self, cursor: str | None, *, page: int) -> None:
        """Record the ``cursor`` returned by page number ``page``."""
        if not cursor:
            self.done = True
            return
        if cursor in self._seen:
            raise CursorLoopError(cursor, page=page, chat_id=self._chat_id)
        self._seen.add(cursor)
        self._cursor = cursor
