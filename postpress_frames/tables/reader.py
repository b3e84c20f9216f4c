"""Reading pages: each body is parsed once by ``polars.read_json`` with the wire schema.

Pages are read in order on a few threads (polars releases the GIL), at most a few pages
ahead of the consumer; the same threads match the bodies against the screen's grammar
(:mod:`~postpress_frames.tables.screen`), which flags the pages with unlisted fields or
values ``read_json`` would coerce. A page polars cannot read is diagnosed
(:func:`~postpress_frames.tables.locate.diagnose`): the error names the page. With
``quarantine=True``, a page whose messages polars cannot read is read again without them:
each is replaced by a stub holding only its id (so "first fetched wins" still sees it) and
listed in :attr:`ReadPage.rejected`.

>>> from postpress_frames.tables.wire import wire_schema
>>> read, flagged = read_all([b'{"items": [{"id": "m1"}], "cursor": null}'], wire_schema())
>>> items_frame(read, wire_schema()).select("id", PAGE, ITEM).row(0), flagged
(('m1', 1, 0), [])
>>> read, _ = read_all([b'{"items": [{"id": "m1", "text": {}}, {"id": "m2"}]}'], wire_schema(),
...                    quarantine=True)
>>> read[0].rejected
((0, 'm1', 'text', 'expected a string, got an object'),)
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import polars as pl

from postpress_frames._exceptions import InvalidResponseError, body_excerpt
from postpress_frames.tables.locate import Problem, diagnose, find_problems, item_spans
from postpress_frames.tables.screen import unmatched
from postpress_frames.tables.wire import ITEM, PAGE, item_dtype

if TYPE_CHECKING:
    from postpress_frames.api.client import Page

__all__ = ["PageLike", "ReadPage", "items_frame", "read_all", "to_bytes"]

#: What ``frames_from_pages`` accepts per page: the body bytes (or text), a parsed body,
#: or a :class:`~postpress_frames.api.client.Page` (its ``raw`` bytes are read).
PageLike: TypeAlias = "bytes | bytearray | memoryview | str | Mapping[str, Any] | Page"


@dataclass(frozen=True, slots=True)
class ReadPage:
    """One parsed page: ``items`` is one row, the page's list of item structs."""

    number: int
    items: pl.Series
    raw: bytes  # kept until every value is checked (errors quote the JSON value)
    #: Positions of ``raw``'s items to keep (a Page's ``new_positions``); None: all.
    keep: tuple[int, ...] | None = None
    #: Messages polars could not read, read as stubs (``quarantine=True`` only).
    rejected: tuple[Problem, ...] = ()


def _positions(number: int, positions: object) -> tuple[int, ...] | None:
    """A Page's ``new_positions``, checked: None, or positions of items."""
    if positions is None:
        return None
    if isinstance(positions, tuple | list) and all(
        isinstance(p, int) and not isinstance(p, bool) for p in positions
    ):
        return tuple(positions)
    raise InvalidResponseError(
        "a Page's new_positions must be a tuple of item positions or None, "
        f"got {body_excerpt(repr(positions), 60)}",
        page=number,
    )


