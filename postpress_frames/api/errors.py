"""The one choke point where an HTTP error answer becomes a typed :class:`APIError`.

>>> error = api_error_from_response(503, b"<html>Service Unavailable</html>")
>>> type(error).__name__, error.status
('ServiceUnavailableError', 503)
"""

from __future__ import annotations

import json
from typing import Any

from postpress_frames._exceptions import (
    APIError,
    AuthenticationError,
    BadRequestError,
    GatewayTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    body_excerpt,
    status_reason,
)

__all__ = ["api_error_from_response", "error_class_for_status"]


_CLASS_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
    503: ServiceUnavailableError,
    504: GatewayTimeoutError,
}


def error_class_for_status(status: int) -> type[APIError]:
    """Return the most specific :class:`APIError` subclass for an HTTP status."""
    if status in _CLASS_BY_STATUS:
        return _CLASS_BY_STATUS[status]
    if 500 <= status <= 599:
        return ServerError
    return APIError


def _optional_str(envelope: dict[str, Any], key: str) -> str | None:
    value = envelope.get(key)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def api_error_from_response(
    status: int,
    body: bytes,
    *,
    chat_id: str | None = None,
    page: int | None = None,
    attempts: int | None = None,
    retry_after: float | None = None,
) -> APIError:
    """Build the most specific :class:`APIError` for an error answer.

    The class follows the HTTP status (the envelope's own ``status`` is informational).
    A body that is not the JSON error envelope (an HTML page from a proxy, an empty
    body) still gives an error with the status and a short excerpt as ``detail``.

    >>> body = b'{"status": 404, "type": "errors/resource_not_found", "title": "Not Found"}'
    >>> error = api_error_from_response(404, body, chat_id="chat_x", page=1)
    >>> type(error).__name__, error.type
    ('NotFoundError', 'errors/resource_not_found')
    """
    cls = error_class_for_status(status)
    envelope: Any = None
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        envelope = None
    if isinstance(envelope, dict) and isinstance(envelope.get("type"), str):
        return cls(
            status,
            type=envelope["type"],
            title=_optional_str(envelope, "title"),
            detail=_optional_str(envelope, "detail"),
            instance=_optional_str(envelope, "instance"),
            chat_id=chat_id,
            page=page,
            attempts=attempts,
            retry_after=retry_after,
        )
    excerpt = body_excerpt(body)
    return cls(
        status,
        type=None,
        title=status_reason(status),
        detail=excerpt or None,
        chat_id=chat_id,
        page=page,
        attempts=attempts,
        retry_after=retry_after,
    )
