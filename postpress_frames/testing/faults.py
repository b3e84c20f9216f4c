"""Scripted misbehaviour for :class:`~postpress_frames.testing.FakePostpress`.

A :class:`Fault` answers one request in place of (or on top of) the normal response; queue
them with ``FakePostpress.fail_next`` or pin them to a page with ``FakePostpress.fail_page``.
:data:`ERROR_TYPES` lists every error type of the spec page, so tests can walk them all.
A bad argument is a :class:`~postpress_frames.ConfigurationError` (a ``ValueError``), or an
:class:`~postpress_frames.ArgumentTypeError` when its type is wrong.

>>> Fault.error(503, "errors/service_unavailable", retry_after=2).headers
(('Retry-After', '2'),)
>>> ERROR_TYPES["errors/expired_credentials"].status
401
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from types import MappingProxyType
from typing import Final, Literal, NamedTuple, get_args

from postpress_frames._args import as_str
from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError

__all__ = ["ERROR_TYPES", "ErrorType", "Fault", "FaultKind", "reason_phrase"]

FaultKind = Literal[
    "error",
    "raw",
    "truncated",
    "not_json",
    "empty",
    "drop",
    "delay",
    "repeat_cursor",
    "redirect",
]


class ErrorType(NamedTuple):
    """One documented error type: its HTTP status, envelope ``title`` and ``detail``."""

    status: int
    title: str
    detail: str


def reason_phrase(status: int) -> str:
    """The standard reason phrase of ``status`` (``"Error"`` for an unassigned code).

    >>> reason_phrase(504)
    'Gateway Timeout'
    """
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_SPEC_PAGE: Final[dict[int, tuple[tuple[str, str], ...]]] = {
    401: (
        ("missing_credentials", "Some credentials are necessary to perform the request."),
        (
            "multiple_sessions",
            "LinkedIn limits multiple sessions on certain Recruiter accounts. "
            "Use the cookie connection method.",
        ),
        (
            "invalid_checkpoint_solution",
            "The checkpoint resolution did not pass successfully. Retry.",
        ),
        ("invalid_proxy_credentials", "The provided proxy credentials are invalid."),
        ("checkpoint_error", "The checkpoint does not appear to be resolvable."),
        ("invalid_credentials", "The provided credentials are invalid."),
        ("expired_credentials", "Credentials have expired. Reconnect the account."),
        ("insufficient_privileges", "This resource is out of your API-key scopes."),
        ("disconnected_account", "The account is disconnected from the provider service."),
        ("disconnected_feature", "The service you're trying to reach is disconnected."),
        (
            "invalid_credentials_but_valid_account_imap",
            "IMAP/SMTP credentials are invalid but the account is otherwise valid.",
        ),
        ("expired_link", "This link has expired. Generate a new one."),
        ("wrong_account", "The provided credentials do not match the correct account."),
    ),
    403: (
        ("account_restricted", "The account has been restricted by the provider."),
        ("account_mismatch", "This action cannot be done with your account."),
        (
            "insufficient_permissions",
            "Valid authentication but insufficient permissions to perform the request.",
        ),
        ("session_mismatch", "Token user id does not match client session id."),
        (
            "feature_not_subscribed",
            "The requested feature has not been subscribed or authenticated properly.",
        ),
        ("subscription_required", "A subscription is required to use this feature."),
        ("unknown_authentication_context", "An additional step seems necessary to complete login."),
        ("action_required", "An additional step is required."),
        ("resource_access_restricted", "You don't have access to this resource."),
    ),
    404: (
        ("resource_not_found", "The requested resource was not found."),
        ("invalid_resource_identifier", "The provided identifier is not a valid chat id."),
    ),
    500: (
        ("unexpected_error", "Something went wrong."),
        ("provider_error", "The provider is experiencing operational problems. Retry later."),
        (
            "authentication_intent_error",
            "The current authentication intent was killed after failure.",
        ),
    ),
    503: (
        ("no_client_session", "No client session is currently running."),
        ("no_channel", "No channel to client session."),
        ("no_handler", "Handler missing for that request."),
        ("network_down", "Network is down on the server side. Retry shortly."),
        ("service_unavailable", "Service temporarily unavailable. Retry later."),
    ),
    504: (("request_timeout", "Request timed out. Retry, and contact support if it persists."),),
}

#: Every error type of the spec page -> (status, title, detail). The page gives one
#: sentence per type: it is the ``detail``; the ``title`` is the status's reason phrase.
ERROR_TYPES: Final[Mapping[str, ErrorType]] = MappingProxyType(
    {
        f"errors/{name}": ErrorType(status, reason_phrase(status), detail)
        for status, types in _SPEC_PAGE.items()
        for name, detail in types
    }
)


def _retry_after(value: str | float | None) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (("Retry-After", value),)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentTypeError("retry_after", "seconds or an HTTP date string", value)
    if not math.isfinite(value):
        raise ConfigurationError(f"retry_after must be a finite number of seconds, got {value!r}")
    return (("Retry-After", str(int(value)) if float(value).is_integer() else str(value)),)


def _check_status(status: object) -> int:
    if isinstance(status, bool) or not isinstance(status, int):
        raise ArgumentTypeError("status", "an HTTP status code (an integer)", status)
    if not 100 <= status <= 599:
        raise ConfigurationError(f"status must be an HTTP status code 100..599, got {status!r}")
    return status


def _headers(headers: object) -> tuple[tuple[str, str], ...]:
    if headers is None:
        return ()
    if not isinstance(headers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise ArgumentTypeError("headers", "a mapping of header names to str values", headers)
    return tuple(headers.items())


@dataclass(frozen=True, slots=True)
class Fault:
    """One scripted response; build it with a constructor, not directly.

    ``kind`` says what happens: ``error`` (JSON envelope), ``raw`` (any status and body),
    ``truncated`` (the normal body cut in half under the full ``Content-Length``),
    ``not_json``, ``empty``, ``drop`` (connection closed, no response), ``delay`` (then the
    normal answer), ``repeat_cursor`` (the normal page pointing back at itself) and
    ``redirect``.

    >>> Fault.drop().kind, Fault.delay(0.5).seconds
    ('drop', 0.5)
    """

    kind: FaultKind
    status: int = 200
    error_type: str | None = None
    title: str | None = None
    detail: str | None = None
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str):
            raise ArgumentTypeError("kind", f"one of {get_args(FaultKind)}", self.kind)
        if self.kind not in get_args(FaultKind):
            raise ConfigurationError(
                f"kind must be one of {get_args(FaultKind)}, got {self.kind!r}"
            )
        if isinstance(self.status, bool) or not isinstance(self.status, int):
            raise ArgumentTypeError("status", "an HTTP status code (int)", self.status)
        for name in ("error_type", "title", "detail"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ArgumentTypeError(name, "a string or None", value)
        if not isinstance(self.body, bytes):
            raise ArgumentTypeError("body", "bytes", self.body)
        if not isinstance(self.content_type, str):
            raise ArgumentTypeError("content_type", "a string", self.content_type)
        if not isinstance(self.headers, tuple) or not all(
            isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
            for pair in self.headers
        ):
            raise ArgumentTypeError(
                "headers", "a tuple of (name, value) string pairs", self.headers
            )
        if isinstance(self.seconds, bool) or not isinstance(self.seconds, int | float):
            raise ArgumentTypeError("seconds", "a number of seconds", self.seconds)

    @classmethod
    def error(
        cls,
        status: int,
        type: str,
        *,
        title: str | None = None,
        detail: str | None = None,
        retry_after: str | float | None = None,
    ) -> Fault:
        """A JSON error envelope; ``title``/``detail`` default to the spec page's text.

        ``retry_after`` sets the ``Retry-After`` header: seconds or an HTTP date string.

        >>> Fault.error(401, "errors/expired_credentials").detail
        'Credentials have expired. Reconnect the account.'
        """
        as_str(type, "type")
        as_str(title, "title", allow_none=True)
        as_str(detail, "detail", allow_none=True)
        known = ERROR_TYPES.get(type)
        return cls(
            "error",
            status=_check_status(status),
            error_type=type,
            title=title if title is not None else (known.title if known else reason_phrase(status)),
            detail=detail if detail is not None else (known.detail if known else None),
            headers=_retry_after(retry_after),
        )

    @classmethod
    def raw(
        cls,
        status: int,
        body: bytes,
        *,
        content_type: str = "text/html",
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Any status with any body, e.g. a proxy's HTML error page.

        >>> Fault.raw(502, b"<html>Bad Gateway</html>").content_type
        'text/html'
        """
        if not isinstance(body, bytes):
            raise ArgumentTypeError("body", "bytes", body)
        as_str(content_type, "content_type")
        return cls(
            "raw",
            status=_check_status(status),
            body=body,
            content_type=content_type,
            headers=_headers(headers),
        )

    @classmethod
    def truncated(cls) -> Fault:
        """The normal response's ``Content-Length``, half its body, then the connection closes."""
        return cls("truncated")

    @classmethod
    def not_json(cls) -> Fault:
        """A 200 whose body is an HTML page, not JSON."""
        body = b"<!doctype html><html><body><h1>Maintenance</h1>Back soon.</body></html>"
        return cls("not_json", body=body, content_type="text/html; charset=utf-8")

    @classmethod
    def empty(cls) -> Fault:
        """A 200 with an empty body (``Content-Length: 0``)."""
        return cls("empty")

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without sending any response."""
        return cls("drop")

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait ``seconds``, then answer normally (for client read timeouts)."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ArgumentTypeError("seconds", "a number", seconds)
        if not 0 <= seconds < math.inf:
            raise ConfigurationError(f"seconds must be a finite number >= 0, got {seconds!r}")
        return cls("delay", seconds=float(seconds))

    @classmethod
    def repeat_cursor(cls) -> Fault:
        """Answer normally, but with a ``cursor`` that leads back to this same page.

        With a cursor in the request, the response's cursor is that cursor; on the first
        page (no cursor), it is the cursor of offset 0. A client that follows cursors
        blindly fetches the same page forever.
        """
        return cls("repeat_cursor")

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Fault:
        """A redirect to ``location`` (absolute or relative), with an empty body.

        >>> Fault.redirect("http://elsewhere.example/api").headers
        (('Location', 'http://elsewhere.example/api'),)
        """
        as_str(location, "location")
        if not 300 <= _check_status(status) <= 399:
            raise ConfigurationError(f"a redirect status must be 3xx, got {status}")
        return cls("redirect", status=status, headers=(("Location", location),))