def to_bytes(number: int, page: object) -> tuple[bytes, tuple[int, ...] | None]:
    """The body of a page, and which of its items to keep (None: all)."""
    if isinstance(page, bytes):
        return page, None
    if isinstance(page, bytearray | memoryview):
        return bytes(page), None
    if isinstance(page, str):
        try:
            return page.encode(), None
        except UnicodeEncodeError as exc:
            raise InvalidResponseError(
                f"the page text is not valid Unicode: {exc}", page=number
            ) from None
    raw = getattr(page, "raw", None)
    if isinstance(raw, bytes | bytearray) and raw:
        return bytes(raw), _positions(number, getattr(page, "new_positions", None))
    if isinstance(page, Mapping):
        try:
            text = json.dumps(page, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            raise InvalidResponseError(
                f"the parsed page is not JSON data: {type(exc).__name__}: {exc}", page=number
            ) from exc
        return to_bytes(number, text)
    items = getattr(page, "items", None)
    if isinstance(items, list):  # a Page built without its raw body: items are the new ones
        return to_bytes(number, {"items": items})
    raise InvalidResponseError(
        f"expected page bytes, a parsed page (dict) or a Page, got {type(page).__name__}",
        page=number,
    )


def _items(raw: bytes, schema: pl.Schema) -> pl.Series | None:
    """The page's ``items`` as one row of item structs; None when it has no array of them."""
    body = pl.read_json(raw, schema=schema)
    items = body.get_column("items")
    return None if body.height != 1 or items.null_count() else items


def _read_page(
    number: int, raw: bytes, keep: tuple[int, ...] | None, schema: pl.Schema, quarantine: bool
) -> ReadPage:
    """Parse one page; every failure becomes an InvalidResponseError naming the page.

    Only ``read_json`` runs per page: each further polars call on a small frame costs a
    fixed overhead that, over hundreds of pages, outweighs the work itself.
    """
    cause: Exception | None = None
    try:
        items = _items(raw, schema)
    except Exception as exc:  # the one choke point for polars' parse errors
        items, cause = None, exc
    if items is not None:
        return ReadPage(number, items, raw, keep)
    if quarantine:
        return _read_aside(number, raw, keep, schema, cause)
    error = diagnose(number, raw, item_dtype(schema), cause)
    raise error from cause


def _read_aside(
    number: int,
    raw: bytes,
    keep: tuple[int, ...] | None,
    schema: pl.Schema,
    cause: Exception | None,
) -> ReadPage:
    """A page polars could not read, read again with its bad messages replaced by stubs.

    Raises the page's error when what is wrong is not about its messages (not JSON, no
    ``items`` array, a bad cursor), or when the page still cannot be read.
    """
    problems = find_problems(number, raw, item_dtype(schema))  # raises for the page itself
    spans = item_spans(raw) if problems else None
    if spans is not None:
        text = raw.decode()
        bad = {position: message_id for position, message_id, _, _ in problems}
        parts = [
            text[start:end] if i not in bad else _stub(bad[i])
            for i, (start, end) in enumerate(spans)
        ]
        try:
            items = _items(f'{{"items":[{",".join(parts)}]}}'.encode(), schema)
        except Exception as exc:  # still unreadable: the page's own error below
            items, cause = None, exc
        if items is not None:
            return ReadPage(number, items, raw, keep, tuple(problems))
    error = diagnose(number, raw, item_dtype(schema), cause)
    raise error from cause


def _stub(message_id: str | None) -> str:
    """A message reduced to its id (none: an empty object)."""
    return "{}" if message_id is None else json.dumps({"id": message_id})


#: Bytes of page bodies read per ``read_json`` call: each call converts the wire schema
#: (about 0.3 ms), so pages are read a few at a time, as one JSON array.
READ_BYTES: Final = 4 << 20

_Pending = tuple[int, bytes, tuple[int, ...] | None]  # (page number, body, positions kept)


def _read_batch(
    batch: list[_Pending], schema: pl.Schema, quarantine: bool
) -> tuple[list[ReadPage], list[int]]:
    """Read a few pages with one ``read_json`` call (each on its own when that fails: the
    page at fault is then named); also those the screen's grammar flags."""
    column: pl.Series | None = None
    if len(batch) > 1:
        joined = b"[" + b",".join(raw for _, raw, _ in batch) + b"]"
        try:
            body = pl.read_json(joined, schema=schema)
            column = body.get_column("items")
            if body.height != len(batch) or column.null_count():
                column = None  # a body that is not one object with items: read it alone
        except Exception:  # one page cannot be read: each is read alone below
            column = None
        del joined
    if column is not None:
        read = [
            ReadPage(number, column.slice(i, 1), raw, keep)
            for i, (number, raw, keep) in enumerate(batch)
        ]
    else:
        read = [_read_page(number, raw, keep, schema, quarantine) for number, raw, keep in batch]
    flagged = unmatched([(number, raw) for number, raw, _ in batch])
    flagged += [page.number for page in read if page.rejected and page.number not in flagged]
    return read, flagged


def _batches(pages: Iterable[object]) -> Iterator[list[_Pending]]:
    """The pages as bodies, in batches of about :data:`READ_BYTES`."""
    batch: list[_Pending] = []
    size = 0
    for number, page in enumerate(pages, start=1):
        raw, keep = to_bytes(number, page)
        batch.append((number, raw, keep))
        size += len(raw)
        if size >= READ_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def read_all(
    pages: Iterable[object], schema: pl.Schema, *, quarantine: bool = False
) -> tuple[list[ReadPage], list[int]]:
    """Read pages in order on a few threads; also the pages the screen's grammar flagged."""
    workers = max(1, min(4, os.cpu_count() or 1))
    results: list[ReadPage] = []
    flagged: list[int] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="postpress-pages") as pool:
        pending: deque[Future[tuple[list[ReadPage], list[int]]]] = deque()

        def collect() -> None:
            read, found = pending.popleft().result()
            results.extend(read)
            flagged.extend(found)

        try:
            for batch in _batches(pages):
                pending.append(pool.submit(_read_batch, batch, schema, quarantine))
                if len(pending) > workers:
                    collect()
            while pending:
                collect()
        finally:
            for future in pending:
                future.cancel()
    return results, flagged


def _empty_items(schema: pl.Schema) -> pl.DataFrame:
    fields = {f.name: f.dtype for f in item_dtype(schema).fields}
    return pl.DataFrame(schema={**fields, PAGE: pl.Int32, ITEM: pl.Int32})


def items_frame(read: list[ReadPage], schema: pl.Schema) -> pl.DataFrame:
    """All pages' items as one frame, in fetch order, with ``PAGE`` and ``ITEM`` columns."""
    if not read:
        return _empty_items(schema)
    pages = pl.DataFrame(
        {
            PAGE: pl.Series([page.number for page in read], dtype=pl.Int32),
            "items": pl.concat([page.items for page in read], rechunk=False),
        }
    )
    return (
        pages.lazy()
        .with_columns(pl.int_ranges(pl.col("items").list.len(), dtype=pl.Int32).alias(ITEM))
        .explode("items", ITEM, empty_as_null=False, keep_nulls=False)
        .unnest("items")
        .collect()
    )
