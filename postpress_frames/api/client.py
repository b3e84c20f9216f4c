"""``Client`` and ``Page``: one keep-alive HTTP session, auth, and the page fetch loop.

>>> from postpress_frames.api.client import Client
>>> with Client(api_key="pp_live_example", base_url="http://127.0.0.1:8000/api/v1") as client:
...     client
Client(base_url='http://127.0.0.1:8000/api/v1', api_key='pp_l…***')

Fetching every message of a chat, one page at a time (needs a server)::

    with Client() as client:  # key from POSTPRESS_API_KEY
        for page in client.iter_pages("chat_01HX", after="2026-01-01T00:00:00Z"):
            print(page.number, len(page.items))
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, Self, overload
from urllib.parse import quote, urlencode, urljoin, urlsplit

import requests

from postpress_frames._exceptions import (
    APIError,
    ConfigurationError,
    InvalidResponseError,
    TransportError,
    api_error_from_response,
    body_excerpt,
)
from postpress_frames._version import __version__
from postpress_frames.api.body import check_body
from postpress_frames.api.pagination import CursorPaginator
from postpress_frames.api.params import (
    TimestampLike,
    check_page_size,
    check_range,
    check_sender_id,
    quote_chat_id,
)
from postpress_frames.api.retry import RateLimitGate, RetryPolicy, parse_retry_after
from postpress_frames.api.seen import SeenIds

__all__ = ["DEFAULT_BASE_URL", "Client", "Page"]

logger = logging.getLogger("postpress_frames")

DEFAULT_BASE_URL = "https://api.postpress.ai/api/v1"
API_KEY_ENV = "POSTPRESS_API_KEY"
BASE_URL_ENV = "POSTPRESS_BASE_URL"
MAX_REDIRECTS = 5
USER_AGENT = f"postpress-frames/{__version__}"

_DEFAULT_PORTS = {"http": 80, "https": 443}

if TYPE_CHECKING:
    import polars as pl


class _Items(Sequence[dict[str, Any]]):
    """A page's new messages, parsed from the body with ``json.loads`` on first use.

    Fetching only needs the ids (read by polars, see :func:`_scan_body`); the dicts are built
    when someone looks at them, so ``fetch_chat`` and ``sync_chat`` never build them.
    ``keep`` lists the positions of the new messages in ``items`` (None: all of them).
    """

    __slots__ = ("_count", "_keep", "_loaded", "_raw")

    def __init__(self, raw: bytes, keep: list[int] | None, count: int) -> None:
        self._raw = raw
        self._keep = keep
        self._count = count
        self._loaded: list[dict[str, Any]] | None = None

    def _load(self) -> list[dict[str, Any]]:
        if self._loaded is None:
            items: list[dict[str, Any]] = json.loads(self._raw)["items"]
            self._loaded = items if self._keep is None else [items[i] for i in self._keep]
        return self._loaded

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self._load()[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._load())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Items | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._load())


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a chat's messages.

    ``number`` is 1-based; ``items`` holds only messages not yielded by an earlier page
    (as parsed dicts, a sequence parsed from ``raw`` on first use); ``cursor`` is the cursor
    the page returned (None on the last); ``raw`` is the response body exactly as received.
    """

    number: int
    items: Sequence[dict[str, Any]]
    cursor: str | None
    raw: bytes = field(repr=False)
    #: Positions in ``raw``'s ``items`` of the messages in ``items`` (None: all of them):
    #: the table builder reads ``raw`` and keeps only these, so a repeat is dropped once.
    new_positions: tuple[int, ...] | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (
            f"Page(number={self.number}, items=<{len(self.items)} messages>, "
            f"cursor={self.cursor!r}, raw=<{len(self.raw)} bytes>)"
        )


