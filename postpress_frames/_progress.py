"""The one progress bar of the package: messages fetched, in a terminal or in Jupyter.

``fetch_chat``, ``sync_chat`` and ``sync_chats`` all count pages with :class:`Progress`.
A disabled bar does nothing and never imports tqdm; an enabled one imports ``tqdm.auto``
on creation, which keeps ``import postpress_frames`` fast.

In a Jupyter kernel the bar is an ipywidgets bar while it runs; when it closes, its output
is replaced by one line of plain text (:attr:`Progress.summary`). A front end without the
widget manager (a headless ``nbclient`` run, a notebook exported or viewed on a code host)
therefore shows the final count, not the widget's first state. Elsewhere it is tqdm's text
bar on stderr.

>>> from postpress_frames.api.page import Page
>>> pages = [Page(number=1, items=[{"id": "msg_1"}], cursor=None, raw=b"")]
>>> with Progress("chat_1", enabled=False) as bar:
...     [page.number for page in bar.track(pages)]
[1]
>>> bar.count
1
>>> bar.summary
'chat_1: 1 msg, pages=1'
"""

from __future__ import annotations

import sys
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
    method a no-op (but :attr:`count` and :attr:`summary` still count).
    """

    def __init__(self, desc: str, *, enabled: bool = True) -> None:
        self.count = 0  # messages counted
        self._desc = desc
        self._postfix: dict[str, object] = {}
        self._lock = threading.Lock()
        self._bar: Any = None
        self._handle: Any = None  # the Jupyter display the widget bar is shown in
        if enabled:
            self._bar, self._handle = _new_bar(desc)

    @property
    def summary(self) -> str:
        """The count and postfix as one line of text, e.g. ``'chat_1: 2,000 msg, pages=8'``."""
        parts = [f"{self._desc}: {self.count:,} msg"]
        parts += [f"{key}={value}" for key, value in self._postfix.items()]
        return ", ".join(parts)

    def page(self, page: Page, *, numbered: bool = True) -> None:
        """Count ``page``'s messages; ``numbered`` shows its number (one chat's bar)."""
        with self._lock:
            self.count += len(page.items)
            if numbered:
                self._postfix["pages"] = page.number
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
            self._postfix.update(values)
            if self._bar is not None:
                self._bar.set_postfix(**values)

    def close(self) -> None:
        """Finish the bar (it stays on screen; in Jupyter as the text of :attr:`summary`)."""
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            if self._handle is not None:
                self._handle.update({"text/plain": self.summary}, raw=True)
                self._handle = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _new_bar(desc: str) -> tuple[Any, Any]:
    """tqdm's choice of bar, and for the widget bar the display handle it is shown in."""
    from tqdm.auto import tqdm  # imported here: keeps `import postpress_frames` fast

    options: dict[str, Any] = {"desc": desc, "unit": " msg", "dynamic_ncols": True}
    notebook = sys.modules.get("tqdm.notebook")
    if notebook is None or not issubclass(tqdm, notebook.tqdm_notebook):
        return tqdm(leave=True, **options), None
    # The widget is shown through a handle we hold, so that close() can replace it by text:
    # what a saved notebook keeps is then the final count, whatever front end ran it.
    from IPython.display import display

    bar: Any = tqdm(leave=True, display=False, **options)
    return bar, display(bar.container, display_id=True)  # type: ignore[no-untyped-call]
