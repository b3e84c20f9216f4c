"""Keep a Parquet dataset of chats current: fetch only what is new, merge by id, atomically.

The first sync of a chat fetches everything. Later syncs fetch only messages newer than the
newest stored one minus ``overlap`` (edits, messages sharing a millisecond and messages that
arrived during the previous run fall in that window), merge by message id (the version
fetched now wins, with its attachments, reactions and read receipts), and rewrite the chat's
files atomically. A sync that finds nothing new changes no file.

Pages are written to a hidden staging folder in batches as they arrive, so memory stays
bounded however large the chat; the merge then streams through polars' streaming engine.
If the process dies, the dataset keeps its previous files, or, once the commit journal is
written, the new ones (see :mod:`postpress_frames.dataset`), and the next sync redoes the
rest.

>>> result = sync_chat("chat_1", "lake")   # doctest: +SKIP
>>> result.added, result.updated           # doctest: +SKIP
(5000, 0)
"""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polars as pl

from postpress_frames._atomic import TMP_PREFIX, temp_path_for
from postpress_frames._exceptions import InvalidResponseError
from postpress_frames._params import quote_chat_id
from postpress_frames._retry import RateLimitGate
from postpress_frames.chat_frames import ChatFrames
from postpress_frames.client import Client, Page
from postpress_frames.dataset import (
    PART_FILE,
    commit_chat,
    partition_dir,
    recover_chat,
    scan_table,
)
from postpress_frames.fetch import with_progress
from postpress_frames.frames import frames_from_pages
from postpress_frames.parquet import write_table
from postpress_frames.schemas import TABLE_MODELS

DEFAULT_OVERLAP = timedelta(hours=1)
STAGING = ".staging"


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
        )


def _key(table: str) -> str:
    return "id" if table == "messages" else "message_id"


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


def _batch_frames(chat_id: str, batch: list[Page], include_original: bool) -> ChatFrames:
    """One batch's validated frames; a bad value is named by its page number in the chat."""
    try:
        return frames_from_pages(batch, include_original=include_original).validate()
    except InvalidResponseError as error:
        # frames_from_pages numbers the pages it is given 1..n: say which page of the chat.
        if error.page is not None:
            error.page = batch[error.page - 1].number
        if error.chat_id is None:
            error.chat_id = chat_id
        raise


def _without(frames: ChatFrames, staged_ids: list[pl.Series]) -> ChatFrames:
    """Drop messages an earlier batch staged (the first one fetched wins, as in one batch).

    Messages arriving during a sync shift the offset cursor, so a later page repeats ids
    of an earlier one; ``frames_from_pages`` collapses them within a batch, this across.
    """
    if not staged_ids:
        return frames
    seen = pl.concat(staged_ids).implode()
    return frames.replace(
        **{table: frame.filter(~pl.col(_key(table)).is_in(seen)) for table, frame in frames.items()}
    )


def _row_hash(columns: list[str]) -> pl.Expr:
    return pl.struct(columns).hash(seed=0).alias("_h")


def _changed_ids(root: Path, chat_id: str, staged: dict[str, pl.LazyFrame]) -> tuple[int, int]:
    """Count (added, updated) messages of the staged batch against the stored chat."""
    stored = {t: scan_table(root, t, chat_id=chat_id).drop("chat_id", strict=False) for t in staged}
    new_ids = staged["messages"].select("id").collect(engine="streaming").get_column("id")
    old_ids = stored["messages"].select("id").filter(pl.col("id").is_in(new_ids.implode()))
    common = old_ids.collect(engine="streaming").get_column("id")
    added = new_ids.len() - common.len()
    if common.is_empty():
        return added, 0
    changed: set[str] = set()
    for table, new in staged.items():
        key = _key(table)
        cols = [c for c in new.collect_schema().names() if c != "chat_id"]
        hashed_new = new.select(cols).filter(pl.col(key).is_in(common.implode()))
        hashed_old = stored[table].select(cols).filter(pl.col(key).is_in(common.implode()))
        hashed_new = hashed_new.select(pl.col(key), _row_hash(cols))
        hashed_old = hashed_old.select(pl.col(key), _row_hash(cols))
        diff = pl.concat(
            [
                hashed_new.join(hashed_old, on=[key, "_h"], how="anti"),
                hashed_old.join(hashed_new, on=[key, "_h"], how="anti"),
            ]
        )
        changed.update(diff.select(key).collect(engine="streaming").get_column(key).to_list())
    return added, len(changed)


