"""``Client``: one keep-alive HTTP session, auth, and the page fetch loop.

Its settings are checked by :mod:`~postpress_frames.api.settings`, a page body is read by
:mod:`~postpress_frames.api.page`, parameters by :mod:`~postpress_frames.api.params`.

>>> from postpress_frames.testing import FakePostpress, demo_chat
>>> with FakePostpress({"chat_demo": demo_chat(200)}) as server:
...     client = Client(api_key=server.api_key, base_url=server.base_url)
...     pages = [(page.number, len(page.items)) for page in client.iter_pages("chat_demo")]
>>> pages
[(1, 200)]
>>> Client(api_key="pp_live_example", base_url="http://127.0.0.1:8000/api/v1")
Client(base_url='http://127.0.0.1:8000/api/v1', api_key='pp_l…***')
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any, NoReturn, Self
from urllib.parse import quote, urlencode, urljoin

import requests

from postpress_frames._args import as_int
from postpress_frames._exceptions import (
    APIError,
    ArgumentTypeError,
    ConfigurationError,
    TransportError,
    body_excerpt,
)
from postpress_frames._version import __version__
from postpress_frames.api.errors import api_error_from_response
from postpress_frames.api.page import Page, read_body
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
from postpress_frames.api.settings import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    Secret,
    check_api_key,
    check_base_url,
    check_timeout,
    origin,
    origin_text,
)

__all__ = ["DEFAULT_BASE_URL", "Client", "Page"]

logger = logging.getLogger("postpress_frames")

MAX_REDIRECTS = 5
USER_AGENT = f"postpress-frames/{__version__}"


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
        self._api_key = Secret(check_api_key(api_key))
        self._base_url = check_base_url(base_url)
        self._origin = origin(self._base_url)
        self._api_prefix = self._base_url + "/"  # what every URL of the API starts with
        self._timeout = check_timeout(timeout)
        self._connect_timeout, self._read_timeout = (
            self._timeout if isinstance(self._timeout, tuple) else (self._timeout, self._timeout)
        )
        attempts = as_int(max_retries, "max_retries", minimum=0) + 1
        if retry is None:
            retry = RetryPolicy(max_attempts=attempts)
        elif not isinstance(retry, RetryPolicy):
            raise ArgumentTypeError("retry", "a RetryPolicy", retry)
        if gate is not None and not isinstance(gate, RateLimitGate):
            raise ArgumentTypeError("gate", "a RateLimitGate", gate)
        if session is not None and not isinstance(session, requests.Session):
            raise ArgumentTypeError("session", "a requests.Session", session)
        self._retry = retry
        self._gate = gate
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self._send_settings: Mapping[str, Any] | None = None
        self._template: requests.PreparedRequest | None = None
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
        self._template = None

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
        seen = SeenIds()  # a set of a million ids would hold ~130 MB; this ~40 MB
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
            yield Page.lazy(number, raw, cursor, keep=keep, total=len(ids), ids=ids)

    def _fetch(
        self, path: str, params: dict[str, str], *, chat_id: str, page: int
    ) -> tuple[bytes, list[str], str | None]:
        """One attempt at one page: the raw body, its message ids and its cursor."""
        url = f"{self._base_url}{path}?{urlencode(params, quote_via=quote, safe=':')}"
        if self._gate is not None:
            self._gate.wait()
        response, raw = self._get_following_same_host_redirects(url, chat_id=chat_id, page=page)
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
        ids, cursor = read_body(raw, chat_id=chat_id, page=page, scrub=self._scrub)
        return raw, ids, cursor

    def _get_following_same_host_redirects(
        self, url: str, *, chat_id: str, page: int
    ) -> tuple[requests.Response, bytes]:
        for _ in range(MAX_REDIRECTS + 1):
            response, body = self._send(url, chat_id=chat_id, page=page)
            if not response.is_redirect:
                return response, body
            target = urljoin(url, response.headers["Location"])
            response.close()
            if origin(target) != self._origin:
                raise APIError(
                    response.status_code,
                    title="Redirect refused",
                    detail=(
                        f"refused to follow a redirect to {origin_text(origin(target))}: "
                        f"the API key is only sent to {origin_text(self._origin)}, "
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
                f"within {origin_text(self._origin)}"
            ),
            chat_id=chat_id,
            page=page,
        )

    def _prepare(self, url: str) -> requests.PreparedRequest:
        """The GET of ``url``, as the session prepares it, with ``url`` sent byte for byte."""
        if self._owns_session and not self._session.cookies and url.startswith(self._api_prefix):
            # Our own session (headers, auth and hooks never change) with no cookie prepares
            # every GET of the API alike but for the URL (netrc credentials go by host): a
            # copy of one prepared GET costs a tenth of preparing one, ~0.3 ms of Python a
            # page. A cookie from the server, or a borrowed session, takes the full way.
            if self._template is None:
                self._template = self._session.prepare_request(self._request(url))
            prepared = self._template.copy()
        else:
            prepared = self._session.prepare_request(self._request(url))
        # requests re-quotes URLs and would turn a %2E%2E chat id back into a ".." path
        # segment; the URL is already fully quoted, so send it byte for byte.
        prepared.url = url
        return prepared

    def _request(self, url: str) -> requests.Request:
        headers = {
            "X-API-KEY": self._api_key.reveal(),
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        return requests.Request("GET", url, headers=headers)

    def _send(self, url: str, *, chat_id: str, page: int) -> tuple[requests.Response, bytes]:
        """One request: the response and its whole body."""
        logger.debug("GET %s", url)
        prepared = self._prepare(url)
        if self._send_settings is None:
            # Proxies and CA bundle from the environment, read once: every request goes to
            # one origin, and reading them per request cost as much as parsing the ids.
            # stream=True: _body reads the body itself, in one piece.
            found = self._session.merge_environment_settings(url, {}, None, None, None)
            self._send_settings = {**found, "stream": True}
        settings = self._send_settings
        where = origin_text(self._origin)
        try:
            response = self._session.send(
                prepared, allow_redirects=False, timeout=self._timeout, **settings
            )
            return response, _body(response)
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


def _body(response: requests.Response) -> bytes:
    """The whole body of a response sent with ``stream=True``, read as requests would read
    it (decoded, its errors raised as requests raises them), but in one read.

    ``response.content`` reads 10 KiB at a time and takes the GIL back after each read;
    with several workers each of those ~40 reads a page waits its turn for the GIL.
    """
    if response.raw is None:  # not a urllib3 response (a custom adapter): requests decides
        return response.content or b""
    return b"".join(response.iter_content(chunk_size=None))
