"""Retry policy: what is retried, backoff with jitter and cap, Retry-After, attempts."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import requests

from postpress_frames._exceptions import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    TransportError,
)
from postpress_frames.api.client import Client
from postpress_frames.api.errors import api_error_from_response
from postpress_frames.api.retry import RetryPolicy, is_retryable, parse_retry_after
from postpress_frames.testing import FakePostpress, Fault

NOW = datetime(2026, 5, 17, 9, 42, 11, tzinfo=UTC).timestamp()


class Recorder:
    """A fake clock: records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Script:
    """A callable raising ``errors`` in turn, then returning ``result``; counts its calls."""

    def __init__(self, *errors: Exception, result: str = "ok") -> None:
        self.remaining = list(errors)
        self.result = result
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.remaining:
            raise self.remaining.pop(0)
        return self.result


# -- Retry-After parsing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("0", 0.0), ("7", 7.0), (" 120 ", 120.0), ("1.5", 1.5)],
)
def test_retry_after_in_seconds(header: str, seconds: float) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


def test_retry_after_as_http_date() -> None:
    later = datetime(2026, 5, 17, 9, 42, 41, tzinfo=UTC)
    assert parse_retry_after(format_datetime(later, usegmt=True), now=NOW) == 30.0


def test_retry_after_http_date_in_the_past_means_no_wait() -> None:
    assert parse_retry_after("Sun, 17 May 2026 09:00:00 GMT", now=NOW) == 0.0


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "nan", "inf", "Sun, 99 Foo 2026"])
def test_unusable_retry_after_is_ignored(header: str | None) -> None:
    assert parse_retry_after(header, now=NOW) is None


# -- wait computation --------------------------------------------------------------------


def test_backoff_is_exponential_and_capped() -> None:
    policy = RetryPolicy(initial_backoff=0.5, max_backoff=5.0, jitter=0.0)
    assert [policy.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert policy.backoff(10_000) == 5.0


def test_jitter_takes_off_at_most_its_fraction() -> None:
    policy = RetryPolicy(initial_backoff=1.0, max_backoff=60.0, jitter=0.5)
    assert policy.backoff(3, rand=0.0) == 4.0
    assert policy.backoff(3, rand=1.0) == 2.0
    for _ in range(200):
        assert 2.0 <= policy.backoff(3) <= 4.0


def test_retry_after_replaces_the_backoff() -> None:
    policy = RetryPolicy(initial_backoff=10.0, jitter=0.0, retry_after_cap=60.0)
    error = RateLimitError(429, type="errors/too_many_requests", retry_after=3.0)
    assert policy.wait_for(error, attempt=4) == 3.0


def test_retry_after_is_bounded_by_the_cap() -> None:
    policy = RetryPolicy(retry_after_cap=20.0)
    error = ServiceUnavailableError(503, retry_after=3600.0)
    assert policy.wait_for(error, attempt=1) == 20.0


def test_retry_after_from_an_http_date_is_bounded_by_the_cap() -> None:
    policy = RetryPolicy(retry_after_cap=20.0)
    seconds = parse_retry_after("Mon, 18 May 2026 09:42:11 GMT", now=NOW)
    assert seconds == 86400.0
    assert policy.wait_for(RateLimitError(429, retry_after=seconds), attempt=1) == 20.0


def test_without_retry_after_the_backoff_applies() -> None:
    policy = RetryPolicy(initial_backoff=1.0, jitter=0.0)
    assert policy.wait_for(ServerError(500), attempt=2) == 2.0
    assert policy.wait_for(TransportError("dropped"), attempt=3) == 4.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"max_attempts": 1.5},
        {"initial_backoff": -1.0},
        {"max_backoff": float("inf")},
        {"retry_after_cap": float("nan")},
        {"jitter": 1.5},
    ],
)
def test_bad_policies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


# -- what is retried ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(status: int) -> None:
    assert is_retryable(api_error_from_response(status, b""))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 410, 422, 501, 505])
def test_other_statuses_are_not_retried(status: int) -> None:
    assert not is_retryable(api_error_from_response(status, b""))


