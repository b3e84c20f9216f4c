"""Every error postpress-frames raises, in one tree.

Catch :class:`PostpressError` to handle all of them::

    PostpressError
     ├── ConfigurationError (also a ValueError)
     │    │  no API key, bad base URL, plain http to a non-loopback host,
     │    │  bad parameters (page_size, chat_id, sender_id, after/before,
     │    │  naive datetimes, after >= before)
     │    └── ArgumentTypeError (also a TypeError)
     │           an argument of the wrong type; names the argument and what was given
     ├── InvalidResponseError
     │    │  a body that is not what the spec promises; names page, field,
     │    │  message_id and chat_id when known
     │    └── CursorLoopError
     │           the API returned a cursor it had already returned
     ├── TransportError
     │      connection refused or dropped, read timeout, once retries ran out
     │      (the requests exception is chained as __cause__)
     ├── APIError
     │    │  an HTTP error answer: status, type, title, detail, instance
     │    ├── BadRequestError (400)
     │    ├── AuthenticationError (401)
     │    ├── PermissionDeniedError (403)
     │    ├── NotFoundError (404)
     │    ├── RateLimitError (429)
     │    └── ServerError (500 and other 5xx)
     │         ├── ServiceUnavailableError (503)
     │         └── GatewayTimeoutError (504)
     ├── SchemaValidationError
     │      a table failed its pandera schema; lists table, column, check, message ids
     └── StorageError
          │  a file or folder that cannot be read or written as asked: names the path
          │  (a corrupt or foreign file, a table not of the schema, a target that is not ours)
          └── MissingInputError (also a FileNotFoundError)
                 an input that is not there: a missing folder or dataset root, a folder
                 without manifest.json, a chat the dataset does not hold

Errors never receive the API key, so ``str(error)`` and ``repr(error)`` cannot leak it.

Example::

    try:
        pages = list(client.iter_pages("chat_x"))
    except NotFoundError as error:
        print(error)  # 404 errors/resource_not_found: The requested ... (chat_id='chat_x', page 1)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

__all__ = [
    "APIError",
    "ArgumentTypeError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "CursorLoopError",
    "GatewayTimeoutError",
    "InvalidResponseError",
    "MissingInputError",
    "NotFoundError",
    "PermissionDeniedError",
    "PostpressError",
    "RateLimitError",
    "SchemaFailure",
    "SchemaValidationError",
    "ServerError",
    "ServiceUnavailableError",
    "StorageError",
    "TransportError",
    "body_excerpt",
    "describe_json",
    "status_reason",
]

EXCERPT_LIMIT = 200


def body_excerpt(body: bytes | str, limit: int = EXCERPT_LIMIT) -> str:
    """Return at most ``limit`` characters of ``body``, whitespace collapsed.

    >>> body_excerpt(b"<html>\\n  <h1>Bad   Gateway</h1>\\n</html>")
    '<html> <h1>Bad Gateway</h1> </html>'
    """
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def describe_json(value: object) -> str:
    """A parsed JSON value as an error message shows it: as JSON, with its JSON type.

    >>> describe_json(True), describe_json("yes"), describe_json(1.5)
    ('true (a JSON boolean)', '"yes" (a string)', '1.5 (a number)')
    >>> describe_json(None), describe_json({"a": 1}), describe_json([1])
    ('null', 'an object', 'an array')
    """
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    text = body_excerpt(json.dumps(value, ensure_ascii=False), 60)
    if isinstance(value, bool):
        return f"{text} (a JSON boolean)"
    if isinstance(value, str):
        return f"{text} (a string)"
    if isinstance(value, int | float):
        return f"{text} (a number)"
    return type(value).__name__


def _context(chat_id: str | None, page: int | None, attempts: int | None = None) -> str:
    parts = []
    if chat_id is not None:
        parts.append(f"chat_id={chat_id!r}")
    if page is not None:
        parts.append(f"page {page}")
    if attempts is not None and attempts > 1:
        parts.append(f"after {attempts} attempts")
    return f" ({', '.join(parts)})" if parts else ""


def status_reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"


class PostpressError(Exception):
    """Base class of every error raised by postpress-frames."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors break the default pickling of exceptions; restore the
        # attributes directly so errors survive multiprocessing and concurrent.futures.
        return (_restore_error, (type(self), self.args, self.__dict__.copy()))


