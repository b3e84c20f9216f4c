"""``frames_from_pages``: raw response pages -> the four typed tables (pure, no network).

Each page's bytes are parsed once by ``polars.read_json`` with the wire schema
(:mod:`~postpress_frames.tables.wire`, :mod:`~postpress_frames.tables.reader`), then every
table is derived here with vectorised expressions; nothing goes through per-message Python
objects. Rules where the spec page is loose or silent:

* Flags are 0/1 (``"0"``/``"1"`` too); ``seen_by`` values are ``true``/``false`` (``seen``,
  no time) or a timestamp string (``seen=True`` and ``seen_at``). Timestamps look like
  ``2026-05-17T09:42:11.000Z``; epoch fields are seconds, or milliseconds from ``1e11``.
  Anything else is an error naming page, message id and field, and quoting the JSON value.
* Wrong JSON types are errors too, also where ``read_json`` alone would coerce them (a
  fraction in an integer field, ``true`` in a number field, a scalar in an array field, a
  number in a string field): see :mod:`~postpress_frames.tables.screen`.
* The page's shape (``items`` an array of objects with non-empty string ids, the cursor a
  string or null) is :func:`~postpress_frames.api.body.check_body`'s contract.
* Repeated message ids: the first one fetched wins, with its own children only
  (:meth:`~postpress_frames.api.seen.SeenIds.first_seen` decides, also across calls).
* Missing or null required fields become nulls that :meth:`ChatFrames.validate` reports.
* Unlisted fields are not stored and are named in one ``UnknownFieldWarning``
  (:mod:`~postpress_frames.tables.unlisted`); values outside a documented set are kept and
  named in one ``UnknownValueWarning``.

>>> frames_from_pages([b'{"object": "MessageList", "items": [], "cursor": null}'])
ChatFrames(messages=0, attachments=0, reactions=0, seen_by=0)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Final

import polars as pl

from postpress_frames._exceptions import ArgumentTypeError, InvalidResponseError, describe_json
from postpress_frames.api.seen import SeenIds
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.locate import find_problem, json_value
from postpress_frames.tables.reader import PageLike, items_frame, read_all
from postpress_frames.tables.schemas import (
    AttachmentSchema,
    MessageSchema,
    ReactionSchema,
    SeenBySchema,
    polars_schema,
    warn_unknown_values,
)
from postpress_frames.tables.screen import check_wire_types
from postpress_frames.tables.unlisted import warn_unknown_fields
from postpress_frames.tables.wire import (
    FLAGS,
    ITEM,
    ITEM_FIELDS,
    PAGE,
    epoch_to_datetime,
    instance,
    item_dtype,
    parse_timestamp,
    wire_schema,
)

__all__ = ["PageLike", "epoch_to_datetime", "frames_from_pages", "parse_timestamp", "wire_schema"]

_ROW: Final = "__row"  # rank in (timestamp, id) order; bookkeeping, like PAGE and ITEM
_TS: Final = "__ts"
#: Wire objects flattened into ``messages`` columns named ``<object>_<field>``.
_FLATTENED: Final = ("reply_to", "quoted")


@functools.cache
def _flattened_fields() -> tuple[tuple[str, str], ...]:
    """(object, field) of every scalar field of the flattened objects (lists are tables)."""
    found: list[tuple[str, str]] = []
    for name in _FLATTENED:
        struct = ITEM_FIELDS[name]
        assert isinstance(struct, pl.Struct)
        found += [
            (name, field.name)
            for field in struct.fields
            if not isinstance(instance(field.dtype), pl.List)
        ]
    return tuple(found)


def _field(path: str) -> pl.Expr:
    """A wire field by its dotted path: ``timestamp``, ``reply_to.timestamp``."""
    name, *rest = path.split(".")
    expr = pl.col(name)
    for step in rest:
        expr = expr.struct.field(step)
    return expr


# -- checks: every value, in fetch order, while the bodies can still be quoted ---------------


def _bad(
    frame: pl.LazyFrame, bad: pl.Expr, field: pl.Expr | str, value: pl.Expr, problem: str
) -> pl.LazyFrame:
    return frame.filter(bad).select(
        pl.col(PAGE),
        pl.col(ITEM),
        pl.col("id").alias("message_id"),
        (pl.lit(field) if isinstance(field, str) else field).alias("field"),
        value.cast(pl.String).alias("value"),
        pl.lit(problem).alias("problem"),
    )


def _raise_first(checks: list[pl.LazyFrame], bodies: Mapping[int, bytes]) -> None:
    """Raise for the first bad value in fetch order, saying how many more there are.

    The values were read as strings (``true`` and ``"true"`` alike), so the one quoted is
    looked up in its page's body and shown as JSON.
    """
    bad = pl.concat(checks).collect()
    if bad.height == 0:
        return
    first = bad.sort(PAGE, ITEM, "field").row(0, named=True)
    found, value = False, None
    raw = bodies.get(first[PAGE])
    if raw is not None:
        found, value = json_value(raw, first[ITEM], first["field"].split(".", 1))
    others = bad.height - 1
    more = f" ({others} more invalid value{'s' if others > 1 else ''})" if others else ""
    raise InvalidResponseError(
        f"{first['problem']}, got {describe_json(value if found else first['value'])}{more}",
        page=first[PAGE],
        field=first["field"],
        message_id=first["message_id"],
    )


def _check_ids(items: pl.DataFrame, bodies: Mapping[int, bytes], item: pl.Struct) -> None:
    """Every message has a non-empty id (``check_body`` names the first one without)."""
    missing = (
        items.lazy()
        .select(PAGE, ITEM, "id")
        .filter(pl.col("id").is_null() | (pl.col("id") == ""))
        .head(1)
        .collect()
    )
    if missing.height:
        page, position = missing.row(0)[:2]
        error = find_problem(page, bodies[page], item)
        raise error or InvalidResponseError(
            "the message has no usable 'id' or 'message_id'", page=page, field=f"items[{position}]"
        )


def _first_fetched(
    items: pl.DataFrame, keep: Mapping[int, tuple[int, ...]], seen: SeenIds | None
) -> pl.DataFrame:
    """The items a Page's ``new_positions`` keep, then only ids ``seen`` had not taken."""
    if keep:
        code = pl.col(PAGE).cast(pl.Int64) * (1 << 32) + pl.col(ITEM)
        wanted = [(page << 32) + position for page, kept in keep.items() for position in kept]
        items = items.filter(~pl.col(PAGE).is_in(list(keep)) | code.is_in(wanted))
    ids = items.get_column("id")
    if seen is None:  # a set for this call only: never folded
        seen = SeenIds(fold_at=ids.len() + 1)
    new = seen.first_seen(ids.to_list())
    if len(new) < ids.len():
        items = items.select(pl.all().gather(new))
    return items