def test_transport_errors_and_unparsable_bodies_are_retried_bad_shapes_are_not() -> None:
    assert is_retryable(TransportError("connection reset"))
    assert is_retryable(InvalidResponseError("truncated", unparsable=True))
    assert not is_retryable(InvalidResponseError("items is not an array", field="items"))
    assert not is_retryable(ConfigurationError("bad"))
    assert not is_retryable(KeyError("bug"))


# -- running the policy ------------------------------------------------------------------


def test_call_retries_until_success_with_the_computed_waits() -> None:
    sleep = Recorder()
    policy = RetryPolicy(max_attempts=5, initial_backoff=1.0, jitter=0.0, sleep=sleep)
    fn = Script(ServerError(500), TransportError("reset"), ServerError(502))
    assert policy.call(fn) == "ok"
    assert fn.calls == 4
    assert sleep.waits == [1.0, 2.0, 4.0]


def test_call_honours_retry_after_through_tenacity() -> None:
    sleep = Recorder()
    policy = RetryPolicy(initial_backoff=1.0, jitter=0.0, retry_after_cap=30.0, sleep=sleep)
    fn = Script(RateLimitError(429, retry_after=12.0), RateLimitError(429, retry_after=99.0))
    assert policy.call(fn) == "ok"
    assert sleep.waits == [12.0, 30.0]


def test_when_attempts_run_out_the_last_typed_error_is_raised_with_attempts() -> None:
    sleep = Recorder()
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.0, sleep=sleep)
    last = api_error_from_response(
        504, b'{"type": "errors/request_timeout", "title": "Timeout"}', chat_id="c", page=2
    )
    fn = Script(ServerError(500), TransportError("reset"), last, result="never")
    with pytest.raises(APIError) as caught:
        policy.call(fn)
    assert caught.value is last
    assert caught.value.attempts == 3
    assert "after 3 attempts" in str(caught.value)
    assert fn.calls == 3
    assert len(sleep.waits) == 2


def test_transport_error_keeps_its_cause_when_attempts_run_out() -> None:
    policy = RetryPolicy(max_attempts=2, initial_backoff=0.0)
    original = ConnectionResetError("peer reset")

    def fn() -> str:
        raise TransportError("connection dropped", chat_id="c", page=1) from original

    with pytest.raises(TransportError) as caught:
        policy.call(fn)
    assert caught.value.attempts == 2
    assert caught.value.__cause__ is original


@pytest.mark.parametrize(
    "error",
    [
        BadRequestError(400),
        AuthenticationError(401),
        PermissionDeniedError(403),
        NotFoundError(404),
        InvalidResponseError("bad shape", field="items"),
    ],
)
def test_permanent_failures_fail_at_once(error: Exception) -> None:
    sleep = Recorder()
    policy = RetryPolicy(max_attempts=5, sleep=sleep)
    fn = Script(error)
    with pytest.raises(type(error)) as caught:
        policy.call(fn)
    assert fn.calls == 1
    assert sleep.waits == []
    assert caught.value.attempts == 1  # type: ignore[attr-defined]


def test_a_policy_of_one_attempt_never_retries() -> None:
    fn = Script(ServerError(500))
    with pytest.raises(ServerError):
        RetryPolicy(max_attempts=1).call(fn)
    assert fn.calls == 1


def test_each_retry_is_logged_with_status_type_attempt_and_wait(
    caplog: pytest.LogCaptureFixture,
) -> None:
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.25, jitter=0.0, sleep=Recorder())
    error = ServiceUnavailableError(503, type="errors/network_down", chat_id="chat_x", page=2)
    with caplog.at_level(logging.INFO, logger="postpress_frames"):
        policy.call(Script(error))
    [record] = caplog.records
    assert record.name == "postpress_frames"
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "HTTP 503 errors/network_down (chat_id='chat_x', page 2); "
        "retrying in 0.25s (attempt 1 of 3 failed)"
    )


# -- over HTTP against FakePostpress -----------------------------------------------------


@pytest.fixture
def server() -> Iterator[FakePostpress]:
    with FakePostpress(messages=12, seed=3) as fake:
        yield fake


