"""``frames_from_pages``: raw response pages -> the four typed tables (pure, no network).

Each page's bytes are parsed once by ``polars.read_json`` with the wire schema
(:mod:`~postpress_frames.tables.wire`, :mod:`~postpress_frames.tables.reader`) and screened
(:mod:`~postpress_frames.tables.decoder`, :mod:`~postpress_frames.tables.screen`); each group
of pages is turned into its rows of every table on its reader thread, with vectorised
expressions, and its parse dropped. The checks then run in fetch order over what the groups
found, and the groups' rows are put in order: one after another when the pages come newest
first, as the API sends them, else sorted. Per-message Python objects are built only for the
pages the screen flags. Rules where the spec page is loose or silent:

* Flags are 0/1 (``"0"``/``"1"`` and JSON ``true``/``false`` too, same meaning); ``seen_by``
  values are ``true``/``false`` (``seen``, no time) or a timestamp string (``seen=True`` and
  ``seen_at``). Timestamps look like ``2026-05-17T09:42:11.000Z``; epoch fields are seconds,
  or milliseconds from ``1e11``. Anything else is an error naming page, message id and
  field, and quoting the JSON value as JSON.
* Wrong JSON types are errors too, also where ``read_json`` alone would coerce them (a
  fraction in an integer field, ``true`` in a number field, a scalar in an array field, a
  number in a string field): see :mod:`~postpress_frames.tables.screen`.
* The page's shape (``items`` an array of objects with non-empty string ids, the cursor a
  string or null) is :func:`~postpress_frames.api.body.check_body`'s contract.
* Repeated message ids: the first one fetched wins, with its own children only
  (:meth:`~postpress_frames.api.seen.SeenIds.first_seen` decides, also across calls).
* Missing or null required fields become nulls that :meth:`ChatFrames.validate` reports,
  except the few real payloads omit (``RELAXED`` in :mod:`~postpress_frames.tables.schemas`),
  kept as nulls and counted in one ``MissingFieldWarning``.
* Unlisted fields are kept, per row, as JSON in the ``extra`` column and named in one
  ``UnknownFieldWarning`` (:mod:`~postpress_frames.tables.unlisted`); values outside a
  documented set are kept and named in one ``UnknownValueWarning``.
* ``on_invalid="quarantine"`` sets a message that cannot be typed or fails a row-level check
  aside whole, into ``ChatFrames.rejects`` (:mod:`~postpress_frames.tables.quarantine`), and
  builds and validates the rest; what is wrong with a page itself still raises.

>>> frames_from_pages([b'{"object": "MessageList", "items": [], "cursor": null}'])
ChatFrames(messages=0, attachments=0, reactions=0, seen_by=0)
>>> bad = b'{"items": [{"id": "m1", "timestamp": "2026-05-17T09:42:11.000Z", "hidden": "yes"}]}'
>>> frames_from_pages([bad], on_invalid="quarantine").rejects.select("message_id", "field").row(0)
('m1', 'hidden')
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import polars as pl

from postpress_frames._args import as_str
from postpress_frames._exceptions import (
    ArgumentTypeError,
    ConfigurationError,
    InvalidResponseError,
    describe_json,
)
from postpress_frames.api.seen import SeenIds
from postpress_frames.tables.chat_frames import ChatFrames, empty_rejects
from postpress_frames.tables.locate import (
    FLAG_PROBLEM,
    Problem,
    find_problem,
    find_problems,
    json_value,
)
from postpress_frames.tables.quarantine import CODE, Aside, code, model_rejections, rejects_table
from postpress_frames.tables.reader import AT, Group, PageLike, ReadPage, items_alone, read_groups
from postpress_frames.tables.schemas import (
    table_schema,
    warn_missing_fields,
    warn_unknown_values,
)
from postpress_frames.tables.screen import batches, first_wire_problem, unmatched, wire_problems
from postpress_frames.tables.unlisted import Extras, page_extras, warn_unknown_fields
from postpress_frames.tables.wire import (
    FLAG_TEXTS,
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

__all__ = [
    "ON_INVALID",
    "OnInvalid",
    "PageLike",
    "epoch_to_datetime",
    "frames_from_pages",
    "parse_timestamp",
    "wire_schema",
]

#: What ``frames_from_pages`` does with a message that cannot be typed (see its docstring).
OnInvalid = Literal["raise", "quarantine"]
ON_INVALID: Final = ("raise", "quarantine")
_HINT: Final = ' (on_invalid="quarantine" would set this message aside and keep the rest)'

_ROW: Final = "__row"  # rank in (timestamp, id) order; bookkeeping, like PAGE and ITEM
_G: Final = "__g"  # a row's position among every item read, in fetch order
_TS: Final = "timestamp"  # the messages' timestamp, parsed (the checks read the raw one)
_ANY_BAD: Final = "__any_bad"
_PARSED: Final = "__timestamp"  # the wire timestamp parsed, beside the wire one
#: A message's id (a page may give ``message_id`` instead), and its timestamp parsed.
_MESSAGE_ID: Final = pl.coalesce("id", "message_id")
_TIMESTAMP: Final = parse_timestamp(pl.col("timestamp"))
#: Deriving a group runs a few small queries on frames in memory (engine="in-memory"),
#: where the optimiser and the choice of an engine would cost more than they save.
_NO_OPTIMIZATIONS: Final = pl.QueryOptFlags.none()
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


@dataclass
class _State:
    """What the build carries from check to check: the page bodies (errors quote them), the
    positions a Page keeps, and under quarantine the messages set aside so far."""

    bodies: Mapping[int, bytes]
    item: pl.Struct
    quarantine: bool
    aside: Aside = dataclasses.field(default_factory=Aside)
    #: (page, position) of the messages set aside that the build kept (not duplicates).
    rejected: list[tuple[int, int]] = dataclasses.field(default_factory=list)
    #: Page number -> the ids the client read for the page's kept items (a Page's ``ids``).
    paged: Mapping[int, tuple[str, ...]] = dataclasses.field(default_factory=dict)


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


def _quoted(bodies: Mapping[int, bytes], page: int, position: int, path: str, read: object) -> str:
    """A bad value as JSON: looked up in its page's body (``read_json`` read ``true`` and
    ``"true"`` alike as strings), else the text it was read as."""
    raw = bodies.get(page)
    if raw is not None:
        found, value = json_value(raw, position, path.split(".", 1))
        if found:
            return describe_json(value)
    return describe_json(read)


def _first_bad(bad: pl.DataFrame, state: _State) -> pl.DataFrame:
    """Raise for the first bad value in fetch order, saying how many more there are; under
    quarantine, set aside each message with one, and return them (``PAGE``, ``ITEM``)."""
    if bad.height == 0:
        return bad.select(PAGE, ITEM)
    bad = bad.sort(PAGE, ITEM, "field")
    if state.quarantine:
        firsts = bad.unique([PAGE, ITEM], keep="first", maintain_order=True)
        for row in firsts.iter_rows(named=True):
            got = _quoted(state.bodies, row[PAGE], row[ITEM], row["field"], row["value"])
            reason = f"{row['problem']}, got {got}"
            state.aside.add(row[PAGE], row[ITEM], row["message_id"], row["field"], reason)
        return firsts.select(PAGE, ITEM)
    first = bad.row(0, named=True)
    got = _quoted(state.bodies, first[PAGE], first[ITEM], first["field"], first["value"])
    others = bad.height - 1
    more = f" ({others} more invalid value{'s' if others > 1 else ''})" if others else ""
    raise InvalidResponseError(
        f"{first['problem']}, got {got}{more}",
        page=first[PAGE],
        field=first["field"],
        message_id=first["message_id"],
    )


def _without(items: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """``items`` without the rows (``PAGE``, ``ITEM``) of ``rows``."""
    if rows.height == 0:
        return items
    codes = rows.select(CODE.alias("c")).get_column("c")
    return items.filter(~CODE.is_in(codes.implode()))


def _among(bad: pl.DataFrame, items: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``bad`` about the rows (``PAGE``, ``ITEM``) of ``items``."""
    if bad.height == 0:
        return bad
    codes = items.select(CODE.alias("c")).get_column("c")
    return bad.filter(CODE.is_in(codes.implode()))


