"""Typed errors: every error type of the spec page maps to its class with all fields."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator

import pytest

from postpress_frames._exceptions import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    CursorLoopError,
    GatewayTimeoutError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    PostpressError,
    RateLimitError,
    SchemaFailure,
    SchemaValidationError,
    ServerError,
    ServiceUnavailableError,
    TransportError,
)
from postpress_frames.api.client import Client
from postpress_frames.api.errors import api_error_from_response
from postpress_frames.api.retry import RetryPolicy
from postpress_frames.testing import ERROR_TYPES, FakePostpress, Fault

# Copied from the spec page's errors section (status, type, description).
SPEC_ERROR_TYPES = [
    (401, "errors/missing_credentials", "Some credentials are necessary to perform the request."),
    (
        401,
        "errors/multiple_sessions",
        "LinkedIn limits multiple sessions on certain Recruiter "
        "accounts. Use the cookie connection method.",
    ),
    (
        401,
        "errors/invalid_checkpoint_solution",
        "The checkpoint resolution did not pass successfully. Retry.",
    ),
    (401, "errors/invalid_proxy_credentials", "The provided proxy credentials are invalid."),
    (401, "errors/checkpoint_error", "The checkpoint does not appear to be resolvable."),
    (401, "errors/invalid_credentials", "The provided credentials are invalid."),
    (401, "errors/expired_credentials", "Credentials have expired. Reconnect the account."),
    (401, "errors/insufficient_privileges", "This resource is out of your API-key scopes."),
    (401, "errors/disconnected_account", "The account is disconnected from the provider service."),
    (401, "errors/disconnected_feature", "The service you're trying to reach is disconnected."),
    (
        401,
        "errors/invalid_credentials_but_valid_account_imap",
        "IMAP/SMTP credentials are invalid but the account is otherwise valid.",
    ),
    (401, "errors/expired_link", "This link has expired. Generate a new one."),
    (401, "errors/wrong_account", "The provided credentials do not match the correct account."),
    (403, "errors/account_restricted", "The account has been restricted by the provider."),
    (403, "errors/account_mismatch", "This action cannot be done with your account."),
    (
        403,
        "errors/insufficient_permissions",
        "Valid authentication but insufficient permissions to perform the request.",
    ),
    (403, "errors/session_mismatch", "Token user id does not match client session id."),
    (
        403,
        "errors/feature_not_subscribed",
        "The requested feature has not been subscribed or authenticated properly.",
    ),
    (403, "errors/subscription_required", "A subscription is required to use this feature."),
    (
        403,
        "errors/unknown_authentication_context",
        "An additional step seems necessary to complete login.",
    ),
    (403, "errors/action_required", "An additional step is required."),
    (403, "errors/resource_access_restricted", "You don't have access to this resource."),
    (404, "errors/resource_not_found", "The requested resource was not found."),
    (404, "errors/invalid_resource_identifier", "The provided identifier is not a valid chat id."),
    (500, "errors/unexpected_error", "Something went wrong."),
    (
        500,
        "errors/provider_error",
        "The provider is experiencing operational problems. Retry later.",
    ),
    (
        500,
        "errors/authentication_intent_error",
        "The current authentication intent was killed after failure.",
    ),
    (503, "errors/no_client_session", "No client session is currently running."),
    (503, "errors/no_channel", "No channel to client session."),
    (503, "errors/no_handler", "Handler missing for that request."),
    (503, "errors/network_down", "Network is down on the server side. Retry shortly."),
    (503, "errors/service_unavailable", "Service temporarily unavailable. Retry later."),
    (
        504,
        "errors/request_timeout",
        "Request timed out. Retry, and contact support if it persists.",
    ),
]

CLASS_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
    500: ServerError,
    503: ServiceUnavailableError,
    504: GatewayTimeoutError,
}


def envelope(
    status: int, type_: str, title: str, detail: str | None, instance: str | None
) -> bytes:
    body = {"status": status, "type": type_, "title": title}
    if detail is not None:
        body["detail"] = detail
    if instance is not None:
        body["instance"] = instance
    return json.dumps(body).encode()


def test_the_spec_list_is_complete() -> None:
    assert len(SPEC_ERROR_TYPES) == 33
    assert len({type_ for _, type_, _ in SPEC_ERROR_TYPES}) == 33


@pytest.mark.parametrize(("status", "type_", "detail"), SPEC_ERROR_TYPES)
def test_every_spec_error_type_parses_into_its_class_with_all_fields(
    status: int, type_: str, detail: str
) -> None:
    body = envelope(status, type_, "Short title", detail, "req_01HXYZ")
    error = api_error_from_response(status, body, chat_id="chat_x", page=3, attempts=2)
    assert type(error) is CLASS_BY_STATUS[status]
    assert isinstance(error, APIError)
    assert isinstance(error, PostpressError)
    assert (error.status, error.type, error.title, error.detail, error.instance) == (
        status,
        type_,
        "Short title",
        detail,
        "req_01HXYZ",
    )
    assert (error.chat_id, error.page, error.attempts) == ("chat_x", 3, 2)
    assert str(error).startswith(f"{status} {type_}: {detail}")
    assert "chat_id='chat_x'" in str(error)
    assert "page 3" in str(error)


def test_str_reads_like_the_documented_example() -> None:
    body = envelope(
        404, "errors/resource_not_found", "Not Found", "The requested resource was not found.", None
    )
    error = api_error_from_response(404, body, chat_id="chat_x", page=1)
    assert str(error) == (
        "404 errors/resource_not_found: The requested resource was not found. "
        "(chat_id='chat_x', page 1)"
    )


def test_str_falls_back_to_title_and_shows_instance_and_attempts() -> None:
    body = b'{"status": 503, "type": "errors/no_handler", "title": "No handler", "instance": "r1"}'
    error = api_error_from_response(503, body, chat_id="c", page=2, attempts=6)
    assert error.detail is None
    assert (
        str(error)
        == "503 errors/no_handler: No handler [instance r1] (chat_id='c', page 2, after 6 attempts)"
    )


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, ServerError),
        (501, ServerError),
        (502, ServerError),
        (503, ServiceUnavailableError),
        (504, GatewayTimeoutError),
        (599, ServerError),
        (409, APIError),
        (418, APIError),
        (302, APIError),
    ],
)
def test_the_class_follows_the_http_status(status: int, cls: type[APIError]) -> None:
    error = api_error_from_response(status, b'{"type": "errors/x", "title": "X"}')
    assert type(error) is cls


def test_the_http_status_wins_over_the_envelope_status() -> None:
    error = api_error_from_response(503, b'{"status": 500, "type": "errors/x", "title": "X"}')
    assert type(error) is ServiceUnavailableError
    assert error.status == 503


def test_an_html_page_from_a_proxy_still_gives_a_typed_error_with_an_excerpt() -> None:
    html = (
        b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\n"
        + b"<center><h1>502   Bad Gateway</h1></center>\n" * 20
        + b"</body></html>"
    )
    error = api_error_from_response(502, html, chat_id="chat_x", page=4)
    assert type(error) is ServerError
    assert error.status == 502
    assert error.type is None
    assert error.title == "Bad Gateway"
    assert error.detail is not None
    assert error.detail.startswith("<html> <head><title>502 Bad Gateway</title></head> <body>")
    assert len(error.detail) <= 200
    assert "\n" not in error.detail
    assert "  " not in error.detail
    assert str(error).startswith("502 Bad Gateway: <html>")


@pytest.mark.parametrize(
    "body", [b"", b"null", b"[1, 2]", b'{"title": "no type"}', b'{"type": 5}', b"\xff\xfe"]
)
def test_bodies_that_are_not_the_envelope_still_give_the_status(body: bytes) -> None:
    error = api_error_from_response(401, body, chat_id="c", page=1)
    assert type(error) is AuthenticationError
    assert error.status == 401
    assert error.type is None
    assert error.title == "Unauthorized"


def test_non_string_envelope_fields_are_kept_as_text() -> None:
    error = api_error_from_response(400, b'{"type": "errors/x", "title": "X", "detail": 12}')
    assert error.detail == "12"


def test_retry_after_is_kept_on_rate_limit_errors() -> None:
    body = envelope(429, "errors/too_many_requests", "Too Many Requests", None, None)
    error = api_error_from_response(429, body, retry_after=7.0)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 7.0


def test_errors_survive_pickling_with_their_fields() -> None:
    body = envelope(404, "errors/resource_not_found", "Not Found", "gone", "req_1")
    error = api_error_from_response(404, body, chat_id="chat_x", page=1, attempts=1)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is NotFoundError
    assert str(copy) == str(error)
    transport = pickle.loads(pickle.dumps(TransportError("dropped", chat_id="c", page=2)))
    assert str(transport) == "dropped (chat_id='c', page 2)"
    loop = pickle.loads(pickle.dumps(CursorLoopError("abc", page=3)))
    assert (loop.cursor, loop.page, loop.field) == ("abc", 3, "cursor")


def test_invalid_response_error_names_page_field_message_and_chat() -> None:
    error = InvalidResponseError(
        "expected a non-empty string, got ''",
        page=2,
        field="items[3].id",
        message_id="msg_1",
        chat_id="chat_x",
    )
    assert str(error) == (
        "invalid response (page 2, field 'items[3].id', message id 'msg_1', chat_id='chat_x'): "
        "expected a non-empty string, got ''"
    )


def test_cursor_loop_error_is_an_invalid_response_error() -> None:
    error = CursorLoopError("eyJza2lwIjoxMDB9", page=5, chat_id="chat_x")
    assert isinstance(error, InvalidResponseError)
    assert "'eyJza2lwIjoxMDB9' was already returned" in str(error)
    assert "page 5" in str(error)


def test_configuration_error_is_a_postpress_error_and_a_value_error() -> None:
    assert issubclass(ConfigurationError, PostpressError)
    assert issubclass(ConfigurationError, ValueError)


def test_schema_validation_error_lists_failures_with_message_ids() -> None:
    failures = [
        SchemaFailure("messages", "timestamp", "not_nullable", ["m1", "m2"]),
        SchemaFailure("messages", "is_sender", "isin([0, 1])", [f"m{i}" for i in range(8)]),
        SchemaFailure("messages", None, "unique(message_id)"),
    ]
    error = SchemaValidationError("messages", failures)
    assert isinstance(error, PostpressError)
    assert error.table == "messages"
    assert error.failures == failures
    assert str(error) == (
        "table 'messages' failed schema validation (3 failures):\n"
        "  - messages: column 'timestamp' failed not_nullable (message ids 'm1', 'm2')\n"
        "  - messages: column 'is_sender' failed isin([0, 1]) "
        "(message ids 'm0', 'm1', 'm2', 'm3', 'm4' and 3 more)\n"
        "  - messages: table failed unique(message_id)"
    )


# -- over HTTP: the client raises every spec error type with all its fields --------------


@pytest.fixture(scope="module")
def server() -> Iterator[FakePostpress]:
    with FakePostpress(messages=3, seed=4) as fake:
        yield fake


def test_the_fake_server_knows_exactly_the_spec_error_types() -> None:
    assert {type_: (info.status, info.detail) for type_, info in ERROR_TYPES.items()} == {
        type_: (status, detail) for status, type_, detail in SPEC_ERROR_TYPES
    }


@pytest.mark.parametrize(("status", "type_", "detail"), SPEC_ERROR_TYPES)
def test_every_spec_error_type_is_raised_typed_over_http(
    server: FakePostpress, status: int, type_: str, detail: str
) -> None:
    server.fail_next(Fault.error(status, type_))
    retry = RetryPolicy(max_attempts=1)
    with (
        Client(server.api_key, server.base_url, retry=retry) as client,
        pytest.raises(APIError) as caught,
    ):
        list(client.iter_pages(server.chat_id))
    error = caught.value
    assert type(error) is CLASS_BY_STATUS[status]
    assert (error.status, error.type, error.title, error.detail) == (
        status,
        type_,
        ERROR_TYPES[type_].title,
        detail,
    )
    assert error.instance  # the fake's request id
    assert (error.chat_id, error.page, error.attempts) == (server.chat_id, 1, 1)
    assert str(error).startswith(f"{status} {type_}: {detail} [instance {error.instance}]")
    assert server.api_key not in str(error)
