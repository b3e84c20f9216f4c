"""Screening pages: unlisted fields, and values ``read_json`` would coerce instead of rejecting.

``read_json`` ignores keys its schema does not list, truncates a fraction read as an
integer (-1.5 -> -1), reads an integer beyond 64 bits as null and a boolean as 1 or 0, wraps
a scalar read as a list of strings (12345 -> ``["12345"]``) and writes a number or boolean
read as a string as its JSON text. The parsed values cannot tell these from good ones, so
suspect pages are found cheaply, and only those are parsed again in Python:

* every page body is matched against :data:`GRAMMAR`, one regular expression made from the
  wire schema: the page's objects hold only the keys the spec page lists for them (in any
  order, duplicates allowed), each with a value of its JSON type (an integer of at most 18
  digits where the page says integer, a string where it says string, 0/1/true/false or
  "0"/"1" for the flags, ...). One polars call per batch of about :data:`SEARCH_BYTES` of
  bodies, one pass over the bytes; a page that matches has no unlisted field and no value of
  the wrong JSON type, and is done. The reader matches only the bodies the strict decoder
  does not take (:mod:`~postpress_frames.tables.decoder`, which says where the two differ);
* a page that does not match (an unlisted key, a key spelled with escapes, a value of the
  wrong type) has its unlisted fields collected (:mod:`~postpress_frames.tables.unlisted`),
  and is searched for a key of an integer, float, string-list or flag field followed by a
  value of the wrong type (:data:`COERCED`), while its string fields are checked on the
  parsed values (a value that reads as a JSON number or boolean sends its page, and the key,
  to the same search); only those suspects are checked in Python, message by message
  (:func:`~postpress_frames.tables.locate.find_problems`).

A page the search flags falsely (an unlisted field that reuses a key name) costs one Python
parse and passes.

>>> search([(1, b'{"items": [{"behavior": 1.5}]}'), (2, b'{"items": []}')], COERCED)
[1]
>>> unmatched([(1, b'{"items": [{"id": "m1", "pinned": true}]}'), (2, b'{"items": []}')])
[1]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Final

import polars as pl

from postpress_frames._exceptions import InvalidResponseError
from postpress_frames.tables.locate import Problem, find_problem, find_problems
from postpress_frames.tables.wire import (
    FLAGS,
    ITEM_FIELDS,
    LISTED,
    PAGE,
    PAGE_KEYS,
    instance,
    item_dtype,
)

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

__all__ = [
    "COERCED",
    "GRAMMAR",
    "SEARCH_BYTES",
    "batches",
    "first_wire_problem",
    "reading_as_numbers",
    "search",
    "unmatched",
    "wire_problems",
]

_WS: Final = r"[ \t\r\n]*"
#: How a JSON number or boolean reads once ``read_json`` has turned it into a string.
_NUMBER_TEXT: Final = r"^(?:-?[0-9]+(?:\.[0-9]+)?|true|false)$"
#: Bytes of page bodies searched per polars call: few calls, little memory.
SEARCH_BYTES: Final = 8 << 20

_Body = tuple[int, bytes]  # (page number, body)


def _field_names(dtype: pl.Struct) -> Iterator[tuple[str, pl.DataType]]:
    """Every field name in the item struct, nested ones included, with its dtype."""
    for field in dtype.fields:
        inner = instance(field.dtype)
        yield field.name, inner
        if isinstance(inner, pl.List):
            inner = instance(inner.inner)
        if isinstance(inner, pl.Struct):
            yield from _field_names(inner)


def _keys(names: Iterable[str]) -> str:
    """A regex alternation of field names; no leading quote, so the search stays fast."""
    return "|".join(re.escape(name) for name in sorted(set(names), key=lambda n: (-len(n), n)))


def _coercion_pattern() -> str:
    """A key of a number or string-list field followed by a value ``read_json`` coerces."""
    fields = list(_field_names(pl.Struct(ITEM_FIELDS)))
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
            # a flag given as a JSON string other than "0" or "1" ("true" reads as true)
            rf'(?:{_keys(FLAGS)})"{_WS}:{_WS}"(?:[^01]|[01][^"])',
            # a cursor that is neither a string nor null (the page contract, check_body)
            rf'cursor"{_WS}:{_WS}[^"n \t\r\n]',
            r"\\u00(?:5[fF]|6[1-9a-fA-F]|7[0-9aA])",  # an escaped _ or a-z
        ]
    )


#: The search the pages :data:`GRAMMAR` does not match go through (the module docstring).
COERCED: Final = _coercion_pattern()

# -- the grammar of a page as the spec page lists it ------------------------------------------

_STRING: Final = r'"(?:[^"\\]|\\.)*"'
_NUMBER: Final = r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_SCALAR: Final = rf"(?:{_STRING}|{_NUMBER}|true|false|null)"
_FLAG: Final = rf'(?:{_NUMBER}|true|false|"[01]"|null)'


def _members(member: str) -> str:
    """Any number of ``member`` with their commas. The body is valid JSON (``read_json`` read
    it), so the commas need not be placed: a smaller pattern, matched in one pass."""
    return rf"(?:{member}{_WS},?{_WS})*"


def _value(dtype: PolarsDataType, name: str = "", *, top: bool = False) -> str:
    """The JSON text of a value of ``dtype`` (or null): its grammar."""
    dtype = instance(dtype)
    if top and name in FLAGS:
        return _FLAG
    if isinstance(dtype, pl.Struct):
        return f"(?:{_object({f.name: instance(f.dtype) for f in dtype.fields})}|null)"
    if isinstance(dtype, pl.List):
        return rf"(?:\[{_WS}{_members(_value(dtype.inner))}\]|null)"
    if isinstance(dtype, pl.Map):  # seen_by: any attendee id, a string or a boolean
        receipt = rf"{_STRING}{_WS}:{_WS}(?:{_STRING}|true|false|null)"
        return rf"(?:\{{{_WS}{_members(receipt)}\}}|null)"
    if dtype == pl.String():
        return f"(?:{_STRING}|null)"
    if dtype == pl.Boolean():
        return "(?:true|false|null)"
    if dtype.is_integer():  # 19 digits may not fit in 64 bits: the Python check decides
        return r"(?:-?[0-9]{1,18}|null)"
    if dtype.is_float():
        return f"(?:{_NUMBER}|null)"
    raise TypeError(f"no grammar for {dtype}")  # pragma: no cover (the wire schema is fixed)


def _object(fields: dict[str, pl.DataType], *, top: bool = False) -> str:
    pairs = "|".join(
        f'"{re.escape(name)}"{_WS}:{_WS}{_value(dtype, name, top=top)}'
        for name, dtype in fields.items()
    )
    return rf"\{{{_WS}{_members(f'(?:{pairs})')}\}}"


def _grammar() -> str:
    item: dict[str, pl.DataType] = {"object": pl.String(), **ITEM_FIELDS}
    assert set(item) == LISTED["item"]
    page = "|".join(
        [
            *(f'"{name}"{_WS}:{_WS}{_SCALAR}' for name in PAGE_KEYS if name != "cursor"),
            rf'"cursor"{_WS}:{_WS}(?:{_STRING}|null)',
            rf'"items"{_WS}:{_WS}\[{_WS}{_members(_object(item, top=True))}\]',
        ]
    )
    return rf"(?s)^{_WS}\{{{_WS}{_members(f'(?:{page})')}\}}{_WS}$"


#: Matches a page body exactly when every key is one the spec page lists for its object and
#: every value has its JSON type (see the module docstring).
GRAMMAR: Final = _grammar()


def batches(bodies: Iterable[_Body]) -> Iterator[list[_Body]]:
    """``(page, body)`` pairs in batches of about :data:`SEARCH_BYTES` bytes of bodies.

    >>> [len(batch) for batch in batches((n, bytes(3 << 20)) for n in range(5))]
    [3, 2]
    """
    batch: list[_Body] = []
    size = 0
    for body in bodies:
        batch.append(body)
        size += len(body[1])
        if size >= SEARCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def search(bodies: list[tuple[int, bytes]], pattern: str) -> list[int]:
    """The numbers of the pages whose body matches ``pattern`` (one polars regex call)."""
    if not bodies:
        return []
    raw = pl.Series(values=[body for _, body in bodies], dtype=pl.Binary)
    hits = raw.cast(pl.String, strict=False).str.contains(pattern).fill_null(value=False)
    return [bodies[i][0] for i in hits.arg_true()]


def unmatched(bodies: list[tuple[int, bytes]]) -> list[int]:
    """The numbers of the pages whose body :data:`GRAMMAR` does not match (one polars call)."""
    if not bodies:
        return []
    raw = pl.Series(values=[body for _, body in bodies], dtype=pl.Binary)
    hits = raw.cast(pl.String, strict=False).str.contains(GRAMMAR).fill_null(value=False)
    return [bodies[i][0] for i in (~hits).arg_true()]


def _string_leaves(
    scope: pl.LazyFrame, dtype: pl.Struct, parent: pl.Expr | None = None
) -> Iterator[tuple[pl.LazyFrame, str, pl.Expr]]:
    """(frame, key, values) for every string field: a list of objects (``attachments``)
    becomes a frame of its own, one row per element, so each leaf is one flat column.

    Left out: the 0/1 flags, timestamps and ``seen_by``, whose own checks reject a number
    or boolean where it does not belong, and ``reply_by``, which is searched.
    """
    for field in dtype.fields:
        name, inner = field.name, instance(field.dtype)
        if (parent is None and name in FLAGS) or name == "timestamp":
            continue
        expr = pl.col(name) if parent is None else parent.struct.field(name)
        if isinstance(inner, pl.String):
            yield scope, name, expr
        elif isinstance(inner, pl.Struct):
            yield from _string_leaves(scope, inner, expr)
        elif isinstance(inner, pl.List):
            element = instance(inner.inner)
            if isinstance(element, pl.Struct):
                rows = (
                    scope.select(pl.col(PAGE), expr.alias(name))
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


def _reads_as_number(values: pl.Expr) -> pl.Expr:
    """Where a value reads like a JSON number or boolean (the regex runs on the few values
    a comparison lets through: ``true``, ``false``, and those from ``-`` to ``9``)."""
    maybe = (
        values.is_between(pl.lit("-"), pl.lit(":"), closed="left")
        | (values == "true")
        | (values == "false")
    )
    return maybe & values.str.contains(_NUMBER_TEXT)


def reading_as_numbers(items: pl.DataFrame, fields: Iterable[str]) -> set[int]:
    """The pages (``PAGE`` of ``items``) where one of the string ``fields`` of a message reads
    like a JSON number or boolean: ``read_json`` writes either as its text, so only the page
    body says which it was.

    >>> items = pl.DataFrame({PAGE: [1, 2], "text": ["12", "hi"]})
    >>> reading_as_numbers(items, ["text"])
    {1}
    """
    found = [_reads_as_number(pl.col(name)) for name in fields if name in items.columns]
    if not found:
        return set()
    pages = items.select(pl.col(PAGE).filter(pl.any_horizontal(found)).unique())
    return set(pages.get_column(PAGE).to_list())


def _suspect_pages(
    bodies: Mapping[int, bytes], items: pl.DataFrame, item: pl.Struct, searched: list[int]
) -> list[int]:
    """Pages that may hold a value of the wrong JSON type (a superset, in page order).

    ``searched``: the pages the search of every body (:data:`COERCED`) flagged.
    """
    suspects = set(searched)
    scopes: dict[int, tuple[pl.LazyFrame, list[tuple[str, pl.Expr]]]] = {}
    for scope, key, values in _string_leaves(items.lazy(), item):
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
    pages = pl.concat([row.select(PAGE) for row in rows]).unique().collect().get_column(PAGE)
    keys = {key for _, leaves in flagged for key, _ in leaves}
    pattern = rf'(?:{_keys(keys)})"{_WS}:{_WS}[-0-9tf]'
    candidates = sorted(set(pages.to_list()) - suspects)
    for batch in batches((number, bodies[number]) for number in candidates):
        suspects.update(search(batch, pattern))
    return sorted(suspects)


def _suspects(
    bodies: Mapping[int, bytes], items: pl.DataFrame, schema: pl.Schema, flagged: list[int]
) -> list[int]:
    """The pages, among those :data:`GRAMMAR` did not match, that may hold a wrong type."""
    if not flagged:
        return []
    searched = [
        n for batch in batches((n, bodies[n]) for n in flagged) for n in search(batch, COERCED)
    ]
    on_flagged = items.filter(pl.col(PAGE).is_in(flagged))
    return _suspect_pages(bodies, on_flagged, item_dtype(schema), searched)


def first_wire_problem(
    bodies: Mapping[int, bytes], items: pl.DataFrame, schema: pl.Schema, flagged: list[int]
) -> InvalidResponseError | None:
    """The first value of the wrong JSON type on the ``flagged`` pages, as the error to raise.

    ``bodies``: page number -> body; ``items``: every page's items with a ``PAGE`` column.
    """
    item = item_dtype(schema)
    for number in _suspects(bodies, items, schema, flagged):
        found = find_problem(number, bodies[number], item)
        if found is not None:
            return found
    return None


def wire_problems(
    bodies: Mapping[int, bytes], items: pl.DataFrame, schema: pl.Schema, flagged: list[int]
) -> dict[int, list[Problem]]:
    """Every message's first value of the wrong JSON type on the ``flagged`` pages:
    page number -> its problems (for ``on_invalid="quarantine"``). Raises for what is wrong
    with a page itself (:func:`~postpress_frames.tables.locate.find_problems`)."""
    item = item_dtype(schema)
    found = {
        n: find_problems(n, bodies[n], item) for n in _suspects(bodies, items, schema, flagged)
    }
    return {n: problems for n, problems in found.items() if problems}