def client_for(server: FakePostpress, **policy: Any) -> tuple[Client, Recorder]:
    sleep = Recorder()
    settings: dict[str, Any] = {
        "max_attempts": 3,
        "initial_backoff": 0.0,
        "retry_after_cap": 0.0,
        **policy,
    }
    retry = RetryPolicy(sleep=sleep, **settings)
    return Client(server.api_key, server.base_url, retry=retry, timeout=5.0), sleep


def all_ids(client: Client, chat_id: str, **kwargs: Any) -> list[str]:
    return [item["id"] for page in client.iter_pages(chat_id, **kwargs) for item in page.items]


def expected_ids(server: FakePostpress) -> list[str]:
    return [message["id"] for message in server.messages(server.chat_id)]


@pytest.mark.parametrize(
    ("status", "type_"),
    [
        (429, "errors/too_many_requests"),
        (500, "errors/unexpected_error"),
        (502, "errors/bad_gateway"),
        (503, "errors/service_unavailable"),
        (504, "errors/request_timeout"),
    ],
)
def test_transient_statuses_are_retried_over_http(
    server: FakePostpress, status: int, type_: str
) -> None:
    server.fail_next(Fault.error(status, type_), Fault.error(status, type_))
    client, sleep = client_for(server)
    with client:
        assert all_ids(client, server.chat_id) == expected_ids(server)
    assert len(server.requests) == 3
    assert len(sleep.waits) == 2


def test_retry_after_seconds_from_the_server_is_honoured_and_capped(
    server: FakePostpress,
) -> None:
    server.fail_next(
        Fault.error(429, "errors/too_many_requests", retry_after="2"),
        Fault.error(503, "errors/service_unavailable", retry_after="3600"),
    )
    client, sleep = client_for(server, retry_after_cap=30.0, initial_backoff=9.0, jitter=0.0)
    with client:
        assert all_ids(client, server.chat_id) == expected_ids(server)
    assert sleep.waits == [2.0, 30.0]


def test_retry_after_http_date_from_the_server_is_honoured(server: FakePostpress) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=40), usegmt=True)
    server.fail_next(Fault.error(429, "errors/too_many_requests", retry_after=when))
    client, sleep = client_for(server, retry_after_cap=600.0, initial_backoff=9.0, jitter=0.0)
    with client:
        list(client.iter_pages(server.chat_id))
    [wait] = sleep.waits
    assert 30.0 < wait <= 40.0


def test_attempts_run_out_with_the_last_typed_error(server: FakePostpress) -> None:
    server.fail_next(
        Fault.error(500, "errors/unexpected_error"),
        Fault.error(502, "errors/bad_gateway"),
        Fault.error(503, "errors/network_down", detail="Network is down."),
    )
    client, _ = client_for(server, max_attempts=3)
    with client, pytest.raises(ServiceUnavailableError) as caught:
        list(client.iter_pages(server.chat_id))
    error = caught.value
    assert (error.status, error.type, error.attempts, error.page) == (
        503,
        "errors/network_down",
        3,
        1,
    )
    assert "after 3 attempts" in str(error)
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    ("status", "type_", "cls"),
    [
        (400, "errors/invalid_parameters", BadRequestError),
        (401, "errors/expired_credentials", AuthenticationError),
        (403, "errors/account_restricted", PermissionDeniedError),
        (404, "errors/resource_not_found", NotFoundError),
        (409, "errors/conflict", APIError),
        (422, "errors/unprocessable", APIError),
    ],
)
def test_client_errors_fail_at_once_over_http(
    server: FakePostpress, status: int, type_: str, cls: type[APIError]
) -> None:
    server.fail_next(Fault.error(status, type_))
    client, sleep = client_for(server, max_attempts=5)
    with client, pytest.raises(cls) as caught:
        list(client.iter_pages(server.chat_id))
    assert caught.value.status == status
    assert caught.value.attempts == 1
    assert len(server.requests) == 1
    assert sleep.waits == []