def _check_values(items: pl.LazyFrame, bodies: Mapping[int, bytes]) -> None:
    checks = [
        _bad(
            items,
            pl.col(flag).is_not_null() & ~pl.col(flag).is_in(["0", "1"]),
            flag,
            pl.col(flag),
            "expected 0 or 1",
        )
        for flag in FLAGS
    ]
    nested = [f"{name}.{field}" for name, field in _flattened_fields() if field == "timestamp"]
    for path in ["timestamp", *nested]:
        raw = _field(path)
        parsed = pl.col(_TS) if path == "timestamp" else parse_timestamp(raw)
        checks.append(
            _bad(
                items,
                raw.is_not_null() & parsed.is_null(),
                path,
                raw,
                "expected a timestamp like 2026-05-17T09:42:11.000Z",
            )
        )
    _raise_first(checks, bodies)


def _receipts(items: pl.LazyFrame, bodies: Mapping[int, bytes]) -> pl.LazyFrame:
    """The ``seen_by`` entries, one row each, checked: a boolean or a timestamp string."""
    entries = (
        items.select(
            pl.col(PAGE),
            pl.col(ITEM),
            pl.col("id"),
            pl.col(_ROW),
            pl.col("seen_by").map.entries().alias("e"),
        )
        .filter(pl.col("e").list.len() > 0)
        .explode("e")
        .unnest("e")
        .with_columns(parse_timestamp(pl.col("value")).alias("seen_at"))
        .collect()
        .lazy()
    )
    is_bool = pl.col("value").is_in(["true", "false"])
    bad = pl.col("value").is_null() | (~is_bool & pl.col("seen_at").is_null())
    field = pl.concat_str(pl.lit("seen_by."), pl.col("key"))
    problem = "expected a timestamp string or a boolean"
    _raise_first([_bad(entries, bad, field, pl.col("value"), problem)], bodies)
    return entries


