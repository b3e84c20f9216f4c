"""Merge fetched batches of a chat with its stored rows, streaming, in the dataset's order.

The dataset keeps messages sorted by (timestamp, id) and each child table in the order of
its messages (within a message, the builder's order). A batch's frames are already in that
order (``frames_from_pages`` sorts them), and batches arrive newest first, so the fetched
rows are a few sorted runs whose key ranges overlap rarely (messages sharing a millisecond
across a batch boundary, or the stored rows of the overlap window). The merge sorts only
the runs that overlap, in memory, one group at a time, and streams everything else through
polars' streaming engine straight to the new files: memory stays that of one batch whatever
the size of the chat, where a global sort would hold the whole chat.

Stored rows of messages fetched again are dropped: the version fetched now wins, with its
attachments, reactions and read receipts.

**Rejects.** Each message is in exactly one of ``messages`` or ``rejects`` (the messages
``on_invalid="quarantine"`` set aside). The version fetched now wins here too: a rejected
message fetched again in good shape moves to ``messages`` (its reject row is dropped); one
set aside again replaces its reject row (one row per message: rejects are keyed by
``message_id``, and by the item's JSON text when it has none); and a message stored good
that is now fetched in a shape that cannot be typed moves to ``rejects``, its stored rows
dropped (the reject keeps the item exactly as the server sent it; a later sync that fetches
it in good shape moves it back). Rejects not fetched again stay as they are.

A sync adds its batches to a :class:`ChatUpdate`, which stages them and commits the merge:

>>> from postpress_frames.tables.build import frames_from_pages
>>> from postpress_frames.testing import demo_chat
>>> frames = frames_from_pages([{"items": demo_chat(50), "cursor": None}])
>>> with ChatUpdate("lake", "chat_demo") as update:
...     update.add(frames, last=True)
...     update.commit()
(50, 0)
>>> with ChatUpdate("lake", "chat_demo") as update:  # the same messages again: no change
...     update.add(frames, last=True)
...     update.commit()
(0, 0)
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Self

import polars as pl

from postpress_frames.storage.commit import (
    make_dataset_folders,
    recover_chat,
    remove_leftovers,
    write_chat,
)
from postpress_frames.storage.dataset import empty_stored, scan_stored, stored_file
from postpress_frames.storage.layout import STAGED_SUFFIX, staging_dir
from postpress_frames.storage.parquet import write_table
from postpress_frames.storage.store import Location, as_location
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import (
    REJECTS,
    TABLE_MODELS,
    key_column,
    without_chat_id,
)

__all__ = ["CHILD_ORDER", "ChatUpdate", "Key", "Table"]

# Within a message, child rows keep the builder's order (quoted copies after the message's own).
CHILD_ORDER = {"attachments": ["quoted", "position"], "reactions": ["position"], "seen_by": []}

Key = tuple[datetime, str]  # a message's place in the dataset: (timestamp, id)
Table = pl.DataFrame | pl.LazyFrame


@dataclass(frozen=True)
class _Run:
    """Rows of every table for some messages, each table in the dataset's order and without
    ``chat_id``.

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


def _memory_run(frames: Mapping[str, pl.DataFrame]) -> _Run:
    """A run held in memory; ``frames`` has at least one message."""
    tables = {table: without_chat_id(frame) for table, frame in frames.items()}
    return _Run(tables, *_span(frames["messages"]), staged=False)


def _staged_run(frames: Mapping[str, pl.DataFrame], folder: Path, name: str) -> _Run:
    """Write a run's tables to ``folder/<table>/<name>.parquet.tmp``; the run scans them.

    Staged files never end in ``.parquet``, so no reader's glob of the dataset matches them.
    """
    tables: dict[str, Table] = {}
    for table, frame in frames.items():
        path = folder / table / f"{name}{STAGED_SUFFIX}"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_table(without_chat_id(frame), path)
        tables[table] = pl.scan_parquet(path)
    return _Run(tables, *_span(frames["messages"]), staged=True)


def _fetched_ids(runs: list[_Run]) -> pl.Series:
    """The ids of the runs' messages."""
    ids = pl.concat([run.tables["messages"].lazy().select("id") for run in runs], how="vertical")
    return ids.collect(engine="streaming").get_column("id")


def _row_hash(columns: list[str]) -> pl.Expr:
    return pl.struct(columns).hash(seed=0).alias("_h")