def _check_ids(items: pl.DataFrame, state: _State) -> pl.DataFrame:
    """Every message has a non-empty id (``check_body`` names the first one without); under
    quarantine, those without are set aside and left out."""
    missing = items.select(PAGE, ITEM, "id").filter(pl.col("id").is_null() | (pl.col("id") == ""))
    if missing.height == 0:
        return items
    if not state.quarantine:
        page, position = missing.row(0)[:2]
        error = find_problem(page, state.bodies[page], state.item)
        raise error or InvalidResponseError(
            "the message has no usable 'id' or 'message_id'", page=page, field=f"items[{position}]"
        )
    for page in missing.get_column(PAGE).unique(maintain_order=True):
        state.aside.add_problems(page, find_problems(page, state.bodies[page], state.item))
    for page, position, _ in missing.iter_rows():  # an empty id read from a stub, say
        state.aside.add(page, position, None, f"items[{position}].id", "no usable id")
    state.rejected += [(page, position) for page, position, _ in missing.iter_rows()]
    return _without(items, missing)


def _check_paged(
    items: pl.DataFrame, state: _State, keep: Mapping[int, tuple[int, ...]]
) -> pl.DataFrame:
    """Every kept message has the id the client paged by (:attr:`Page.ids`).

    The client drops repeats by its own reading of the ids (msgspec: the last of two ``id``
    keys), this build by polars' (the first): a message read under two ids could be kept
    twice across calls, so one whose readings differ is refused, or set aside under
    quarantine. Pages without ``ids`` (bytes, dicts) are not compared.
    """
    if not state.paged:
        return items
    pages: list[int] = []
    positions: list[int] = []
    ids: list[str] = []
    for number, paged in state.paged.items():
        kept = keep.get(number, range(len(paged)))
        if len(kept) == len(paged):
            pages += [number] * len(paged)
            positions += kept
            ids += paged
    expected = pl.DataFrame(
        {PAGE: pages, ITEM: positions, "_paged": ids},
        schema={PAGE: items.schema[PAGE], ITEM: items.schema[ITEM], "_paged": pl.String()},
    )
    # A row the client did not read on its page (a body with two "items" arrays) has no
    # id there: it differs too.
    wrong = (
        items.select(PAGE, ITEM, "id")
        .filter(pl.col(PAGE).is_in(sorted(set(pages))))
        .join(expected, on=[PAGE, ITEM], how="left")
        .filter(pl.col("id").ne_missing(pl.col("_paged")))
    )
    if wrong.height == 0:
        return items
    if not state.quarantine:
        page, position, read, paged_id = wrong.row(0)
        raise InvalidResponseError(
            _two_ids(read, paged_id), page=page, field=f"items[{position}].id"
        )
    for page, position, read, paged_id in wrong.iter_rows():
        state.aside.without_id(page, position, f"items[{position}].id", _two_ids(read, paged_id))
    state.rejected += [(page, position) for page, position, _, _ in wrong.iter_rows()]
    return _without(items, wrong)


