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

from typing import Any, NoReturn

from postpress_frames._exceptions import InvalidResponseError, describe_json
from postpress_frames.api.settings import DEFAULT_BASE_URL

__all__ = ["V2_KEYS", "check_body", "looks_like_v2"]

#: Page-level keys of the v2 API's lists (``data``, ``next_cursor``, ``total_count``).
V2_KEYS = frozenset({"data", "next_cursor", "total_count"})


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


def check_body(
    body: Any, *, page: int, chat_id: str | None = None
) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
    """Check a 200 body against the contract; return (id, item) pairs and the cursor.

    Raises :class:`InvalidResponseError` naming the page, the field and the value.
    """

    def invalid(problem: str, field: str | None, message_id: str | None = None) -> NoReturn:
        raise InvalidResponseError(
            problem, page=page, field=field, message_id=message_id, chat_id=chat_id
        )

    if not isinstance(body, dict):
        invalid(f"expected a JSON object with 'items', got {describe_json(body)}", None)
    if looks_like_v2(body):
        invalid(_v2_problem(), None)
    if "items" not in body:
        invalid("the required field is missing", "items")
    raw_items = body["items"]
    if not isinstance(raw_items, list):
        invalid(f"expected an array, got {describe_json(raw_items)}", "items")
    items: list[tuple[str, dict[str, Any]]] = []
    for index, item in enumerate(raw_items):
        if not isinstance(item, dict):
            invalid(f"expected a message object, got {describe_json(item)}", f"items[{index}]")
        key = "id" if item.get("id") is not None or "message_id" not in item else "message_id"
        if key not in item:
            invalid("the message has neither 'id' nor 'message_id'", f"items[{index}].id")
        message_id = item[key]
        if not isinstance(message_id, str) or not message_id:
            invalid(
                f"expected a non-empty string, got {describe_json(message_id)}",
                f"items[{index}].{key}",
            )
        items.append((message_id, item))
    cursor = body.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        invalid(f"expected a string or null, got {describe_json(cursor)}", "cursor")
    return items, cursor or None