def _changed_ids(
    root: Location, chat_id: str, runs: list[_Run], fetched: pl.Series
) -> tuple[int, int]:
    """Count (added, updated) messages of the fetched ones against the stored chat.

    A message is updated when a row of it, in any table, differs from the stored one.
    """
    staged = {
        table: pl.concat([run.tables[table].lazy() for run in runs], how="vertical")
        for table in TABLE_MODELS
    }
    stored = {table: scan_stored(root, table, chat_id) for table in staged}
    old_ids = stored["messages"].select("id").filter(pl.col("id").is_in(fetched.implode()))
    common = old_ids.collect(engine="streaming").get_column("id")
    added = fetched.len() - common.len()
    if common.is_empty():
        return added, 0
    diffs = []
    for table, new in staged.items():
        key = key_column(table)
        cols = new.collect_schema().names()
        hashed_new = new.select(cols).filter(pl.col(key).is_in(common.implode()))
        hashed_old = stored[table].select(cols).filter(pl.col(key).is_in(common.implode()))
        hashed_new = hashed_new.select(pl.col(key).alias("id"), _row_hash(cols))
        hashed_old = hashed_old.select(pl.col(key).alias("id"), _row_hash(cols))
        diffs += [
            hashed_new.join(hashed_old, on=["id", "_h"], how="anti").select("id"),
            hashed_old.join(hashed_new, on=["id", "_h"], how="anti").select("id"),
        ]
    # One query for every table: a small chat paid a streaming query's start-up per table.
    changed = pl.concat(diffs).select(pl.col("id").n_unique()).collect(engine="streaming")
    return added, changed.item()


def _before(key: Key) -> pl.Expr:
    """Messages that sort before ``key``."""
    timestamp = pl.lit(key[0], dtype=pl.Datetime("ms", "UTC"))
    return (pl.col("timestamp") < timestamp) | (
        (pl.col("timestamp") == timestamp) & (pl.col("id") < key[1])
    )


def _split_stored(
    root: Location, chat_id: str, start: Key | None, fetched: pl.Series
) -> tuple[dict[str, Table], _Run | None]:
    """The stored rows whose message was not fetched again, in two parts.

    Those of messages before ``start`` (the first fetched key) stay lazy scans of the stored
    files, in their stored order, which is the dataset's (a sync writes it, and so does
    write_dataset of built frames); the others (with a server that honours ``after``, only
    messages it no longer lists) become a run in memory, merged with the runs it overlaps.
    """
    gone = fetched.implode()
    stored = {table: scan_stored(root, table, chat_id) for table in TABLE_MODELS}
    messages = stored["messages"].filter(~pl.col("id").is_in(gone))
    head: dict[str, Table]
    if start is None:  # nothing fetched in good shape: every kept row stays a lazy scan
        head = {"messages": messages}
        for table in CHILD_ORDER:
            head[table] = stored[table].filter(~pl.col("message_id").is_in(gone))
        return head, None
    later = messages.filter(~_before(start)).collect(engine="streaming")
    later_ids = later.get_column("id").implode()
    head = {"messages": messages.filter(_before(start))}
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


def _merged_tables(
    root: Location, chat_id: str, runs: list[_Run], fetched: pl.Series | None, staging: Path
) -> dict[str, Table]:
    """Every table of the chat: the fetched ``runs`` merged with the stored rows.

    ``fetched`` holds the runs' message ids when the chat was stored before (None: it was
    not). Overlapping runs are sorted, in memory or staged under ``staging``; the result is a
    frame in memory, or a lazy plan to stream, per table.
    """
    pieces: list[Mapping[str, Table]] = []
    if fetched is not None:  # a chat stored before
        start = min(run.first for run in runs) if runs else None
        head, tail = _split_stored(root, chat_id, start, fetched)
        pieces.append(head)
        runs = [*runs, tail] if tail is not None else runs
    pieces += [_sorted_group(g, staging, n) for n, g in enumerate(_overlapping(runs))]
    if not pieces:  # a first sync that set every message aside: empty tables
        pieces.append({table: scan_stored(root, table, chat_id) for table in TABLE_MODELS})
    tables: dict[str, Table] = {}
    for table in TABLE_MODELS:
        parts = [piece[table] for piece in pieces]
        if len(parts) == 1:
            tables[table] = parts[0]
        else:
            tables[table] = pl.concat([part.lazy() for part in parts], how="vertical")
    return tables