def _two_ids(read: str | None, paged: str | None) -> str:
    if paged is None:
        return (
            f"the message read here as {read!r} is not among those the client read on this "
            "page (two 'items' arrays? the first is read here, the last there)"
        )
    return (
        f"the message's id reads {read!r} here but {paged!r} to the client, which drops "
        "repeats by it (two 'id' keys? the first is read here, the last there)"
    )


def _first_fetched(items: pl.DataFrame, seen: SeenIds | None) -> pl.DataFrame:
    """Only the items whose ids ``seen`` had not taken (the first fetched wins)."""
    if seen is None:  # this call only: the first of each id, in fetch order
        first = items.get_column("id").is_first_distinct()
        return items if first.all() else items.filter(first)
    ids = items.get_column("id")
    new = seen.first_seen(ids.to_list())
    if len(new) < ids.len():
        items = items.select(pl.all().gather(new))
    return items


def _kept(items: pl.DataFrame, keep: Mapping[int, tuple[int, ...]]) -> pl.DataFrame:
    """The items a Page's ``new_positions`` keep (the other pages' items all)."""
    if not keep:
        return items
    wanted = [code(page, position) for page, kept in keep.items() for position in kept]
    return items.filter(~pl.col(PAGE).is_in(list(keep)) | CODE.is_in(wanted))


def _flag_value(flag: str) -> pl.Expr:
    """A flag read as text (:data:`~postpress_frames.tables.wire.FLAG_TEXTS`) as a boolean;
    null for anything else (comparisons: cheaper than a lookup)."""
    value, texts = pl.col(flag), FLAG_TEXTS.items()
    true = pl.any_horizontal(value == text for text, meaning in texts if meaning)
    false = pl.any_horizontal(value == text for text, meaning in texts if not meaning)
    return pl.when(true).then(pl.lit(value=True)).when(false).then(pl.lit(value=False))


# -- each group's part of the tables, derived on its reader thread ---------------------------


_TIMESTAMP_PROBLEM: Final = "expected a timestamp like 2026-05-17T09:42:11.000Z"
_RECEIPT_PROBLEM: Final = "expected a timestamp string or a boolean"
#: A ``seen_by`` entry (``value``, and it parsed as ``seen_at``) that is neither.
_RECEIPT_BAD: Final = pl.col("value").is_null() | (
    ~pl.col("value").is_in(["true", "false"]) & pl.col("seen_at").is_null()
)
_EPOCHS: Final = ("url_expires_at", "starts_at", "expires_at")


@functools.cache
def _value_checks() -> tuple[tuple[str, pl.Expr, pl.Expr, str], ...]:
    """(field, is bad, value, problem) of each value checked on every message."""
    checks = [
        (
            flag,
            pl.col(flag).is_not_null() & ~pl.col(flag).is_in(list(FLAG_TEXTS)),
            pl.col(flag),
            FLAG_PROBLEM,
        )
        for flag in FLAGS
    ]
    nested = [f"{name}.{field}" for name, field in _flattened_fields() if field == "timestamp"]
    for path in ["timestamp", *nested]:
        raw = _field(path)
        checks.append(
            (path, raw.is_not_null() & parse_timestamp(raw).is_null(), raw, _TIMESTAMP_PROBLEM)
        )
    return tuple(checks)


@functools.cache
def _message_exprs(include_original: bool) -> tuple[pl.Expr, ...]:
    """The ``messages`` columns from the wire items, in the model's order and dtypes."""
    schema = table_schema("messages")
    derived: dict[str, pl.Expr] = {
        "id": _MESSAGE_ID,
        "timestamp": pl.col(_PARSED),
        "extra": pl.lit(None, pl.String),
        **{flag: _flag_value(flag) for flag in FLAGS},
    }
    for name, field in _flattened_fields():
        value = pl.col(name).struct.field(field)
        derived[f"{name}_{field}"] = parse_timestamp(value) if field == "timestamp" else value
    return tuple(
        derived.get(name, pl.col(name)).cast(dtype).alias(name)
        for name, dtype in schema.items()
        if include_original or name != "original"
    )