def _checked(
    items: pl.DataFrame,
    bodies: Mapping[int, bytes],
    item: pl.Struct,
    keep: Mapping[int, tuple[int, ...]],
    seen: SeenIds | None,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """The kept items, ranked, and their receipts; raises for the first bad value."""
    items = items.with_columns(pl.coalesce("id", "message_id").alias("id"))
    _check_ids(items, bodies, item)
    items = _first_fetched(items, keep, seen)
    items = items.with_columns(parse_timestamp(pl.col("timestamp")).alias(_TS))
    _check_values(items.lazy(), bodies)
    # Rank each message in (timestamp, id) order instead of sorting the nested frame: each
    # table is then sorted on flat columns, which is much cheaper than moving nested ones.
    items = items.with_columns(pl.arg_sort_by(_TS, "id", nulls_last=True).arg_sort().alias(_ROW))
    lazy = items.lazy()
    return lazy, _receipts(lazy, bodies)


# -- deriving the tables ---------------------------------------------------------------------


def _final(frame: pl.LazyFrame, schema: pl.Schema) -> pl.DataFrame:
    """Columns in the model's order, cast to the model's dtypes (the one source of truth)."""
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()]).collect()


def _messages(items: pl.LazyFrame, include_original: bool) -> pl.DataFrame:
    schema = polars_schema(MessageSchema)
    if not include_original:
        schema = pl.Schema({k: v for k, v in schema.items() if k != "original"})
    flattened = []
    for name, field in _flattened_fields():
        value = pl.col(name).struct.field(field)
        value = parse_timestamp(value) if field == "timestamp" else value
        flattened.append(value.alias(f"{name}_{field}"))
    derived = items.with_columns(
        pl.col(_TS).alias("timestamp"),
        *[(pl.col(flag) == "1").alias(flag) for flag in FLAGS],
        *flattened,
    )
    return _final(derived.sort(_ROW), schema)


def _exploded(items: pl.LazyFrame, column: pl.Expr, name: str) -> pl.LazyFrame:
    """One row per element of the list ``column``: message_id, __row, position, element."""
    return (
        items.select(pl.col("id").alias("message_id"), pl.col(_ROW), column.alias(name))
        .filter(pl.col(name).list.len() > 0)
        .with_columns(pl.int_ranges(pl.col(name).list.len(), dtype=pl.Int32).alias("position"))
        .explode(name, "position")
    )


def _attachments(items: pl.LazyFrame) -> pl.DataFrame:
    own = _exploded(items, pl.col("attachments"), "a").with_columns(quoted=pl.lit(value=False))
    quoted = _exploded(items, pl.col("quoted").struct.field("attachments"), "a").with_columns(
        quoted=pl.lit(value=True)
    )
    rows = (
        pl.concat([own, quoted])
        .sort(_ROW, "quoted", "position")
        .unnest("a")
        .with_columns(
            pl.col("size").struct.field("width").alias("width"),
            pl.col("size").struct.field("height").alias("height"),
            *[epoch_to_datetime(pl.col(c)) for c in ("url_expires_at", "starts_at", "expires_at")],
        )
    )
    return _final(rows, polars_schema(AttachmentSchema))


