"""The contract of a page body (the spec page's ``MessageList``), checked in one place.

A body is a JSON object whose ``items`` is an array of message objects, each with a
non-empty string ``id`` (or, where ``id`` is null or absent, ``message_id``), and whose
``cursor`` is a string or null. The client checks every page it receives with it (its fast
path vouches for the common case), and the table builder names a bad page with it.

A body in the shape of another version of the API (``data`` and ``next_cursor`` instead of
``items`` and ``cursor``, ``is_*`` boolean flags: the v2 API) is one clear error naming the
base URL this package expects (:data:`~postpress_frames.api.settings.DEFAULT_BASE_URL`).

>>> check_body({"items": [{"id": "m1"}], "cursor": None}, page=1)
([('m1', {'id': 'm1'})], None)
>>> try:
...     check_body({"items": [{"id": 7}]}, page=3)
... except InvalidResponseError as error:
...     print(error)
invalid response (page 3, field 'items[0].id'): expected a non-empty string, got 7 (a number)
>>> try:
...     check_body({"data": [], "next_cursor": None}, page=1)
... except InvalidResponseError as error:
...     print(error.problem[:62])
the body looks like the v2 API (data/next_cursor instead of it
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from postpress_frames._args import is_text
from postpress_frames._exceptions import InvalidResponseError, describe_json
from postpress_frames.api.settings import DEFAULT_BASE_URL

__all__ = ["V2_KEYS", "check_body", "check_page", "looks_like_v2", "message_id_of"]

#: Page-level keys of the v2 API's lists (``data``, ``next_cursor``, ``total_count``).
V2_KEYS = frozenset({"data", "next_cursor", "total_count"})


def _not_text(value: str) -> str:
    return f"expected Unicode text, got {json.dumps(value)} (it holds a lone surrogate escape)"


def looks_like_v2(body: Any) -> bool:
    """Whether a body without ``items`` is a page of the v2 API (``data``, ``next_cursor``).

    >>> looks_like_v2({"data": [{"is_seen": True}], "next_cursor": "c2"}), looks_like_v2([])
    (True, False)
    """
    return isinstance(body, dict) and "items" not in body and bool(V2_KEYS & body.keys())


def _v2_problem() -> str:
    return (
        "the body looks like the v2 API (data/next_cursor instead of items/cursor, boolean "
        "is_* flags), not the v1 API this package reads: use the base URL "
        f"{DEFAULT_BASE_URL} (POSTPRESS_BASE_URL or Client(base_url=...))"
    )


def message_id_of(item: Any, index: int) -> tuple[str | None, str | None, str | None]:
    """(message id, field, problem) of item ``index``: the id and no problem, or None and
    what is wrong (not an object, no ``id`` nor ``message_id``, not a non-empty string).

    >>> message_id_of({"id": None, "message_id": "m2"}, 0), message_id_of({"id": ""}, 4)[1:]
    (('m2', None, None), ('items[4].id', 'expected a non-empty string, got "" (a string)'))
    """
    if not isinstance(item, dict):
        return None, f"items[{index}]", f"expected a message object, got {describe_json(item)}"
    key = "id" if item.get("id") is not None or "message_id" not in item else "message_id"
    if key not in item:
        return None, f"items[{index}].id", "the message has neither 'id' nor 'message_id'"
    message_id = item[key]
    if not isinstance(message_id, str) or not message_id:
        problem = f"expected a non-empty string, got {describe_json(message_id)}"
        return None, f"items[{index}].{key}", problem
    if not is_text(message_id):  # polars would read it as other text: two ids could merge
        return None, f"items[{index}].{key}", _not_text(message_id)
    return message_id, None, None


def check_page(body: Any, *, page: int, chat_id: str | None = None) -> tuple[list[Any], str | None]:
    """The page-level part of the contract: a JSON object whose ``items`` is an array and
    whose ``cursor`` is a string or null. Returns the raw items and the cursor; the items
    themselves are not checked (:func:`message_id_of` does that, one by one).
    """
    raw_items = _page_items(body, page=page, chat_id=chat_id)
    return raw_items, _cursor(body, page=page, chat_id=chat_id)


def _invalid(problem: str, field: str | None, *, page: int, chat_id: str | None) -> NoReturn:
    raise InvalidResponseError(problem, page=page, field=field, chat_id=chat_id)


def _page_items(body: Any, *, page: int, chat_id: str | None) -> list[Any]:
    def invalid(problem: str, field: str | None) -> NoReturn:
        _invalid(problem, field, page=page, chat_id=chat_id)

    if not isinstance(body, dict):
        invalid(f"expected a JSON object with 'items', got {describe_json(body)}", None)
    if looks_like_v2(body):
        invalid(_v2_problem(), None)
    if "items" not in body:
        invalid("the required field is missing", "items")
    raw_items = body["items"]
    if not isinstance(raw_items, list):
        invalid(f"expected an array, got {describe_json(raw_items)}", "items")
    return raw_items


def _cursor(body: dict[str, Any], *, page: int, chat_id: str | None) -> str | None:
    cursor = body.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        problem = f"expected a string or null, got {describe_json(cursor)}"
        _invalid(problem, "cursor", page=page, chat_id=chat_id)
    if cursor is not None and not is_text(cursor):  # it goes back in the next URL
        _invalid(_not_text(cursor), "cursor", page=page, chat_id=chat_id)
    return cursor or None


def check_body(
    body: Any, *, page: int, chat_id: str | None = None
) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
    """Check a 200 body against the contract; return (id, item) pairs and the cursor.

    Raises :class:`InvalidResponseError` naming the page, the field and the value: the
    page's shape first, then each item's id in order, then the cursor.
    """
    raw_items = _page_items(body, page=page, chat_id=chat_id)
    items: list[tuple[str, dict[str, Any]]] = []
    for index, item in enumerate(raw_items):
        message_id, field, problem = message_id_of(item, index)
        if problem is not None:
            _invalid(problem, field, page=page, chat_id=chat_id)
        assert message_id is not None
        items.append((message_id, item))
    return items, _cursor(body, page=page, chat_id=chat_id)