def _children(items: pl.LazyFrame, column: pl.Expr, name: str) -> pl.LazyFrame:
    """One row per element of the list ``column``: its item's row (``AT``), the message id,
    its position in the list and the element."""
    return items.select(
        pl.int_range(pl.len(), dtype=pl.Int32).alias(AT),
        pl.col(_ROW),
        _MESSAGE_ID.alias("message_id"),
        column.alias(name),
        pl.int_ranges(column.list.len(), dtype=pl.Int32).alias("position"),
    ).explode(name, "position", empty_as_null=False, keep_nulls=False)


@functools.cache
def _attachment_exprs() -> tuple[pl.Expr, ...]:
    derived: dict[str, pl.Expr] = {
        "width": pl.col("size").struct.field("width"),
        "height": pl.col("size").struct.field("height"),
        "extra": pl.lit(None, pl.String),
        **{c: epoch_to_datetime(pl.col(c)) for c in _EPOCHS},
    }
    schema = table_schema("attachments")
    return (
        pl.col(AT),
        *[derived.get(n, pl.col(n)).cast(d).alias(n) for n, d in schema.items()],
    )


@functools.cache
def _reaction_exprs() -> tuple[pl.Expr, ...]:
    schema = table_schema("reactions")
    return (
        pl.col(AT),
        *[
            (pl.lit(None, pl.String) if n == "extra" else pl.col(n)).cast(d).alias(n)
            for n, d in schema.items()
        ],
    )


@functools.cache
def _receipt_exprs() -> tuple[pl.Expr, ...]:
    schema = table_schema("seen_by")
    derived = {
        "message_id": pl.col("id"),
        "attendee_id": pl.col("key"),
        "seen": pl.col("value") != "false",
        "seen_at": pl.col("seen_at"),
    }
    return (
        pl.col(AT),
        *[derived[n].cast(d).alias(n) for n, d in schema.items()],
        _RECEIPT_BAD.alias(_ANY_BAD),
    )


def _extra_frame(rows: Sequence[tuple[object, ...]], keys: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={**keys, "extra": pl.String()}, orient="row")


def _with_extra(
    frame: pl.DataFrame,
    at: pl.DataFrame,
    rows: Sequence[tuple[object, ...]],
    keys: dict[str, pl.DataType],
) -> pl.DataFrame:
    """``frame`` with its ``extra`` column: the JSON texts of ``rows`` joined on ``keys``
    (``at``: the ``PAGE`` and ``ITEM`` of each of ``frame``'s rows, with its other keys)."""
    if not rows:
        return frame
    found = at.join(_extra_frame(rows, keys), on=list(keys), how="left", maintain_order="left")
    return frame.with_columns(found.get_column("extra"))


_AT_KEYS: Final[dict[str, pl.DataType]] = {PAGE: pl.Int32(), ITEM: pl.Int32()}


#: The order of each child table's rows after their message's rank.
_CHILD_ORDER: Final = {
    "attachments": ["quoted", "position"],
    "reactions": ["position"],
    "receipts": [],
}


@dataclass
class _Part:
    """One group's share of the build, derived on its reader thread."""

    pages: tuple[ReadPage, ...]
    decoded: tuple[int, ...]  # the pages the decoder took (Group.decoded)
    keys: pl.DataFrame  # PAGE, ITEM, id and timestamp of each item, in fetch order
    #: Each item's messages row, in (timestamp, id) order: ``order`` says which item.
    messages: pl.DataFrame
    attachments: pl.DataFrame  # AT (the item's row) and the table's columns
    reactions: pl.DataFrame
    receipts: pl.DataFrame
    values_bad: pl.DataFrame | None  # the bad values of every item, as _bad makes them
    receipts_bad: pl.DataFrame | None
    extras: dict[int, Extras]
    wire_error: InvalidResponseError | None = None  # raise: the first wrong JSON type
    wire: dict[int, list[Problem]] | None = None  # quarantine: the wrong JSON types found
    failure: Exception | None = None  # what went wrong deriving (raised after every read)
    order: pl.Series | None = None  # the item (in fetch order) of each row of ``messages``
    #: ((timestamp, id) of the earliest message, of the latest); None without messages.
    bounds: tuple[tuple[Any, Any], tuple[Any, Any]] | None = None

    def sorted_rows(self) -> pl.Series:
        """Where each item (in fetch order) is in ``messages``."""
        assert self.order is not None
        return self.order.arg_sort()

    def take(self, table: str) -> pl.DataFrame:
        """One of the part's tables, let go of (the build holds it from then on)."""
        name = "receipts" if table == "seen_by" else table
        frame: pl.DataFrame = getattr(self, name)
        setattr(self, name, pl.DataFrame())
        return frame


@dataclass(frozen=True)
class _Context:
    schema: pl.Schema
    include_original: bool
    quarantine: bool


def _wire_stage(group: Group, context: _Context, part: _Part) -> None:
    """Values of the wrong JSON type on the pages the grammar flagged (found, not raised)."""
    if not group.flagged:
        return
    bodies = {page.number: page.raw for page in group.pages}
    flagged = list(group.flagged)
    if context.quarantine:
        part.wire = wire_problems(bodies, group.items, context.schema, flagged)
    else:
        part.wire_error = first_wire_problem(bodies, group.items, context.schema, flagged)
    part.extras = {n: found for n in flagged if (found := page_extras(bodies[n]))}


