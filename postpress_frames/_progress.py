"""The one progress bar of the package: messages fetched, in a terminal or in Jupyter.

``fetch_chat``, ``sync_chat`` and ``sync_chats`` all count pages with :class:`Progress`.
A disabled bar does nothing and never imports tqdm; an enabled one imports ``tqdm.auto``
on creation, which keeps ``import postpress_frames`` fast.

>>> from postpress_frames.api.page import Page
>>> pages = [Page(number=1, items=[{"id": "msg_1"}], cursor=None, raw=b"")]
>>> with Progress("chat_1", enabled=False) as bar:
...     [page.number for page in bar.track(pages)]
[1]
>>> bar.count
1
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from postpress_frames.api.page import Page

__all__ = ["Progress"]


class Progress:
    """A bar counting messages (``unit=" msg"``), with a postfix of pages or chats done.

    Thread-safe: the workers of ``sync_chats`` share one. ``enabled=False`` makes every
    method a no-op (but :attr:`count` still counts).
    """

    def __init__(self, desc: str, *, enabled: bool = True) -> None:
        self.count = 0  # messages counted
        self._lock = threading.Lock()
        self._bar: Any = None
        if enabled:
            from tqdm.auto import tqdm  # imported here: keeps `import postpress_frames` fast

            self._bar = tqdm(desc=desc, unit=" msg", dynamic_ncols=True, leave=True)

    def page(self, page: Page, *, numbered: bool = True) -> None:
        """Count ``page``'s messages; ``numbered`` shows its number (one chat's bar)."""
        with self._lock:
            self.count += len(page.items)
            if self._bar is not None:
                self._bar.update(len(page.items))
                if numbered:
                    self._bar.set_postfix(pages=page.number, refresh=False)

    def track(self, pages: Iterable[Page]) -> Iterator[Page]:
        """Yield ``pages``, counting each one as it goes by."""
        for page in pages:
            self.page(page)
            yield page

    def postfix(self, **values: object) -> None:
        """Show ``values`` after the count (e.g. ``chats="2/3"``)."""
        with self._lock:
            if self._bar is not None:
                self._bar.set_postfix(**values)

    def close(self) -> None:
        """Finish the bar (it stays on screen)."""
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
