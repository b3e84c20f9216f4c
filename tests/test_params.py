"""Parameter checking and formatting: chat id quoting, timestamps, ranges, page size, sender."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postpress_frames._exceptions import ConfigurationError
from postpress_frames.api.params import (
    check_page_size,
    check_range,
    check_sender_id,
    format_timestamp,
    quote_chat_id,
)

# -- chat id quoting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chat_id", "quoted"),
    [
        ("chat_01HXYZ4QK3WJ8FN3M6QH7TZ8GR", "chat_01HXYZ4QK3WJ8FN3M6QH7TZ8GR"),
        ("a/b", "a%2Fb"),
        ("../../admin", "..%2F..%2Fadmin"),
        ("x?limit=1", "x%3Flimit%3D1"),
        ("x#frag", "x%23frag"),
        ("100%", "100%25"),
        ("%2F", "%252F"),
        ("with space", "with%20space"),
        ("a\r\nX-Injected: 1", "a%0D%0AX-Injected%3A%201"),
        ("é💬", "%C3%A9%F0%9F%92%AC"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("...", "..."),
    ],
)
def test_quote_chat_id_keeps_hostile_ids_in_one_segment(chat_id: str, quoted: str) -> None:
    assert quote_chat_id(chat_id) == quoted


@given(st.text(min_size=1))
def test_quote_chat_id_never_produces_a_separator_or_dot_segment(chat_id: str) -> None:
    try:
        quoted = quote_chat_id(chat_id)
    except ConfigurationError:  # lone surrogates cannot be encoded
        return
    assert not set(quoted) & set("/?#\r\n \x00")
    assert quoted not in (".", "..")


@pytest.mark.parametrize("bad", ["", None, 42, b"chat"])
def test_quote_chat_id_rejects_empty_and_non_strings(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="chat_id"):
        quote_chat_id(bad)


# -- timestamps --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 5, 17, 9, 42, 11, tzinfo=UTC), "2026-05-17T09:42:11.000Z"),
        (datetime(2026, 5, 17, 9, 42, 11, 123456, tzinfo=UTC), "2026-05-17T09:42:11.123Z"),
        (datetime(2026, 5, 17, 9, 42, 11, 999999, tzinfo=UTC), "2026-05-17T09:42:11.999Z"),
        (
            datetime(2026, 5, 17, 11, 42, 11, 5000, tzinfo=timezone(timedelta(hours=2))),
            "2026-05-17T09:42:11.005Z",
        ),
        (
            datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            "2025-12-31T19:00:00.000Z",
        ),
        (date(2026, 5, 17), "2026-05-17T00:00:00.000Z"),
        ("2026-05-17", "2026-05-17T00:00:00.000Z"),
        ("2026-05-17T09:42:11Z", "2026-05-17T09:42:11.000Z"),
        ("2026-05-17T09:42:11.000Z", "2026-05-17T09:42:11.000Z"),
        ("2026-05-17T09:42:11.1239Z", "2026-05-17T09:42:11.123Z"),
        ("2026-05-17T04:42:11.5-05:00", "2026-05-17T09:42:11.500Z"),
        ("2026-05-17 09:42:11+00:00", "2026-05-17T09:42:11.000Z"),
    ],
)
def test_format_timestamp_gives_utc_milliseconds_z(value: object, expected: str) -> None:
    assert format_timestamp(value, name="after") == expected


def test_format_timestamp_truncates_and_never_rounds() -> None:
    almost_next_second = datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert format_timestamp(almost_next_second, name="after") == "2026-12-31T23:59:59.999Z"


def test_format_timestamp_round_up_moves_only_sub_millisecond_values() -> None:
    exact = datetime(2026, 5, 17, 9, 42, 11, 123000, tzinfo=UTC)
    inexact = datetime(2026, 12, 31, 23, 59, 59, 999001, tzinfo=UTC)
    assert format_timestamp(exact, name="before", round_up=True) == "2026-05-17T09:42:11.123Z"
    assert format_timestamp(inexact, name="before", round_up=True) == "2027-01-01T00:00:00.000Z"


@given(st.datetimes(timezones=st.timezones(), min_value=datetime(1970, 1, 2)))
def test_format_timestamp_is_at_most_one_millisecond_early(moment: datetime) -> None:
    text = format_timestamp(moment, name="after")
    parsed = datetime.fromisoformat(text)
    assert timedelta(0) <= moment.astimezone(UTC) - parsed < timedelta(milliseconds=1)
    assert len(text) == 24
    assert text.endswith("Z")


@pytest.mark.parametrize(
    "naive", [datetime(2026, 5, 17, 9, 42), "2026-05-17T09:42:11", "2026-05-17 09:42"]
)
def test_naive_timestamps_are_refused_naming_the_parameter(naive: object) -> None:
    with pytest.raises(ConfigurationError, match=r"before=.*has no timezone"):
        format_timestamp(naive, name="before")


@pytest.mark.parametrize("bad", ["yesterday", "", "2026-13-01T00:00:00Z", 1715939000, 3.5])
def test_unparsable_timestamps_are_refused_naming_the_parameter(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="after"):
        format_timestamp(bad, name="after")


# -- after / before ----------------------------------------------------------------------


def test_check_range_formats_both_bounds() -> None:
    assert check_range("2026-01-01T00:00:00Z", date(2026, 2, 1)) == (
        "2026-01-01T00:00:00.000Z",
        "2026-02-01T00:00:00.000Z",
    )
    assert check_range(None, None) == (None, None)
    assert check_range(date(2026, 1, 1), None) == ("2026-01-01T00:00:00.000Z", None)


def test_check_range_never_narrows_the_window() -> None:
    after = datetime(2026, 1, 1, 0, 0, 0, 500, tzinfo=UTC)
    before = datetime(2026, 1, 1, 0, 0, 0, 900, tzinfo=UTC)
    # After truncation and before rounding up, a message stamped .000 is still excluded
    # (it is not after 00:00:00.0005) and one at .001 is still excluded (not before .0009).
    assert check_range(after, before) == ("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.001Z")


@pytest.mark.parametrize(
    ("after", "before"),
    [
        ("2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z"),
        ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
        ("2026-01-01T01:00:00+01:00", "2026-01-01T00:00:00Z"),
        (date(2026, 1, 2), date(2026, 1, 1)),
    ],
)
def test_after_not_before_before_is_refused(after: object, before: object) -> None:
    with pytest.raises(ConfigurationError, match="after must be earlier than before"):
        check_range(after, before)


def test_check_range_names_a_naive_bound() -> None:
    with pytest.raises(ConfigurationError, match="before="):
        check_range("2026-01-01T00:00:00Z", datetime(2026, 2, 1))


# -- page size and sender ----------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 7, 100, 250])
def test_page_size_in_range_is_accepted(size: int) -> None:
    assert check_page_size(size) == size


@pytest.mark.parametrize("size", [0, -1, 251, 10_000])
def test_page_size_out_of_range_is_refused(size: int) -> None:
    with pytest.raises(ConfigurationError, match=r"page_size must be between 1 and 250"):
        check_page_size(size)


@pytest.mark.parametrize("size", [True, 2.0, "10", None])
def test_page_size_must_be_an_integer(size: object) -> None:
    with pytest.raises(ConfigurationError, match="page_size must be an integer"):
        check_page_size(size)


def test_sender_id_accepts_none_and_strings() -> None:
    assert check_sender_id(None) is None
    assert check_sender_id("ACoAACr-1eYBl") == "ACoAACr-1eYBl"


@pytest.mark.parametrize("bad", ["", "   ", "a\rb", "a\nb", "a\x00b", 7])
def test_sender_id_refuses_empty_control_characters_and_non_strings(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="sender_id"):
        check_sender_id(bad)


def test_configuration_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="page_size"):
        check_page_size(0)