def _derive(group: Group, context: _Context) -> _Part:
    """A group's rows of the four tables, and the values that fail a check."""
    items = group.items
    keys = items.select(PAGE, ITEM)
    empty = pl.DataFrame()
    part = _Part(group.pages, group.decoded, keys, empty, empty, empty, empty, None, None, {})
    try:
        _wire_stage(group, context, part)
    except InvalidResponseError as error:  # a page itself is wrong (quarantine)
        part.failure = error
        return part
    try:
        _derive_tables(group, context, part)
    except pl.exceptions.PolarsError as error:
        part.failure = error
    return part


def _derive_tables(group: Group, context: _Context, part: _Part) -> None:
    """The part's rows of each table, each in the build's order as far as its own rows go
    (timestamp, id, then by position): when the groups do not overlap in time (pages newest
    first, as the API sends them), the tables are the parts one after the other."""
    found = group.items.select(
        pl.col(PAGE), pl.col(ITEM), _MESSAGE_ID.alias("id"), _TIMESTAMP.alias(_TS)
    )
    order = found.select(pl.arg_sort_by(_TS, "id", nulls_last=True)).to_series()
    rank = order.arg_sort().alias(_ROW)
    part.keys, part.order = found, order
    items = group.items.lazy().with_columns(rank, found.get_column(_TS).alias(_PARSED))
    entries = _entries(items, pl.int_range(pl.len(), dtype=pl.Int32).alias(AT), pl.col(_ROW))
    messages, attachments, reactions, receipts = pl.collect_all(
        [
            items.select(*_message_exprs(context.include_original), pl.col(_ROW))
            .sort(_ROW)
            .drop(_ROW),
            pl.concat(
                [
                    _children(items, pl.col("attachments"), "a").with_columns(
                        quoted=pl.lit(value=False)
                    ),
                    _children(
                        items, pl.col("quoted").struct.field("attachments"), "a"
                    ).with_columns(quoted=pl.lit(value=True)),
                ]
            )
            .sort(_ROW, "quoted", "position", maintain_order=True)
            .unnest("a")
            .select(_attachment_exprs()),
            _children(items, pl.col("reactions"), "r")
            .sort(_ROW, "position", maintain_order=True)
            .unnest("r")
            .select(_reaction_exprs()),
            entries.sort(_ROW, maintain_order=True).select(_receipt_exprs()),
        ],
        optimizations=_NO_OPTIMIZATIONS,
        engine="in-memory",
    )
    if messages.height:
        ts, ids = messages.get_column(_TS).to_physical(), messages.get_column("id")
        part.bounds = ((ts[0], ids[0]), (ts[-1], ids[-1]))
    if _has_bad_values(group.items, messages):
        lazy = group.items.lazy().with_columns(_MESSAGE_ID.alias("id"))
        part.values_bad = pl.concat(
            [
                _bad(lazy, bad, field, value, problem)
                for field, bad, value, problem in _value_checks()
            ]
        ).collect()
    if receipts.get_column(_ANY_BAD).any():
        located = _entries(group.items.lazy(), pl.col(PAGE), pl.col(ITEM))  # those rare rows
        field = pl.concat_str(pl.lit("seen_by."), pl.col("key"))
        part.receipts_bad = _bad(
            located, _RECEIPT_BAD, field, pl.col("value"), _RECEIPT_PROBLEM
        ).collect()
    part.receipts = receipts.drop(_ANY_BAD)
    extras = part.extras
    rows: list[tuple[object, ...]] = [
        (n, i, text) for n, e in extras.items() for i, text in e.messages.items()
    ]
    if rows:
        messages = _with_extra(messages, found.select(PAGE, ITEM)[order], rows, _AT_KEYS)
    part.messages = messages
    rows = [
        (n, i, of_quoted, index, text)
        for n, e in extras.items()
        for (i, of_quoted, index), text in e.attachments.items()
    ]
    if rows:
        at = found[attachments.get_column(AT)].select(PAGE, ITEM)
        at = at.hstack(attachments.select("quoted", "position"))
        keys = {**_AT_KEYS, "quoted": pl.Boolean(), "position": pl.Int32()}
        attachments = _with_extra(attachments, at, rows, keys)
    part.attachments = attachments
    rows = [
        (n, i, index, text) for n, e in extras.items() for (i, index), text in e.reactions.items()
    ]
    if rows:
        at = found[reactions.get_column(AT)].select(PAGE, ITEM).hstack(reactions.select("position"))
        reactions = _with_extra(reactions, at, rows, {**_AT_KEYS, "position": pl.Int32()})
    part.reactions = reactions


def _entries(items: pl.LazyFrame, *keys: pl.Expr) -> pl.LazyFrame:
    """The ``seen_by`` entries, one row each (key, value) with their message's ``keys`` and
    id, and the value parsed as a timestamp (``seen_at``)."""
    return (
        items.select(*keys, _MESSAGE_ID.alias("id"), pl.col("seen_by").map.entries().alias("e"))
        .explode("e", empty_as_null=False, keep_nulls=False)
        .unnest("e")
        .with_columns(parse_timestamp(pl.col("value")).alias("seen_at"))
    )