def _restore_error(
    cls: type[PostpressError], args: tuple[Any, ...], state: dict[str, Any]
) -> PostpressError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ConfigurationError(PostpressError, ValueError):
    """A setting or parameter is wrong; raised before any request is sent.

    It is also a ``ValueError``, so code that already catches bad values keeps working.

    >>> isinstance(ConfigurationError("page_size must be between 1 and 250, got 0"), ValueError)
    True
    """


class ArgumentTypeError(ConfigurationError, TypeError):
    """An argument of the wrong type: names the argument, what it takes and what was given.

    >>> error = ArgumentTypeError("root", "a path (str or os.PathLike)", 123)
    >>> print(error)
    root must be a path (str or os.PathLike), got int 123
    >>> isinstance(error, TypeError) and isinstance(error, ValueError)
    True
    """

    def __init__(self, argument: str, expected: str, given: object) -> None:
        self.argument = argument
        self.expected = expected
        shown = body_excerpt(repr(given), 60)
        super().__init__(f"{argument} must be {expected}, got {type(given).__name__} {shown}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_error, (type(self), self.args, self.__dict__.copy()))


class StorageError(PostpressError):
    """A file or folder that cannot be read or written as asked; ``path`` names it.

    >>> print(StorageError("not a Parquet file (truncated?)", path="out/chat/messages.parquet"))
    out/chat/messages.parquet: not a Parquet file (truncated?)
    """

    def __init__(self, problem: str, *, path: object = None) -> None:
        self.problem = problem
        self.path = None if path is None else str(path)
        super().__init__(problem if self.path is None else f"{self.path}: {problem}")


class MissingInputError(StorageError, FileNotFoundError):
    """An input that is not there: a missing path, a folder without ``manifest.json``, a
    chat the dataset does not hold. ``path`` names where it was looked for.

    It is also a ``FileNotFoundError``, so code that caught the one ``read_parquet`` raised
    before keeps working; the CLI reports it as a usage error (exit code 2).

    >>> error = MissingInputError("does not exist", path="out/chat")
    >>> print(error)
    out/chat: does not exist
    >>> isinstance(error, FileNotFoundError), isinstance(error, StorageError)
    (True, True)
    """


class InvalidResponseError(PostpressError):
    """A response body is not what the API spec promises.

    ``page``, ``field``, ``message_id`` and ``chat_id`` locate the problem (any may be None).
    ``unparsable`` is True when the body was not JSON at all (empty, truncated, HTML):
    such bodies are retried, a well-formed body with a wrong shape is not.
    """

    def __init__(
        self,
        problem: str,
        *,
        page: int | None = None,
        field: str | None = None,
        message_id: str | None = None,
        chat_id: str | None = None,
        unparsable: bool = False,
        attempts: int | None = None,
    ) -> None:
        self.problem = problem
        self.page = page
        self.field = field
        self.message_id = message_id
        self.chat_id = chat_id
        self.unparsable = unparsable
        self.attempts = attempts
        super().__init__(problem)

    def __str__(self) -> str:
        where = []
        if self.page is not None:
            where.append(f"page {self.page}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        if self.message_id is not None:
            where.append(f"message id {self.message_id!r}")
        if self.chat_id is not None:
            where.append(f"chat_id={self.chat_id!r}")
        if self.attempts is not None and self.attempts > 1:
            where.append(f"after {self.attempts} attempts")
        prefix = "invalid response"
        if where:
            prefix += f" ({', '.join(where)})"
        return f"{prefix}: {self.problem}"


class CursorLoopError(InvalidResponseError):
    """The API returned a cursor it had already returned, which would loop forever."""

    def __init__(self, cursor: str, *, page: int, chat_id: str | None = None) -> None:
        self.cursor = cursor
        super().__init__(
            f"cursor {cursor!r} was already returned by an earlier page; "
            "stopping instead of fetching the same pages forever",
            page=page,
            field="cursor",
            chat_id=chat_id,
        )


class TransportError(PostpressError):
    """The request failed below HTTP: connection refused or dropped, read timeout.

    Raised once retries ran out; ``attempts`` says how many were made and the
    original ``requests`` exception is chained as ``__cause__``.
    """

    def __init__(
        self,
        problem: str,
        *,
        chat_id: str | None = None,
        page: int | None = None,
        attempts: int | None = None,
    ) -> None:
        self.problem = problem
        self.chat_id = chat_id
        self.page = page
        self.attempts = attempts
        super().__init__(problem)

    def __str__(self) -> str:
        return f"{self.problem}{_context(self.chat_id, self.page, self.attempts)}"


class APIError(PostpressError):
    """The API answered with an HTTP error.

    Attributes follow the spec's error envelope: ``status`` (HTTP status), ``type``
    (e.g. ``errors/expired_credentials``; None when the body was not the envelope),
    ``title``, ``detail``, ``instance`` (request id for support). ``retry_after`` is the
    server's ``Retry-After`` in seconds when it sent one. ``chat_id``, ``page`` and
    ``attempts`` say which request failed and how many tries were made.
    """

    def __init__(
        self,
        status: int,
        *,
        type: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        instance: str | None = None,
        chat_id: str | None = None,
        page: int | None = None,
        attempts: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.instance = instance
        self.chat_id = chat_id
        self.page = page
        self.attempts = attempts
        self.retry_after = retry_after
        super().__init__(status, type, title, detail)

    def __str__(self) -> str:
        label = self.type or status_reason(self.status)
        text = self.detail or self.title or ""
        head = f"{self.status} {label}" + (f": {text}" if text else "")
        if self.instance:
            head += f" [instance {self.instance}]"
        return head + _context(self.chat_id, self.page, self.attempts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, type={self.type!r}, "
            f"title={self.title!r}, detail={self.detail!r}, instance={self.instance!r}, "
            f"chat_id={self.chat_id!r}, page={self.page!r}, attempts={self.attempts!r})"
        )


class BadRequestError(APIError):
    """400: the API rejected the parameters."""


class AuthenticationError(APIError):
    """401: credentials are missing, expired or invalid."""


class PermissionDeniedError(APIError):
    """403: authenticated, but the account or key may not do this."""


class NotFoundError(APIError):
    """404: no chat with this id is visible to the API key."""


class RateLimitError(APIError):
    """429: too many requests; ``retry_after`` holds the server's wait in seconds."""


class ServerError(APIError):
    """500 and any other 5xx: a failure on the server or upstream provider side."""


class ServiceUnavailableError(ServerError):
    """503: postpress is temporarily unable to handle the request."""


class GatewayTimeoutError(ServerError):
    """504: the upstream provider did not answer in time."""


@dataclass(frozen=True, slots=True)
class SchemaFailure:
    """One failed check: which table and column, which check, and the offending message ids."""

    table: str
    column: str | None
    check: str
    message_ids: Sequence[str] = field(default_factory=tuple)

    def describe(self, max_ids: int = 5) -> str:
        """One line for humans, listing at most ``max_ids`` message ids."""
        where = f"column {self.column!r}" if self.column else "table"
        line = f"{self.table}: {where} failed {self.check}"
        ids = list(self.message_ids)
        if ids:
            shown = ", ".join(repr(i) for i in ids[:max_ids])
            more = f" and {len(ids) - max_ids} more" if len(ids) > max_ids else ""
            line += f" (message ids {shown}{more})"
        return line


class SchemaValidationError(PostpressError):
    """A table does not match its pandera schema.

    ``failures`` lists each failed check with its column and offending message ids.

    >>> failure = SchemaFailure("messages", "timestamp", "not_nullable", ["msg_1"])
    >>> print(SchemaValidationError("messages", [failure]))
    table 'messages' failed schema validation (1 failure):
      - messages: column 'timestamp' failed not_nullable (message ids 'msg_1')
    """

    def __init__(self, table: str, failures: Sequence[SchemaFailure]) -> None:
        self.table = table
        self.failures = list(failures)
        super().__init__(table, self.failures)

    def __str__(self) -> str:
        count = len(self.failures)
        noun = "failure" if count == 1 else "failures"
        lines = [f"table {self.table!r} failed schema validation ({count} {noun}):"]
        lines += [f"  - {failure.describe()}" for failure in self.failures[:20]]
        if count > 20:
            lines.append(f"  ... and {count - 20} more")
        return "\n".join(lines)
