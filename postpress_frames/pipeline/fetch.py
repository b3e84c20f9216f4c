"""``fetch_chat``: every page of a chat, as typed tables, in one call.

>>> from postpress_frames.api.client import Client
>>> from postpress_frames.testing import FakePostpress, demo_chat
>>> with FakePostpress({"chat_demo": demo_chat(200)}) as server:
...     client = Client(api_key=server.api_key, base_url=server.base_url)
...     frames = fetch_chat("chat_demo", client=client, page_size=50)
>>> frames.messages.height
200
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from postpress_frames._args import as_bool, as_int, as_str
from postpress_frames._exceptions import ArgumentTypeError
from postpress_frames._progress import Progress
from postpress_frames.api.client import Client
from postpress_frames.api.page import Page
from postpress_frames.tables.build import OnInvalid, check_on_invalid, frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames

__all__ = ["Moment", "check_client", "fetch_chat"]

Moment = datetime | date | str | None


def check_client(client: object) -> Client | None:
    """``client`` when it is a :class:`Client` or None; an ArgumentTypeError otherwise."""
    if client is not None and not isinstance(client, Client):
        raise ArgumentTypeError("client", "a postpress_frames.Client (or None)", client)
    return client


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
    on_invalid: OnInvalid = "raise",
) -> ChatFrames:
    """Fetch every page of ``chat_id`` and build :class:`ChatFrames` from them.

    ``client`` defaults to ``Client()`` (key and base URL from the environment). Filters are
    the endpoint's: ``after``/``before`` (exclusive; aware datetimes, dates or ISO 8601
    strings) and ``sender_id``. ``progress=True`` shows a progress bar on stderr or in Jupyter.
    ``on_invalid="quarantine"`` sets aside the messages that cannot be typed into
    ``frames.rejects`` instead of raising (see ``frames_from_pages``); the client still
    raises for a page it cannot page through (no ``items``, an item without a string id).
    Arguments are checked before any request.
    """
    as_str(chat_id, "chat_id")
    check_client(client)
    as_int(page_size, "page_size")
    as_bool(include_original, "include_original")
    as_bool(progress, "progress")
    check_on_invalid(on_invalid)
    own_client = client is None
    active = client or Client()
    try:
        pages: Iterable[Page] = active.iter_pages(
            chat_id, after=after, before=before, sender_id=sender_id, page_size=page_size
        )
        with Progress(chat_id, enabled=progress) as bar:
            return frames_from_pages(
                bar.track(pages), include_original=include_original, on_invalid=on_invalid
            )
    finally:
        if own_client:
            active.close()