def _has_bad_values(items: pl.DataFrame, messages: pl.DataFrame) -> bool:
    """Whether a value :func:`_value_checks` checks is bad: set in the page, and null once
    derived (a flag outside 0/1/true/false, a timestamp that does not parse)."""
    pairs = [(items.get_column(flag), messages.get_column(flag)) for flag in FLAGS]
    pairs.append((items.get_column("timestamp"), messages.get_column("timestamp")))
    for name, field in _flattened_fields():
        if field == "timestamp":
            raw = items.get_column(name).struct.field(field)
            pairs.append((raw, messages.get_column(f"{name}_{field}")))
    return any(derived.null_count() > raw.null_count() for raw, derived in pairs)


# -- the parts put together: the checks in fetch order, then each table sorted ---------------


def _empty_part_schemas(context: _Context) -> dict[str, pl.Schema]:
    """The schemas of the parts' tables, for a table no part has (built only then: four
    empty frames a build cost about 2 ms, a tenth of a small chat's)."""
    messages = table_schema("messages")
    if not context.include_original:
        messages = pl.Schema({k: v for k, v in messages.items() if k != "original"})
    at = {AT: pl.Int32()}
    return {
        "messages": messages,
        "attachments": pl.Schema({**at, **table_schema("attachments")}),
        "reactions": pl.Schema({**at, **table_schema("reactions")}),
        "seen_by": pl.Schema({**at, **table_schema("seen_by")}),
    }


def _concat(frames: list[pl.DataFrame], empty: pl.Schema) -> pl.DataFrame:
    return pl.concat(frames, rechunk=False) if frames else pl.DataFrame(schema=empty)


def _taken(frame: pl.DataFrame, rows: pl.Series) -> pl.DataFrame:
    """``frame``'s ``rows``, in that order, a column at a time: each column is rechunked (a
    gather from one chunk is several times faster), taken, and dropped from ``frame``, so
    what is held at once is the table and one column more (``frame`` is emptied)."""
    return pl.DataFrame(
        [frame.drop_in_place(name).rechunk().gather(rows) for name in frame.columns]
    )


def _bad_rows(found: list[pl.DataFrame | None]) -> pl.DataFrame:
    frames = [frame for frame in found if frame is not None and frame.height]
    if not frames:
        return pl.DataFrame(
            schema={
                PAGE: pl.Int32,
                ITEM: pl.Int32,
                "message_id": pl.String,
                "field": pl.String,
                "value": pl.String,
                "problem": pl.String,
            }
        )
    return pl.concat(frames, how="vertical_relaxed")


def _ranked(keys: pl.DataFrame, total: int) -> tuple[pl.Series, pl.Series]:
    """The kept items in (timestamp, id) order, as positions among every item read, and the
    rank of each item read (null for those left out)."""
    order = keys.select(pl.arg_sort_by(_TS, "id", nulls_last=True)).to_series()
    positions = keys.get_column(_G).gather(order)
    rank = pl.Series(_ROW, [None] * total, dtype=pl.UInt32).scatter(
        positions, pl.int_range(positions.len(), dtype=pl.UInt32, eager=True)
    )
    return positions, rank


def _sorted_children(
    frames: list[pl.DataFrame],
    offsets: list[int],
    rank: pl.Series,
    by: list[str],
    empty: pl.Schema,
) -> pl.DataFrame:
    """The rows of the kept items, in their items' rank order, then by ``by``."""
    found = _concat(frames, empty)
    at = pl.concat(
        [
            frame.get_column(AT).cast(pl.UInt32) + offset
            for frame, offset in zip(frames, offsets, strict=True)
        ]
        or [pl.Series(AT, [], dtype=pl.UInt32)]
    )
    frames.clear()
    found.drop_in_place(AT)
    ranks = rank.gather(at)
    keys = pl.DataFrame([ranks, *[found.get_column(name) for name in by]])
    order = keys.select(pl.arg_sort_by(_ROW, *by, nulls_last=True, maintain_order=True)).to_series()
    return _taken(found, order.head(ranks.len() - ranks.null_count()))


def _pages(pages: object) -> Iterable[object]:
    if isinstance(pages, str | bytes | bytearray | memoryview | Mapping):
        expected = "an iterable of pages (not one page: wrap it in a list)"
        raise ArgumentTypeError("pages", expected, pages)
    if not isinstance(pages, Iterable):
        raise ArgumentTypeError("pages", "an iterable of pages (bytes, dicts or Pages)", pages)
    return pages


class _Source:
    """The pages given, remembering the ids a Page says the client read (by page number, as
    the reader numbers them) and an error their iterator raised (a client that cannot page
    on): that error is the source's, and no policy of the builder keeps its messages."""

    def __init__(self, pages: Iterable[object]) -> None:
        self._pages = pages
        self.paged: dict[int, tuple[str, ...]] = {}
        self.error: InvalidResponseError | None = None

    def __iter__(self) -> Iterator[object]:
        try:
            for number, page in enumerate(self._pages, start=1):
                ids = getattr(page, "ids", None)
                if isinstance(ids, tuple):
                    self.paged[number] = ids
                yield page
        except InvalidResponseError as error:
            self.error = error
            raise


