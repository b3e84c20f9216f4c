"""``FakePostpress``: the postpress messages endpoint as a real HTTP server on 127.0.0.1.

It serves ``GET {base_url}/chats/{chat_id}/messages`` the way the spec page describes it:
``X-API-KEY`` auth, newest-first pages, opaque offset cursors, ``limit`` 1..250 (default
100), strict ``before``/``after`` timestamps (exclusive), the ``sender_id`` filter and the
JSON error envelope. Faults (:class:`~postpress_frames.testing.faults.Fault`), latency and
messages arriving between two page requests make it misbehave on purpose.

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

Example::

    with FakePostpress(messages=300) as server:
        body = requests.get(
            f"{server.base_url}/chats/{server.chat_id}/messages",
            headers={"X-API-KEY": server.api_key},
            params={"limit": 50},
            timeout=5,
        ).json()
        assert len(body["items"]) == 50 and body["cursor"]
"""

from __future__ import annotations

import base64
import binascii
import collections
import contextlib
import hmac
import itertools
import json
import re
import socket
import socketserver
import sys
import threading
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Final, Self
from urllib.parse import parse_qsl, unquote, urlsplit

from postpress_frames.testing.demo_chat import (
    DEMO_ACCOUNT_ID,
    DEMO_CHAT_ID,
    demo_chat,
    messages_after,
)
from postpress_frames.testing.faults import ERROR_TYPES, Fault, reason_phrase

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "FakePostpress",
    "RecordedRequest",
    "decode_cursor",
    "encode_cursor",
]

DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 250
API_PREFIX: Final = ("api", "v1")
_TIMESTAMP: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_DIGITS: Final = re.compile(r"[0-9]{1,9}")
_CURSOR: Final = re.compile(r"[A-Za-z0-9_-]+")
_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND: Final = timedelta(milliseconds=1)
_IDLE_TIMEOUT: Final = 30.0  # seconds a kept-alive connection may stay silent
_JOIN_TIMEOUT: Final = 5.0


# -- cursors and timestamps -------------------------------------------------------------------


