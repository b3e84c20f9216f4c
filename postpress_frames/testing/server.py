"""``FakePostpress``: the postpress messages endpoint as a real HTTP server on 127.0.0.1.

It serves ``GET {base_url}/chats/{chat_id}/messages`` the way the spec page describes it:
``X-API-KEY`` auth, newest-first pages, opaque offset cursors, ``limit`` 1..250 (default
100), strict ``before``/``after`` timestamps (exclusive), the ``sender_id`` filter and the
JSON error envelope. Faults (:class:`~postpress_frames.testing.faults.Fault`), latency and
messages arriving between two page requests make it misbehave on purpose.

Where the spec page is silent, it behaves as :mod:`~postpress_frames.testing._wire` says.

>>> import requests
>>> with FakePostpress(messages=300) as server:
...     url = f"{server.base_url}/chats/{server.chat_id}/messages"
...     headers = {"X-API-KEY": server.api_key}
...     body = requests.get(url, headers=headers, params={"limit": 50}, timeout=5).json()
>>> len(body["items"]), body["cursor"]
(50, 'eyJza2lwIjo1MH0')
"""

from __future__ import annotations

import hmac
import itertools
import json
import threading
import traceback
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, ClassVar, Final, Self
from urllib.parse import parse_qsl, urlsplit

from postpress_frames._args import as_int, as_str
from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError
from postpress_frames.testing._chats import Chat, Pages
from postpress_frames.testing._script import Script
from postpress_frames.testing._transport import Server
from postpress_frames.testing._wire import (
    API_PREFIX,
    DEFAULT_LIMIT,
    ENCODER,
    MAX_LIMIT,
    Answer,
    EnvelopeError,
    RecordedRequest,
    decode_cursor,
    encode_cursor,
    envelope,
    fault_answer,
    page_body,
    parse_query,
    route,
)
from postpress_frames.testing.demo_chat import (
    DEMO_ACCOUNT_ID,
    DEMO_CHAT_ID,
    demo_chat,
    messages_after,
)
from postpress_frames.testing.faults import Fault

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "FakePostpress",
    "RecordedRequest",
    "decode_cursor",
    "encode_cursor",
]

_JOIN_TIMEOUT: Final = 5.0


