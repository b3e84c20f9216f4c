"""``fetch_chat``: every page of a chat, as typed tables, in one call.

>>> frames = fetch_chat("chat_01HXYZ", after="2026-01-01")  # doctest: +SKIP
>>> frames
ChatFrames(messages=5000, attachments=812, reactions=1203, seen_by=9876)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime

from postpress_frames.api.client import Client, Page
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames

Moment = datetime | date | str | None


def with_progress(pages: Iterable[Page], *, desc: str) -> Iterator[Page]:
    """Yield ``pages`` while a progress bar (terminal or Jupyter) counts messages and pages."""
    from tqdm.auto import tqdm  # imported here: keeps `import postpress_frames` fast

    with tqdm(desc=desc, unit=" msg", dynamic_ncols=True, leave=True) as bar:
        for page in pages:
            bar.update(len(page.items))
            bar.set_postfix(pages=page.number, refresh=False)
            yield page


def fetch_chat(
    chat_id: str,
    *,
    client: Client | None = None,
    after: Moment = None,
    before: Moment = None,
    sender_id: str | None = None,
    page_size: int = 250,
    include_original: bool = True,
    progress: bool = False,
) -> ChatFrames:
    """Fetch every page of ``chat_id`` and build :class:`ChatFrames` from them.

    ``client`` defaults to ``Client()`` (key and base URL from the environment). Filters are
    the endpoint's: ``after``/``before`` (exclusive; aware datetimes, dates or ISO 8601
    strings) and ``sender_id``. ``progress=True`` shows a progress bar on stderr or in Jupyter.
    """
    own_client = client is None
    active = client or Client()
    try:
        pages: Iterable[Page] = active.iter_pages(
            chat_id, after=after, before=before, sender_id=sender_id, page_size=page_size
        )
        if progress:
            pages = with_progress(pages, desc=chat_id)
        return frames_from_pages(pages, include_original=include_original)
    finally:
        if own_client:
            active.close()
