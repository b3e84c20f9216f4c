"""What :class:`~postpress_frames.testing.FakePostpress` reads and writes on the wire: the
route, the query (limit, cursor, before/after, sender_id), cursors, page bodies and the JSON
error envelope, including the answers of faults that replace the normal response.

Choices where the spec page is silent, so clients and tests know what to expect:

* Checks run in this order: ``X-API-KEY`` (401), route (404), query (400), chat (404).
* A scripted fault answers a ``GET`` of the messages route before any check; ``delay``,
  ``truncated`` and ``repeat_cursor`` wrap the normal answer instead of replacing it.
  Queued faults (``fail_next``) go before page faults (``fail_page``).
* Bad query parameters get a 400 envelope of type ``errors/invalid_parameters`` naming the
  parameter: ``limit`` outside 1..250 or not digits, a timestamp not exactly
  ``YYYY-MM-DDTHH:MM:SS.mmmZ`` or not a real date, an empty or unknown cursor, an empty
  ``sender_id``, or a parameter given twice. Unknown parameters are ignored.
* The cursor is base64url (unpadded) of ``{"skip": offset}``, an offset into the filtered
  newest-first list *at request time*: messages arriving between pages shift later pages.
* ``after >= before`` is not an error: the page is simply empty.
* Any other path or method gets a 404 ``errors/resource_not_found`` envelope; an empty chat
  id gets 404 ``errors/invalid_resource_identifier``.
* Messages are served in the order the server holds them (newest first for demo data and
  for everything ``add_messages`` adds); messages without a parseable ``timestamp`` are
  excluded by ``before``/``after`` but served otherwise.

>>> decode_cursor(encode_cursor(100)), route("/api/v1/chats/chat%2Fx/messages")
(100, 'chat/x')
>>> parse_query([("limit", "50"), ("cursor", encode_cursor(100))]).page
3
>>> envelope(EnvelopeError(404, "errors/resource_not_found"), "req_000001").body
b'{"title":"Not Found","detail":"The requested resource was not found.",...,"status":404}'
"""

from __future__ import annotations

import base64
import binascii
import collections
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import unquote

from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError
from postpress_frames.testing.faults import ERROR_TYPES, Fault, reason_phrase

__all__ = [
    "API_PREFIX",
    "DEFAULT_LIMIT",
    "ENCODER",
    "MAX_LIMIT",
    "Answer",
    "EnvelopeError",
    "Query",
    "RecordedRequest",
    "decode_cursor",
    "encode_cursor",
    "envelope",
    "fault_answer",
    "page_body",
    "parse_query",
    "route",
    "timestamp_ms",
]

DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 250
API_PREFIX: Final = ("api", "v1")
ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_TIMESTAMP: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_DIGITS: Final = re.compile(r"[0-9]{1,9}")
_CURSOR: Final = re.compile(r"[A-Za-z0-9_-]+")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND: Final = timedelta(milliseconds=1)


# -- cursors and timestamps -------------------------------------------------------------------