class _Secret:
    """Holds the API key; its repr shows at most the first four characters."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        shown = self._value[:4] + "…" if len(self._value) >= 12 else ""
        return f"'{shown}***'"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("the API key cannot be pickled")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        port = -1
    return scheme, host, port


def _origin_text(origin: tuple[str, str, int]) -> str:
    scheme, host, port = origin
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def _check_base_url(base_url: object) -> str:
    if not isinstance(base_url, str) or not base_url.strip():
        raise ConfigurationError(f"base_url must be a non-empty URL string, got {base_url!r}")
    text = base_url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ConfigurationError(
            f"base_url must start with https:// (or http:// for a local server), got {text!r}"
        )
    if not parts.hostname:
        raise ConfigurationError(f"base_url has no host: {text!r}")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError("base_url must not contain credentials; pass api_key instead")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"base_url must not have a query or fragment: {text!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigurationError(f"base_url has an invalid port: {text!r}") from None
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"base_url {text!r} uses plain http to a non-loopback host, which would send the "
            "API key unencrypted; use https (http is allowed only for 127.0.0.0/8, ::1, localhost)"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _check_api_key(api_key: object) -> str:
    if api_key is None:
        raise ConfigurationError(
            f"no API key: pass api_key=... or set the {API_KEY_ENV} environment variable"
        )
    if not isinstance(api_key, str):
        raise ConfigurationError(f"api_key must be a string, got {type(api_key).__name__}")
    key = api_key.strip()
    if not key:
        raise ConfigurationError(
            f"the API key is empty: pass api_key=... or set {API_KEY_ENV} to your key"
        )
    if not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        # Never echo the key itself, not even in this message.
        raise ConfigurationError("the API key contains whitespace, control or non-ASCII characters")
    return key


def _check_timeout(timeout: object) -> float | tuple[float, float]:
    def positive(value: object) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e9

    if positive(timeout):
        return float(timeout)  # type: ignore[arg-type]
    if (
        isinstance(timeout, tuple)
        and len(timeout) == 2
        and positive(timeout[0])
        and positive(timeout[1])
    ):
        return float(timeout[0]), float(timeout[1])
    raise ConfigurationError(
        f"timeout must be a positive number or a (connect, read) pair, got {timeout!r}"
    )


class Client:
    """A postpress API client for listing chat messages.

    ``api_key`` defaults to ``$POSTPRESS_API_KEY`` and ``base_url`` to
    ``$POSTPRESS_BASE_URL``, else ``https://api.postpress.ai/api/v1``. ``timeout`` is
    seconds (or a ``(connect, read)`` pair) per request. ``max_retries`` is how many
    times a transient failure is retried; pass ``retry`` for full control. A
    ``session`` you pass is used as is and not closed by :meth:`close`.

    The key is sent only to the base URL's host (scheme, host and port): redirects
    there are followed by hand, redirects elsewhere are refused with an
    :class:`APIError`. Plain http is refused for non-loopback hosts.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | tuple[float, float] = 30.0,
        max_retries: int = 5,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        gate: RateLimitGate | None = None,
    ) -> None:
        if api_key is None:
            api_key = os.environ.get(API_KEY_ENV) or None
        if base_url is None:
            base_url = os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        self._api_key = _Secret(_check_api_key(api_key))
        self._base_url = _check_base_url(base_url)
        self._origin = _origin(self._base_url)
        self._timeout = _check_timeout(timeout)
        self._connect_timeout, self._read_timeout = (
            self._timeout if isinstance(self._timeout, tuple) else (self._timeout, self._timeout)
        )
        if retry is None:
            if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
                raise ConfigurationError(
                    f"max_retries must be an integer >= 0, got {max_retries!r}"
                )
            retry = RetryPolicy(max_attempts=max_retries + 1)
        elif not isinstance(retry, RetryPolicy):
            raise ConfigurationError(f"retry must be a RetryPolicy, got {type(retry).__name__}")
        self._retry = retry
        self._gate = gate
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self._send_settings: Mapping[str, Any] | None = None
        self._closed = False

    @property
    def base_url(self) -> str:
        """The API root every request goes to, without a trailing slash."""
        return self._base_url

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy in use."""
        return self._retry

    def clone(self, *, gate: RateLimitGate | None = None) -> Client:
        """A new client with the same key, base URL, timeout, retry policy and gate.

        It has its own fresh session (requests sessions are not thread-safe), so give each
        worker thread a clone; pass one shared ``gate`` to make the clones back off together
        on 429. Close it when done.
        """
        return Client(
            self._api_key.reveal(),
            self._base_url,
            timeout=self._timeout,
            retry=self._retry,
            gate=gate or self._gate,
        )

    def __repr__(self) -> str:
        return f"Client(base_url={self._base_url!r}, api_key={self._api_key!r})"

    def __getstate__(self) -> NoReturn:
        raise TypeError("Client objects cannot be pickled: they hold an API key")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection pool (only when the client created the session)."""
        if self._owns_session and not self._closed:
            self._session.close()
        self._closed = True

    def iter_pages(
        self,
        chat_id: str,
        *,
        after: TimestampLike | None = None,
        before: TimestampLike | None = None,
        sender_id: str | None = None,
        page_size: int = 250,
    ) -> Iterator[Page]:
        """Yield the pages of a chat's messages, newest first, until the cursor ends.

        ``after`` and ``before`` (exclusive) take aware datetimes, dates (midnight UTC)
        or ISO 8601 strings; ``sender_id`` keeps one sender; ``page_size`` is 1..250.
        Parameters are checked here, before any request. A message id already yielded
        is never yielded again, even when new messages shift the offset-like cursor.

        >>> client = Client(api_key="pp_live_example")
        >>> client.iter_pages("chat_x", page_size=0)
        Traceback (most recent call last):
        ...
        postpress_frames._exceptions.ConfigurationError: page_size must be between 1 and 250, got 0
        """
        if self._closed:
            raise ConfigurationError("this Client is closed; create a new one")
        path = f"/chats/{quote_chat_id(chat_id)}/messages"
        after_text, before_text = check_range(after, before)
        params = {"limit": str(check_page_size(page_size))}
        if after_text is not None:
            params["after"] = after_text
        if before_text is not None:
            params["before"] = before_text
        checked_sender = check_sender_id(sender_id)
        if checked_sender is not None:
            params["sender_id"] = checked_sender
        return self._pages(chat_id, path, params)

    def _pages(self, chat_id: str, path: str, params: dict[str, str]) -> Iterator[Page]:
        paginator = CursorPaginator(params, chat_id=chat_id)
        seen = SeenIds()  # a set of a million ids would hold ~130 MB; this ~16 MB
        number = 0
        while not paginator.done:
            number += 1
            fetch = functools.partial(
                self._fetch, path, paginator.params(), chat_id=chat_id, page=number
            )
            raw, ids, cursor = self._retry.call(fetch)
            keep = seen.first_seen(ids)
            logger.debug(
                "page %d of chat_id=%r: %d items, %d new, cursor %r",
                number,
                chat_id,
                len(ids),
                len(keep),
                cursor,
            )
            paginator.advance(cursor, page=number)
            new = None if len(keep) == len(ids) else keep
            items = _Items(raw, new, len(keep))
            positions = None if new is None else tuple(new)
            yield Page(number=number, items=items, cursor=cursor, raw=raw, new_positions=positions)

    def _fetch(
        self, path: str, params: dict[str, str], *, chat_id: str, page: int
    ) -> tuple[bytes, list[str], str | None]:
        """One attempt at one page: the raw body, its message ids and its cursor."""
        url = f"{self._base_url}{path}?{urlencode(params, quote_via=quote, safe=':')}"
        if self._gate is not None:
            self._gate.wait()
        response = self._get_following_same_host_redirects(url, chat_id=chat_id, page=page)
        raw = response.content
        if not 200 <= response.status_code < 300:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if response.status_code == 429 and self._gate is not None:
                wait = self._retry.backoff(1) if retry_after is None else retry_after
                self._gate.pause(min(wait, self._retry.retry_after_cap))
            raise api_error_from_response(
                response.status_code,
                self._scrub(raw),
                chat_id=chat_id,
                page=page,
                retry_after=retry_after,
            )
        scanned = _scan_body(raw)
        if scanned is not None:
            return raw, *scanned
        # Anything the fast scan does not vouch for gets the exact check, which raises the
        # precise error (or accepts what the scan was merely unsure about).
        body = self._parse_json(raw, chat_id=chat_id, page=page)
        items, cursor = check_body(body, chat_id=chat_id, page=page)
        return raw, [message_id for message_id, _ in items], cursor

    def _get_following_same_host_redirects(
        self, url: str, *, chat_id: str, page: int
    ) -> requests.Response:
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send(url, chat_id=chat_id, page=page)
            if not response.is_redirect:
                return response
            target = urljoin(url, response.headers["Location"])
            response.close()
            if _origin(target) != self._origin:
                raise APIError(
                    response.status_code,
                    title="Redirect refused",
                    detail=(
                        f"refused to follow a redirect to {_origin_text(_origin(target))}: "
                        f"the API key is only sent to {_origin_text(self._origin)}, "
                        "the host of base_url. Check base_url."
                    ),
                    chat_id=chat_id,
                    page=page,
                )
            logger.debug("following redirect %d to %s", response.status_code, target)
            url = target
        raise APIError(
            response.status_code,
            title="Too many redirects",
            detail=(
                f"stopped after {MAX_REDIRECTS} redirects in a row "
                f"within {_origin_text(self._origin)}"
            ),
            chat_id=chat_id,
            page=page,
        )

    def _send(self, url: str, *, chat_id: str, page: int) -> requests.Response:
        logger.debug("GET %s", url)
        headers = {
            "X-API-KEY": self._api_key.reveal(),
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        prepared = self._session.prepare_request(requests.Request("GET", url, headers=headers))
        # requests re-quotes URLs and would turn a %2E%2E chat id back into a ".." path
        # segment; the URL is already fully quoted, so send it byte for byte.
        prepared.url = url
        if self._send_settings is None:
            # Proxies and CA bundle from the environment, read once: every request goes to
            # one origin, and reading them per request cost as much as parsing the ids.
            self._send_settings = self._session.merge_environment_settings(
                url, {}, None, None, None
            )
        settings = self._send_settings
        where = _origin_text(self._origin)
        try:
            return self._session.send(
                prepared, allow_redirects=False, timeout=self._timeout, **settings
            )
        except requests.ConnectTimeout as exc:
            problem = f"connecting to {where} timed out after {self._connect_timeout}s"
            raise TransportError(problem, chat_id=chat_id, page=page) from exc
        except requests.ReadTimeout as exc:
            problem = f"no response from {where} within the {self._read_timeout}s read timeout"
            raise TransportError(problem, chat_id=chat_id, page=page) from exc
        except requests.exceptions.ChunkedEncodingError as exc:
            problem = f"the response from {where} was cut short: {body_excerpt(str(exc), 160)}"
            raise TransportError(problem, chat_id=chat_id, page=page) from exc
        except requests.ConnectionError as exc:
            problem = f"connection to {where} failed: {body_excerpt(str(exc), 160)}"
            raise TransportError(problem, chat_id=chat_id, page=page) from exc
        except requests.RequestException as exc:
            problem = (
                f"request to {where} failed: {type(exc).__name__}: {body_excerpt(str(exc), 160)}"
            )
            raise TransportError(problem, chat_id=chat_id, page=page) from exc

    def _scrub(self, data: bytes) -> bytes:
        # A misbehaving proxy may echo request headers into an error page.
        return data.replace(self._api_key.reveal().encode("ascii"), b"***")

    def _parse_json(self, raw: bytes, *, chat_id: str, page: int) -> Any:
        if not raw.strip():
            raise InvalidResponseError(
                "the 200 response body is empty", page=page, chat_id=chat_id, unparsable=True
            )
        # The error is raised after the except blocks: the decoder's exception keeps the
        # whole body (``doc``, ``object``), which may echo the key, so it is not chained.
        unparsable = True
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            hint = " (it ends early: truncated?)" if exc.pos >= len(exc.doc.rstrip()) else ""
            problem = (
                f"the 200 response body is not valid JSON{hint}: {exc.msg} at char {exc.pos}; "
                f"it starts with {body_excerpt(self._scrub(raw), 80)!r}"
            )
        except RecursionError:
            problem = "the 200 response body nests arrays or objects too deeply to be read"
            unparsable = False
        except UnicodeDecodeError as exc:
            problem = f"the 200 response body is not UTF-8 text: {exc.reason}"
        raise InvalidResponseError(problem, page=page, chat_id=chat_id, unparsable=unparsable)


# A message id or cursor whose value is not a JSON string or null: polars would read 123 or
# true as the string "123"/"true", so such bodies take the exact check instead.
_NOT_A_STRING = re.compile(rb'"(?:id|message_id|cursor)"\s*:\s*[^"\sn]')


@functools.cache
def _id_schema() -> pl.Schema:
    """What the fast path reads of a page (built on first use: polars loads lazily)."""
    import polars as pl

    ids = pl.Struct({"id": pl.String(), "message_id": pl.String()})
    fields: dict[str, pl.DataType] = {"items": pl.List(ids), "cursor": pl.String()}
    return pl.Schema(fields)


def _scan_body(raw: bytes) -> tuple[list[str], str | None] | None:
    """The fast path of :func:`_validate_body`: the message ids and the cursor of a valid
    body, read by polars without building a Python object per message (json.loads of every
    page held the GIL for most of a fetch). None when the body needs the exact check: not a
    JSON object, not parseable, ``items`` missing or not a list of objects, an id missing,
    empty or not a string, a cursor not a string.
    """
    import polars as pl

    if raw.lstrip()[:1] != b"{" or _NOT_A_STRING.search(raw):
        return None
    try:
        body = pl.read_json(raw, schema=_id_schema())
    except Exception:  # any parse problem: the exact check explains it
        return None
    if body.height != 1:
        return None
    (items,) = body.get_column("items").to_list()  # small dicts of two strings: cheap
    if items is None:
        return None
    ids: list[str] = []
    for item in items:
        if item is None:
            return None
        message_id = item["id"] if item["id"] is not None else item["message_id"]
        if not message_id:
            return None
        ids.append(message_id)
    cursor = body.get_column("cursor")[0]
    return ids, cursor or None