def encode_cursor(skip: int) -> str:
    """The opaque cursor of offset ``skip``, like the spec page's example.

    >>> encode_cursor(100)
    'eyJza2lwIjoxMDB9'
    """
    raw = json.dumps({"skip": skip}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> int:
    """The offset inside a cursor made by :func:`encode_cursor`; ``ValueError`` otherwise.

    >>> decode_cursor("eyJza2lwIjoxMDB9")
    100
    """
    if not _CURSOR.fullmatch(cursor):
        raise ValueError("not base64url")
    try:
        body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("not a cursor of this API") from exc
    skip = body.get("skip") if isinstance(body, dict) else None
    if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
        raise ValueError("not a cursor of this API")
    return skip


def _timestamp_ms(value: object) -> int | None:
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


# -- recorded requests ------------------------------------------------------------------------


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


# -- the fake's state -------------------------------------------------------------------------


class _Chat:
    """One chat's messages, newest first, pre-serialised once for fast pages."""

    __slots__ = ("blobs", "ids", "senders", "times", "version")

    def __init__(self) -> None:
        self.blobs: list[bytes] = []
        self.ids: list[object] = []
        self.senders: list[object] = []
        self.times: list[int | None] = []
        self.version = 0

    def insert(self, position: int, messages: list[dict[str, Any]], chat_id: str) -> None:
        self.blobs[position:position] = [_serialise(m, chat_id) for m in messages]
        self.ids[position:position] = [m.get("id", m.get("message_id")) for m in messages]
        self.senders[position:position] = [m.get("sender_id") for m in messages]
        self.times[position:position] = [_timestamp_ms(m.get("timestamp")) for m in messages]
        self.version += 1

    def replace(self, index: int, message: dict[str, Any], chat_id: str) -> None:
        self.blobs[index] = _serialise(message, chat_id)
        self.ids[index] = message.get("id", message.get("message_id"))
        self.senders[index] = message.get("sender_id")
        self.times[index] = _timestamp_ms(message.get("timestamp"))
        self.version += 1

    def copies(self) -> list[dict[str, Any]]:
        if not self.blobs:
            return []
        parsed: list[dict[str, Any]] = json.loads(b"[" + b",".join(self.blobs) + b"]")
        return parsed


def _serialise(message: object, chat_id: str) -> bytes:
    if not isinstance(message, dict):
        raise ValueError(
            f"chat {chat_id!r}: a message must be a dict, got {type(message).__name__}"
        )
    try:
        return _ENCODER.encode(message).encode()
    except (TypeError, ValueError) as exc:
        ident = message.get("id", message.get("message_id"))
        raise ValueError(f"chat {chat_id!r}, message {ident!r}: not JSON data: {exc}") from exc


class _ApiError(Exception):
    """A normal (non-fault) error answer: status and error type of the envelope."""

    def __init__(self, status: int, type_: str, detail: str | None = None) -> None:
        super().__init__(type_)
        self.status = status
        self.type = type_
        known = ERROR_TYPES.get(type_)
        self.title = known.title if known else reason_phrase(status)
        self.detail = detail if detail is not None else (known.detail if known else None)


def _bad_parameter(detail: str) -> _ApiError:
    return _ApiError(400, "errors/invalid_parameters", detail)


@dataclass(frozen=True, slots=True)
class _Query:
    limit: int
    skip: int
    after: int | None
    before: int | None
    sender_id: str | None
    cursor: str | None

    @property
    def page(self) -> int:
        return self.skip // self.limit + 1


def _parse_query(pairs: list[tuple[str, str]]) -> _Query:
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
    return _Query(limit, skip, bounds["after"], bounds["before"], sender_id, cursor)


def _parse_bound(name: str, text: str) -> int:
    problem = f"{name} must be an ISO 8601 UTC datetime like 2026-05-17T09:42:11.000Z"
    if not _TIMESTAMP.fullmatch(text):
        raise _bad_parameter(f"{problem}, got {text[:40]!r}")
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise _bad_parameter(f"{problem}, got {text!r}, which is not a real date") from None
    return (moment - _EPOCH) // _MILLISECOND


@dataclass(slots=True)
class _Answer:
    status: int | None  # None: drop the connection
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    truncate: bool = False


# -- the HTTP layer ---------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, every answer has a Content-Length
    server_version = "FakePostpress"
    sys_version = ""
    timeout = _IDLE_TIMEOUT
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and
        # the client's delayed ACK stall every small response by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self.server.fake._handle(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request log is ``FakePostpress.requests``, and it never prints keys."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], fake: FakePostpress) -> None:
        self.fake = fake
        self.live: dict[threading.Thread, socket.socket] = {}
        self.live_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall without DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name="FakePostpress-connection",
            daemon=True,
        )
        with self.live_lock:
            self.live[thread] = request
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self.live_lock:
                self.live.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away (timeouts, dropped connections): expected here
        traceback.print_exc()

    def close_connections(self) -> list[threading.Thread]:
        with self.live_lock:
            live = list(self.live.items())
        for _, sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return [thread for thread, _ in live]


# -- the fake ---------------------------------------------------------------------------------


