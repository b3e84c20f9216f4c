"""Reading pages: each body is parsed once by ``polars.read_json`` with the wire schema.

Pages are read in order on a few threads (polars releases the GIL), in groups of about
:data:`GROUP_BYTES`, at most a few groups ahead of the consumer; within a group a few pages
of about :data:`READ_BYTES` are read per ``read_json`` call, and each page is screened right
after, while its bytes are still in the processor's caches: the strict decoder
(:mod:`~postpress_frames.tables.decoder`) takes most pages, and the screen's grammar
(:mod:`~postpress_frames.tables.screen`) decides for the others, flagging those with unlisted
fields or values ``read_json`` would coerce. Each group is then handed to the caller's
``derive``, on the same thread, and its parse is dropped: a build holds its tables and a few
groups, never every page parsed at once.

A page polars cannot read is diagnosed
(:func:`~postpress_frames.tables.locate.diagnose`): the error names the page. With
``quarantine=True``, a page whose messages polars cannot read is read again without them:
each is replaced by a stub holding only its id (so "first fetched wins" still sees it) and
listed in :attr:`ReadPage.rejected`.

>>> from postpress_frames.tables.wire import wire_schema
>>> def itself(group: Group) -> Group:
...     return group
>>> [group] = read_groups([b'{"items": [{"id": "m1"}], "cursor": null}'], wire_schema(), itself)
>>> group.items.select("id", PAGE, ITEM).row(0), group.flagged, group.decoded
(('m1', 1, 0), (), (1,))
>>> body = b'{"items": [{"id": "m1", "text": {}}, {"id": "m2"}]}'
>>> [group] = read_groups([body], wire_schema(), itself, quarantine=True)
>>> group.pages[0].rejected, group.flagged
(((0, 'm1', 'text', 'expected a string, got an object'),), (1,))
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeAlias, TypeVar

import polars as pl

from postpress_frames._exceptions import InvalidResponseError, body_excerpt
from postpress_frames.tables.decoder import RAW, decodes
from postpress_frames.tables.locate import Problem, diagnose, find_problems, item_spans
from postpress_frames.tables.screen import reading_as_numbers, unmatched
from postpress_frames.tables.wire import ITEM, PAGE, item_dtype

if TYPE_CHECKING:
    from postpress_frames.api.client import Page

__all__ = ["AT", "Group", "PageLike", "ReadPage", "items_alone", "read_groups", "to_bytes"]

#: What ``frames_from_pages`` accepts per page: the body bytes (or text), a parsed body,
#: or a :class:`~postpress_frames.api.client.Page` (its ``raw`` bytes are read).
PageLike: TypeAlias = "bytes | bytearray | memoryview | str | Mapping[str, Any] | Page"


#: A row's position in its group's ``items`` (bookkeeping, like ``PAGE`` and ``ITEM``).
AT: Final = "__at"
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ReadPage:
    """One page read: its number, its body and what to keep of it."""

    number: int
    raw: bytes  # kept until every value is checked (errors quote the JSON value)
    #: Positions of ``raw``'s items to keep (a Page's ``new_positions``); None: all.
    keep: tuple[int, ...] | None = None
    #: Messages polars could not read, read as stubs (``quarantine=True`` only).
    rejected: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class Group:
    """A few pages read together: their items, and what the screen found."""

    pages: tuple[ReadPage, ...]
    #: Every item of the pages, in fetch order: the wire fields plus ``PAGE`` and ``ITEM``.
    items: pl.DataFrame
    #: The pages the grammar does not match, or with messages read as stubs (in order).
    flagged: tuple[int, ...]
    #: The pages the decoder took (the grammar did not run on them), in order.
    decoded: tuple[int, ...]


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
) -> tuple[ReadPage, pl.Series]:
    """Parse one page; every failure becomes an InvalidResponseError naming the page."""
    cause: Exception | None = None
    try:
        items = _items(raw, schema)
    except Exception as exc:  # the one choke point for polars' parse errors
        items, cause = None, exc
    if items is not None:
        return ReadPage(number, raw, keep), items
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
) -> tuple[ReadPage, pl.Series]:
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
            return ReadPage(number, raw, keep, tuple(problems)), items
    error = diagnose(number, raw, item_dtype(schema), cause)
    raise error from cause


def _stub(message_id: str | None) -> str:
    """A message reduced to its id (none: an empty object)."""
    return "{}" if message_id is None else json.dumps({"id": message_id})


#: Bytes of page bodies read per ``read_json`` call, as one JSON array: each call converts
#: the wire schema (about 0.3 ms), but a larger call is slower per byte (its parse no
#: longer fits in the processor's caches).
READ_BYTES: Final = 2 << 20
#: Bytes of page bodies in a group, derived at once: each group costs its derivation a
#: fixed overhead; a larger one holds more memory at once.
GROUP_BYTES: Final = 8 << 20

_Pending = tuple[int, bytes, tuple[int, ...] | None]  # (page number, body, positions kept)


def _joined(batch: list[_Pending]) -> bytes:
    """The bodies as one JSON array (one copy: ``read_json`` reads a few pages at once)."""
    parts = [b"["]
    for _, raw, _ in batch:
        parts += (raw, b",")
    parts[-1] = b"]"
    return b"".join(parts)


def _read_joined(joined: bytes, size: int, schema: pl.Schema) -> pl.Series | None:
    """The ``items`` of ``size`` pages joined by :func:`_joined`, one row each, read with one
    ``read_json`` call; None when that fails (each page is then read alone: the page at
    fault is named)."""
    try:
        body = pl.read_json(joined, schema=schema)
    except Exception:  # one page cannot be read: each is read alone
        return None
    column = body.get_column("items")
    if body.height != size or column.null_count():
        return None  # a body that is not one object with items: read it alone
    return column


def _read_batch(
    batch: list[_Pending], schema: pl.Schema, quarantine: bool
) -> tuple[list[ReadPage], pl.Series, list[bool]]:
    """Read a few pages with one ``read_json`` call (each alone when that fails), and say
    which the decoder takes (:func:`~postpress_frames.tables.decoder.decodes`): done while
    the bodies are still in the processor's caches."""
    column = _read_joined(_joined(batch), len(batch), schema) if len(batch) > 1 else None
    if column is not None:
        read = [ReadPage(number, raw, keep) for number, raw, keep in batch]
    else:
        pairs = [_read_page(number, raw, keep, schema, quarantine) for number, raw, keep in batch]
        read = [page for page, _ in pairs]
        column = pl.concat([items for _, items in pairs], rechunk=False)
    return read, column, [decodes(raw) for _, raw, _ in batch]