def _reactions(items: pl.LazyFrame) -> pl.DataFrame:
    rows = _exploded(items, pl.col("reactions"), "r").sort(_ROW, "position").unnest("r")
    return _final(rows, polars_schema(ReactionSchema))


def _seen_by(entries: pl.LazyFrame) -> pl.DataFrame:
    rows = entries.sort(_ROW, maintain_order=True).select(
        pl.col("id").alias("message_id"),
        pl.col("key").alias("attendee_id"),
        (pl.col("value") != "false").alias("seen"),
        pl.col("seen_at"),
    )
    return _final(rows, polars_schema(SeenBySchema))


def _pages(pages: object) -> Iterable[object]:
    if isinstance(pages, str | bytes | bytearray | memoryview | Mapping):
        expected = "an iterable of pages (not one page: wrap it in a list)"
        raise ArgumentTypeError("pages", expected, pages)
    if not isinstance(pages, Iterable):
        raise ArgumentTypeError("pages", "an iterable of pages (bytes, dicts or Pages)", pages)
    return pages


def frames_from_pages(
    pages: Iterable[PageLike], *, include_original: bool = True, seen: SeenIds | None = None
) -> ChatFrames:
    """Build the four typed tables from pages in the order they were fetched (pure).

    Each page may be the raw body (``bytes``), a parsed body (``dict``) or a
    ``client.Page`` (its ``raw`` bytes are read, and only its ``new_positions``). Pages are
    numbered 1.. in the order given; errors name that number, plus the message id and field
    when known. Of repeated message ids the first one fetched wins, with its children:
    ``seen`` holds the ids earlier calls took (pass the same one to continue across calls;
    it records this call's ids, even when the call then fails). ``include_original=False``
    drops ``original`` (large, and it carries personal data).

    Raises :class:`~postpress_frames._exceptions.InvalidResponseError` for a page or value
    that cannot be typed, a value of the wrong JSON type included (``provider_id: 12345``,
    ``behavior: -1.5``, ``reply_by: "att_1"``: never coerced), and ``ArgumentTypeError`` for
    an argument of the wrong type. Warns ``UnknownValueWarning`` and ``UnknownFieldWarning``
    (see the module docstring).

    >>> body = b'{"items": [{"id": "m1", "timestamp": "2026-05-17T09:42:11.000Z"}]}'
    >>> seen = SeenIds()
    >>> frames_from_pages([body, body], seen=seen).messages.height
    1
    >>> frames_from_pages([body], seen=seen).messages.height  # m1 was taken
    0
    """
    checked = _pages(pages)
    schema = wire_schema(include_original=include_original)
    if seen is not None and not isinstance(seen, SeenIds):
        raise ArgumentTypeError("seen", "a SeenIds (ids taken by earlier calls) or None", seen)
    read, searched = read_all(checked, schema)
    unknown = [page.unknown for page in read]
    bodies = {page.number: page.raw for page in read}
    keep = {page.number: page.keep for page in read if page.keep is not None}
    try:
        items = items_frame(read, schema)
        del read  # ``items`` holds what the per-page parses held
        check_wire_types(bodies, items, schema, searched)
        lazy, entries = _checked(items, bodies, item_dtype(schema), keep, seen)
        # Every value is checked: nothing quotes the bodies any more. Freeing them before
        # deriving lowers the peak by their size when the caller streams its pages.
        del bodies, items
        frames = ChatFrames(
            messages=_messages(lazy, include_original),
            attachments=_attachments(lazy),
            reactions=_reactions(lazy),
            seen_by=_seen_by(entries),
        )
    except pl.exceptions.PolarsError as exc:
        raise InvalidResponseError(f"the tables could not be built: {exc}") from exc
    warn_unknown_fields(unknown, stacklevel=2)
    return frames._counted(warn_unknown_values(frames, stacklevel=2))
