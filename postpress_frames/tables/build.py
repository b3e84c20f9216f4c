"""``frames_from_pages``: raw response pages -> the four typed tables (pure, no network).

How a page becomes rows, and why it is fast: each page's bytes are parsed once by
``polars.read_json`` with an explicit *wire schema* (the JSON shape of the spec page), on a
few threads (polars releases the GIL), then every table is derived with vectorised
expressions. Nothing goes through per-message Python objects.

Rules where the spec page is loose or silent:

* Wire dtypes: the 0/1 flags are read as strings, so that ``2``, ``-1``, ``1.5``, ``true``
  or ``"yes"`` reach the check intact (an integer read would turn ``1.5`` and ``true`` into
  1) and raise :class:`InvalidResponseError`; ``"0"``/``"1"`` become ``False``/``True``.
  ``seen_by`` is read as a ``Map(String, String)`` and exploded: ``true``/``false`` give
  ``seen`` with no time, a timestamp string gives ``seen=True`` and ``seen_at``; anything
  else (null, a number) is an error naming ``seen_by.<attendee>``.
* Wrong JSON types are errors naming page, message id and field, also where ``read_json``
  alone would coerce them: a fraction in an integer field (it would truncate ``-1.5`` to
  -1), an integer beyond 64 bits (null), ``true``/``false`` in a number field (1/0), a
  scalar in an array field (``12345`` -> ``["12345"]``), a number or boolean in a string
  field (its JSON text, ``"12345"``). A whole-number fraction (``1.0``) is that integer.
  Pages are screened cheaply (a regex search of the bodies, a check of the parsed
  strings); only suspect ones are parsed again, in Python, to name the value.
* Timestamps must look like ``2026-05-17T09:42:11.000Z`` (``YYYY-MM-DDTHH:MM:SS``, optional
  fraction, literal ``Z``); anything else is an error naming page, message id and field.
* Epoch fields (``url_expires_at``, ``starts_at``, ``expires_at``): the page says Unix
  seconds, the real service has sent milliseconds. A value whose magnitude is ``>= 1e11``
  is read as milliseconds, otherwise as seconds (1e11 s is the year 5138; 1e11 ms is 1973).
* Duplicated message ids: the first one fetched wins, with its own children only.
* Missing or null *required* fields other than ``id`` become nulls that
  :meth:`ChatFrames.validate` reports (all at once); values that cannot be typed at all
  (a bad flag, timestamp or receipt, an object where a string belongs) fail the build.
* Fields the spec page does not list are not stored (the tables are strict). They are not
  dropped silently: pages 1-8 and every power-of-two page after are also read with an
  inferred schema, and one :class:`~postpress_frames.tables.schemas.UnknownFieldWarning` names
  each unlisted field (``items[].attachments[].blurhash``) and how many values it had.
  Values outside a documented set are kept and named in one ``UnknownValueWarning``.

>>> frames = frames_from_pages([b'{"object": "MessageList", "items": [], "cursor": null}'])
>>> frames
ChatFrames(messages=0, attachments=0, reactions=0, seen_by=0)
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

import polars as pl

from postpress_frames._exceptions import InvalidResponseError, body_excerpt
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import (
    AttachmentSchema,
    MessageSchema,
    ReactionSchema,
    SeenBySchema,
    UnknownFieldWarning,
    polars_schema,
    warn_unknown_values,
)

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

__all__ = ["PageLike", "epoch_to_datetime", "frames_from_pages", "parse_timestamp", "wire_schema"]

TIMESTAMP_FORMAT: Final = "%Y-%m-%dT%H:%M:%S%.fZ"
EPOCH_MS_THRESHOLD: Final = 100_000_000_000  # 1e11: see the module docstring
FLAGS: Final = ("is_sender", "seen", "hidden", "deleted", "edited", "is_event", "delivered")
_UTC_MS: Final = pl.Datetime("ms", "UTC")
_PAGE: Final = "__page"  # bookkeeping columns, dropped before the tables are returned
_ITEM: Final = "__item"
_ROW: Final = "__row"
_TS: Final = "__ts"


@runtime_checkable
class _HasRaw(Protocol):
    @property
    def raw(self) -> bytes: ...


#: What ``frames_from_pages`` accepts per page: the body bytes, a parsed body, or a ``Page``.
PageLike = bytes | bytearray | memoryview | str | Mapping[str, Any] | _HasRaw

# -- the wire schema: the JSON shape of the spec page ---------------------------------------

_ATTACHMENT: Final = pl.Struct(
    {
        "id": pl.String,
        "type": pl.String,
        "file_size": pl.Int64,
        "unavailable": pl.Boolean,
        "mimetype": pl.String,
        "url": pl.String,
        "url_expires_at": pl.Int64,
        "size": pl.Struct({"width": pl.Int64, "height": pl.Int64}),
        "sticker": pl.Boolean,
        "gif": pl.Boolean,
        "duration": pl.Float64,
        "voice_note": pl.Boolean,
        "file_name": pl.String,
        "starts_at": pl.Int64,
        "expires_at": pl.Int64,
        "time_range": pl.Float64,
    }
)
_ITEM_FIELDS: Final[dict[str, pl.DataType]] = {
    "id": pl.String(),
    "message_id": pl.String(),
    "provider_id": pl.String(),
    "account_id": pl.String(),
    "chat_id": pl.String(),
    "chat_provider_id": pl.String(),
    "sender_id": pl.String(),
    "sender_attendee_id": pl.String(),
    "timestamp": pl.String(),
    "text": pl.String(),
    **{flag: pl.String() for flag in FLAGS},
    "attachments": pl.List(_ATTACHMENT),
    "quoted": pl.Struct(
        {
            "message_id": pl.String,
            "provider_id": pl.String,
            "sender_id": pl.String,
            "text": pl.String,
            "attachments": pl.List(_ATTACHMENT),
        }
    ),
    "is_forwarded": pl.Boolean(),
    "reactions": pl.List(
        pl.Struct({"value": pl.String, "sender_id": pl.String, "is_sender": pl.Boolean})
    ),
    "seen_by": pl.Map(pl.String, pl.String),
    "behavior": pl.Int64(),
    "event_type": pl.Int64(),
    "original": pl.String(),
    "replies": pl.Int64(),
    "reply_by": pl.List(pl.String),
    "parent": pl.String(),
    "subject": pl.String(),
    "message_type": pl.String(),
    "attendee_type": pl.String(),
    "attendee_distance": pl.Int64(),
    "sender_urn": pl.String(),
    "reply_to": pl.Struct(
        {
            "id": pl.String,
            "provider_id": pl.String,
            "timestamp": pl.String,
            "sender_attendee_id": pl.String,
            "sender_id": pl.String,
            "text": pl.String,
        }
    ),
}
# Listed on the spec page but constant type tags: known, not read, not stored.
_TAGS: Final = {"object": pl.String()}
_PAGE_KEYS: Final[dict[str, pl.DataType]] = {"object": pl.String(), "cursor": pl.String()}


def wire_schema(*, include_original: bool = True) -> pl.Schema:
    """The schema ``read_json`` parses a page with (only ``items`` is read).

    >>> wire_schema()["items"].inner.to_schema()["seen_by"]
    Map(String, String)
    """
    fields = dict(_ITEM_FIELDS)
    if not include_original:
        del fields["original"]
    return pl.Schema({"items": pl.List(pl.Struct(fields))})


def _item_dtype(schema: pl.Schema) -> pl.Struct:
    """The struct of one item in a wire schema."""
    items = schema["items"]
    assert isinstance(items, pl.List)
    inner = _instance(items.inner)
    assert isinstance(inner, pl.Struct)
    return inner


def _spec_page_dtype() -> pl.Struct:
    """Every key the spec page lists, page level included (for unknown-field detection)."""
    item = pl.Struct({**_TAGS, **_ITEM_FIELDS})
    return pl.Struct({**_PAGE_KEYS, "items": pl.List(item)})


# -- small expression helpers ----------------------------------------------------------------


def parse_timestamp(expr: pl.Expr) -> pl.Expr:
    """Parse the API's ``YYYY-MM-DDTHH:MM:SS[.fff]Z`` strings to UTC ms; null where not.

    >>> pl.select(parse_timestamp(pl.lit("2026-05-17T09:42:11.000Z"))).item()
    datetime.datetime(2026, 5, 17, 9, 42, 11, tzinfo=zoneinfo.ZoneInfo(key='UTC'))
    """
    return expr.str.to_datetime(TIMESTAMP_FORMAT, time_unit="ms", time_zone="UTC", strict=False)


def epoch_to_datetime(expr: pl.Expr) -> pl.Expr:
    """Unix epoch in seconds or milliseconds -> UTC datetime (``|v| >= 1e11`` means ms).

    >>> seconds, millis = 1_779_000_000, 1_779_000_000_000
    >>> pl.select(epoch_to_datetime(pl.lit(seconds))).item() == pl.select(
    ...     epoch_to_datetime(pl.lit(millis))
    ... ).item()
    True
    """
    millis = pl.when(expr.abs() >= EPOCH_MS_THRESHOLD).then(expr).otherwise(expr * 1000)
    return millis.cast(pl.Datetime("ms")).dt.replace_time_zone("UTC")


# -- reading pages ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ReadPage:
    number: int
    items: pl.Series  # one row: the page's list of item structs
    unknown: dict[str, int]
    raw: bytes  # kept until the wire types are checked (see _check_wire_types)


def _to_bytes(number: int, page: object) -> bytes:
    if isinstance(page, bytes):
        return page
    if isinstance(page, bytearray | memoryview):
        return bytes(page)
    if isinstance(page, str):
        return page.encode()
    raw = getattr(page, "raw", None)
    if isinstance(raw, bytes | bytearray) and raw:
        return bytes(raw)
    if isinstance(page, Mapping):
        try:
            return json.dumps(page, ensure_ascii=False, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise InvalidResponseError(
                f"the parsed page is not JSON data: {exc}", page=number
            ) from exc
    items = getattr(page, "items", None)
    if isinstance(items, list):  # a Page built without its raw body
        return _to_bytes(number, {"items": items})
    raise InvalidResponseError(
        f"expected page bytes, a parsed page (dict) or a Page, got {type(page).__name__}",
        page=number,
    )


def _sampled(number: int) -> bool:
    """Pages whose unknown fields are looked for: 1-8, then powers of two."""
    return number <= 8 or number & (number - 1) == 0


def _read_page(number: int, raw: bytes, schema: pl.Schema) -> _ReadPage:
    """Parse one page; every failure becomes an InvalidResponseError naming the page.

    Only ``read_json`` runs per page: each further polars call on a small frame costs a
    fixed overhead that, over hundreds of pages, outweighs the work itself.
    """
    try:
        body = pl.read_json(raw, schema=schema)
    except Exception as exc:  # the one choke point for polars' parse errors
        raise _diagnose(number, raw, _item_dtype(schema), exc) from exc
    items = body.get_column("items")
    if body.height != 1 or items.null_count():
        raise _diagnose(number, raw, _item_dtype(schema), None)
    return _ReadPage(number, items, _unknown_fields(raw) if _sampled(number) else {}, raw)


def _items_frame(read: list[_ReadPage], schema: pl.Schema) -> pl.DataFrame:
    """All pages' items as one frame, with the page number and index on the page."""
    if not read:
        return _empty_items(schema)
    pages = pl.DataFrame(
        {
            _PAGE: pl.Series([page.number for page in read], dtype=pl.Int32),
            "items": pl.concat([page.items for page in read], rechunk=False),
        }
    )
    return (
        pages.lazy()
        .with_columns(pl.int_ranges(pl.col("items").list.len(), dtype=pl.Int32).alias(_ITEM))
        .explode("items", _ITEM, empty_as_null=False, keep_nulls=False)
        .unnest("items")
        .collect()
    )