class FakePostpress:
    """A fake postpress API on ``127.0.0.1`` (an ephemeral port unless ``port`` is given).

    ``chats`` maps chat ids to their messages (newest first); ``None`` serves one demo chat
    of ``messages`` messages with id :attr:`DEMO_CHAT_ID`. ``latency`` seconds are added to
    every request (settable while running). Use it as a context manager:

    >>> from postpress_frames.api.client import Client
    >>> with FakePostpress({"chat_demo": demo_chat(200)}, latency=0.001) as server:
    ...     server.fail_next(Fault.error(503, "errors/service_unavailable", retry_after=0))
    ...     client = Client(api_key=server.api_key, base_url=server.base_url)
    ...     pages = list(client.iter_pages("chat_demo", page_size=150))
    >>> [len(page.items) for page in pages], [r.status for r in server.requests]
    ([150, 50], [503, 200, 200])

    A bad argument is a :class:`~postpress_frames.ConfigurationError` (a ``ValueError``), or
    an :class:`~postpress_frames.ArgumentTypeError` when its type is wrong.
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
        if chats is not None and not isinstance(chats, Mapping):
            raise ArgumentTypeError("chats", "a mapping of chat ids to messages, or None", chats)
        as_int(messages, "messages", minimum=0)
        self.api_key: str = as_str(api_key, "api_key")
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self._port = as_int(port, "port", minimum=0)
        if self._port > 65535:
            raise ConfigurationError(f"port must be at most 65535, got {port}")
        self._seed = as_int(seed, "seed")
        self._lock = threading.RLock()
        self._chats: dict[str, Chat] = {}
        self._script = Script()
        self._pages = Pages()
        self._request_ids = itertools.count(1)
        self._added = itertools.count(1)
        self._stopping = threading.Event()
        self._httpd: Server | None = None
        self._thread: threading.Thread | None = None
        if chats is None:
            chats = {DEMO_CHAT_ID: demo_chat(messages, seed=seed)}
        for chat_id, chat_messages in chats.items():
            self.add_chat(chat_id, chat_messages)

    @property
    def latency(self) -> float:
        """Seconds added to every request; settable while running."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ArgumentTypeError("latency", "a number of seconds", seconds)
        if not 0 <= seconds < float("inf"):
            raise ConfigurationError(f"latency must be a finite number >= 0, got {seconds!r}")
        self._latency = seconds

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and serve in a background thread; returns ``self``."""
        if self._httpd is not None:
            raise RuntimeError("FakePostpress is already running")
        self._stopping.clear()
        self._httpd = Server(("127.0.0.1", self._port), self._respond)
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

    def _chat(self, chat_id: str | None) -> tuple[str, Chat]:
        chat_id = self.chat_id if chat_id is None else as_str(chat_id, "chat_id")
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
        as_str(chat_id, "chat_id")
        if isinstance(messages, str | bytes | Mapping) or not isinstance(messages, Iterable):
            raise ArgumentTypeError("messages", "a list of message dicts, newest first", messages)
        chat = Chat()
        chat.insert(0, list(messages), chat_id)
        with self._lock:
            old = self._chats.get(chat_id)
            chat.version = old.version + 1 if old else 0
            self._chats[chat_id] = chat

    def add_messages(
        self, chat_id: str, n: int, *, seed: int | None = None
    ) -> list[dict[str, Any]]:
        """``n`` new demo messages, newer than every existing one; returns them newest first."""
        as_int(n, "n", minimum=0)
        if seed is not None:
            as_int(seed, "seed")
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
            return json.loads(ENCODER.encode(new))  # type: ignore[no-any-return]

    def edit_message(self, chat_id: str, message_id: str, **changes: Any) -> dict[str, Any]:
        """Set fields of one message (``edited`` becomes 1 unless given); returns a copy."""
        as_str(message_id, "message_id")
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
                raise ArgumentTypeError("each fault", "a Fault", fault)
        with self._lock:
            self._script.queue(faults)

    def fail_page(self, page: int, fault: Fault, *, times: int = 1) -> None:
        """The request for 1-based page ``page`` (by cursor offset / limit) gets ``fault``.

        Queued faults (:meth:`fail_next`) go first; a page fault is used ``times`` times.
        """
        as_int(page, "page", minimum=1)
        if not isinstance(fault, Fault):
            raise ArgumentTypeError("fault", "a Fault", fault)
        as_int(times, "times", minimum=1)
        with self._lock:
            self._script.pin(page, fault, times=times)

    def arrive_between_pages(self, chat_id: str, n: int, *, after_page: int = 1) -> None:
        """Once page ``after_page`` of ``chat_id`` has been served, ``n`` new messages arrive."""
        as_int(n, "n", minimum=0)
        as_int(after_page, "after_page", minimum=1)
        with self._lock:
            chat_id, _ = self._chat(chat_id)
            self._script.arrive(chat_id, n, after_page=after_page)

    @property
    def pending_faults(self) -> int:
        """How many faults are still waiting (queued and per page), e.g. to check none is left."""
        with self._lock:
            return self._script.pending

    def clear_faults(self) -> None:
        """Forget every queued fault, page fault and pending arrival."""
        with self._lock:
            self._script.clear()

    # -- serving ------------------------------------------------------------------------------

    def _respond(self, method: str, raw_path: str, headers: dict[str, str]) -> Answer:
        split = urlsplit(raw_path)
        pairs = parse_qsl(split.query, keep_blank_values=True)
        with self._lock:
            instance = f"req_{next(self._request_ids):06d}"
        if self.latency > 0:
            self._stopping.wait(self.latency)
        chat_id = route(split.path) if method == "GET" else None
        fault = None
        if chat_id is not None:
            with self._lock:
                fault = self._script.take(pairs)
        try:
            answer = self._answer(fault, chat_id, pairs, headers, instance)
        except Exception as exc:  # a bug in the fake: answer 500 rather than hang the client
            detail = f"FakePostpress failed: {type(exc).__name__}: {exc}"
            answer = envelope(EnvelopeError(500, "errors/unexpected_error", detail), instance)
            traceback.print_exc()
        record = RecordedRequest(
            method, raw_path, dict(pairs), headers, answer.status, fault.kind if fault else None
        )
        with self._lock:
            self.requests.append(record)
        return answer

    def _answer(
        self,
        fault: Fault | None,
        chat_id: str | None,
        pairs: list[tuple[str, str]],
        headers: dict[str, str],
        instance: str,
    ) -> Answer:
        if fault is not None:
            replaced = fault_answer(fault, instance)
            if replaced is not None:
                return replaced
            if fault.kind == "delay":
                self._stopping.wait(fault.seconds)
        truncate = fault is not None and fault.kind == "truncated"
        try:
            self._authenticate(headers)
            if chat_id is None:
                raise EnvelopeError(404, "errors/resource_not_found")
            if not chat_id:
                raise EnvelopeError(404, "errors/invalid_resource_identifier")
            query = parse_query(pairs)
            with self._lock:
                chat = self._chats.get(chat_id)
                if chat is None:
                    raise EnvelopeError(404, "errors/resource_not_found")
                items, next_skip = self._pages.page(chat_id, chat, query)
        except EnvelopeError as error:
            answer = envelope(error, instance)
            answer.truncate = truncate
            return answer
        cursor = None if next_skip is None else encode_cursor(next_skip)
        if fault is not None and fault.kind == "repeat_cursor":
            cursor = query.cursor or encode_cursor(0)
        if not truncate:
            with self._lock:
                for n in self._script.due(chat_id, query.page):
                    self.add_messages(chat_id, n)
        return Answer(200, page_body(items, cursor), truncate=truncate)

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        given = next((v for k, v in headers.items() if k.lower() == "x-api-key"), "")
        if not given:
            raise EnvelopeError(401, "errors/missing_credentials")
        if not hmac.compare_digest(given.encode(), self.api_key.encode()):
            raise EnvelopeError(401, "errors/invalid_credentials")
