"""Keep a Parquet dataset of chats current: fetch only what is new, merge by id, atomically.

The first sync of a chat fetches everything. Later syncs fetch only messages newer than the
newest stored one minus ``overlap`` (edits, messages sharing a millisecond and messages that
arrived during the previous run fall in that window), merge by message id (the version
fetched now wins, with its attachments, reactions and read receipts), and rewrite the chat's
files atomically. A sync that finds nothing new changes no file.

Pages are built into validated tables in batches as they arrive, and each batch is written
to a hidden staging folder (the last one stays in memory, so a small chat is never staged).
The merge sorts in memory only the batches whose time ranges overlap and streams the rest,
with the stored rows, through polars' streaming engine into the new files: memory stays
about that of one batch however large the chat (see the comment above ``_Run``).
If the process dies, the dataset keeps its previous files, or, once the commit journal is
written, the new ones (see :mod:`postpress_frames.storage.dataset`), and the next sync redoes the
rest.

>>> result = sync_chat("chat_1", "lake")   # doctest: +SKIP
>>> result.added, result.updated           # doctest: +SKIP
(5000, 0)
"""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polars as pl

from postpress_frames._exceptions import InvalidResponseError
from postpress_frames.api.client import Client, Page
from postpress_frames.api.params import quote_chat_id
from postpress_frames.api.retry import RateLimitGate
from postpress_frames.api.seen import SeenIds
from postpress_frames.pipeline.fetch import with_progress
from postpress_frames.storage.atomic import TMP_PREFIX, temp_path_for
from postpress_frames.storage.dataset import (
    PART_FILE,
    PARTITION_KEY,
    commit_chat,
    partition_dir,
    recover_chat,
    scan_table,
)
from postpress_frames.storage.parquet import write_table
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import TABLE_MODELS

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


def _row_hash(columns: list[str]) -> pl.Expr:
    return pl.struct(columns).hash(seed=0).alias("_h")


def _stored(root: Path, chat_id: str) -> bool:
    return (partition_dir(root, "messages", chat_id) / PART_FILE).is_file()


def _changed_ids(root: Path, chat_id: str, runs: list[_Run], fetched: pl.Series) -> tuple[int, int]:
    """Count (added, updated) messages of the fetched ones against the stored chat."""
    staged = {
        table: pl.concat([run.tables[table].lazy() for run in runs], how="vertical")
        for table in TABLE_MODELS
    }
    stored = {t: scan_table(root, t, chat_id=chat_id).drop(PARTITION_KEY) for t in staged}
    old_ids = stored["messages"].select("id").filter(pl.col("id").is_in(fetched.implode()))
    common = old_ids.collect(engine="streaming").get_column("id")
    added = fetched.len() - common.len()
    if common.is_empty():
        return added, 0
    changed: set[str] = set()
    for table, new in staged.items():
        key = _key(table)
        cols = new.collect_schema().names()
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


# -- merging ---------------------------------------------------------------------------------
#
# The dataset keeps messages sorted by (timestamp, id) and each child table in the order of
# its messages (within a message, the builder's order). A batch's frames are already in that
# order (frames_from_pages sorts them), and batches arrive newest first, so the fetched rows
# are a few sorted runs whose key ranges overlap rarely (messages sharing a millisecond
# across a batch boundary, or the stored rows of the overlap window). The merge sorts only
# the runs that overlap, in memory, one group at a time, and streams everything else
# through polars' streaming engine straight to the new file: memory stays that of one batch
# whatever the size of the chat, where a global sort would hold the whole chat.

# Within a message, child rows keep the builder's order (quoted copies after the message's own).
CHILD_ORDER = {"attachments": ["quoted", "position"], "reactions": ["position"], "seen_by": []}

Key = tuple[datetime, str]  # a message's place in the dataset: (timestamp, id)
Table = pl.DataFrame | pl.LazyFrame


@dataclass(frozen=True)
class _Run:
    """Rows of every table for some messages, each table in the dataset's order.

    ``first`` and ``last`` are the keys of its first and last message; ``staged`` tells
    whether the tables are scans of staged files rather than frames in memory.
    """

    tables: Mapping[str, Table]
    first: Key
    last: Key
    staged: bool


