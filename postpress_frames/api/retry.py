"""The retry policy: what is retried, how long to wait, and ``Retry-After``; on tenacity.

Retried: HTTP 429, 500, 502, 503 and 504, connection errors and read timeouts
(:class:`TransportError`), and a 200 whose body is empty, truncated or not JSON
(:class:`InvalidResponseError` with ``unparsable``). Everything else fails at once:
400, 401, 403, 404 and other 4xx would fail the same way again.

The wait is exponential with jitter, capped at ``max_backoff``; when the server sends
``Retry-After`` (seconds or an HTTP date) that wait is used instead, bounded by
``retry_after_cap``. When attempts run out the last typed error is raised with its
``attempts`` set.

>>> from postpress_frames._exceptions import ServiceUnavailableError
>>> policy = RetryPolicy(max_attempts=3, initial_backoff=0.0)
>>> calls = []
>>> def flaky():
...     calls.append(1)
...     if len(calls) < 3:
...         raise ServiceUnavailableError(503, type="errors/service_unavailable")
...     return "ok"
>>> policy.call(flaky), len(calls)
('ok', 3)
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TypeVar

import tenacity

from postpress_frames._args import as_int
from postpress_frames._exceptions import (
    APIError,
    ArgumentTypeError,
    ConfigurationError,
    InvalidResponseError,
    PostpressError,
    TransportError,
)

__all__ = ["RETRY_STATUSES", "RateLimitGate", "RetryPolicy", "is_retryable", "parse_retry_after"]

logger = logging.getLogger("postpress_frames")

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Return the wait a ``Retry-After`` header asks for, in seconds, or None.

    Accepts delay-seconds and HTTP dates (RFC 9110); a date in the past means 0.
    Anything unparsable is ignored (None), so the normal backoff applies.

    >>> parse_retry_after("7")
    7.0
    >>> parse_retry_after("Sun, 17 May 2026 09:42:41 GMT", now=1779010931.0)
    30.0
    >>> parse_retry_after("soon") is None
    True
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP dates are always GMT
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def is_retryable(error: BaseException) -> bool:
    """True for failures worth another try: 429/5xx listed above, transport, unparsable 200."""
    if isinstance(error, APIError):
        return error.status in RETRY_STATUSES
    if isinstance(error, TransportError):
        return True
    if isinstance(error, InvalidResponseError):
        return error.unparsable
    return False


def _describe(error: BaseException) -> str:
    if isinstance(error, APIError):
        return f"HTTP {error.status} {error.type or error.title or ''}".rstrip()
    if isinstance(error, TransportError | InvalidResponseError):
        return error.problem
    return type(error).__name__


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry a failed page request.

    ``max_attempts`` counts the first try (``Client(max_retries=5)`` means 6 attempts).
    The n-th wait is ``initial_backoff * 2**(n-1)`` capped at ``max_backoff``, of which
    a random fraction up to ``jitter`` is taken off to spread clients apart. A
    ``Retry-After`` from the server replaces it, capped at ``retry_after_cap``.
    ``sleep`` is injectable for tests.

    >>> RetryPolicy(jitter=0.0).backoff(3)
    2.0
    """

    max_attempts: int = 6
    initial_backoff: float = 0.5
    max_backoff: float = 30.0
    jitter: float = 0.5
    retry_after_cap: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def __post_init__(self) -> None:
        as_int(self.max_attempts, "max_attempts", minimum=1)
        for name in ("initial_backoff", "max_backoff", "retry_after_cap", "jitter"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ArgumentTypeError(name, "a number", value)
            if name == "jitter" and not 0 <= value <= 1:
                raise ConfigurationError(f"jitter must be between 0 and 1, got {value!r}")
            if not (math.isfinite(value) and value >= 0):
                raise ConfigurationError(f"{name} must be a finite number >= 0, got {value!r}")
        if not callable(self.sleep):
            raise ArgumentTypeError("sleep", "a callable taking seconds", self.sleep)

    def backoff(self, attempt: int, *, rand: float | None = None) -> float:
        """The wait after the ``attempt``-th failure (1-based) when no Retry-After applies.

        ``rand`` (0..1) replaces the random draw, for tests.
        """
        exponent = min(max(attempt - 1, 0), 64)  # bounded: 2**64 * anything exceeds any cap
        base = min(self.max_backoff, self.initial_backoff * 2.0**exponent)
        draw = random.random() if rand is None else rand
        return base * (1.0 - self.jitter * draw)

    def wait_for(self, error: BaseException | None, attempt: int) -> float:
        """The wait before the next try, after ``error`` ended try number ``attempt``."""
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after >= 0:
            return min(float(retry_after), self.retry_after_cap)
        return self.backoff(attempt)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        return self.wait_for(error, state.attempt_number)

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        logger.warning(
            "%s%s; retrying in %.2fs (attempt %d of %d failed)",
            _describe(error) if error is not None else "failure",
            _where(error),
            state.upcoming_sleep,
            state.attempt_number,
            self.max_attempts,
        )

    def retrying(self) -> tenacity.Retrying:
        """A fresh tenacity ``Retrying`` implementing this policy (reraises the last error)."""
        return tenacity.Retrying(
            sleep=self.sleep,
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception(is_retryable),
            before_sleep=self._log_retry,
            reraise=True,
        )

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` under this policy; a failure's ``attempts`` says how many tries ran."""
        for attempt in self.retrying():
            with attempt:
                try:
                    return fn()
                except PostpressError as error:
                    if hasattr(error, "attempts"):
                        error.attempts = attempt.retry_state.attempt_number
                    raise
        raise AssertionError("unreachable: tenacity either returns or reraises")  # pragma: no cover


def _where(error: BaseException | None) -> str:
    page = getattr(error, "page", None)
    chat_id = getattr(error, "chat_id", None)
    parts = []
    if chat_id is not None:
        parts.append(f"chat_id={chat_id!r}")
    if page is not None:
        parts.append(f"page {page}")
    return f" ({', '.join(parts)})" if parts else ""


class RateLimitGate:
    """Makes clients that share it back off together: a 429 seen by one pauses them all.

    The client that gets the 429 calls :meth:`pause` with the wait it was asked for; every
    client calls :meth:`wait` before each request, so workers of one ``sync_chats`` run stop
    hammering the API together instead of each finding the limit on its own.

    >>> gate = RateLimitGate()
    >>> gate.pause(0.0); gate.wait()
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        for name, value in (("clock", clock), ("sleep", sleep)):
            if not callable(value):
                raise ArgumentTypeError(name, "a callable", value)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._until = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every sharer's next request for ``seconds`` from now (never shortens a pause)."""
        with self._lock:
            self._until = max(self._until, self._clock() + max(0.0, seconds))

    def remaining(self) -> float:
        """Seconds until requests may go out again (0 when open)."""
        with self._lock:
            return max(0.0, self._until - self._clock())

    def wait(self) -> None:
        """Block until the gate is open."""
        while (left := self.remaining()) > 0:
            logger.info("rate limited: all workers wait %.2fs", left)
            self._sleep(left)