def encode_cursor(skip: int) -> str:
    """The opaque cursor of offset ``skip``, like the spec page's example.

    >>> encode_cursor(100)
    'eyJza2lwIjoxMDB9'
    """
    if isinstance(skip, bool) or not isinstance(skip, int):
        raise ArgumentTypeError("skip", "an integer", skip)
    if skip < 0:
        raise ConfigurationError(f"skip must be at least 0, got {skip}")
    raw = json.dumps({"skip": skip}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> int:
    """The offset inside a cursor made by :func:`encode_cursor`.

    Anything else is a :class:`~postpress_frames.ConfigurationError` (a ``ValueError``).

    >>> decode_cursor("eyJza2lwIjoxMDB9")
    100
    """
    if not isinstance(cursor, str):
        raise ArgumentTypeError("cursor", "a string", cursor)
    if not _CURSOR.fullmatch(cursor):
        raise ConfigurationError("not base64url")
    try:
        body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ConfigurationError("not a cursor of this API") from exc
    skip = body.get("skip") if isinstance(body, dict) else None
    if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
        raise ConfigurationError("not a cursor of this API")
    return skip


def timestamp_ms(value: object) -> int | None:
    """Milliseconds of an ISO 8601 timestamp with a zone (None when it is not one)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return (moment - _EPOCH) // _MILLISECOND  # exact integer arithmetic, floored


# -- requests ---------------------------------------------------------------------------------


def route(path: str) -> str | None:
    """The chat id of ``/api/v1/chats/{chat_id}/messages`` (percent-decoded), else None."""
    segments = path.split("/")
    if (
        len(segments) == 6
        and segments[0] == ""
        and tuple(segments[1:3]) == API_PREFIX
        and segments[3] == "chats"
        and segments[5] == "messages"
    ):
        return unquote(segments[4], errors="surrogateescape")
    return None


class EnvelopeError(Exception):
    """A normal (non-fault) error answer: status and error type of the envelope."""

    def __init__(self, status: int, type_: str, detail: str | None = None) -> None:
        super().__init__(type_)
        self.status = status
        self.type = type_
        known = ERROR_TYPES.get(type_)
        self.title = known.title if known else reason_phrase(status)
        self.detail = detail if detail is not None else (known.detail if known else None)


def _bad_parameter(detail: str) -> EnvelopeError:
    return EnvelopeError(400, "errors/invalid_parameters", detail)


@dataclass(frozen=True, slots=True)
class Query:
    """The checked query of a messages request; ``skip`` is the cursor's offset."""

    limit: int
    skip: int
    after: int | None
    before: int | None
    sender_id: str | None
    cursor: str | None

    @property
    def page(self) -> int:
        return self.skip // self.limit + 1


def parse_query(pairs: list[tuple[str, str]]) -> Query:
    """The query of ``pairs``, or the 400 :class:`EnvelopeError` naming the bad parameter."""
    counts = collections.Counter(name for name, _ in pairs)
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        raise _bad_parameter(f"parameter {repeated[0]!r} is given more than once")
    query = dict(pairs)
    limit = DEFAULT_LIMIT
    if "limit" in query:
        text = query["limit"]
        if not _DIGITS.fullmatch(text) or not 1 <= int(text) <= MAX_LIMIT:
            raise _bad_parameter(
                f"limit must be an integer between 1 and {MAX_LIMIT}, got {text[:40]!r}"
            )
        limit = int(text)
    skip = 0
    cursor = query.get("cursor")
    if cursor is not None:
        try:
            skip = decode_cursor(cursor)
        except ValueError as exc:
            raise _bad_parameter(f"cursor {cursor[:40]!r} is invalid: {exc}") from None
    bounds: dict[str, int | None] = {}
    for name in ("after", "before"):
        value = query.get(name)
        bounds[name] = None if value is None else _parse_bound(name, value)
    sender_id = query.get("sender_id")
    if sender_id == "":
        raise _bad_parameter("sender_id must not be empty")
    return Query(limit, skip, bounds["after"], bounds["before"], sender_id, cursor)


def _parse_bound(name: str, text: str) -> int:
    problem = f"{name} must be an ISO 8601 UTC datetime like 2026-05-17T09:42:11.000Z"
    if not _TIMESTAMP.fullmatch(text):
        raise _bad_parameter(f"{problem}, got {text[:40]!r}")
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise _bad_parameter(f"{problem}, got {text!r}, which is not a real date") from None
    return (moment - _EPOCH) // _MILLISECOND


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the server received, and the status it answered (None: dropped).

    ``headers`` holds the request headers as sent (the ``X-API-KEY`` value included, so
    tests can check it was sent); it is left out of ``repr`` so it never gets printed.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str] = field(repr=False)
    status: int | None
    fault: str | None = None

    def header(self, name: str) -> str | None:
        """A request header by case-insensitive name.

        >>> RecordedRequest("GET", "/", {}, {"Accept": "*/*"}, 200).header("accept")
        '*/*'
        """
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


# -- answers ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Answer:
    """What to send back: ``status`` None drops the connection; ``truncate`` sends half."""

    status: int | None  # None: drop the connection
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    truncate: bool = False


def page_body(items: list[bytes], cursor: str | None) -> bytes:
    """A ``MessageList`` body of already serialised ``items``."""
    return b"".join(
        (
            b'{"object":"MessageList","items":[',
            b",".join(items),
            b'],"cursor":',
            b"null" if cursor is None else f'"{cursor}"'.encode(),
            b"}",
        )
    )


def envelope(error: EnvelopeError, instance: str) -> Answer:
    """The JSON error envelope of ``error``, with request id ``instance``."""
    body: dict[str, Any] = {"title": error.title}
    if error.detail is not None:
        body["detail"] = error.detail
    body.update(instance=instance, type=error.type, status=error.status)
    return Answer(error.status, ENCODER.encode(body).encode())


def fault_answer(fault: Fault, instance: str) -> Answer | None:
    """The answer of a fault that replaces the normal response (None: it does not)."""
    if fault.kind == "error":
        error = EnvelopeError(fault.status, fault.error_type or "errors/unexpected_error")
        error.title = fault.title or error.title
        error.detail = fault.detail
        answer = envelope(error, instance)
        answer.headers = fault.headers
        return answer
    if fault.kind in ("raw", "not_json", "redirect"):
        return Answer(fault.status, fault.body, fault.content_type, fault.headers)
    if fault.kind == "empty":
        return Answer(200)
    if fault.kind == "drop":
        return Answer(None)
    return None
