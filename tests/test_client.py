"""Client over real HTTP against FakePostpress: requests sent, pages yielded, bodies checked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from postpress_frames._exceptions import (
    ArgumentTypeError,
    AuthenticationError,
    ConfigurationError,
    CursorLoopError,
    InvalidResponseError,
    NotFoundError,
)
from postpress_frames._version import __version__
from postpress_frames.api.client import DEFAULT_BASE_URL, Client, Page
from postpress_frames.api.retry import RetryPolicy
from postpress_frames.testing import FakePostpress, Fault

FAST = RetryPolicy(max_attempts=3, initial_backoff=0.0, retry_after_cap=0.0)


@pytest.fixture
def server() -> Iterator[FakePostpress]:
    with FakePostpress(messages=40, seed=1) as fake:
        yield fake


def client_for(server: FakePostpress, **kwargs: Any) -> Client:
    kwargs.setdefault("retry", FAST)
    kwargs.setdefault("timeout", 5.0)
    return Client(server.api_key, server.base_url, **kwargs)


def header(recorded: Any, name: str) -> str | None:
    for key, value in dict(recorded.headers).items():
        if key.lower() == name.lower():
            return str(value)
    return None


def ids(messages: list[dict[str, Any]]) -> list[str]:
    return [message["id"] for message in messages]


def fetch_ids(client: Client, chat_id: str, **kwargs: Any) -> list[str]:
    return [item["id"] for page in client.iter_pages(chat_id, **kwargs) for item in page.items]


# -- configuration -----------------------------------------------------------------------


def test_no_key_anywhere_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTPRESS_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="POSTPRESS_API_KEY"):
        Client()


@pytest.mark.parametrize("key", ["", "   "])
def test_an_empty_key_is_a_configuration_error(key: str) -> None:
    with pytest.raises(ConfigurationError, match="empty"):
        Client(api_key=key)


def test_key_and_base_url_fall_back_to_the_environment(
    monkeypatch: pytest.MonkeyPatch, server: FakePostpress
) -> None:
    monkeypatch.setenv("POSTPRESS_API_KEY", server.api_key)
    monkeypatch.setenv("POSTPRESS_BASE_URL", server.base_url)
    with Client(retry=FAST) as client:
        assert client.base_url == server.base_url.rstrip("/")
        assert fetch_ids(client, server.chat_id) == ids(server.messages(server.chat_id))


def test_the_default_base_url_is_the_spec_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTPRESS_BASE_URL", raising=False)
    assert Client(api_key="pp_live_example").base_url == DEFAULT_BASE_URL
    assert DEFAULT_BASE_URL == "https://api.postpress.ai/api/v1"


@pytest.mark.parametrize(
    "base_url",
    ["ftp://api.postpress.ai", "https://", "api.postpress.ai/api/v1", "https://h/x?y=1", ""],
)
def test_bad_base_urls_are_refused(base_url: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        Client(api_key="pp_live_example", base_url=base_url)


@pytest.mark.parametrize("timeout", [0, -1, "5", (1.0,), (1.0, 0)])
def test_bad_timeouts_are_refused(timeout: Any) -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        Client(api_key="pp_live_example", timeout=timeout)


def test_max_retries_sets_the_number_of_attempts() -> None:
    assert Client(api_key="pp_live_example", max_retries=0).retry_policy.max_attempts == 1
    assert Client(api_key="pp_live_example", max_retries=5).retry_policy.max_attempts == 6
    with pytest.raises(ConfigurationError, match="max_retries"):
        Client(api_key="pp_live_example", max_retries=-1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 251}, "page_size"),
        ({"after": datetime(2026, 1, 1)}, "after"),
        ({"before": "2026-01-01T00:00:00"}, "before"),
        ({"after": "2026-02-01T00:00:00Z", "before": "2026-01-01T00:00:00Z"}, "after must be"),
        ({"sender_id": ""}, "sender_id"),
        ({"sender_id": "a\r\nb"}, "sender_id"),
    ],
)
def test_parameters_are_checked_before_any_request(
    server: FakePostpress, kwargs: dict[str, Any], match: str
) -> None:
    with client_for(server) as client, pytest.raises(ConfigurationError, match=match):
        client.iter_pages(server.chat_id, **kwargs)
    assert len(server.requests) == 0


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"api_key": 123}, "api_key"),
        ({"base_url": 8000}, "base_url"),
        ({"timeout": "x"}, "timeout"),
        ({"timeout": (1.0, "2")}, "timeout"),
        ({"max_retries": "3"}, "max_retries"),
        ({"retry": 3}, "retry"),
        ({"session": object()}, "session"),
        ({"gate": object()}, "gate"),
    ],
)
def test_a_wrong_type_for_the_client_names_the_argument(
    kwargs: dict[str, Any], argument: str
) -> None:
    with pytest.raises(ArgumentTypeError, match=f"^{argument} must be") as caught:
        Client(**{"api_key": "pp_live_example", **kwargs})
    assert caught.value.argument == argument


def test_an_api_key_of_the_wrong_type_is_never_shown() -> None:
    with pytest.raises(ArgumentTypeError, match="api_key must be a string, got bytes") as caught:
        Client(api_key=b"pp_live_secret_bytes")
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("chat_id", "kwargs", "argument"),
    [
        (123, {}, "chat_id"),
        ("chat_x", {"page_size": "10"}, "page_size"),
        ("chat_x", {"page_size": 10.0}, "page_size"),
        ("chat_x", {"after": 3.5}, "after"),
        ("chat_x", {"before": True}, "before"),
        ("chat_x", {"sender_id": 7}, "sender_id"),
    ],
)
def test_a_wrong_type_for_iter_pages_names_the_argument(
    server: FakePostpress, chat_id: Any, kwargs: dict[str, Any], argument: str
) -> None:
    with client_for(server) as client, pytest.raises(ArgumentTypeError) as caught:
        client.iter_pages(chat_id, **kwargs)
    assert caught.value.argument == argument
    assert len(server.requests) == 0


def test_an_empty_chat_id_is_refused_before_any_request(server: FakePostpress) -> None:
    with client_for(server) as client, pytest.raises(ConfigurationError, match="chat_id"):
        client.iter_pages("")
    assert len(server.requests) == 0


# -- requests on the wire ----------------------------------------------------------------


def test_every_request_carries_key_accept_and_user_agent(server: FakePostpress) -> None:
    with client_for(server) as client:
        list(client.iter_pages(server.chat_id, page_size=25))
    assert len(server.requests) == 2
    for recorded in server.requests:
        assert recorded.method == "GET"
        assert header(recorded, "X-API-KEY") == server.api_key
        assert header(recorded, "Accept") == "application/json"
        assert header(recorded, "User-Agent") == f"postpress-frames/{__version__}"


def test_query_parameters_follow_the_spec(server: FakePostpress) -> None:
    sender = server.messages(server.chat_id)[0]["sender_id"]
    with client_for(server) as client:
        list(
            client.iter_pages(
                server.chat_id,
                after=datetime(2000, 1, 1, tzinfo=UTC),
                before="2100-01-01T00:00:00.123456+00:00",
                sender_id=sender,
                page_size=1,
            )
        )
    first, second = server.requests[0], server.requests[1]
    assert dict(first.query) == {
        "limit": "1",
        "after": "2000-01-01T00:00:00.000Z",
        "before": "2100-01-01T00:00:00.124Z",
        "sender_id": sender,
    }
    assert set(dict(second.query)) == {"limit", "after", "before", "sender_id", "cursor"}
    assert dict(second.query)["cursor"]


def test_one_keep_alive_session_is_used_for_all_pages(server: FakePostpress) -> None:
    session = requests.Session()
    sent: list[str] = []
    session.hooks["response"].append(lambda response, **_: sent.append(response.url))
    with client_for(server, session=session) as client:
        list(client.iter_pages(server.chat_id, page_size=10))
    assert len(sent) == 4
    session.close()


@pytest.mark.parametrize(
    ("chat_id", "segment"),
    [
        ("a/b", "a%2Fb"),
        ("../../admin", "..%2F..%2Fadmin"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("x?limit=1#frag", "x%3Flimit%3D1%23frag"),
        ("100%", "100%25"),
        ("two words", "two%20words"),
        ("a\r\nX-Evil: 1", "a%0D%0AX-Evil%3A%201"),
    ],
)
def test_hostile_chat_ids_stay_in_one_path_segment(
    server: FakePostpress, chat_id: str, segment: str
) -> None:
    with client_for(server) as client, pytest.raises(NotFoundError):
        list(client.iter_pages(chat_id))
    [recorded] = server.requests
    base_path = urlsplit(server.base_url).path.rstrip("/")
    assert urlsplit(recorded.path).path == f"{base_path}/chats/{segment}/messages"


# -- pages -------------------------------------------------------------------------------


def test_pages_hold_every_message_newest_first_with_numbers_and_cursors(
    server: FakePostpress,
) -> None:
    with client_for(server) as client:
        pages = list(client.iter_pages(server.chat_id, page_size=15))
    assert [page.number for page in pages] == [1, 2, 3]
    assert [len(page.items) for page in pages] == [15, 15, 10]
    assert all(isinstance(page.cursor, str) and page.cursor for page in pages[:-1])
    assert pages[-1].cursor is None
    assert [item["id"] for page in pages for item in page.items] == ids(
        server.messages(server.chat_id)
    )


def test_page_raw_is_the_body_as_received(server: FakePostpress) -> None:
    with client_for(server) as client:
        first = next(iter(client.iter_pages(server.chat_id, page_size=5)))
    assert isinstance(first, Page)
    body = json.loads(first.raw)
    assert body["items"] == first.items
    assert body["cursor"] == first.cursor
    assert "<5 messages>" in repr(first)


def test_pages_are_fetched_lazily(server: FakePostpress) -> None:
    with client_for(server) as client:
        pages = client.iter_pages(server.chat_id, page_size=5)
        assert len(server.requests) == 0
        next(pages)
        assert len(server.requests) == 1


def test_an_empty_chat_yields_one_empty_page() -> None:
    with FakePostpress(chats={"chat_empty": []}) as server, client_for(server) as client:
        pages = list(client.iter_pages("chat_empty"))
    assert [(page.number, page.items, page.cursor) for page in pages] == [(1, [], None)]


def test_messages_arriving_mid_fetch_are_never_yielded_twice(server: FakePostpress) -> None:
    before = ids(server.messages(server.chat_id))
    server.arrive_between_pages(server.chat_id, 5, after_page=1)
    with client_for(server) as client:
        fetched = fetch_ids(client, server.chat_id, page_size=10)
    assert len(fetched) == len(set(fetched))
    assert set(before) <= set(fetched)


def test_an_unknown_chat_fails_at_once_with_not_found(server: FakePostpress) -> None:
    with client_for(server) as client, pytest.raises(NotFoundError) as caught:
        list(client.iter_pages("chat_unknown"))
    assert caught.value.status == 404
    assert caught.value.type is not None
    assert caught.value.chat_id == "chat_unknown"
    assert caught.value.page == 1
    assert len(server.requests) == 1


def test_a_wrong_key_fails_at_once_with_authentication_error(server: FakePostpress) -> None:
    with (
        Client("pp_wrong_key_12345", server.base_url, retry=FAST) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        list(client.iter_pages(server.chat_id))
    assert caught.value.status == 401
    assert len(server.requests) == 1


# -- guards on 200 bodies ----------------------------------------------------------------


def test_a_repeated_cursor_ends_with_cursor_loop_error(server: FakePostpress) -> None:
    server.fail_page(2, Fault.repeat_cursor())
    with client_for(server) as client, pytest.raises(CursorLoopError) as caught:
        list(client.iter_pages(server.chat_id, page_size=5))
    assert caught.value.page == 2
    assert caught.value.field == "cursor"
    assert caught.value.chat_id == server.chat_id


def body(payload: Any) -> Fault:
    return Fault.raw(200, json.dumps(payload).encode(), content_type="application/json")


GOOD = {"object": "Message", "id": "msg_1"}


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ([GOOD], None, "expected a JSON object with 'items', got an array"),
        ({"cursor": None}, "items", "the required field is missing"),
        ({"items": {"id": "x"}}, "items", "expected an array, got an object"),
        (
            {"items": [GOOD, "msg_2"]},
            "items[1]",
            'expected a message object, got "msg_2" (a string)',
        ),
        ({"items": [{"text": "hi"}]}, "items[0].id", "neither 'id' nor 'message_id'"),
        ({"items": [{"id": ""}]}, "items[0].id", 'expected a non-empty string, got "" (a string)'),
        (
            {"items": [GOOD, {"id": 7}]},
            "items[1].id",
            "expected a non-empty string, got 7 (a number)",
        ),
        ({"items": [{"message_id": None}]}, "items[0].message_id", "got null"),
        (
            {"items": [GOOD], "cursor": 100},
            "cursor",
            "expected a string or null, got 100 (a number)",
        ),
    ],
)
def test_a_wrong_shape_raises_invalid_response_naming_page_and_field(
    server: FakePostpress, payload: Any, field: str | None, message: str
) -> None:
    server.fail_next(body(payload))
    with client_for(server) as client, pytest.raises(InvalidResponseError) as caught:
        list(client.iter_pages(server.chat_id))
    error = caught.value
    assert (error.page, error.field, error.chat_id) == (1, field, server.chat_id)
    assert message in str(error)
    assert "page 1" in str(error)
    assert not error.unparsable
    assert len(server.requests) == 1  # a wrong shape is not retried


def test_message_id_is_used_when_id_is_absent(server: FakePostpress) -> None:
    server.fail_next(body({"items": [{"message_id": "m1"}, {"id": "m2"}], "cursor": None}))
    with client_for(server) as client:
        [page] = list(client.iter_pages(server.chat_id))
    assert page.items == [{"message_id": "m1"}, {"id": "m2"}]


@pytest.mark.parametrize("end", [{"cursor": None}, {"cursor": ""}, {}])
def test_a_null_empty_or_absent_cursor_ends_the_pages(
    server: FakePostpress, end: dict[str, Any]
) -> None:
    server.fail_next(body({"items": [GOOD], **end}))
    with client_for(server) as client:
        pages = list(client.iter_pages(server.chat_id))
    assert [(page.number, page.cursor) for page in pages] == [(1, None)]


def test_duplicates_within_and_across_pages_are_dropped(server: FakePostpress) -> None:
    server.fail_next(
        body({"items": [GOOD, {"id": "msg_2"}, GOOD], "cursor": "c1"}),
        body({"items": [{"id": "msg_2"}, {"id": "msg_3"}], "cursor": None}),
    )
    with client_for(server) as client:
        pages = list(client.iter_pages(server.chat_id))
    assert [[item["id"] for item in page.items] for page in pages] == [
        ["msg_1", "msg_2"],
        ["msg_3"],
    ]


# -- lifecycle ---------------------------------------------------------------------------


class CountingSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.close_calls = 0

    def close(self) -> None:
        self.close_calls += 1
        super().close()


def test_close_leaves_a_borrowed_session_to_its_owner(server: FakePostpress) -> None:
    borrowed = CountingSession()
    with client_for(server, session=borrowed) as client:
        list(client.iter_pages(server.chat_id))
    assert borrowed.close_calls == 0
    borrowed.close()


def test_a_closed_client_refuses_new_fetches(server: FakePostpress) -> None:
    client = client_for(server)
    client.close()
    client.close()  # idempotent
    with pytest.raises(ConfigurationError, match="closed"):
        client.iter_pages(server.chat_id)


def test_a_clone_has_the_same_settings_and_its_own_session(server: FakePostpress) -> None:
    borrowed = CountingSession()
    original = client_for(server, session=borrowed, timeout=(3.0, 4.0))
    with original.clone() as twin:
        assert repr(twin) == repr(original)
        assert twin.retry_policy is original.retry_policy
        assert fetch_ids(twin, server.chat_id) == ids(server.messages(server.chat_id))
    assert borrowed.close_calls == 0
    assert header(server.requests[-1], "X-API-KEY") == server.api_key
    original.close()


def test_proxies_from_the_environment_carry_every_page(
    server: FakePostpress, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY is honoured (read once per client, used for every request)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []

    class Forward(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # a plain-HTTP proxy gets the absolute URL
            seen.append(self.path)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            with requests.Session() as direct:
                direct.trust_env = False  # or it would go through this proxy again
                upstream = direct.get(self.path, headers=headers, timeout=5)
            self.send_response(upstream.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(upstream.content)))
            self.end_headers()
            self.wfile.write(upstream.content)

        def log_message(self, *args: Any) -> None:
            pass

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
        with client_for(server) as client:
            pages = list(client.iter_pages(server.chat_id, page_size=15))
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert len(pages) == 3
    assert len(seen) == 3
    assert all(url.startswith(server.base_url) for url in seen)
