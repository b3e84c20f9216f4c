"""Locating a bad value precisely: page, message id, field and the value, shown as JSON.

This is the slow path, taken only for a page polars could not read or one the screen
flagged (:mod:`postpress_frames.tables.screen`): the body is parsed again in Python. The
page's shape (an object with an ``items`` array of objects with string ids, a string or
null cursor) is checked by :func:`~postpress_frames.api.body.check_body`, the one home of
that contract; each message is then checked against the wire schema.
:func:`find_problems` lists the first problem of every message instead of raising (for
``on_invalid="quarantine"``), and :func:`item_spans` finds each item's JSON text in the
body, at any nesting depth, so a message set aside keeps its text unchanged.

>>> from postpress_frames.tables.wire import item_dtype, wire_schema
>>> body = b'{"items": [{"id": "m1", "behavior": 1.5}]}'
>>> error = find_problem(2, body, item_dtype(wire_schema()))
>>> error.page, error.field, error.message_id, error.problem
(2, 'behavior', 'm1', 'expected an integer, got 1.5 (a number)')
>>> find_problems(2, b'{"items": [{"id": "m1", "hidden": "yes"}, 7]}', item_dtype(wire_schema()))
[(0, 'm1', 'hidden', 'expected 0, 1, true or false, got "yes" (a string)'), \
(1, None, 'items[1]', 'expected a message object, got 7 (a number)')]
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from postpress_frames._exceptions import InvalidResponseError, body_excerpt, describe_json
from postpress_frames.api.body import check_body, check_page, message_id_of
from postpress_frames.tables.wire import FLAGS, instance

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

__all__ = [
    "FLAG_PROBLEM",
    "Problem",
    "diagnose",
    "find_problem",
    "find_problems",
    "item_spans",
    "json_value",
    "members",
    "parse",
    "problem",
]

_INT64_RANGE: Final = range(-(2**63), 2**63)
#: What a 0/1 flag may be; a JSON string other than "0" or "1" (``"true"``) is not.
FLAG_PROBLEM: Final = "expected 0, 1, true or false"
#: (position on the page, message id or None, field, problem)
Problem = tuple[int, str | None, str, str]


def _flag_problem(value: object) -> str | None:
    if value is None or isinstance(value, bool) or value in ("0", "1"):
        return None
    if isinstance(value, int) and value in (0, 1):
        return None
    return f"{FLAG_PROBLEM}, got {describe_json(value)}"


def problem(
    value: object, dtype: PolarsDataType, path: str, *, scalars: bool = True
) -> tuple[str, str] | None:
    """The first value under ``value`` that ``dtype`` cannot hold, as (path, problem).

    A value of the wrong JSON type is a problem even where ``read_json`` would coerce it
    (a fraction or ``true`` in an integer field, a number in a string field, a scalar in
    an array field). A 0/1 flag is 0, 1, "0", "1", true or false. ``scalars=False`` lets
    any scalar through, for the values of ``seen_by`` (they have their own check).

    >>> from postpress_frames.tables.wire import item_dtype, wire_schema
    >>> problem({"reply_by": "att_1"}, item_dtype(wire_schema()), "")
    ('reply_by', 'expected an array, got "att_1" (a string)')
    """
    if value is None:
        return None
    dtype = instance(dtype)
    if isinstance(dtype, pl.Struct):
        if not isinstance(value, dict):
            return path, f"expected an object, got {describe_json(value)}"
        for field in dtype.fields:
            sub = f"{path}.{field.name}" if path else field.name
            if not path and field.name in FLAGS:
                flag = _flag_problem(value.get(field.name))
                if flag:
                    return sub, flag
                continue
            found = problem(value.get(field.name), field.dtype, sub)
            if found:
                return found
        return None
    if isinstance(dtype, pl.List):
        if not isinstance(value, list):
            return path, f"expected an array, got {describe_json(value)}"
        for i, element in enumerate(value):
            found = problem(element, dtype.inner, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(dtype, pl.Map):
        if not isinstance(value, dict):
            return path, f"expected an object, got {describe_json(value)}"
        for key, element in value.items():
            found = problem(element, dtype.value, f"{path}.{key}", scalars=False)
            if found:
                return found
        return None
    got = describe_json(value)
    if isinstance(value, dict | list):
        return path, f"expected a {_dtype_word(dtype)}, got {got}"
    if isinstance(dtype, pl.Boolean) and not isinstance(value, bool):
        return path, f"expected true or false, got {got}"
    if dtype.is_numeric():
        if isinstance(value, bool) or not isinstance(value, int | float):
            return path, f"expected a number, got {got}"
        if dtype.is_integer():
            if isinstance(value, float) and not value.is_integer():
                return path, f"expected an integer, got {got}"
            if int(value) not in _INT64_RANGE:
                return path, f"expected an integer that fits in 64 bits, got {got}"
        return None
    if scalars and isinstance(dtype, pl.String) and not isinstance(value, str):
        return path, f"expected a string, got {got}"
    return None


def _dtype_word(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Boolean):
        return "boolean"
    return "number" if dtype.is_numeric() else "string"


def _first_key_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as ``read_json`` sees it: of duplicated keys, the first one counts."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        found.setdefault(key, value)
    return found


def parse(number: int, raw: bytes) -> Any:
    """The body as ``read_json`` sees it; an InvalidResponseError when it is not JSON."""
    try:
        return json.loads(raw, object_pairs_hook=_first_key_wins)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidResponseError(
            f"the body is not valid JSON ({exc}): {body_excerpt(raw, 80)!r}",
            page=number,
            unparsable=True,
        ) from None
    except RecursionError:
        raise InvalidResponseError(
            "the body nests arrays or objects too deeply to be read", page=number
        ) from None


def find_problem(number: int, raw: bytes, item: pl.Struct) -> InvalidResponseError | None:
    """The first thing wrong with a page, located; None when nothing is.

    The page's shape first (``check_body``), then each message in order.
    """
    try:
        pairs, _ = check_body(parse(number, raw), page=number)
    except InvalidResponseError as error:
        return error
    for message_id, message in pairs:
        found = problem(message, item, "")
        if found:
            path, text = found
            return InvalidResponseError(text, page=number, field=path, message_id=message_id)
    return None


def find_problems(number: int, raw: bytes, item: pl.Struct) -> list[Problem]:
    """The first problem of every message of a page, in order (none: an empty list).

    Raises :class:`InvalidResponseError` for what is wrong with the page itself (not JSON,
    no ``items`` array, a cursor that is not a string): no message can be set aside then.
    """
    raw_items, _ = check_page(parse(number, raw), page=number)
    found: list[Problem] = []
    for position, message in enumerate(raw_items):
        message_id, field, text = message_id_of(message, position)
        if text is None:
            located = problem(message, item, "")
            if located is None:
                continue
            field, text = located
        assert field is not None
        found.append((position, message_id, field, text))
    return found


def diagnose(
    number: int, raw: bytes, item: pl.Struct, cause: Exception | None
) -> InvalidResponseError:
    """What is wrong with a page polars could not read, located where it can be."""
    found = find_problem(number, raw, item)
    if found is not None:
        return found
    detail = f": {body_excerpt(str(cause), 160)}" if cause else ""
    return InvalidResponseError(f"the page could not be read{detail}", page=number)


def json_value(raw: bytes, position: int, path: Sequence[str]) -> tuple[bool, object]:
    """(found, value): the JSON value at ``path`` in message ``position`` of a page body.

    >>> json_value(b'{"items": [{"seen_by": {"att.2": true}}]}', 0, ["seen_by", "att.2"])
    (True, True)
    """
    try:
        value: Any = json.loads(raw, object_pairs_hook=_first_key_wins)["items"][position]
        for key in path:
            value = value[key]
    except (ValueError, UnicodeDecodeError, RecursionError, LookupError, TypeError):
        return False, None
    return True, value


# -- where each value is in the text: a scan of strings and brackets, at any depth -----------

_TOKEN: Final = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]', re.DOTALL)


def members(text: str, start: int) -> list[tuple[str | None, int, int]]:
    """(key, start, end) of each member of the object or array opening at ``text[start]``:
    its key (None for an array's elements; the first of duplicated keys comes first) and
    where its value's JSON text is. The text is assumed to be valid JSON.

    >>> text = '{"a": [1, {"b": 2}], "c" : "x"}'
    >>> [(key, text[s:e]) for key, s, e in members(text, 0)]
    [('a', '[1, {"b": 2}]'), ('c', '"x"')]
    >>> [text[s:e] for _, s, e in members(text, 6)]
    ['1', '{"b": 2}']
    """
    opening = text[start]
    is_object = opening == "{"
    found: list[tuple[str | None, int, int]] = []
    depth = 0
    key: str | None = None
    value_start = start + 1
    expect_key = is_object
    for token in _TOKEN.finditer(text, start):
        kind = token.group()
        if kind in "[{":
            depth += 1
            if depth == 1:
                continue
        elif kind in "]}":
            depth -= 1
            if depth == 0:
                end = token.start()
                if text[value_start:end].strip():
                    found.append((key, *_strip(text, value_start, end)))
                return found
        if depth != 1:
            continue
        if kind == ",":
            found.append((key, *_strip(text, value_start, token.start())))
            value_start, key, expect_key = token.end(), None, is_object
        elif kind == ":" and is_object:
            value_start = token.end()
        elif expect_key and kind.startswith('"'):
            key, expect_key = json.loads(kind), False
    return found


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\r\n":
        start += 1
    while end > start and text[end - 1] in " \t\r\n":
        end -= 1
    return start, end


def item_spans(raw: bytes) -> list[tuple[int, int]] | None:
    """Where each item of the page's (first) ``items`` array is in ``raw.decode()``, in order;
    None when the body is not an object with an ``items`` array.

    >>> body = b'{"object": "MessageList", "items": [{"id": "m1"}, 7], "cursor": null}'
    >>> [body.decode()[s:e] for s, e in item_spans(body)]
    ['{"id": "m1"}', '7']
    """
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return None
    start = len(text) - len(text.lstrip())
    if not text[start:].startswith("{"):
        return None
    for key, value_start, _ in members(text, start):
        if key == "items":
            if not text.startswith("[", value_start):
                return None
            return [(s, e) for _, s, e in members(text, value_start)]
    return None
