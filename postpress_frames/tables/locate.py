"""Locating a bad value precisely: page, message id, field and the value, shown as JSON.

This is the slow path, taken only for a page polars could not read or one the screen
flagged (:mod:`postpress_frames.tables.screen`): the body is parsed again in Python. The
page's shape (an object with an ``items`` array of objects with string ids, a string or
null cursor) is checked by :func:`~postpress_frames.api.body.check_body`, the one home of
that contract; each message is then checked against the wire schema.

>>> from postpress_frames.tables.wire import item_dtype, wire_schema
>>> body = b'{"items": [{"id": "m1", "behavior": 1.5}]}'
>>> error = find_problem(2, body, item_dtype(wire_schema()))
>>> error.page, error.field, error.message_id, error.problem
(2, 'behavior', 'm1', 'expected an integer, got 1.5 (a number)')
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from postpress_frames._exceptions import InvalidResponseError, body_excerpt, describe_json
from postpress_frames.api.body import check_body
from postpress_frames.tables.wire import FLAGS, instance

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

__all__ = ["diagnose", "find_problem", "json_value", "problem"]

_INT64_RANGE: Final = range(-(2**63), 2**63)


def problem(
    value: object, dtype: PolarsDataType, path: str, *, scalars: bool = True
) -> tuple[str, str] | None:
    """The first value under ``value`` that ``dtype`` cannot hold, as (path, problem).

    A value of the wrong JSON type is a problem even where ``read_json`` would coerce it
    (a fraction or ``true`` in an integer field, a number in a string field, a scalar in
    an array field). ``scalars=False`` lets any scalar through, for the string-read
    fields whose values have their own check (the 0/1 flags, ``seen_by``).

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
            own_check = not path and field.name in FLAGS
            found = problem(value.get(field.name), field.dtype, sub, scalars=not own_check)
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


def _parse(number: int, raw: bytes) -> Any:
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
        pairs, _ = check_body(_parse(number, raw), page=number)
    except InvalidResponseError as error:
        return error
    for message_id, message in pairs:
        found = problem(message, item, "")
        if found:
            path, text = found
            return InvalidResponseError(text, page=number, field=path, message_id=message_id)
    return None


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