def _read_all(pages: Iterable[PageLike], schema: pl.Schema) -> tuple[list[_ReadPage], list[int]]:
    """Read pages in order on a few threads, at most a few pages ahead of the consumer.

    The same threads search the bodies, a batch at a time, for values ``read_json`` would
    coerce (see ``_COERCED``); the second result is the pages the search flagged.
    """
    workers = max(1, min(4, os.cpu_count() or 1))
    results: list[_ReadPage] = []
    numbered = ((n, _to_bytes(n, page)) for n, page in enumerate(pages, start=1))
    batch: list[tuple[int, bytes]] = []
    batch_bytes = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="postpress-pages") as pool:
        pending: deque[Future[_ReadPage]] = deque()
        searches: list[Future[list[int]]] = []
        try:
            for number, raw in numbered:
                pending.append(pool.submit(_read_page, number, raw, schema))
                batch.append((number, raw))
                batch_bytes += len(raw)
                if batch_bytes >= _SEARCH_BYTES:
                    searches.append(pool.submit(_search, batch, _COERCED))
                    batch, batch_bytes = [], 0
                if len(pending) > 2 * workers:
                    results.append(pending.popleft().result())
            if batch:
                searches.append(pool.submit(_search, batch, _COERCED))
            while pending:
                results.append(pending.popleft().result())
            flagged = [number for search in searches for number in search.result()]
        finally:
            for future in pending:
                future.cancel()
            for search in searches:
                search.cancel()
    return results, flagged


