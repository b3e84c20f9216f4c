"""Keep a Parquet dataset of chats current: fetch only what is new, merge by id, atomically.

The first sync of a chat fetches everything. Later syncs fetch only messages newer than the
newest stored one minus ``overlap`` (edits, messages sharing a millisecond and messages that
arrived during the previous run fall in that window), merge by message id (the version
fetched now wins, with its attachments, reactions and read receipts), and rewrite the chat's
files atomically. A sync that finds nothing new changes no file.

``on_invalid="quarantine"`` sets aside the messages that cannot be typed (see
``frames_from_pages``) into the dataset's ``rejects`` table instead of failing the sync; each
message is then in exactly one of ``messages`` or ``rejects``, the version fetched now
winning (see :mod:`postpress_frames.storage.merge`): a rejected message fetched later in good
shape moves to ``messages``, and one stored good that is fetched now in a bad shape moves to
``rejects``. ``SyncResult.rejected`` counts the messages this sync set aside.

Pages are built into validated tables in batches as they arrive; each batch goes to a
:class:`~postpress_frames.storage.merge.ChatUpdate`, which stages it on disk and at the end
streams the merge into the new files, so memory stays about that of one batch however large
the chat (on glibc the sync also keeps the allocator from holding on to freed page bodies:
see :mod:`postpress_frames.pipeline._memory`). If the process dies, the dataset keeps its
previous files, or, once the commit journal is written, the new ones (see
:mod:`postpress_frames.storage.commit`), and the next sync redoes the rest.

>>> from postpress_frames.api.client import Client
>>> from postpress_frames.testing import FakePostpress, demo_chat
>>> with FakePostpress({"chat_demo": demo_chat(200)}) as server:
...     client = Client(api_key=server.api_key, base_url=server.base_url)
...     first = sync_chat("chat_demo", "lake", client=client)
...     again = sync_chat("chat_demo", "lake", client=client)
>>> (first.added, first.updated, first.total), (again.added, again.total)
((200, 0, 200), (0, 200))
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import polars as pl

from postpress_frames._args import as_bool, as_id_list, as_int, as_str
from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError, InvalidResponseError
from postpress_frames._progress import Progress
from postpress_frames.api.client import Client
from postpress_frames.api.page import Page
from postpress_frames.api.params import check_page_size, quote_chat_id
from postpress_frames.api.retry import RateLimitGate
from postpress_frames.pipeline._memory import bound_large_allocations
from postpress_frames.pipeline.fetch import check_client
from postpress_frames.storage.dataset import check_dataset_target, message_count, newest_timestamp
from postpress_frames.storage.merge import ChatUpdate
from postpress_frames.storage.store import Location, StorageOptions, as_location
from postpress_frames.tables.build import OnInvalid, check_on_invalid, frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames

__all__ = ["DEFAULT_OVERLAP", "SyncResult", "sync_chat", "sync_chats"]

DEFAULT_OVERLAP = timedelta(hours=1)

# The root sync_chats checked once, in each of its worker threads while it syncs a chat: its
# sync_chat calls skip the check (a listing of the whole dataset) instead of repeating it.
_CHECKED = threading.local()


@dataclass(frozen=True)
class SyncResult:
    """What one chat's sync did. ``error`` is set (and nothing changed) when it failed."""

    chat_id: str
    fetched: int = 0
    added: int = 0
    updated: int = 0
    total: int = 0
    pages: int = 0
    error: Exception | None = None
    #: messages this sync set aside (``on_invalid="quarantine"``), stored in ``rejects``
    rejected: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)

    def __str__(self) -> str:
        if self.error is not None:
            return f"{self.chat_id}: failed: {self.error}"
        return (
            f"{self.chat_id}: {self.pages} pages, {self.fetched} fetched, {self.added} added, "
            f"{self.updated} updated, {self.total} stored"
            + (f", {self.rejected} set aside (see rejects)" if self.rejected else "")
        )