# Within a message, child rows keep the builder's order (quoted copies after the message's own).
CHILD_ORDER = {"attachments": ["quoted", "position"], "reactions": ["position"], "seen_by": []}


def _merged(root: Path, chat_id: str, table: str, new: pl.LazyFrame) -> pl.LazyFrame:
    """Stored rows of ``table`` whose message was not fetched again, plus the fetched rows."""
    key = _key(table)
    new_ids = new.select(key).unique().collect(engine="streaming").get_column(key)
    kept = (
        scan_table(root, table, chat_id=chat_id)
        .drop("chat_id", strict=False)
        .filter(~pl.col(key).is_in(new_ids.implode()))
    )
    return pl.concat([kept, new.drop("chat_id", strict=False)], how="vertical")


def _write_hidden(root: Path, chat_id: str, table: str, frame: pl.DataFrame) -> Path:
    """Write ``frame`` beside its target under a hidden name; return that temporary file."""
    target = partition_dir(root, table, chat_id) / PART_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(target)
    try:
        write_table(frame, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _merge(
    root: Path, chat_id: str, staged: dict[str, pl.LazyFrame], written: dict[str, Path]
) -> None:
    """Merge every table into hidden files (recorded in ``written``), rows in builder order."""
    messages = _merged(root, chat_id, "messages", staged["messages"]).sort("timestamp", "id")
    messages_frame = messages.collect(engine="streaming")
    written["messages"] = _write_hidden(root, chat_id, "messages", messages_frame)
    rank = messages_frame.select(pl.col("id").alias("message_id")).with_row_index("_rank")
    del messages_frame
    for table, within in CHILD_ORDER.items():
        merged = (
            _merged(root, chat_id, table, staged[table])
            .join(rank.lazy(), on="message_id", how="inner", maintain_order="left")
            .sort("_rank", *within, maintain_order=True)
            .drop("_rank")
        )
        written[table] = _write_hidden(root, chat_id, table, merged.collect(engine="streaming"))


def staging_dir(root: str | Path, chat_id: str) -> Path:
    """The hidden folder a sync of ``chat_id`` stages its batches in; always one of its own.

    Named like a partition (``chat_id=<percent-encoded>``), so ``.`` and ``..`` stay names
    and never resolve to the staging root or the dataset root, which sync deletes from.

    >>> staging_dir("lake", "..").as_posix()
    'lake/.staging/chat_id=..'
    """
    return Path(root) / STAGING / f"chat_id={quote(chat_id, safe='')}"


def _remove_leftovers(root: Path, chat_id: str, chat_staging: Path) -> None:
    """Delete what a sync of this chat that died left behind: staging and hidden temp files."""
    shutil.rmtree(chat_staging, ignore_errors=True)
    for table in TABLE_MODELS:
        for tmp in partition_dir(root, table, chat_id).glob(f"{TMP_PREFIX}*"):
            tmp.unlink(missing_ok=True)


def _chats_bar(chats: int) -> Any:
    from tqdm.auto import tqdm  # imported here: keeps `import postpress_frames` fast

    return tqdm(desc=f"syncing {chats} chats", unit=" msg", dynamic_ncols=True)


def newest_timestamp(root: str | Path, chat_id: str) -> datetime | None:
    """The timestamp of the newest stored message of ``chat_id``, or None."""
    value = (
        scan_table(root, "messages", chat_id=chat_id)
        .select(pl.col("timestamp").max())
        .collect()
        .item()
    )
    return value if isinstance(value, datetime) else None


def sync_chat(
    chat_id: str,
    root: str | Path,
    *,
    client: Client | None = None,
    overlap: timedelta = DEFAULT_OVERLAP,
    page_size: int = 250,
    batch_pages: int = 40,
    include_original: bool = True,
    progress: bool = False,
    on_page: Callable[[Page], None] | None = None,
) -> SyncResult:
    """Bring ``chat_id`` in the dataset at ``root`` up to date; see the module docstring.

    ``progress=True`` shows a progress bar; ``on_page`` is called with every fetched page.

    Raises the fetch's :class:`~postpress_frames.PostpressError` after leaving the stored
    files as they were.
    """
    quote_chat_id(chat_id)  # a ConfigurationError for a non-string or empty id, before any I/O
    root = Path(root)
    own_client = client is None
    client = client or Client()
    chat_staging = staging_dir(root, chat_id)
    recover_chat(root, chat_id)  # finish a commit a crash interrupted, then clear the rest
    _remove_leftovers(root, chat_id, chat_staging)
    staging = chat_staging / uuid.uuid4().hex
    try:
        newest = newest_timestamp(root, chat_id)
        after = None if newest is None else newest - overlap
        pages: Iterable[Page] = client.iter_pages(chat_id, after=after, page_size=page_size)
        if progress:
            pages = with_progress(pages, desc=chat_id)
        fetched = pages_seen = 0
        staged_ids: list[pl.Series] = []
        for number, batch in enumerate(_batches(_observed(pages, on_page), batch_pages)):
            frames = _without(_batch_frames(chat_id, batch, include_original), staged_ids)
            staged_ids.append(frames.messages.get_column("id"))
            pages_seen += len(batch)
            fetched += frames.messages.height
            for table, frame in frames.items():
                folder = staging / table
                folder.mkdir(parents=True, exist_ok=True)
                write_table(frame, folder / f"batch-{number:06d}.parquet")
        if fetched == 0:
            total = scan_table(root, "messages", chat_id=chat_id).select(pl.len()).collect().item()
            return SyncResult(chat_id, pages=pages_seen, total=total)
        staged = {table: pl.scan_parquet(staging / table / "*.parquet") for table in TABLE_MODELS}
        added, updated = _changed_ids(root, chat_id, staged)
        if added or updated:
            written: dict[str, Path] = {}
            try:
                _merge(root, chat_id, staged, written)
                commit_chat(root, chat_id, written)
            finally:
                for tmp in written.values():
                    tmp.unlink(missing_ok=True)
        total = scan_table(root, "messages", chat_id=chat_id).select(pl.len()).collect().item()
        return SyncResult(chat_id, fetched, added, updated, total, pages_seen)
    finally:
        shutil.rmtree(chat_staging, ignore_errors=True)
        if own_client:
            client.close()


def sync_chats(
    chat_ids: Iterable[str],
    root: str | Path,
    *,
    client: Client | None = None,
    workers: int = 4,
    overlap: timedelta = DEFAULT_OVERLAP,
    page_size: int = 250,
    progress: bool = False,
) -> list[SyncResult]:
    """Sync several chats concurrently; one chat's failure does not stop or lose the others.

    ``progress=True`` shows one bar counting the messages fetched and the chats done.

    Returns one :class:`SyncResult` per chat, in the order given; failed chats carry their
    error and leave their stored files as they were.
    """
    ids = list(dict.fromkeys(chat_ids))
    if workers < 1:
        raise ValueError("workers must be at least 1")
    gate = RateLimitGate()
    template = client if client is not None else Client()
    bar = _chats_bar(len(ids)) if progress else None
    finished = itertools.count(1)  # next() on it is atomic under the GIL

    def one(chat_id: str) -> SyncResult:
        worker_client = template.clone(gate=gate)
        try:
            return sync_chat(
                chat_id,
                root,
                client=worker_client,
                overlap=overlap,
                page_size=page_size,
                on_page=None if bar is None else lambda page: bar.update(len(page.items)),
            )
        except Exception as exc:  # reported per chat: one failure must not lose the others
            return SyncResult(chat_id, error=exc)
        finally:
            worker_client.close()
            if bar is not None:
                bar.set_postfix(chats=f"{next(finished)}/{len(ids)}")

    try:
        with ThreadPoolExecutor(max_workers=min(workers, max(len(ids), 1))) as pool:
            return list(pool.map(one, ids))
    finally:
        if bar is not None:
            bar.close()
        if client is None:
            template.close()
