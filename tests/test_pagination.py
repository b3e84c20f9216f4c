"""Cursor pagination: params per page, end of pages, the repeated-cursor guard."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from postpress_frames._exceptions import CursorLoopError, InvalidResponseError
from postpress_frames.api.client import Client
from postpress_frames.api.pagination import CursorPaginator
from postpress_frames.api.retry import RetryPolicy
from postpress_frames.testing import FakePostpress


def test_first_page_sends_only_the_filters() -> None:
    paginator = CursorPaginator({"limit": "7", "sender_id": "s1"})
    assert paginator.params() == {"limit": "7", "sender_id": "s1"}
    assert paginator.cursor is None
    assert not paginator.done


def test_later_pages_send_the_filters_and_the_last_cursor() -> None:
    paginator = CursorPaginator({"limit": "7"})
    paginator.advance("c1", page=1)
    paginator.advance("c2", page=2)
    assert paginator.params() == {"limit": "7", "cursor": "c2"}


@pytest.mark.parametrize("end", [None, ""])
def test_a_null_or_empty_cursor_ends_the_listing(end: str | None) -> None:
    paginator = CursorPaginator({})
    paginator.advance("c1", page=1)
    paginator.advance(end, page=2)
    assert paginator.done


def test_a_repeated_cursor_raises_instead_of_looping() -> None:
    paginator = CursorPaginator({}, chat_id="chat_x")
    paginator.advance("c1", page=1)
    paginator.advance("c2", page=2)
    with pytest.raises(CursorLoopError) as caught:
        paginator.advance("c1", page=3)
    assert isinstance(caught.value, InvalidResponseError)
    assert (caught.value.cursor, caught.value.page, caught.value.chat_id) == ("c1", 3, "chat_x")


def test_the_same_cursor_twice_in_a_row_is_a_loop() -> None:
    paginator = CursorPaginator({})
    paginator.advance("c1", page=1)
    with pytest.raises(CursorLoopError, match="page 2"):
        paginator.advance("c1", page=2)


# -- done-when: every message exactly once, against a 5,000-message demo chat ------------


@pytest.fixture(scope="module")
def big() -> Iterator[FakePostpress]:
    with FakePostpress(messages=5000, seed=0) as fake:
        yield fake


def moment(message: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(message["timestamp"])


def window(server: FakePostpress, name: str) -> dict[str, Any]:
    """Filters picked from the chat itself, so each one keeps a real subset."""
    messages = server.messages(server.chat_id)  # newest first
    late, early = moment(messages[len(messages) // 4]), moment(messages[3 * len(messages) // 4])
    sender = messages[0]["sender_id"]
    return {
        "none": {},
        "after": {"after": early},
        "before": {"before": late},
        "sender_id": {"sender_id": sender},
        "all": {"after": early, "before": late, "sender_id": sender},
    }[name]


def expected_ids(server: FakePostpress, filters: dict[str, Any]) -> list[str]:
    kept = []
    for message in server.messages(server.chat_id):
        if "after" in filters and not moment(message) > filters["after"]:
            continue
        if "before" in filters and not moment(message) < filters["before"]:
            continue
        if "sender_id" in filters and message["sender_id"] != filters["sender_id"]:
            continue
        kept.append(message["id"])
    return kept


# Page size 1 costs one request per message, so it runs on the smaller filtered windows.
CASES = [(1, "none"), (1, "sender_id"), (1, "all")] + [
    (size, name)
    for size in (7, 100, 250)
    for name in ("none", "after", "before", "sender_id", "all")
]


@pytest.mark.parametrize(("page_size", "filters"), CASES)
def test_every_message_exactly_once(big: FakePostpress, page_size: int, filters: str) -> None:
    chosen = window(big, filters)
    expected = expected_ids(big, chosen)
    assert len(big.messages(big.chat_id)) == 5000
    assert expected  # each filter keeps some messages
    retry = RetryPolicy(max_attempts=2, initial_backoff=0.0)
    with Client(big.api_key, big.base_url, retry=retry) as client:
        pages = list(client.iter_pages(big.chat_id, page_size=page_size, **chosen))
    fetched = [item["id"] for page in pages for item in page.items]
    assert fetched == expected
    assert [page.number for page in pages] == list(range(1, len(pages) + 1))
    assert all(len(page.items) <= page_size for page in pages)
