"""Checking and formatting request parameters, before anything is sent.

Every function raises :class:`~postpress_frames.ConfigurationError` naming the
parameter and the offending value: an :class:`~postpress_frames.ArgumentTypeError` when
its type is wrong. Strings and integers are checked by :mod:`postpress_frames._args`.

>>> quote_chat_id("a/../b?c")
'a%2F..%2Fb%3Fc'
>>> format_timestamp("2026-05-17T11:42:11.123999+02:00", name="after")
'2026-05-17T09:42:11.123Z'
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote

from postpress_frames._args import as_int, as_str, is_text
from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError

__all__ = [
    "MAX_PAGE_SIZE",
    "MIN_PAGE_SIZE",
    "TimestampLike",
    "check_page_size",
    "check_range",
    "check_sender_id",
    "format_timestamp",
    "parse_timestamp",
    "quote_chat_id",
]

MIN_PAGE_SIZE = 1
MAX_PAGE_SIZE = 250

TimestampLike = datetime | date | str

_CONTROL_CHARS = ("\r", "\n", "\x00")


def quote_chat_id(chat_id: object) -> str:
    """Quote ``chat_id`` as exactly one URL path segment.

    Every reserved character is percent-encoded (``/``, ``?``, ``#``, ``%``, spaces,
    CR/LF), so the id can never reach another path or the query. The dot segments
    ``.`` and ``..`` are encoded as ``%2E`` and ``%2E%2E``; the client sends the path
    byte for byte, because ``requests`` would otherwise decode them back into dots.

    >>> quote_chat_id("chat_01HX")
    'chat_01HX'
    >>> quote_chat_id("..")
    '%2E%2E'
    """
    text: str = as_str(chat_id, "chat_id")
    try:
        quoted = quote(text, safe="")
    except UnicodeEncodeError:
        raise ConfigurationError(f"chat_id={text!r} is not valid unicode text") from None
    if quoted in (".", ".."):
        quoted = quoted.replace(".", "%2E")
    return quoted


def parse_timestamp(value: object, *, name: str) -> datetime:
    """Turn ``value`` into a timezone-aware UTC datetime.

    Accepts an aware ``datetime``, a ``date`` (midnight UTC) or an ISO 8601 string with
    ``Z`` or an offset (a bare ``YYYY-MM-DD`` string is a date). Naive datetimes and
    strings without an offset are refused: guessing the zone could skip messages.

    >>> parse_timestamp("2026-05-17", name="after")
    datetime.datetime(2026, 5, 17, 0, 0, tzinfo=datetime.timezone.utc)
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=UTC)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ConfigurationError(f"{name} must not be an empty string")
        if len(text) <= 10 and "T" not in text:
            try:
                return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
            except ValueError:
                pass
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ConfigurationError(
                f"{name}={value!r} is not an ISO 8601 timestamp; "
                "use e.g. '2026-05-17T09:42:11.000Z' or '2026-05-17T11:42:11+02:00'"
            ) from None
    else:
        raise ArgumentTypeError(
            name, "a timezone-aware datetime, a date or an ISO 8601 string", value
        )
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ConfigurationError(
            f"{name}={value!r} has no timezone; pass an aware datetime "
            "(e.g. datetime(..., tzinfo=UTC)) or a string ending in 'Z' or an offset"
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ConfigurationError(
            f"{name}={value!r} is out of range once converted to UTC"
        ) from None


def _ms_z(moment: datetime) -> str:
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
        f".{moment.microsecond // 1000:03d}Z"
    )


def format_timestamp(value: object, *, name: str, round_up: bool = False) -> str:
    """Format ``value`` exactly as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC.

    Sub-millisecond digits are truncated, never rounded to nearest. With ``round_up``
    they move the moment to the next millisecond instead: the client uses that for the
    exclusive ``before`` bound, so a message stamped in the same millisecond but earlier
    than the given moment is not skipped.

    >>> from datetime import datetime, timezone
    >>> format_timestamp(datetime(2026, 5, 17, 9, 42, 11, 999999, tzinfo=timezone.utc), name="x")
    '2026-05-17T09:42:11.999Z'
    >>> format_timestamp("2026-05-17T09:42:11.000001Z", name="before", round_up=True)
    '2026-05-17T09:42:11.001Z'
    """
    moment = parse_timestamp(value, name=name)
    if round_up and moment.microsecond % 1000:
        try:
            moment += timedelta(microseconds=1000 - moment.microsecond % 1000)
        except OverflowError:
            raise ConfigurationError(f"{name}={value!r} is out of range") from None
    return _ms_z(moment)


def check_range(after: object | None, before: object | None) -> tuple[str | None, str | None]:
    """Check ``after < before`` and return both formatted for the query string.

    ``after`` is truncated to the millisecond and ``before`` rounded up to it, so the
    window sent is never narrower than the one asked for.

    >>> check_range("2026-01-01T00:00:00Z", date(2026, 2, 1))
    ('2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z')
    """
    after_text = None if after is None else format_timestamp(after, name="after")
    before_text = None if before is None else format_timestamp(before, name="before", round_up=True)
    if after is not None and before is not None:
        start = parse_timestamp(after, name="after")
        end = parse_timestamp(before, name="before")
        if start >= end:
            raise ConfigurationError(
                f"after must be earlier than before, got after={_ms_z(start)} "
                f"and before={_ms_z(end)}: the range would be empty"
            )
    return after_text, before_text


def check_page_size(page_size: object) -> int:
    """Return ``page_size`` if it is an integer from 1 to 250 (the API's limits).

    >>> check_page_size(100)
    100
    >>> check_page_size("10")
    Traceback (most recent call last):
    ...
    postpress_frames._exceptions.ArgumentTypeError: page_size must be an integer, got str '10'
    """
    size = as_int(page_size, "page_size")
    if not MIN_PAGE_SIZE <= size <= MAX_PAGE_SIZE:
        raise ConfigurationError(
            f"page_size must be between {MIN_PAGE_SIZE} and {MAX_PAGE_SIZE}, got {size}"
        )
    return size


def check_sender_id(sender_id: object | None) -> str | None:
    """Return ``sender_id`` if it is None or a non-empty string without CR, LF or NUL.

    >>> check_sender_id("ACoAACr-1eYBl") is not None
    True
    """
    text: str | None = as_str(sender_id, "sender_id", allow_none=True)
    if text is None:
        return None
    if not text.strip():
        raise ConfigurationError("sender_id must be a non-empty string")
    if any(char in text for char in _CONTROL_CHARS):
        raise ConfigurationError(f"sender_id={text!r} contains CR, LF or NUL")
    if not is_text(text):
        raise ConfigurationError(f"sender_id={text!r} is not valid unicode text")
    return text