def _observed(pages: Iterable[Page], on_page: Callable[[Page], None] | None) -> Iterator[Page]:
    for page in pages:
        if on_page is not None:
            on_page(page)
        yield page


def _batches(pages: Iterable[Page], size: int) -> Iterator[list[Page]]:
    batch: list[Page] = []
    for page in pages:
        batch.append(page)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _batch_frames(chat_id: str, batch: list[Page], on_invalid: OnInvalid = "raise") -> ChatFrames:
    """One batch's validated frames.

    A batch holds no message an earlier one held: the client's pages carry each id once
    across the whole fetch (:meth:`~postpress_frames.Client.iter_pages`), and the table
    builder refuses a message it reads another id for than the client did (``Page.ids``),
    so no second set of the chat's ids is kept here.

    A bad value, and a reject's ``page``, are named by the page's number in the chat.
    """
    try:
        frames = frames_from_pages(batch, on_invalid=on_invalid).validate()
        if not frames.rejects.height:
            return frames
        numbers = {position: page.number for position, page in enumerate(batch, start=1)}
        page = pl.col("page").replace_strict(numbers, return_dtype=pl.Int32)
        return frames.replace(rejects=frames.rejects.with_columns(page))
    except InvalidResponseError as error:
        # frames_from_pages numbers the pages it is given 1..n: say which page of the chat.
        if error.page is not None:
            error.page = batch[error.page - 1].number
        if error.chat_id is None:
            error.chat_id = chat_id
        raise


def _check_overlap(overlap: object) -> timedelta:
    if not isinstance(overlap, timedelta):
        raise ArgumentTypeError("overlap", "a datetime.timedelta", overlap)
    if overlap < timedelta(0):
        raise ConfigurationError(f"overlap must not be negative, got {overlap}")
    return overlap


def _check_on_page(on_page: object) -> Callable[[Page], None] | None:
    if on_page is not None and not callable(on_page):
        raise ArgumentTypeError("on_page", "a callable taking a Page (or None)", on_page)
    return on_page


def sync_chat(
    chat_id: str,
    root: str | Path | Location,
    *,
    client: Client | None = None,
    overlap: timedelta = DEFAULT_OVERLAP,
    page_size: int = 250,
    batch_pages: int = 40,
    include_original: bool = True,
    progress: bool = False,
    on_page: Callable[[Page], None] | None = None,
    on_invalid: OnInvalid = "raise",
    storage_options: StorageOptions | None = None,
) -> SyncResult:
    """Bring ``chat_id`` in the dataset at ``root`` up to date; see the module docstring.

    ``progress=True`` shows a progress bar; ``on_page`` is called with every fetched page.
    ``batch_pages`` pages are built, validated and staged at a time: it bounds the memory.
    ``on_invalid`` is ``"raise"`` (a message that cannot be typed fails the sync, nothing
    changes) or ``"quarantine"`` (it is stored in ``rejects``; see the module docstring).

    Raises the fetch's :class:`~postpress_frames.PostpressError` after leaving the stored
    files as they were. Arguments are checked before any request or file access: a wrong
    type is an :class:`~postpress_frames.ArgumentTypeError` naming it, and
    ``include_original=False`` a :class:`~postpress_frames.ConfigurationError`, since the
    dataset's messages table always has ``original`` (it never could be synced without it).
    ``root`` must be absent, an empty folder or a dataset: a file or a folder of other files
    is refused with a :class:`~postpress_frames.StorageError` before any request. A URL
    (``s3://bucket/lake``) is a dataset on an object store, reached with ``storage_options``
    as polars takes them (see :mod:`~postpress_frames.storage.store`); the promises are the
    same there (see :mod:`~postpress_frames.storage.commit`).
    """
    quote_chat_id(as_str(chat_id, "chat_id"))  # also refuses text that is not valid unicode
    root = as_location(root, "root", storage_options)
    check_client(client)
    _check_overlap(overlap)
    check_page_size(as_int(page_size, "page_size"))
    as_int(batch_pages, "batch_pages", minimum=1)
    if not as_bool(include_original, "include_original"):
        raise ConfigurationError(
            "sync_chat keeps the 'original' column (the dataset's messages table has it); "
            "include_original=False is only for fetch_chat and frames_from_pages"
        )
    as_bool(progress, "progress")
    _check_on_page(on_page)
    check_on_invalid(on_invalid)
    if getattr(_CHECKED, "root", None) != root:
        check_dataset_target(root)  # a file or a folder of other files: before any request
    bound_large_allocations()  # memory stays flat however long the chat (see _memory.py)
    own_client = client is None
    active = client or Client()
    try:
        # Entering finishes a commit a crash interrupted, then clears what it left behind.
        with ChatUpdate(root, chat_id) as update, Progress(chat_id, enabled=progress) as bar:
            newest = newest_timestamp(root, chat_id)
            after = None if newest is None else newest - overlap
            pages = active.iter_pages(chat_id, after=after, page_size=page_size)
            pages_seen = 0
            for batch in _batches(_observed(bar.track(pages), on_page), batch_pages):
                frames = _batch_frames(chat_id, batch, on_invalid)
                pages_seen += len(batch)
                last = batch[-1].cursor is None
                del batch  # the page bodies: not held while the next batch is fetched
                update.add(frames, last=last)  # the last batch stays in memory
                del frames
            added, updated = update.commit()
            total = message_count(root, chat_id)
            return SyncResult(
                chat_id, update.fetched, added, updated, total, pages_seen, rejected=update.rejected
            )
    finally:
        if own_client:
            active.close()