def check_on_invalid(value: object) -> OnInvalid:
    """``value`` when it is ``"raise"`` or ``"quarantine"``.

    >>> check_on_invalid("quarantine")
    'quarantine'
    """
    text = as_str(value, "on_invalid")
    if text == "raise":
        return "raise"
    if text == "quarantine":
        return "quarantine"
    raise ConfigurationError(f'on_invalid must be "raise" or "quarantine", got {text!r}')


def _set_aside_by_models(
    frames: dict[str, pl.DataFrame], items: pl.LazyFrame, state: _State
) -> dict[str, pl.DataFrame]:
    """Quarantine: the messages whose rows fail their model, set aside; the tables without."""
    found = model_rejections(frames)
    if not found:
        return frames
    ids = [message_id for message_id, _, _ in found]
    where = (
        items.filter(pl.col("id").is_in(ids)).select("id", PAGE, ITEM).collect().rows_by_key("id")
    )
    for message_id, path, reason in found:
        ((page, position),) = where[message_id]
        state.aside.add(page, position, message_id, path, reason)
        state.rejected.append((page, position))
    return {
        name: frame.filter(~pl.col("id" if name == "messages" else "message_id").is_in(ids))
        for name, frame in frames.items()
    }


def _hinted(error: InvalidResponseError) -> InvalidResponseError:
    """A message-level error says that quarantine would keep the other messages."""
    if error.message_id is not None or (error.field or "").startswith("items["):
        error.problem += _HINT
        error.args = (error.problem,)
    return error


