"""Reading pages: each body is parsed once by ``polars.read_json`` with the wire schema.

Pages are read in order on a few threads (polars releases the GIL), at most a few pages
ahead of the consumer; the same threads search the bodies for values ``read_json`` would
coerce (:mod:`~postpress_frames.tables.screen`). A page polars cannot read is diagnosed
(:func:`~postpress_frames.tables.locate.diagnose`): the error names the page.

>>> from postpress_frames.tables.wire import wire_schema
>>> read, flagged = read_all([b'{"items": [{"id": "m1"}], "cursor": null}'], wire_schema())
>>> items_frame(read, wire_schema()).select("id", PAGE, ITEM).row(0)
('m1', 1, 0)
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import polars as pl

from postpress_frames._exceptions import InvalidResponseError, body_excerpt
from postpress_frames.tables.locate import diagnose
from postpress_frames.tables.screen import COERCED, batches, search
from postpress_frames.tables.unlisted import sampled, unknown_fields
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
    unknown: dict[str, int]  # unlisted field -> values (sampled pages only)
    raw: bytes  # kept until every value is checked (errors quote the JSON value)
    #: Positions of ``raw``'s items to keep (a Page's ``new_positions``); None: all.
    keep: tuple[int, ...] | None = None


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


def _read_page(
    number: int, raw: bytes, keep: tuple[int, ...] | None, schema: pl.Schema
) -> ReadPage:
    """Parse one page; every failure becomes an InvalidResponseError naming the page.

    Only ``read_json`` runs per page: each further polars call on a small frame costs a
    fixed overhead that, over hundreds of pages, outweighs the work itself.
    """
    try:
        body = pl.read_json(raw, schema=schema)
    except Exception as exc:  # the one choke point for polars' parse errors
        raise diagnose(number, raw, item_dtype(schema), exc) from exc
    items = body.get_column("items")
    if body.height != 1 or items.null_count():
        raise diagnose(number, raw, item_dtype(schema), None)
    unknown = unknown_fields(raw) if sampled(number) else {}
    return ReadPage(number, items, unknown, raw, keep)


def read_all(pages: Iterable[object], schema: pl.Schema) -> tuple[list[ReadPage], list[int]]:
    """Read pages in order on a few threads; also the pages the search of bodies flagged."""
    workers = max(1, min(4, os.cpu_count() or 1))
    results: list[ReadPage] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="postpress-pages") as pool:
        pending: deque[Future[ReadPage]] = deque()
        searches: list[Future[list[int]]] = []

        def submitted() -> Iterator[tuple[int, bytes]]:
            """Each body once its read is submitted; the oldest reads are collected."""
            for number, page in enumerate(pages, start=1):
                raw, keep = to_bytes(number, page)
                pending.append(pool.submit(_read_page, number, raw, keep, schema))
                yield number, raw
                if len(pending) > 2 * workers:
                    results.append(pending.popleft().result())

        try:
            for batch in batches(submitted()):
                searches.append(pool.submit(search, batch, COERCED))
            while pending:
                results.append(pending.popleft().result())
            flagged = [number for done in searches for number in done.result()]
        finally:
            for future in pending:
                future.cancel()
            for done in searches:
                done.cancel()
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