def sync_chats(
    chat_ids: Iterable[str],
    root: str | Path | Location,
    *,
    client: Client | None = None,
    workers: int = 4,
    overlap: timedelta = DEFAULT_OVERLAP,
    page_size: int = 250,
    progress: bool = False,
    on_invalid: OnInvalid = "raise",
    storage_options: StorageOptions | None = None,
) -> list[SyncResult]:
    """Sync several chats concurrently; one chat's failure does not stop or lose the others.

    ``progress=True`` shows one bar counting the messages fetched and the chats done;
    ``on_invalid`` is passed to each :func:`sync_chat`.

    Returns one :class:`SyncResult` per chat, in the order given; failed chats carry their
    error and leave their stored files as they were. Arguments are checked first, as
    :func:`sync_chat` checks its own (``chat_ids`` must not be a single string), and so is
    ``root``: one that is not a dataset raises its StorageError before any request.
    ``storage_options`` are :func:`sync_chat`'s.
    """
    ids = as_id_list(chat_ids, "chat_ids")
    root = as_location(root, "root", storage_options)
    check_client(client)
    as_int(workers, "workers", minimum=1)
    _check_overlap(overlap)
    check_page_size(as_int(page_size, "page_size"))
    as_bool(progress, "progress")
    check_on_invalid(on_invalid)
    check_dataset_target(root)  # refused before any request, not once per chat
    gate = RateLimitGate()
    template = client if client is not None else Client()
    finished = itertools.count(1)  # next() on it is atomic under the GIL

    with Progress(f"syncing {len(ids)} chats", enabled=progress) as bar:

        def count(page: Page) -> None:
            bar.page(page, numbered=False)  # page numbers of several chats mean nothing

        def one(chat_id: str) -> SyncResult:
            worker_client = template.clone(gate=gate)
            _CHECKED.root = root
            try:
                return sync_chat(
                    chat_id,
                    root,
                    client=worker_client,
                    overlap=overlap,
                    page_size=page_size,
                    on_page=count if progress else None,
                    on_invalid=on_invalid,
                )
            except Exception as exc:  # reported per chat: one failure must not lose the others
                return SyncResult(chat_id, error=exc)
            finally:
                _CHECKED.root = None
                worker_client.close()
                bar.postfix(chats=f"{next(finished)}/{len(ids)}")

        try:
            with ThreadPoolExecutor(max_workers=min(workers, max(len(ids), 1))) as pool:
                return list(pool.map(one, ids))
        finally:
            if client is None:
                template.close()