# -- errors: located precisely, on the (slow) error path only --------------------------------


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return f"the string {body_excerpt(repr(value), 60)}"
    return f"the number {body_excerpt(repr(value), 60)}"


def _instance(dtype: PolarsDataType) -> pl.DataType:
    """Nested dtypes hold their leaves as classes (``pl.String``); make them instances."""
    return dtype() if isinstance(dtype, type) else dtype


_INT64_RANGE: Final = range(-(2**63), 2**63)


def _problem(
    value: object, dtype: PolarsDataType, path: str, *, scalars: bool = True
) -> tuple[str, str] | None:
    """The first value under ``value`` that ``dtype`` cannot hold, as (path, problem).

    A value of the wrong JSON type is a problem even where ``read_json`` would coerce it
    (a fraction or ``true`` in an integer field, a number in a string field, a scalar in
    an array field). ``scalars=False`` lets any scalar through, for the string-read
    fields whose values have their own check (the 0/1 flags, ``seen_by``).
    """
    if value is None:
        return None
    dtype = _instance(dtype)
    if isinstance(dtype, pl.Struct):
        if not isinstance(value, dict):
            return path, f"expected an object, got {_json_type(value)}"
        for field in dtype.fields:
            sub = f"{path}.{field.name}" if path else field.name
            own_check = not path and field.name in FLAGS
            found = _problem(value.get(field.name), field.dtype, sub, scalars=not own_check)
            if found:
                return found
        return None
    if isinstance(dtype, pl.List):
        if not isinstance(value, list):
            return path, f"expected an array, got {_json_type(value)}"
        for i, element in enumerate(value):
            found = _problem(element, dtype.inner, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(dtype, pl.Map):
        if not isinstance(value, dict):
            return path, f"expected an object, got {_json_type(value)}"
        for key, element in value.items():
            found = _problem(element, dtype.value, f"{path}.{key}", scalars=False)
            if found:
                return found
        return None
    if isinstance(value, dict | list):
        return path, f"expected a {_dtype_word(dtype)}, got {_json_type(value)}"
    if isinstance(dtype, pl.Boolean) and not isinstance(value, bool):
        return path, f"expected true or false, got {_json_type(value)}"
    if dtype.is_numeric():
        if isinstance(value, bool) or not isinstance(value, int | float):
            return path, f"expected a number, got {_json_type(value)}"
        if dtype.is_integer():
            if isinstance(value, float) and not value.is_integer():
                return path, f"expected an integer, got {_json_type(value)}"
            if int(value) not in _INT64_RANGE:
                return path, f"expected an integer that fits in 64 bits, got {_json_type(value)}"
        return None
    if scalars and isinstance(dtype, pl.String) and not isinstance(value, str):
        return path, f"expected a string, got {_json_type(value)}"
    return None


def _dtype_word(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Boolean):
        return "boolean"
    return "number" if dtype.is_numeric() else "string"


def _message_id(item: dict[str, Any]) -> str | None:
    for key in ("id", "message_id"):
        value = item.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _first_key_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as ``read_json`` sees it: of duplicated keys, the first one counts."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        found.setdefault(key, value)
    return found


def _diagnose(
    number: int, raw: bytes, item_dtype: pl.Struct, cause: Exception | None
) -> InvalidResponseError:
    """Find what is wrong with a page polars could not read, with page, field, message id."""
    found = _find_problem(number, raw, item_dtype)
    if found is not None:
        return found
    detail = f": {body_excerpt(str(cause), 160)}" if cause else ""
    return InvalidResponseError(f"the page could not be read{detail}", page=number)


def _find_problem(number: int, raw: bytes, item_dtype: pl.Struct) -> InvalidResponseError | None:
    """The first thing wrong with a page, located; None when nothing is (the slow path)."""
    try:
        body = json.loads(raw, object_pairs_hook=_first_key_wins)
    except (ValueError, UnicodeDecodeError) as exc:
        return InvalidResponseError(
            f"the body is not valid JSON ({exc}): {body_excerpt(raw, 80)!r}",
            page=number,
            unparsable=True,
        )
    except RecursionError:
        return InvalidResponseError(
            "the body nests arrays or objects too deeply to be read", page=number
        )
    if not isinstance(body, dict):
        return InvalidResponseError(
            f"expected a JSON object with 'items', got {_json_type(body)}", page=number
        )
    if "items" not in body:
        return InvalidResponseError("the body has no 'items'", page=number, field="items")
    items = body["items"]
    if not isinstance(items, list):
        return InvalidResponseError(
            f"'items' must be an array, got {_json_type(items)}", page=number, field="items"
        )
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            return InvalidResponseError(
                f"items[{i}] must be an object, got {_json_type(item)}",
                page=number,
                field=f"items[{i}]",
            )
        found = _problem(item, item_dtype, "")
        if found:
            path, problem = found
            return InvalidResponseError(
                problem, page=number, field=path, message_id=_message_id(item)
            )
    return None


# -- fields the spec page does not list ------------------------------------------------------


def _extra_paths(
    inferred: PolarsDataType, known: PolarsDataType, path: tuple[str, ...]
) -> Iterator[tuple[str, ...]]:
    inferred, known = _instance(inferred), _instance(known)
    if isinstance(known, pl.Map):  # dynamic keys (seen_by)
        return
    if isinstance(inferred, pl.List) and isinstance(known, pl.List):
        yield from _extra_paths(inferred.inner, known.inner, (*path, "[]"))
    elif isinstance(inferred, pl.Struct) and isinstance(known, pl.Struct):
        fields = {f.name: f.dtype for f in known.fields}
        for field in inferred.fields:
            if field.name in fields:
                yield from _extra_paths(field.dtype, fields[field.name], (*path, field.name))
            else:
                yield (*path, field.name)


def _count_values(frame: pl.DataFrame, path: tuple[str, ...]) -> int:
    series = frame.get_column(path[0])
    for step in path[1:]:
        if step == "[]":
            series = series.explode(empty_as_null=False, keep_nulls=False)
        else:
            series = series.struct.field(step)
    return series.len() - series.null_count()


def _path_name(path: tuple[str, ...]) -> str:
    return ".".join(path).replace(".[]", "[]")


_JSON_STRING: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET: Final = re.compile(rb"[\[\]{}]")
#: Spec pages nest 7 levels deep (items[].quoted.attachments[].size); a page nested
#: deeper than this is not scanned for unknown fields: polars' schema inference slows
#: down with the cube of the depth (a 1,000-deep array in one field takes minutes).
MAX_SCAN_DEPTH: Final = 32


def _nesting_depth(raw: bytes, limit: int = MAX_SCAN_DEPTH) -> int:
    """How deep arrays and objects nest in ``raw``, counted up to ``limit + 1``.

    >>> _nesting_depth(b'{"items": [{"text": "[[[", "seen_by": {}}]}')
    4
    """
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        depth += 1 if bracket[0] in (b"[", b"{") else -1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
    return deepest


def _unknown_fields(raw: bytes) -> dict[str, int]:
    """Fields on this page that the spec page does not list -> number of non-null values."""
    if _nesting_depth(raw) > MAX_SCAN_DEPTH:
        return {}  # best effort: see MAX_SCAN_DEPTH
    try:
        inferred = pl.read_json(raw, infer_schema_length=None)
        paths = list(_extra_paths(pl.Struct(inferred.schema), _spec_page_dtype(), ()))
        return {_path_name(p): _count_values(inferred, p) for p in paths}
    except Exception:  # best effort: the typed read is the authority on the page
        return {}


def _warn_unknown_fields(unknown: list[dict[str, int]]) -> None:
    found: dict[str, int] = {}
    for page in unknown:
        for path, count in page.items():
            found[path] = found.get(path, 0) + count
    if not found:
        return
    listed = ", ".join(
        f"{path} ({count} value{'' if count == 1 else 's'})"
        for path, count in sorted(found.items())
    )
    warnings.warn(
        "fields the spec page does not list were not stored: "
        f"{listed} (counted on pages 1-8 and powers of two; `original` keeps the raw "
        "provider payload)",
        UnknownFieldWarning,
        stacklevel=3,
    )


# -- values of the wrong JSON type that read_json coerces instead of rejecting ---------------
#
# ``read_json`` truncates a fraction read as an integer (-1.5 -> -1), reads an integer
# beyond 64 bits as null and a boolean as 1 or 0, wraps a scalar read as a list of strings
# (12345 -> ["12345"]) and writes a number or boolean read as a string as its JSON text.
# The parsed values cannot tell these from good ones, so suspect pages are found cheaply,
# and only those are parsed again in Python (``_find_problem``) to name the bad value:
#
# * every page body is searched (a few polars regex calls for the whole chat) for a key of
#   an integer, float or string-list field followed by a value of the wrong type, and for
#   ``\u00XX`` escapes of the letters keys are made of (which would hide a key);
# * string fields are checked on the parsed values: a value that reads as a JSON number or
#   boolean (rare in real ids and texts) sends its page, and the key, to the same search.
#
# A page the search flags falsely (an unlisted field that reuses a key name) costs one
# Python parse and passes.

_WS: Final = r"[ \t\r\n]*"
#: How a JSON number or boolean reads once ``read_json`` has turned it into a string.
_NUMBER_TEXT: Final = r"^(?:-?[0-9]+(?:\.[0-9]+)?|true|false)$"
#: Bytes of page bodies searched per polars call: few calls, little memory.
_SEARCH_BYTES: Final = 8 << 20


def _field_names(dtype: pl.Struct) -> Iterator[tuple[str, pl.DataType]]:
    """Every field name in the item struct, nested ones included, with its dtype."""
    for field in dtype.fields:
        inner = _instance(field.dtype)
        yield field.name, inner
        if isinstance(inner, pl.List):
            inner = _instance(inner.inner)
        if isinstance(inner, pl.Struct):
            yield from _field_names(inner)


def _keys(names: Iterable[str]) -> str:
    """A regex alternation of field names; no leading quote, so the search stays fast."""
    return "|".join(re.escape(name) for name in sorted(set(names), key=lambda n: (-len(n), n)))


def _coercion_pattern() -> str:
    """A key of a number or string-list field followed by a value ``read_json`` coerces."""
    fields = list(_field_names(pl.Struct(_ITEM_FIELDS)))
    integers = _keys(name for name, dtype in fields if dtype.is_integer())
    floats = _keys(name for name, dtype in fields if dtype.is_float())
    lists = _keys(name for name, dtype in fields if dtype == pl.List(pl.String))
    strings = rf'(?:"(?:[^"\\]|\\.)*"{_WS},{_WS})*'  # zero or more, each with its comma
    other = r'[^"\] \t\r\n]'  # not a string, not the end of the array
    return "|".join(
        [
            # true or false, a fraction or an exponent, or 19 digits and more (2**63 has 19)
            rf'(?:{integers})"{_WS}:{_WS}(?:[tf]|-?[0-9]+[.eE]|-?[0-9]{{19}})',
            rf'(?:{floats})"{_WS}:{_WS}[tf]',
            # a scalar instead of the array, or something else than a string in it
            rf'(?:{lists})"{_WS}:{_WS}(?:[^\[n \t\r\n]|\[{_WS}{strings}{other})',
            r"\\u00(?:5[fF]|6[1-9a-fA-F]|7[0-9aA])",  # an escaped _ or a-z
        ]
    )


_COERCED: Final = _coercion_pattern()


def _string_leaves(
    scope: pl.LazyFrame, dtype: pl.Struct, parent: pl.Expr | None = None
) -> Iterator[tuple[pl.LazyFrame, str, pl.Expr]]:
    """(frame, key, values) for every string field: a list of objects (``attachments``)
    becomes a frame of its own, one row per element, so each leaf is one flat column.

    Left out: the 0/1 flags, timestamps and ``seen_by``, whose own checks reject a number
    or boolean where it does not belong, and ``reply_by``, which is searched.
    """
    for field in dtype.fields:
        name, inner = field.name, _instance(field.dtype)
        if (parent is None and name in FLAGS) or name == "timestamp":
            continue
        expr = pl.col(name) if parent is None else parent.struct.field(name)
        if isinstance(inner, pl.String):
            yield scope, name, expr
        elif isinstance(inner, pl.Struct):
            yield from _string_leaves(scope, inner, expr)
        elif isinstance(inner, pl.List):
            element = _instance(inner.inner)
            if isinstance(element, pl.Struct):
                rows = (
                    scope.select(pl.col(_PAGE), expr.alias(name))
                    .explode(name, empty_as_null=False, keep_nulls=False)
                    .unnest(name)
                )
                yield from _string_leaves(rows, element)


def _any_reads_as_number(values: pl.Expr) -> pl.Expr:
    """Whether any value reads like a JSON number or boolean.

    The regex runs only on the few values a comparison lets through: ``true``, ``false``
    and those starting with ``-``, ``.``, ``/`` or a digit.
    """
    maybe = (
        values.is_between(pl.lit("-"), pl.lit(":"), closed="left")
        | (values == "true")
        | (values == "false")
    )
    return values.filter(maybe).str.contains(_NUMBER_TEXT).any()


def _batches(bodies: Iterable[tuple[int, bytes]]) -> Iterator[list[tuple[int, bytes]]]:
    """Page bodies in batches of about ``_SEARCH_BYTES``."""
    batch: list[tuple[int, bytes]] = []
    size = 0
    for body in bodies:
        batch.append(body)
        size += len(body[1])
        if size >= _SEARCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _search(bodies: list[tuple[int, bytes]], pattern: str) -> list[int]:
    """The numbers of the pages whose body matches ``pattern`` (one polars regex call)."""
    if not bodies:
        return []
    raw = pl.Series(values=[body for _, body in bodies], dtype=pl.Binary)
    hits = raw.cast(pl.String, strict=False).str.contains(pattern).fill_null(value=False)
    return [bodies[i][0] for i in hits.arg_true()]


def _suspect_pages(
    read: list[_ReadPage], items: pl.DataFrame, item_dtype: pl.Struct, searched: list[int]
) -> list[int]:
    """Pages that may hold a value of the wrong JSON type (a superset, in page order).

    ``searched``: the pages ``_read_all``'s search of the bodies flagged.
    """
    suspects = set(searched)
    scopes: dict[int, tuple[pl.LazyFrame, list[tuple[str, pl.Expr]]]] = {}
    for scope, key, values in _string_leaves(items.lazy(), item_dtype):
        scopes.setdefault(id(scope), (scope, []))[1].append((key, values))
    found = pl.collect_all(
        scope.select(
            _any_reads_as_number(values).alias(str(i)) for i, (_, values) in enumerate(leaves)
        )
        for scope, leaves in scopes.values()
    )
    flagged = [
        (scope, [leaf for leaf, hit in zip(leaves, result.row(0), strict=True) if hit])
        for (scope, leaves), result in zip(scopes.values(), found, strict=True)
    ]
    flagged = [(scope, leaves) for scope, leaves in flagged if leaves]
    if not flagged:
        return sorted(suspects)
    # Rare: which pages, then whether the body has a number there or a string like "12".
    rows = [
        scope.filter(pl.any_horizontal(values.str.contains(_NUMBER_TEXT) for _, values in leaves))
        for scope, leaves in flagged
    ]
    pages = pl.concat([row.select(_PAGE) for row in rows]).unique().collect().get_column(_PAGE)
    keys = {key for _, leaves in flagged for key, _ in leaves}
    pattern = rf'(?:{_keys(keys)})"{_WS}:{_WS}[-0-9tf]'
    candidates = set(pages.to_list()) - suspects
    for batch in _batches((page.number, page.raw) for page in read if page.number in candidates):
        suspects.update(_search(batch, pattern))
    return sorted(suspects)


def _check_wire_types(
    read: list[_ReadPage], items: pl.DataFrame, schema: pl.Schema, searched: list[int]
) -> None:
    """Raise for the first value ``read_json`` coerced instead of rejecting (see above)."""
    item_dtype = _item_dtype(schema)
    raw = {page.number: page.raw for page in read}
    for number in _suspect_pages(read, items, item_dtype, searched):
        found = _find_problem(number, raw[number], item_dtype)
        if found is not None:
            raise found


# -- deriving the tables ---------------------------------------------------------------------


def _empty_items(schema: pl.Schema) -> pl.DataFrame:
    fields = {f.name: f.dtype for f in _item_dtype(schema).fields}
    return pl.DataFrame(schema={**fields, _PAGE: pl.Int32, _ITEM: pl.Int32})


def _bad(
    frame: pl.LazyFrame, bad: pl.Expr, field: pl.Expr | str, value: pl.Expr, problem: str
) -> pl.LazyFrame:
    return frame.filter(bad).select(
        pl.col(_PAGE),
        pl.col(_ITEM),
        pl.col("id").alias("message_id"),
        (pl.lit(field) if isinstance(field, str) else field).alias("field"),
        value.cast(pl.String).alias("value"),
        pl.lit(problem).alias("problem"),
    )


def _raise_first(checks: list[pl.LazyFrame]) -> None:
    """Raise for the first bad value in fetch order, saying how many more there are."""
    bad = pl.concat(checks).collect()
    if bad.height == 0:
        return
    first = bad.sort(_PAGE, _ITEM, "field").row(0, named=True)
    value = "null" if first["value"] is None else repr(body_excerpt(first["value"], 60))
    others = bad.height - 1
    more = f" ({others} more invalid value{'s' if others > 1 else ''})" if others else ""
    raise InvalidResponseError(
        f"{first['problem']}, got {value}{more}",
        page=first[_PAGE],
        field=first["field"],
        message_id=first["message_id"],
    )


def _check_ids(items: pl.DataFrame) -> None:
    missing = items.filter(pl.col("id").is_null())
    if missing.height:
        page, item = missing.get_column(_PAGE)[0], missing.get_column(_ITEM)[0]
        more = f" ({missing.height - 1} more)" if missing.height > 1 else ""
        raise InvalidResponseError(
            f"items[{item}] has neither 'id' nor 'message_id'{more}", page=page, field="id"
        )


def _check_values(items: pl.LazyFrame) -> None:
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
    for field, raw, parsed in (
        ("timestamp", pl.col("timestamp"), pl.col(_TS)),
        (
            "reply_to.timestamp",
            pl.col("reply_to").struct.field("timestamp"),
            parse_timestamp(pl.col("reply_to").struct.field("timestamp")),
        ),
    ):
        checks.append(
            _bad(
                items,
                raw.is_not_null() & parsed.is_null(),
                field,
                raw,
                "expected a timestamp like 2026-05-17T09:42:11.000Z",
            )
        )
    _raise_first(checks)


def _final(frame: pl.DataFrame | pl.LazyFrame, schema: pl.Schema) -> pl.DataFrame:
    """Columns in the model's order, cast to the model's dtypes (the one source of truth)."""
    lazy = frame.lazy().select([pl.col(name).cast(dtype) for name, dtype in schema.items()])
    return lazy.collect()


def _messages(items: pl.LazyFrame, include_original: bool) -> pl.DataFrame:
    schema = polars_schema(MessageSchema)
    if not include_original:
        schema = pl.Schema({k: v for k, v in schema.items() if k != "original"})
    reply_to, quoted = pl.col("reply_to").struct, pl.col("quoted").struct
    derived = items.with_columns(
        pl.col(_TS).alias("timestamp"),
        *[(pl.col(flag) == "1").alias(flag) for flag in FLAGS],
        reply_to.field("id").alias("reply_to_id"),
        reply_to.field("provider_id").alias("reply_to_provider_id"),
        parse_timestamp(reply_to.field("timestamp")).alias("reply_to_timestamp"),
        reply_to.field("sender_attendee_id").alias("reply_to_sender_attendee_id"),
        reply_to.field("sender_id").alias("reply_to_sender_id"),
        reply_to.field("text").alias("reply_to_text"),
        quoted.field("message_id").alias("quoted_message_id"),
        quoted.field("provider_id").alias("quoted_provider_id"),
        quoted.field("sender_id").alias("quoted_sender_id"),
        quoted.field("text").alias("quoted_text"),
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


def _seen_by(items: pl.LazyFrame) -> pl.DataFrame:
    entries = (
        items.select(
            pl.col(_PAGE),
            pl.col(_ITEM),
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
    _raise_first(
        [
            _bad(
                entries,
                pl.col("value").is_null() | (~is_bool & pl.col("seen_at").is_null()),
                pl.concat_str(pl.lit("seen_by."), pl.col("key")),
                pl.col("value"),
                "expected a timestamp string or a boolean",
            )
        ]
    )
    rows = entries.sort(_ROW, maintain_order=True).select(
        pl.col("id").alias("message_id"),
        pl.col("key").alias("attendee_id"),
        (pl.col("value") != "false").alias("seen"),
        pl.col("seen_at"),
    )
    return _final(rows, polars_schema(SeenBySchema))


def _derive(items: pl.DataFrame, include_original: bool) -> ChatFrames:
    items = items.with_columns(pl.coalesce("id", "message_id").alias("id"))
    _check_ids(items)
    first = items.get_column("id").is_first_distinct()
    kept = items if first.all() else items.filter(first)
    # Rank each message in (timestamp, id) order instead of sorting the nested frame: each
    # table is then sorted on flat columns, which is much cheaper than moving nested ones.
    kept = kept.with_columns(parse_timestamp(pl.col("timestamp")).alias(_TS))
    _check_values(kept.lazy())
    kept = kept.with_columns(pl.arg_sort_by(_TS, "id", nulls_last=True).arg_sort().alias(_ROW))
    lazy = kept.lazy()
    return ChatFrames(
        messages=_messages(lazy, include_original),
        attachments=_attachments(lazy),
        reactions=_reactions(lazy),
        seen_by=_seen_by(lazy),
    )


def frames_from_pages(pages: Iterable[PageLike], *, include_original: bool = True) -> ChatFrames:
    """Build the four typed tables from pages in the order they were fetched (pure).

    Each page may be the raw body (``bytes``), a parsed body (``dict``) or a
    ``client.Page`` (its ``raw`` bytes are read). Pages are numbered 1.. in the order given;
    errors name that number, plus the message id and field when known. Duplicate message
    ids collapse to the first one fetched. ``include_original=False`` drops ``original``
    (large, and it carries personal data).

    Raises :class:`~postpress_frames._exceptions.InvalidResponseError` for a page or value
    that cannot be typed, a value of the wrong JSON type included (``provider_id: 12345``,
    ``behavior: -1.5``, ``reply_by: "att_1"``: never coerced). Warns
    :class:`~postpress_frames.tables.schemas.UnknownValueWarning` and
    :class:`~postpress_frames.tables.schemas.UnknownFieldWarning` (see the module docstring).

    >>> body = b'{"items": [], "cursor": null}'
    >>> frames_from_pages([body, body]).messages.height
    0
    """
    schema = wire_schema(include_original=include_original)
    read, searched = _read_all(pages, schema)
    unknown = [page.unknown for page in read]
    try:
        items = _items_frame(read, schema)
        _check_wire_types(read, items, schema, searched)
        # Nothing else holds the per-page parses (and bodies) once ``items`` exists and is
        # checked: free them before deriving, which lowers the peak by their size.
        del read
        frames = _derive(items, include_original)
    except pl.exceptions.PolarsError as exc:
        raise InvalidResponseError(f"the tables could not be built: {exc}") from exc
    _warn_unknown_fields(unknown)
    warn_unknown_values(frames, stacklevel=2)
    return frames