def _span(messages: pl.DataFrame) -> tuple[Key, Key]:
    ends = messages.select("timestamp", "id").gather([0, messages.height - 1]).rows()
    return (ends[0][0], ends[0][1]), (ends[1][0], ends[1][1])


def _without_partition(frames: Mapping[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    return {
        table: frame.drop(PARTITION_KEY) if PARTITION_KEY in frame.columns else frame
        for table, frame in frames.items()
    }


def _memory_run(frames: Mapping[str, pl.DataFrame]) -> _Run:
    return _Run(_without_partition(frames), *_span(frames["messages"]), staged=False)


def _staged_run(frames: Mapping[str, pl.DataFrame], folder: Path, name: str) -> _Run:
    """Write a run's tables to ``folder/<table>/<name>.parquet``; the run scans them."""
    tables: dict[str, Table] = {}
    for table, frame in _without_partition(frames).items():
        path = folder / table / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_table(frame, path)
        tables[table] = pl.scan_parquet(path)
    return _Run(tables, *_span(frames["messages"]), staged=True)


def _fetched_ids(runs: list[_Run]) -> pl.Series:
    """The ids of the runs' messages."""
    ids = pl.concat([run.tables["messages"].lazy().select("id") for run in runs], how="vertical")
    return ids.collect(engine="streaming").get_column("id")


def _without(frames: ChatFrames, seen: SeenIds) -> ChatFrames:
    """Drop messages an earlier batch holds (the first one fetched wins, as in one batch).

    Messages arriving during a sync shift the offset cursor, so a later page repeats ids
    of an earlier one; ``frames_from_pages`` collapses them within a batch, ``seen`` (the
    same compact id set the client pages with) across batches.
    """
    ids = frames.messages.get_column("id")
    new = seen.first_seen(ids.to_list())
    if len(new) == ids.len():
        return frames
    gone = ids.gather(sorted(set(range(ids.len())) - set(new))).implode()
    return frames.replace(
        **{table: frame.filter(~pl.col(_key(table)).is_in(gone)) for table, frame in frames.items()}
    )


def _before(key: Key) -> pl.Expr:
    """Messages that sort before ``key``."""
    timestamp = pl.lit(key[0], dtype=pl.Datetime("ms", "UTC"))
    return (pl.col("timestamp") < timestamp) | (
        (pl.col("timestamp") == timestamp) & (pl.col("id") < key[1])
    )


def _split_stored(
    root: Path, chat_id: str, start: Key, fetched: pl.Series
) -> tuple[dict[str, Table], _Run | None]:
    """The stored rows whose message was not fetched again, in two parts.

    Those of messages before ``start`` (the first fetched key) stay lazy scans of the stored
    files, in their stored order, which is the dataset's (sync_chat writes it, and so does
    write_dataset of built frames); the others (with a server that honours ``after``, only
    messages it no longer lists) become a run in memory, merged with the runs it overlaps.
    """
    gone = fetched.implode()
    stored = {t: scan_table(root, t, chat_id=chat_id).drop(PARTITION_KEY) for t in TABLE_MODELS}
    messages = stored["messages"].filter(~pl.col("id").is_in(gone))
    later = messages.filter(~_before(start)).collect(engine="streaming")
    later_ids = later.get_column("id").implode()
    head: dict[str, Table] = {"messages": messages.filter(_before(start))}
    tail = {"messages": later}
    for table in CHILD_ORDER:
        kept = stored[table].filter(~pl.col("message_id").is_in(gone))
        head[table] = kept.filter(~pl.col("message_id").is_in(later_ids))
        tail[table] = kept.filter(pl.col("message_id").is_in(later_ids)).collect()
    return head, (_memory_run(tail) if later.height else None)


def _overlapping(runs: list[_Run]) -> Iterator[list[_Run]]:
    """The runs in key order, grouped: runs chained by overlapping key ranges share a group,
    so no two groups overlap and writing the groups one after the other keeps the order."""
    group: list[_Run] = []
    last: Key | None = None
    for run in sorted(runs, key=lambda r: r.first):
        if last is not None and run.first > last:
            yield group
            group = []
        group.append(run)
        last = run.last if last is None or run.last > last else last
    if group:
        yield group


def _sorted_group(group: list[_Run], staging: Path, number: int) -> Mapping[str, Table]:
    """The rows of overlapping runs in the dataset's order (sorted in memory).

    Kept in memory when every run was; otherwise staged, so one group at a time is held.
    """
    if len(group) == 1:
        return group[0].tables
    messages = (
        pl.concat([run.tables["messages"].lazy() for run in group], how="vertical")
        .sort("timestamp", "id")
        .collect()
    )
    rank = messages.select(pl.col("id").alias("message_id")).with_row_index("_rank").lazy()
    frames = {"messages": messages}
    for table, within in CHILD_ORDER.items():
        frames[table] = (
            pl.concat([run.tables[table].lazy() for run in group], how="vertical")
            .join(rank, on="message_id", how="inner", maintain_order="left")
            .sort("_rank", *within, maintain_order=True)
            .drop("_rank")
            .collect()
        )
    if not any(run.staged for run in group):
        return frames
    return _staged_run(frames, staging / "sorted", f"group-{number:06d}").tables


def _write_hidden(root: Path, chat_id: str, table: str, frame: Table) -> Path:
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
    root: Path,
    chat_id: str,
    runs: list[_Run],
    fetched: pl.Series | None,
    staging: Path,
    written: dict[str, Path],
) -> None:
    """Merge the fetched runs with the stored chat into hidden files (recorded in ``written``).

    Stored rows of messages fetched again are dropped (the version fetched now wins, with
    its child rows). A frame in memory is written as it is; anything else is streamed.
    """
    pieces: list[Mapping[str, Table]] = []
    if fetched is not None:  # a chat stored before
        head, tail = _split_stored(root, chat_id, min(run.first for run in runs), fetched)
        pieces.append(head)
        runs = [*runs, tail] if tail is not None else runs
    pieces += [_sorted_group(g, staging, n) for n, g in enumerate(_overlapping(runs))]
    for table in TABLE_MODELS:
        parts = [piece[table] for piece in pieces]
        if len(parts) == 1:
            frame = parts[0]
        else:
            frame = pl.concat([part.lazy() for part in parts], how="vertical")
        written[table] = _write_hidden(root, chat_id, table, frame)


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
    ``batch_pages`` pages are built, validated and staged at a time: it bounds the memory.

    Raises the fetch's :class:`~postpress_frames.PostpressError` after leaving the stored
    files as they were; ``ValueError`` for ``include_original=False``, since the dataset's
    messages table always has ``original`` (it never could be synced without it).
    """
    quote_chat_id(chat_id)  # a ConfigurationError for a non-string or empty id, before any I/O
    if not include_original:
        raise ValueError(
            "sync_chat keeps the 'original' column (the dataset's messages table has it); "
            "include_original=False is only for fetch_chat and frames_from_pages"
        )
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
        pages_seen = fetched = 0
        seen = SeenIds()  # the ids of the runs, see _without
        runs: list[_Run] = []
        for number, batch in enumerate(_batches(_observed(pages, on_page), batch_pages)):
            frames = _without(_batch_frames(chat_id, batch, include_original), seen)
            pages_seen += len(batch)
            last = batch[-1].cursor is None
            del batch  # the page bodies: not held while the next batch is fetched
            if frames.messages.is_empty():
                continue
            fetched += frames.messages.height
            if last:  # no need to stage the last batch
                runs.append(_memory_run(frames))
            else:
                runs.append(_staged_run(frames, staging, f"batch-{number:06d}"))
            del frames
        del seen
        if not fetched:
            total = scan_table(root, "messages", chat_id=chat_id).select(pl.len()).collect().item()
            return SyncResult(chat_id, pages=pages_seen, total=total)
        stored = _stored(root, chat_id)
        fetched_ids = _fetched_ids(runs) if stored else None
        added, updated = (fetched, 0)
        if fetched_ids is not None:
            added, updated = _changed_ids(root, chat_id, runs, fetched_ids)
        if added or updated:
            written: dict[str, Path] = {}
            try:
                _merge(root, chat_id, runs, fetched_ids, staging, written)
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