@pytest.mark.parametrize("fault", [Fault.truncated, Fault.not_json, Fault.empty])
def test_an_unreadable_200_is_retried_then_succeeds(server: FakePostpress, fault: Any) -> None:
    server.fail_next(fault())
    client, _ = client_for(server)
    with client:
        assert all_ids(client, server.chat_id) == expected_ids(server)
    assert len(server.requests) == 2


@pytest.mark.parametrize("fault", [Fault.not_json, Fault.empty])
def test_an_unreadable_200_that_persists_is_an_invalid_response(
    server: FakePostpress, fault: Any
) -> None:
    server.fail_next(fault(), fault(), fault())
    client, _ = client_for(server, max_attempts=3)
    with client, pytest.raises(InvalidResponseError) as caught:
        list(client.iter_pages(server.chat_id))
    assert caught.value.unparsable
    assert (caught.value.page, caught.value.attempts) == (1, 3)
    assert len(server.requests) == 3


def test_a_truncated_200_that_persists_is_a_transport_error(server: FakePostpress) -> None:
    server.fail_next(Fault.truncated(), Fault.truncated())
    client, _ = client_for(server, max_attempts=2)
    with client, pytest.raises(TransportError, match="cut short") as caught:
        list(client.iter_pages(server.chat_id))
    assert caught.value.attempts == 2
    assert isinstance(caught.value.__cause__, requests.exceptions.ChunkedEncodingError)


def test_a_dropped_connection_is_retried(server: FakePostpress) -> None:
    server.fail_next(Fault.drop())
    client, _ = client_for(server)
    with client:
        assert all_ids(client, server.chat_id) == expected_ids(server)


def test_dropped_connections_end_in_a_transport_error_with_its_cause(
    server: FakePostpress,
) -> None:
    server.fail_next(Fault.drop(), Fault.drop())
    client, _ = client_for(server, max_attempts=2)
    with client, pytest.raises(TransportError) as caught:
        list(client.iter_pages(server.chat_id))
    assert (caught.value.attempts, caught.value.page, caught.value.chat_id) == (
        2,
        1,
        server.chat_id,
    )
    assert isinstance(caught.value.__cause__, requests.RequestException)


def test_a_read_timeout_is_retried_then_ends_in_a_transport_error(server: FakePostpress) -> None:
    server.fail_next(Fault.delay(1.0), Fault.delay(1.0))
    sleep = Recorder()
    retry = RetryPolicy(max_attempts=2, initial_backoff=0.0, sleep=sleep)
    with (
        Client(server.api_key, server.base_url, retry=retry, timeout=(5.0, 0.2)) as client,
        pytest.raises(TransportError, match=r"within the 0\.2s read timeout") as caught,
    ):
        list(client.iter_pages(server.chat_id))
    assert caught.value.attempts == 2
    assert isinstance(caught.value.__cause__, requests.Timeout)


def test_a_single_read_timeout_is_recovered(server: FakePostpress) -> None:
    server.fail_next(Fault.delay(1.0))
    retry = RetryPolicy(max_attempts=2, initial_backoff=0.0)
    with Client(server.api_key, server.base_url, retry=retry, timeout=(5.0, 0.2)) as client:
        assert all_ids(client, server.chat_id) == expected_ids(server)


def test_a_proxy_html_error_page_is_retried_and_typed(server: FakePostpress) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1>\n<hr>nginx</body></html>"
    server.fail_next(Fault.raw(502, page), Fault.raw(502, page))
    client, _ = client_for(server, max_attempts=2)
    with client, pytest.raises(ServerError) as caught:
        list(client.iter_pages(server.chat_id))
    assert caught.value.status == 502
    assert caught.value.type is None
    assert caught.value.detail == "<html><body><h1>502 Bad Gateway</h1> <hr>nginx</body></html>"


def test_a_failure_on_a_later_page_is_retried_without_refetching_earlier_pages(
    server: FakePostpress,
) -> None:
    server.fail_page(2, Fault.error(503, "errors/no_channel"), times=2)
    client, _ = client_for(server)
    with client:
        assert all_ids(client, server.chat_id, page_size=5) == expected_ids(server)
    assert len(server.requests) == 3 + 2