class ChatUpdate:
    """One sync's change to a chat: add the fetched batches, then :meth:`commit` the merge.

    Entering finishes a commit of the chat that a crash interrupted, then removes what a
    writer of it that died left behind (its staging folder, hidden files); leaving removes
    this update's staging folder. Batches are staged as files under
    ``root/.staging/chat_id=<chat>/`` (see :mod:`~postpress_frames.storage.layout`), except
    the last one, so memory stays about that of one batch however large the chat (for a
    dataset on an object store, in a local temporary folder instead). Entering
    also moves a chat stored by an earlier version to its current folder names (see
    :mod:`~postpress_frames.storage.commit`), so the merge reads it there.
    """

    def __init__(self, root: str | Location, chat_id: str) -> None:
        self.root = as_location(root, "root")
        self.chat_id = chat_id
        self.fetched = 0  # messages added so far
        self.rejected = 0  # messages set aside so far (rows of the batches' rejects)
        self._rejects: list[pl.DataFrame] = []
        folder = staging_dir(self.root, chat_id)
        # A store is no place for scratch files: they are read back many times by the merge.
        self._folder = folder if isinstance(folder, Path) else _local_staging(folder)
        self._staging = self._folder / uuid.uuid4().hex
        self._runs: list[_Run] = []

    def __enter__(self) -> Self:
        make_dataset_folders(self.root)
        recover_chat(self.root, self.chat_id)
        remove_leftovers(self.root, self.chat_id)  # on disk, the staging folder too
        if not isinstance(self.root, Path):  # a killed sync's local staging for a store
            shutil.rmtree(self._folder, ignore_errors=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._runs.clear()
        shutil.rmtree(self._folder, ignore_errors=True)

    def add(self, frames: ChatFrames, *, last: bool = False) -> None:
        """Add one batch's validated frames; ``last=True`` keeps it in memory (not staged).

        Batches carry distinct messages, set aside or not (the client yields each id once,
        and the builder keeps no message it reads another id for: see ``Page.ids``); the
        batch's ``rejects`` are kept in memory (they are few).
        """
        if frames.rejects.height:
            self.rejected += frames.rejects.height
            self._rejects.append(without_chat_id(frames.rejects))
        if frames.messages.is_empty():
            return
        self.fetched += frames.messages.height
        if last:
            self._runs.append(_memory_run(frames))
        else:
            name = f"batch-{len(self._runs):06d}"
            self._runs.append(_staged_run(frames, self._staging, name))

    def commit(self) -> tuple[int, int]:
        """Merge the batches with the stored chat and replace its files, as one unit, when
        a message was added or updated; return how many were (added, updated).

        Nothing is written when the batches hold no new or changed message and the rejects
        are unchanged. Rejects are merged as the module docstring says.
        """
        if not self._runs and not self._rejects:
            return 0, 0
        root, chat_id = self.root, self.chat_id
        stored = stored_file(root, "messages", chat_id) is not None
        new_rejects = pl.concat(self._rejects) if self._rejects else _no_rejects()
        old_rejects = scan_stored(root, REJECTS, chat_id).collect()
        # The fetched ids (~40 MB a million) are read only when something is compared with
        # them: a first sync with nothing set aside, the common case of a big one, needs none.
        needed = stored or not (new_rejects.is_empty() and old_rejects.is_empty())
        good = _fetched_ids(self._runs) if self._runs and needed else _no_ids()
        rejects = _merged_rejects(old_rejects, new_rejects, good)
        now_rejected = new_rejects.get_column("message_id").drop_nulls().alias("id")
        added, updated, moved = self.fetched, 0, 0
        if stored:
            if self._runs:
                added, updated = _changed_ids(root, chat_id, self._runs, good)
            was_good = scan_stored(root, "messages", chat_id).filter(
                pl.col("id").is_in(now_rejected.implode())
            )
            moved = was_good.select(pl.len()).collect().item()
        if added or updated or moved or not rejects.equals(old_rejects):
            gone = pl.concat([good, now_rejected]) if stored else None
            merged = _merged_tables(root, chat_id, self._runs, gone, self._staging)
            write_chat(root, chat_id, {**merged, REJECTS: rejects})
        return added, updated


def _local_staging(remote: Location) -> Path:
    """The local folder a sync to an object store stages a chat in: one per chat's staging
    URL, so the next sync of the chat deletes what a killed one left, as on disk."""
    digest = hashlib.sha256(str(remote).encode("utf-8")).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / "postpress-frames-staging" / digest


def _no_ids() -> pl.Series:
    return pl.Series("id", [], pl.String)


def _no_rejects() -> pl.DataFrame:
    """An empty ``rejects`` table as stored (no ``chat_id``)."""
    return empty_stored(REJECTS)


def _reject_key() -> pl.Expr:
    """What names a reject: its message id, or its item's JSON text when it has none."""
    by_id = pl.concat_str([pl.lit("id:"), pl.col("message_id")])
    by_item = pl.concat_str([pl.lit("item:"), pl.col("item")])
    return pl.when(pl.col("message_id").is_null()).then(by_item).otherwise(by_id)


def _merged_rejects(old: pl.DataFrame, new: pl.DataFrame, good: pl.Series) -> pl.DataFrame:
    """The chat's rejects once a sync fetched ``new`` rejects and the ``good`` message ids.

    A stored reject is dropped when its message was fetched in good shape or set aside again
    (the row fetched now replaces it); the new rows follow the kept ones, in fetch order,
    once each.
    """
    if new.is_empty() and old.is_empty():  # the common case: nothing set aside, ever
        return old
    new = new.with_columns(_reject_key().alias("_key"))
    new = new.unique(subset="_key", keep="first", maintain_order=True)
    kept = old.with_columns(_reject_key().alias("_key")).filter(
        ~pl.col("_key").is_in(new.get_column("_key").implode()),
        ~pl.col("message_id").is_in(good.implode()).fill_null(False),
    )
    return pl.concat([kept, new], how="vertical").drop("_key").select(old.columns)
