"""``frames_from_pages``: raw response pages -> the four typed tables (pure, no network).

Each page's bytes are parsed once by ``polars.read_json`` with the wire schema
(:mod:`~postpress_frames.tables.wire`, :mod:`~postpress_frames.tables.reader`), then every
table is derived here with vectorised expressions; per-message Python objects are built only
for the pages the screen flags (:mod:`~postpress_frames.tables.screen`). Rules where the
spec page is loose or silent:

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

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
from postpress_frames.tables.locate import FLAG_PROBLEM, find_problem, find_problems, json_value
from postpress_frames.tables.quarantine import CODE, Aside, code, model_rejections, rejects_table
from postpress_frames.tables.reader import PageLike, items_frame, read_all
from postpress_frames.tables.schemas import (
    table_schema,
    warn_missing_fields,
    warn_unknown_values,
)
from postpress_frames.tables.screen import first_wire_problem, wire_problems
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


def _first_bad(checks: list[pl.LazyFrame], state: _State) -> pl.DataFrame:
    """Raise for the first bad value in fetch order, saying how many more there are; under
    quarantine, set aside each message with one, and return them (``PAGE``, ``ITEM``)."""
    bad = pl.concat(checks).collect()
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


def _check_ids(items: pl.DataFrame, state: _State) -> pl.DataFrame:
    """Every message has a non-empty id (``check_body`` names the first one without); under
    quarantine, those without are set aside and left out."""
    missing = (
        items.lazy()
        .select(PAGE, ITEM, "id")
        .filter(pl.col("id").is_null() | (pl.col("id") == ""))
        .collect()
    )
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
    return pl.col(flag).replace_strict(FLAG_TEXTS, default=None, return_dtype=pl.Boolean)


def _check_values(items: pl.LazyFrame, state: _State) -> pl.DataFrame:
    checks = [
        _bad(
            items,
            pl.col(flag).is_not_null() & ~pl.col(flag).is_in(list(FLAG_TEXTS)),
            flag,
            pl.col(flag),
            FLAG_PROBLEM,
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
    return _first_bad(checks, state)


def _receipts(items: pl.LazyFrame, state: _State) -> tuple[pl.LazyFrame, pl.DataFrame]:
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
    return entries, _first_bad([_bad(entries, bad, field, pl.col("value"), problem)], state)


def _checked(
    items: pl.DataFrame,
    state: _State,
    keep: Mapping[int, tuple[int, ...]],
    seen: SeenIds | None,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """The kept items, ranked, and their receipts; raises for the first bad value (under
    quarantine, sets aside and leaves out every message with one)."""
    items = items.with_columns(pl.coalesce("id", "message_id").alias("id"))
    if state.aside:  # a message whose id is the problem has none: it cannot be "first"
        no_id = [
            code(page, position)
            for (page, position), (message_id, _, _) in state.aside.found.items()
            if message_id is None
        ]
        if no_id:
            items = items.with_columns(
                pl.when(CODE.is_in(no_id)).then(None).otherwise(pl.col("id")).alias("id")
            )
    items = _check_ids(_kept(items, keep), state)
    items = _first_fetched(items, seen)
    if state.aside:  # of the messages set aside, those not dropped as repeats
        held = items.filter(CODE.is_in(state.aside.codes())).select(PAGE, ITEM)
        state.rejected += held.iter_rows()
        items = _without(items, held)
    items = items.with_columns(parse_timestamp(pl.col("timestamp")).alias(_TS))
    bad = _check_values(items.lazy(), state)
    state.rejected += bad.iter_rows()
    items = _without(items, bad)
    # Rank each message in (timestamp, id) order instead of sorting the nested frame: each
    # table is then sorted on flat columns, which is much cheaper than moving nested ones.
    items = items.with_columns(pl.arg_sort_by(_TS, "id", nulls_last=True).arg_sort().alias(_ROW))
    entries, bad = _receipts(items.lazy(), state)
    if bad.height:
        state.rejected += bad.iter_rows()
        items = _without(items, bad)
        codes = bad.select(CODE.alias("c")).get_column("c").implode()
        entries = entries.filter(~CODE.is_in(codes))
    return items.lazy(), entries


# -- deriving the tables ---------------------------------------------------------------------


def _final(frame: pl.LazyFrame, schema: pl.Schema) -> pl.DataFrame:
    """Columns in the model's order, cast to the model's dtypes (the one source of truth)."""
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()]).collect()


def _extra_frame(rows: Sequence[tuple[object, ...]], keys: dict[str, pl.DataType]) -> pl.LazyFrame:
    schema = {**keys, "extra": pl.String()}
    return pl.DataFrame(rows, schema=schema, orient="row").lazy()


def _with_extra(
    frame: pl.LazyFrame, rows: Sequence[tuple[object, ...]], keys: dict[str, pl.DataType]
) -> pl.LazyFrame:
    """``frame`` with its ``extra`` column: the JSON texts of ``rows`` joined on ``keys``."""
    if not rows:
        return frame.with_columns(pl.lit(None, pl.String).alias("extra"))
    return frame.join(_extra_frame(rows, keys), on=list(keys), how="left", maintain_order="left")


_AT: Final[dict[str, pl.DataType]] = {PAGE: pl.Int32(), ITEM: pl.Int32()}


def _messages(
    items: pl.LazyFrame, include_original: bool, extras: Mapping[int, Extras]
) -> pl.DataFrame:
    schema = table_schema("messages")
    if not include_original:
        schema = pl.Schema({k: v for k, v in schema.items() if k != "original"})
    flattened = []
    for name, field in _flattened_fields():
        value = pl.col(name).struct.field(field)
        value = parse_timestamp(value) if field == "timestamp" else value
        flattened.append(value.alias(f"{name}_{field}"))
    derived = items.with_columns(
        pl.col(_TS).alias("timestamp"),
        *[_flag_value(flag).alias(flag) for flag in FLAGS],
        *flattened,
    )
    rows = [(n, position, text) for n, e in extras.items() for position, text in e.messages.items()]
    return _final(_with_extra(derived, rows, _AT).sort(_ROW), schema)


def _exploded(items: pl.LazyFrame, column: pl.Expr, name: str) -> pl.LazyFrame:
    """One row per element of the list ``column``: message_id, __row, position, element."""
    return (
        items.select(
            pl.col("id").alias("message_id"),
            pl.col(_ROW),
            pl.col(PAGE),
            pl.col(ITEM),
            column.alias(name),
        )
        .filter(pl.col(name).list.len() > 0)
        .with_columns(pl.int_ranges(pl.col(name).list.len(), dtype=pl.Int32).alias("position"))
        .explode(name, "position")
    )


def _attachments(items: pl.LazyFrame, extras: Mapping[int, Extras]) -> pl.DataFrame:
    own = _exploded(items, pl.col("attachments"), "a").with_columns(quoted=pl.lit(value=False))
    quoted = _exploded(items, pl.col("quoted").struct.field("attachments"), "a").with_columns(
        quoted=pl.lit(value=True)
    )
    rows = [
        (n, position, of_quoted, index, text)
        for n, e in extras.items()
        for (position, of_quoted, index), text in e.attachments.items()
    ]
    keys = {**_AT, "quoted": pl.Boolean(), "position": pl.Int32()}
    derived = (
        pl.concat([own, quoted])
        .sort(_ROW, "quoted", "position")
        .unnest("a")
        .with_columns(
            pl.col("size").struct.field("width").alias("width"),
            pl.col("size").struct.field("height").alias("height"),
            *[epoch_to_datetime(pl.col(c)) for c in ("url_expires_at", "starts_at", "expires_at")],
        )
    )
    return _final(_with_extra(derived, rows, keys), table_schema("attachments"))


def _reactions(items: pl.LazyFrame, extras: Mapping[int, Extras]) -> pl.DataFrame:
    rows = [
        (n, position, index, text)
        for n, e in extras.items()
        for (position, index), text in e.reactions.items()
    ]
    keys = {**_AT, "position": pl.Int32()}
    derived = _exploded(items, pl.col("reactions"), "r").sort(_ROW, "position").unnest("r")
    return _final(_with_extra(derived, rows, keys), table_schema("reactions"))


def _seen_by(entries: pl.LazyFrame) -> pl.DataFrame:
    rows = entries.sort(_ROW, maintain_order=True).select(
        pl.col("id").alias("message_id"),
        pl.col("key").alias("attendee_id"),
        (pl.col("value") != "false").alias("seen"),
        pl.col("seen_at"),
    )
    return _final(rows, table_schema("seen_by"))


def _pages(pages: object) -> Iterable[object]:
    if isinstance(pages, str | bytes | bytearray | memoryview | Mapping):
        expected = "an iterable of pages (not one page: wrap it in a list)"
        raise ArgumentTypeError("pages", expected, pages)
    if not isinstance(pages, Iterable):
        raise ArgumentTypeError("pages", "an iterable of pages (bytes, dicts or Pages)", pages)
    return pages


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


@dataclass
class _Built:
    frames: ChatFrames
    unknown: list[Mapping[str, int]]


def _build(
    pages: Iterable[object],
    schema: pl.Schema,
    include_original: bool,
    seen: SeenIds | None,
    quarantine: bool,
) -> _Built:
    read, flagged = read_all(pages, schema, quarantine=quarantine)
    bodies = {page.number: page.raw for page in read}
    keep = {page.number: page.keep for page in read if page.keep is not None}
    state = _State(bodies, item_dtype(schema), quarantine)
    for page in read:
        state.aside.add_problems(page.number, page.rejected)
    try:
        items = items_frame(read, schema)
        del read  # ``items`` holds what the per-page parses held
        flagged.sort()
        if quarantine:
            for number, problems in wire_problems(bodies, items, schema, flagged).items():
                state.aside.add_problems(number, problems)
        else:
            error = first_wire_problem(bodies, items, schema, flagged)
            if error is not None:
                raise error
        extras = {number: found for number in flagged if (found := page_extras(bodies[number]))}
        lazy, entries = _checked(items, state, keep, seen)
        if not quarantine:
            # Every value is checked: nothing quotes the bodies any more. Freeing them before
            # deriving lowers the peak by their size when the caller streams its pages.
            del bodies, items
        tables = {
            "messages": _messages(lazy, include_original, extras),
            "attachments": _attachments(lazy, extras),
            "reactions": _reactions(lazy, extras),
            "seen_by": _seen_by(entries),
        }
        rejects = empty_rejects()
        if quarantine:
            tables = _set_aside_by_models(tables, lazy, state)
            rejects = rejects_table(state.aside, state.rejected, state.bodies)
    except pl.exceptions.PolarsError as exc:
        raise InvalidResponseError(f"the tables could not be built: {exc}") from exc
    frames = ChatFrames(**tables, rejects=rejects)
    return _Built(frames, [found.counts for found in extras.values()])


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
    try:
        built = _build(checked, schema, include_original, seen, quarantine)
    except InvalidResponseError as error:
        raise error if quarantine else _hinted(error)  # noqa: B904 (the same error, hinted)
    warn_unknown_fields(built.unknown, stacklevel=2)
    frames = built.frames
    unknown = warn_unknown_values(frames, stacklevel=2)
    return frames._counted(unknown, warn_missing_fields(frames, stacklevel=2))