def _group_items(column: pl.Series, numbers: list[int]) -> pl.DataFrame:
    """The items of a few pages (``column``: one list of items a page) with PAGE and ITEM."""
    positions = pl.DataFrame(
        {PAGE: pl.Series(numbers, dtype=pl.Int32), "n": column.list.len()}
    ).select(
        pl.col(PAGE).repeat_by("n").explode(empty_as_null=False, keep_nulls=False),
        pl.int_ranges("n", dtype=pl.Int32)
        .explode(empty_as_null=False, keep_nulls=False)
        .alias(ITEM),
    )
    items = column.explode(empty_as_null=False, keep_nulls=False).struct.unnest()
    return items.hstack(positions.get_columns())


def _read_group(group: list[_Pending], schema: pl.Schema, quarantine: bool) -> Group:
    """Read and screen a group of pages, a batch of about :data:`READ_BYTES` at a time."""
    read: list[ReadPage] = []
    columns: list[pl.Series] = []
    decoded: list[int] = []
    untrusted: list[tuple[int, bytes]] = []
    for batch in _split(group, READ_BYTES):
        pages, column, took = _read_batch(batch, schema, quarantine)
        read += pages
        columns.append(column)
        for (number, raw, _), ok in zip(batch, took, strict=True):
            if ok:
                decoded.append(number)
            else:
                untrusted.append((number, raw))
    column = pl.concat(columns, rechunk=False)
    items = _group_items(column, [page.number for page in read])
    odd = reading_as_numbers(items, RAW) & set(decoded) if decoded else set()  # not decoded
    if odd:
        untrusted += [(number, raw) for number, raw, _ in group if number in odd]
        decoded = [number for number in decoded if number not in odd]
    flagged = unmatched(sorted(untrusted))
    flagged += [page.number for page in read if page.rejected and page.number not in flagged]
    return Group(tuple(read), items, tuple(sorted(flagged)), tuple(decoded))


def items_alone(number: int, raw: bytes, schema: pl.Schema) -> pl.DataFrame | None:
    """The items of one page read again on its own, with ``PAGE`` and ``ITEM`` (None when
    ``read_json`` cannot read it)."""
    try:
        column = _items(raw, schema)
    except Exception:  # its error was raised when it was read first
        return None
    return None if column is None else _group_items(column, [number])


def _split(pending: Iterable[_Pending], size: int) -> Iterator[list[_Pending]]:
    """The pages in batches of about ``size`` bytes of bodies."""
    batch: list[_Pending] = []
    total = 0
    for page in pending:
        batch.append(page)
        total += len(page[1])
        if total >= size:
            yield batch
            batch, total = [], 0
    if batch:
        yield batch


def _pending(pages: Iterable[object]) -> Iterator[_Pending]:
    for number, page in enumerate(pages, start=1):
        raw, keep = to_bytes(number, page)
        yield number, raw, keep


def read_groups(
    pages: Iterable[object],
    schema: pl.Schema,
    derive: Callable[[Group], _T],
    *,
    quarantine: bool = False,
) -> list[_T]:
    """Read pages in order on a few threads, a group at a time; ``derive`` turns each group
    into what the caller keeps, on the group's thread (what it returns, in page order)."""
    workers = max(1, min(4, os.cpu_count() or 1))
    results: list[_T] = []

    def task(group: list[_Pending]) -> _T:
        return derive(_read_group(group, schema, quarantine))

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="postpress-pages") as pool:
        pending: deque[Future[_T]] = deque()
        try:
            for batch in _split(_pending(pages), GROUP_BYTES):
                pending.append(pool.submit(task, batch))
                if len(pending) > workers:
                    results.append(pending.popleft().result())
            while pending:
                results.append(pending.popleft().result())
        finally:
            for future in pending:
                future.cancel()
    return results