def _assemble(
    parts: list[_Part],
    state: _State,
    keep: Mapping[int, tuple[int, ...]],
    seen: SeenIds | None,
    context: _Context,
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """The four tables from the groups' parts: the checks in fetch order (raising for the
    first bad value; under quarantine, setting aside every message with one), then each
    table in order. Also the kept items (``PAGE``, ``ITEM``, ``id``)."""
    empty = _empty_part_schemas(context)
    offsets = [0]
    for part in parts:
        offsets.append(offsets[-1] + part.keys.height)
    total = offsets.pop()
    keys = pl.concat([part.keys for part in parts] or [_empty_keys()]).with_columns(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias(_G)
    )
    if state.aside:  # a message whose id is the problem has none: it cannot be "first"
        no_id = [
            code(page, position)
            for (page, position), (message_id, _, _) in state.aside.found.items()
            if message_id is None
        ]
        if no_id:
            keys = keys.with_columns(
                pl.when(CODE.is_in(no_id)).then(None).otherwise(pl.col("id")).alias("id")
            )
    keys = _check_paged(_check_ids(_kept(keys, keep), state), state, keep)
    keys = _first_fetched(keys, seen)
    if state.aside:  # of the messages set aside, those not dropped as repeats
        held = keys.filter(CODE.is_in(state.aside.codes())).select(PAGE, ITEM)
        state.rejected += held.iter_rows()
        keys = _without(keys, held)
    for found in ([part.values_bad for part in parts], [part.receipts_bad for part in parts]):
        bad = _first_bad(_among(_bad_rows(found), keys), state)
        state.rejected += bad.iter_rows()
        keys = _without(keys, bad)
    names = ("messages", "attachments", "reactions", "seen_by")
    frames = {name: [part.take(name) for part in parts] for name in names}
    if keys.height == total and _one_after_another(parts, keys):
        tables = {
            name: _concat(found[::-1], empty[name]).drop(AT, strict=False)
            for name, found in frames.items()
        }
        return tables, keys
    positions, rank = _ranked(keys, total)
    where = pl.concat(
        [part.sorted_rows() + offset for part, offset in zip(parts, offsets, strict=True)]
        or [pl.Series([], dtype=pl.UInt32)]
    )
    tables = {
        "messages": _taken(_concat(frames["messages"], empty["messages"]), where.gather(positions))
    }
    for name in names[1:]:
        by = _CHILD_ORDER["receipts" if name == "seen_by" else name]
        tables[name] = _sorted_children(frames[name], offsets, rank, by, empty[name])
    return tables, keys


def _one_after_another(parts: list[_Part], keys: pl.DataFrame) -> bool:
    """Whether the parts' messages, one part after another from the last fetched, are in
    (timestamp, id) order: each part's earliest message is later than the next part's
    latest (no message without a timestamp)."""
    if keys.get_column(_TS).null_count():
        return False
    bounds = [part.bounds for part in parts if part.bounds is not None]
    return all(earliest > latest for (earliest, _), (_, latest) in itertools.pairwise(bounds))


def _empty_keys() -> pl.DataFrame:
    return pl.DataFrame(schema={**_AT_KEYS, "id": pl.String(), _TS: pl.Datetime("ms", "UTC")})


@dataclass
class _Built:
    frames: ChatFrames
    unknown: list[Mapping[str, int]]


def _build(
    pages: _Source,
    schema: pl.Schema,
    include_original: bool,
    seen: SeenIds | None,
    quarantine: bool,
) -> _Built:
    context = _Context(schema, include_original, quarantine)
    parts = read_groups(
        pages, schema, functools.partial(_derive, context=context), quarantine=quarantine
    )
    read = [page for part in parts for page in part.pages]
    bodies = {page.number: page.raw for page in read}
    keep = {page.number: page.keep for page in read if page.keep is not None}
    decoded = [number for part in parts for number in part.decoded]
    state = _State(bodies, item_dtype(schema), quarantine, paged=pages.paged)
    for page in read:
        state.aside.add_problems(page.number, page.rejected)
    for part in parts:  # values of the wrong JSON type first, as if searched all at once
        if isinstance(part.failure, InvalidResponseError):
            raise part.failure
        if part.wire_error is not None:
            found = part.wire_error
            raise _grammar_first(decoded, state, schema, before=found.page) or found
        for number, problems in (part.wire or {}).items():
            state.aside.add_problems(number, problems)
    extras = {number: found for part in parts for number, found in part.extras.items()}
    try:
        for part in parts:
            if part.failure is not None:
                raise part.failure
        tables, kept = _assemble(parts, state, keep, seen, context)
        del parts
        rejects = empty_rejects()
        if quarantine:
            tables = _set_aside_by_models(tables, kept.lazy(), state)
            rejects = rejects_table(state.aside, state.rejected, state.bodies)
    except pl.exceptions.PolarsError as exc:
        raise InvalidResponseError(f"the tables could not be built: {exc}") from exc
    except InvalidResponseError:
        earlier = None if quarantine else _grammar_first(decoded, state, schema)
        if earlier is None:
            raise
        raise earlier from None
    if not quarantine:  # a page whose wrong ids no kept message carries is still an error
        earlier = _grammar_first([number for number in decoded if number in keep], state, schema)
        if earlier is not None:
            raise earlier
    frames = ChatFrames(**tables, rejects=rejects)
    return _Built(frames, [found.counts for found in extras.values()])


def _grammar_first(
    decoded: Sequence[int], state: _State, schema: pl.Schema, before: int | None = None
) -> InvalidResponseError | None:
    """The first value of the wrong JSON type, or thing wrong with a page, that the search
    of the screen names on the pages the decoder took but the grammar flags (before page
    ``before``), as if the grammar had screened them (:mod:`~postpress_frames.tables.decoder`).

    On such a page only the ids can be wrong, and the build checks them on the messages it
    keeps anyway, so this is looked for only on the way to an error, or on the pages of
    which a Page keeps some messages.
    """
    if before is not None:
        decoded = [number for number in decoded if number < before]
    bodies = ((number, state.bodies[number]) for number in decoded)
    for number in [n for batch in batches(bodies) for n in unmatched(batch)]:
        raw = state.bodies[number]
        items = items_alone(number, raw, schema)
        found = (
            None if items is None else first_wire_problem({number: raw}, items, schema, [number])
        )
        if found is not None:
            return found
    return None


def frames_from_pages(
    pages: Iterable[PageLike],
    *,
    include_original: bool = True,
    seen: SeenIds | None = None,
    on_invalid: OnInvalid = "raise",
) -> ChatFrames:
    """Build the four typed tables from pages in the order they were fetched (pure).

    Each page may be the raw body (``bytes``), a parsed body (``dict``) or a
    ``client.Page`` (its ``raw`` bytes are read, and only its ``new_positions``). Pages are
    numbered 1.. in the order given; errors name that number, plus the message id and field
    when known. Of repeated message ids the first one fetched wins, with its children:
    ``seen`` holds the ids earlier calls took (pass the same one to continue across calls;
    it records this call's ids, even when the call then fails). ``include_original=False``
    drops ``original`` (large, and it carries personal data).

    ``on_invalid`` says what to do with a message that cannot be typed or fails a row-level
    check (a required field missing, a bad flag, timestamp or receipt, a value of the wrong
    JSON type, an attachment lacking its variant's fields): ``"raise"`` (the default) raises
    :class:`~postpress_frames._exceptions.InvalidResponseError` for the first one (or leaves
    a missing field to :meth:`ChatFrames.validate`, as before); ``"quarantine"`` sets each
    one aside whole, with its attachments, reactions and receipts, into ``rejects`` (page,
    message id, field, reason and the item's JSON text), builds the rest and validates it,
    so ``validate()`` passes on what it returns. A repeated id whose first copy was set aside
    stays aside (the first fetched wins). What is wrong with a page itself (not JSON, no
    ``items`` array, a cursor that is not a string) raises either way.

    Raises :class:`~postpress_frames._exceptions.InvalidResponseError` for a page or value
    that cannot be typed, a value of the wrong JSON type included (``provider_id: 12345``,
    ``behavior: -1.5``, ``reply_by: "att_1"``: never coerced), and ``ArgumentTypeError`` for
    an argument of the wrong type. Warns ``UnknownFieldWarning``, ``UnknownValueWarning`` and
    ``MissingFieldWarning`` (see the module docstring).

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
    quarantine = check_on_invalid(on_invalid) == "quarantine"
    source = _Source(checked)
    try:
        built = _build(source, schema, include_original, seen, quarantine)
    except InvalidResponseError as error:
        if quarantine or error is source.error:  # quarantine would not keep the rest
            raise
        raise _hinted(error)  # noqa: B904 (the same error, hinted)
    warn_unknown_fields(built.unknown, stacklevel=2)
    frames = built.frames
    unknown = warn_unknown_values(frames, stacklevel=2)
    return frames._counted(unknown, warn_missing_fields(frames, stacklevel=2))
