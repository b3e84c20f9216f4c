"""Cursor pagination: params per page, end of pages, the repeated-cursor guard."""

from __future__ import annotations

import pytest

from postpress_frames._exceptions import CursorLoopError, InvalidResponseError
from postpress_frames._pagination import CursorPaginator


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