class FakePostpress:
    """A fake postpress API on ``127.0.0.1`` (an ephemeral port unless ``port`` is given).

    ``chats`` maps chat ids to their messages (newest first); ``None`` serves one demo chat
    of ``messages`` messages with id :attr:`DEMO_CHAT_ID`. ``latency`` seconds are added to
    every request (settable while running). Use it as a context manager::

        with FakePostpress(messages=1000, latency=0.01) as server:
            server.fail_next(Fault.error(503, "errors/service_unavailable", retry_after=0))
            ...  # point a client at server.base_url with server.api_key
    """

    DEMO_CHAT_ID: ClassVar[str] = DEMO_CHAT_ID

    def __init__(
        self,
        chats: Mapping[str, list[dict[str, Any]]] | None = None,
        *,
        messages: int = 500,
        seed: int = 0,
        api_key: str = "pp_test_fake_key",
        latency: float = 0.0,
        port: int = 0,
    ) -> None:
        if not isinstance(api_key, str) or not api_key:
            raise ValueError("api_key must be a non-empty string")
        self.api_key = api_key
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self._port = port
        self._seed = seed
        self._lock = threading.RLock()
        self._chats: dict[str, _Chat] = {}
        self._faults: collections.deque[Fault] = collections.deque()
        self._page_faults: dict[int, collections.deque[Fault]] = {}
        self._arrivals: list[tuple[str, int, int]] = []
        self._filters: collections.OrderedDict[tuple[Any, ...], list[int]] = (
            collections.OrderedDict()
        )
        self._request_ids = itertools.count(1)
        self._added = itertools.count(1)
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        if chats is None:
            chats = {DEMO_CHAT_ID: demo_chat(messages, seed=seed)}
        for chat_id, chat_messages in chats.items():
            self.add_chat(chat_id, chat_messages)

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and serve in a background thread; returns ``self``."""
        if self._httpd is not None:
            raise RuntimeError("FakePostpress is already running")
        self._stopping.clear()
        self._httpd = _Server(("127.0.0.1", self._port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="FakePostpress",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every open connection and join every thread (idempotent)."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        self._stopping.set()  # wakes up delays and latency
        httpd.shutdown()
        thread.join(_JOIN_TIMEOUT)
        for connection in httpd.close_connections():
            connection.join(_JOIN_TIMEOUT)
        httpd.server_close()
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def port(self) -> int:
        """The bound port (only while running)."""
        if self._httpd is None:
            raise RuntimeError("FakePostpress is not running: call start() or use `with`")
        return self._httpd.server_port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:{port}/api/v1`` (only while running)."""
        return f"http://127.0.0.1:{self.port}/{'/'.join(API_PREFIX)}"

    @property
    def chat_ids(self) -> list[str]:
        """The ids of the chats served, in the order they were added."""
        with self._lock:
            return list(self._chats)

    @property
    def chat_id(self) -> str:
        """The first chat's id."""
        ids = self.chat_ids
        if not ids:
            raise RuntimeError("FakePostpress serves no chat")
        return ids[0]

    def __repr__(self) -> str:
        where = self.base_url if self.running else "not running"
        with self._lock:
            sizes = ", ".join(f"{cid!r}: {len(chat.blobs)}" for cid, chat in self._chats.items())
        return f"FakePostpress({where}, chats={{{sizes}}}, latency={self.latency!r})"

    # -- data ---------------------------------------------------------------------------------

    def _chat(self, chat_id: str | None) -> tuple[str, _Chat]:
        chat_id = self.chat_id if chat_id is None else chat_id
        chat = self._chats.get(chat_id)
        if chat is None:
            raise LookupError(f"FakePostpress has no chat {chat_id!r} (chats: {self.chat_ids})")
        return chat_id, chat

    def messages(self, chat_id: str | None = None) -> list[dict[str, Any]]:
        """The chat's full current list as served, newest first (fresh copies)."""
        with self._lock:
            _, chat = self._chat(chat_id)
            return chat.copies()

    def add_chat(self, chat_id: str, messages: list[dict[str, Any]]) -> None:
        """Serve ``messages`` (newest first, JSON data) as chat ``chat_id``, replacing any."""
        if not isinstance(chat_id, str) or not chat_id:
            raise ValueError(f"chat_id must be a non-empty string, got {chat_id!r}")
        chat = _Chat()
        chat.insert(0, list(messages), chat_id)
        with self._lock:
            old = self._chats.get(chat_id)
            chat.version = old.version + 1 if old else 0
            self._chats[chat_id] = chat

    def add_messages(
        self, chat_id: str, n: int, *, seed: int | None = None
    ) -> list[dict[str, Any]]:
        """``n`` new demo messages, newer than every existing one; returns them newest first."""
        with self._lock:
            chat_id, chat = self._chat(chat_id)
            existing = [json.loads(blob) for blob in chat.blobs[:50]]
            account = next(
                (m["account_id"] for m in existing if isinstance(m.get("account_id"), str)),
                DEMO_ACCOUNT_ID,
            )
            seed = self._seed * 1_000_003 + next(self._added) if seed is None else seed
            new = messages_after(existing, n, seed=seed, chat_id=chat_id, account_id=account)
            chat.insert(0, new, chat_id)
            return json.loads(_ENCODER.encode(new))  # type: ignore[no-any-return]

    def edit_message(self, chat_id: str, message_id: str, **changes: Any) -> dict[str, Any]:
        """Set fields of one message (``edited`` becomes 1 unless given); returns a copy."""
        with self._lock:
            chat_id, chat = self._chat(chat_id)
            try:
                index = chat.ids.index(message_id)
            except ValueError:
                raise LookupError(f"chat {chat_id!r} has no message {message_id!r}") from None
            message: dict[str, Any] = json.loads(chat.blobs[index])
            message.update({"edited": 1, **changes})
            chat.replace(index, message, chat_id)
            return json.loads(chat.blobs[index])  # type: ignore[no-any-return]

    # -- scripted behaviour -------------------------------------------------------------------

    def fail_next(self, *faults: Fault) -> None:
        """Queue faults: each answers one upcoming messages request, in order.

        Called with no fault, it clears the queue.
        """
        for fault in faults:
            if not isinstance(fault, Fault):
                raise TypeError(f"expected Fault objects, got {type(fault).__name__}")
        with self._lock:
            if faults:
                self._faults.extend(faults)
            else:
                self._faults.clear()

    def fail_page(self, page: int, fault: Fault, *, times: int = 1) -> None:
        """The request for 1-based page ``page`` (by cursor offset / limit) gets ``fault``.

        Queued faults (:meth:`fail_next`) go first; a page fault is used ``times`` times.
        """
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            raise ValueError(f"page must be an integer >= 1, got {page!r}")
        if not isinstance(fault, Fault):
            raise TypeError(f"expected a Fault, got {type(fault).__name__}")
        with self._lock:
            self._page_faults.setdefault(page, collections.deque()).extend([fault] * times)

    def arrive_between_pages(self, chat_id: str, n: int, *, after_page: int = 1) -> None:
        """Once page ``after_page`` of ``chat_id`` has been served, ``n`` new messages arrive."""
        with self._lock:
            chat_id, _ = self._chat(chat_id)
            self._arrivals.append((chat_id, n, after_page))

    @property
    def pending_faults(self) -> int:
        """How many faults are still waiting (queued and per page), e.g. to check none is left."""
        with self._lock:
            return len(self._faults) + sum(len(q) for q in self._page_faults.values())

    def clear_faults(self) -> None:
        """Forget every queued fault, page fault and pending arrival."""
        with self._lock:
            self._faults.clear()
            self._page_faults.clear()
            self._arrivals.clear()

    # -- serving ------------------------------------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        method = handler.command
        raw_path = handler.path
        split = urlsplit(raw_path)
        pairs = parse_qsl(split.query, keep_blank_values=True)
        headers = dict(handler.headers.items())
        self._discard_body(handler)
        with self._lock:
            instance = f"req_{next(self._request_ids):06d}"
        if self.latency > 0:
            self._stopping.wait(self.latency)
        chat_id = self._route(split.path) if method == "GET" else None
        fault = self._take_fault(pairs) if chat_id is not None else None
        try:
            answer = self._answer(fault, chat_id, split.path, pairs, headers, instance)
        except Exception as exc:  # a bug in the fake: answer 500 rather than hang the client
            detail = f"FakePostpress failed: {type(exc).__name__}: {exc}"
            answer = _envelope(_ApiError(500, "errors/unexpected_error", detail), instance)
            traceback.print_exc()
        record = RecordedRequest(
            method, raw_path, dict(pairs), headers, answer.status, fault.kind if fault else None
        )
        with self._lock:
            self.requests.append(record)
        self._write(handler, answer, head=method == "HEAD")

    def _answer(
        self,
        fault: Fault | None,
        chat_id: str | None,
        path: str,
        pairs: list[tuple[str, str]],
        headers: dict[str, str],
        instance: str,
    ) -> _Answer:
        if fault is not None:
            replaced = _fault_answer(fault, instance)
            if replaced is not None:
                return replaced
            if fault.kind == "delay":
                self._stopping.wait(fault.seconds)
        try:
            self._authenticate(headers)
            if chat_id is None:
                raise _ApiError(404, "errors/resource_not_found")
            if not chat_id:
                raise _ApiError(404, "errors/invalid_resource_identifier")
            query = _parse_query(pairs)
            items, next_skip = self._page(chat_id, query)
        except _ApiError as error:
            answer = _envelope(error, instance)
            answer.truncate = fault is not None and fault.kind == "truncated"
            return answer
        cursor = None if next_skip is None else encode_cursor(next_skip)
        if fault is not None and fault.kind == "repeat_cursor":
            cursor = query.cursor or encode_cursor(0)
        body = b"".join(
            (
                b'{"object":"MessageList","items":[',
                b",".join(items),
                b'],"cursor":',
                b"null" if cursor is None else f'"{cursor}"'.encode(),
                b"}",
            )
        )
        truncate = fault is not None and fault.kind == "truncated"
        if not truncate:
            self._arrive(chat_id, query.page)
        return _Answer(200, body, truncate=truncate)

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        given = next((v for k, v in headers.items() if k.lower() == "x-api-key"), "")
        if not given:
            raise _ApiError(401, "errors/missing_credentials")
        if not hmac.compare_digest(given.encode(), self.api_key.encode()):
            raise _ApiError(401, "errors/invalid_credentials")

    @staticmethod
    def _route(path: str) -> str | None:
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

    def _page(self, chat_id: str, query: _Query) -> tuple[list[bytes], int | None]:
        with self._lock:
            chat = self._chats.get(chat_id)
            if chat is None:
                raise _ApiError(404, "errors/resource_not_found")
            indexes = self._filtered(chat_id, chat, query)
            chosen = indexes[query.skip : query.skip + query.limit]
            items = [chat.blobs[i] for i in chosen]
            end = query.skip + query.limit
            return items, end if end < len(indexes) else None

    def _filtered(self, chat_id: str, chat: _Chat, query: _Query) -> range | list[int]:
        if query.after is None and query.before is None and query.sender_id is None:
            return range(len(chat.blobs))
        key = (chat_id, chat.version, query.after, query.before, query.sender_id)
        cached = self._filters.get(key)
        if cached is not None:
            self._filters.move_to_end(key)
            return cached
        low = -1 if query.after is None else query.after
        high = None if query.before is None else query.before
        bounded = query.after is not None or query.before is not None
        indexes = [
            i
            for i, (ts, sender) in enumerate(zip(chat.times, chat.senders, strict=True))
            if (query.sender_id is None or sender == query.sender_id)
            and (not bounded or (ts is not None and ts > low and (high is None or ts < high)))
        ]
        self._filters[key] = indexes
        if len(self._filters) > 32:
            self._filters.popitem(last=False)
        return indexes

    def _take_fault(self, pairs: list[tuple[str, str]]) -> Fault | None:
        with self._lock:
            if self._faults:
                return self._faults.popleft()
            if not self._page_faults:
                return None
            try:
                page = _parse_query(pairs).page
            except _ApiError:
                return None
            queued = self._page_faults.get(page)
            if not queued:
                return None
            fault = queued.popleft()
            if not queued:
                del self._page_faults[page]
            return fault

    def _arrive(self, chat_id: str, page: int) -> None:
        with self._lock:
            due = [a for a in self._arrivals if a[0] == chat_id and a[2] == page]
            for arrival in due:
                self._arrivals.remove(arrival)
                self.add_messages(chat_id, arrival[1])

    @staticmethod
    def _discard_body(handler: _Handler) -> None:
        length = handler.headers.get("Content-Length")
        if length and length.isdigit():
            handler.rfile.read(int(length))
        elif handler.headers.get("Transfer-Encoding"):
            handler.close_connection = True  # a chunked body we do not read: do not reuse

    @staticmethod
    def _write(handler: _Handler, answer: _Answer, *, head: bool) -> None:
        if answer.status is None:  # Fault.drop: no response at all
            handler.close_connection = True
            return
        handler.send_response(answer.status)
        handler.send_header("Content-Type", answer.content_type)
        handler.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers:
            handler.send_header(name, value)
        if answer.truncate:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        if head:
            return
        body = answer.body[: len(answer.body) // 2] if answer.truncate else answer.body
        handler.wfile.write(body)


def _envelope(error: _ApiError, instance: str) -> _Answer:
    body: dict[str, Any] = {"title": error.title}
    if error.detail is not None:
        body["detail"] = error.detail
    body.update(instance=instance, type=error.type, status=error.status)
    return _Answer(error.status, _ENCODER.encode(body).encode())


def _fault_answer(fault: Fault, instance: str) -> _Answer | None:
    """The answer of a fault that replaces the normal response (None: it does not)."""
    if fault.kind == "error":
        error = _ApiError(fault.status, fault.error_type or "errors/unexpected_error")
        error.title = fault.title or error.title
        error.detail = fault.detail
        answer = _envelope(error, instance)
        answer.headers = fault.headers
        return answer
    if fault.kind in ("raw", "not_json", "redirect"):
        return _Answer(fault.status, fault.body, fault.content_type, fault.headers)
    if fault.kind == "empty":
        return _Answer(200)
    if fault.kind == "drop":
        return _Answer(None)
    return None
