"""FakePostpress over real HTTP (``requests`` and ``http.client``, not the package's Client)."""

from __future__ import annotations

import base64
import http.client
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError
from postpress_frames.testing.demo_chat import demo_chat
from postpress_frames.testing.faults import ERROR_TYPES, Fault
from postpress_frames.testing.server import FakePostpress, decode_cursor, encode_cursor

KEY = "pp_test_secret_canary_123"


@pytest.fixture
def fake() -> Iterator[FakePostpress]:
    with FakePostpress(messages=120, seed=2, api_key=KEY) as server:
        yield server


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers["X-API-KEY"] = KEY
        yield s


def url(server: FakePostpress, chat_id: str | None = None) -> str:
    return f"{server.base_url}/chats/{quote(chat_id or server.chat_id, safe='')}/messages"


def get(session: requests.Session, server: FakePostpress, **params: Any) -> requests.Response:
    return session.get(url(server), params=params, timeout=5)


def fetch_all(session: requests.Session, server: FakePostpress, **params: Any) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = get(session, server, **query)
        assert response.status_code == 200, response.text
        body = response.json()
        ids += [m["id"] for m in body["items"]]
        cursor = body["cursor"]
        if cursor is None:
            return ids


def raw_get(server: FakePostpress, path: str, key: str | None = KEY) -> http.client.HTTPResponse:
    """GET a raw path byte for byte (requests would normalise percent-encoding)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", path, headers={"X-API-KEY": key} if key else {})
    return conn.getresponse()


def assert_envelope(response: requests.Response, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == type_
    assert body["title"]
    assert body["instance"].startswith("req_")
    return body


# -- basics ------------------------------------------------------------------------------------


def test_base_url_and_repr(fake: FakePostpress) -> None:
    assert fake.base_url == f"http://127.0.0.1:{fake.port}/api/v1"
    assert fake.chat_id == FakePostpress.DEMO_CHAT_ID == "chat_demo"
    assert fake.chat_ids == ["chat_demo"]
    assert KEY not in repr(fake)
    assert "chat_demo" in repr(fake)


def test_a_page_has_the_documented_shape(fake: FakePostpress, session: requests.Session) -> None:
    response = get(session, fake)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert response.raw.version == 11  # HTTP/1.1, kept alive
    body = response.json()
    assert set(body) == {"object", "items", "cursor"}
    assert body["object"] == "MessageList"
    assert len(body["items"]) == 100  # the default limit
    assert decode_cursor(body["cursor"]) == 100
    assert body["items"] == fake.messages()[:100]


def test_items_are_newest_first(fake: FakePostpress, session: requests.Session) -> None:
    stamps = [m["timestamp"] for m in get(session, fake, limit=250).json()["items"]]
    assert stamps == sorted(stamps, reverse=True)


def test_cursor_is_opaque_base64_of_an_offset() -> None:
    assert encode_cursor(100) == "eyJza2lwIjoxMDB9"  # the spec page's example
    assert decode_cursor(encode_cursor(12345)) == 12345


def test_requests_are_recorded_with_the_key_as_sent(
    fake: FakePostpress, session: requests.Session
) -> None:
    get(session, fake, limit=5, sender_id="x y")
    record = fake.requests[-1]
    assert record.method == "GET"
    assert record.path == "/api/v1/chats/chat_demo/messages?limit=5&sender_id=x+y"
    assert record.query == {"limit": "5", "sender_id": "x y"}
    assert record.header("x-api-key") == KEY
    assert record.status == 200
    assert KEY not in repr(record)


def test_messages_returns_copies(fake: FakePostpress) -> None:
    fake.messages()[0]["text"] = "changed by the caller"
    assert fake.messages()[0]["text"] != "changed by the caller"


# -- errors ------------------------------------------------------------------------------------


def test_missing_key_is_401_missing_credentials(fake: FakePostpress) -> None:
    response = requests.get(url(fake), timeout=5)
    body = assert_envelope(response, 401, "errors/missing_credentials")
    assert body["detail"] == ERROR_TYPES["errors/missing_credentials"].detail


def test_wrong_key_is_401_invalid_credentials(fake: FakePostpress) -> None:
    response = requests.get(url(fake), headers={"X-API-KEY": "pp_wrong"}, timeout=5)
    assert_envelope(response, 401, "errors/invalid_credentials")


def test_unknown_chat_is_404(fake: FakePostpress, session: requests.Session) -> None:
    response = session.get(url(fake, "chat_missing"), timeout=5)
    assert_envelope(response, 404, "errors/resource_not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/chats/chat_demo"),
        ("GET", "/api/v1/chats/chat_demo/messages/"),
        ("GET", "/api/v2/chats/chat_demo/messages"),
        ("GET", "/v1/chats/chat_demo/messages"),
        ("GET", "/"),
        ("POST", "/api/v1/chats/chat_demo/messages"),
        ("DELETE", "/api/v1/chats/chat_demo/messages"),
    ],
)
def test_other_routes_are_404(
    fake: FakePostpress, session: requests.Session, method: str, path: str
) -> None:
    response = session.request(method, f"http://127.0.0.1:{fake.port}{path}", timeout=5)
    assert_envelope(response, 404, "errors/resource_not_found")


def test_an_empty_chat_id_is_404_invalid_identifier(fake: FakePostpress) -> None:
    response = raw_get(fake, "/api/v1/chats//messages")
    assert response.status == 404
    assert json.loads(response.read())["type"] == "errors/invalid_resource_identifier"


def skip_cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", "0"),
        ("limit", "251"),
        ("limit", "-1"),
        ("limit", "1.5"),
        ("limit", "ten"),
        ("limit", ""),
        ("after", "2026-05-17T09:42:11Z"),
        ("after", "2026-05-17T09:42:11.000+00:00"),
        ("after", "2026-05-17T09:42:11.000000Z"),
        ("after", "2026-05-17"),
        ("before", "2026-02-30T00:00:00.000Z"),
        ("before", "2026-05-17 09:42:11.000Z"),
        ("before", "yesterday"),
        ("cursor", ""),
        ("cursor", "not a cursor"),
        ("cursor", "zzzz"),
        ("cursor", skip_cursor({"skip": -1})),
        ("cursor", skip_cursor({"skip": "10"})),
        ("cursor", skip_cursor([10])),
        ("sender_id", ""),
    ],
)
def test_bad_parameters_are_400(
    fake: FakePostpress, session: requests.Session, name: str, value: str
) -> None:
    body = assert_envelope(get(session, fake, **{name: value}), 400, "errors/invalid_parameters")
    assert name in body["detail"]


def test_a_repeated_parameter_is_400(fake: FakePostpress, session: requests.Session) -> None:
    response = session.get(url(fake), params=[("limit", "5"), ("limit", "6")], timeout=5)
    body = assert_envelope(response, 400, "errors/invalid_parameters")
    assert "limit" in body["detail"]


def test_limit_bounds_are_accepted(fake: FakePostpress, session: requests.Session) -> None:
    assert len(get(session, fake, limit=1).json()["items"]) == 1
    assert len(get(session, fake, limit=250).json()["items"]) == 120


# -- pagination and filters --------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 7, 100, 250])
def test_pages_cover_every_message_exactly_once(
    fake: FakePostpress, session: requests.Session, limit: int
) -> None:
    assert fetch_all(session, fake, limit=limit) == [m["id"] for m in fake.messages()]


def test_the_last_page_has_a_null_cursor(fake: FakePostpress, session: requests.Session) -> None:
    last = get(session, fake, limit=20, cursor=encode_cursor(100)).json()
    assert len(last["items"]) == 20 and last["cursor"] is None
    beyond = get(session, fake, cursor=encode_cursor(500)).json()
    assert beyond["items"] == [] and beyond["cursor"] is None


def test_before_and_after_are_exclusive(session: requests.Session) -> None:
    chat = demo_chat(60, seed=4)
    chat[10]["timestamp"] = chat[11]["timestamp"] = chat[12]["timestamp"]  # one millisecond
    moment = chat[11]["timestamp"]
    with FakePostpress({"c": chat}, api_key=KEY) as server:
        newer = fetch_all(session, server, after=moment)
        older = fetch_all(session, server, before=moment)
        assert (
            newer
            == [m["id"] for m in chat if m["timestamp"] > moment]
            == [m["id"] for m in chat[:10]]
        )
        assert older == [m["id"] for m in chat[13:]]
        between = fetch_all(
            session, server, after=chat[40]["timestamp"], before=chat[20]["timestamp"], limit=3
        )
        assert between == [m["id"] for m in chat[21:40]]
        assert fetch_all(session, server, after=moment, before=moment) == []


def test_sender_id_filters_alone_and_with_a_range(
    fake: FakePostpress, session: requests.Session
) -> None:
    messages = fake.messages()
    sender = messages[5]["sender_id"]
    mine = [m for m in messages if m["sender_id"] == sender]
    assert 0 < len(mine) < len(messages)
    assert fetch_all(session, fake, sender_id=sender, limit=7) == [m["id"] for m in mine]
    after = messages[60]["timestamp"]
    expected = [m["id"] for m in mine if m["timestamp"] > after]
    assert fetch_all(session, fake, sender_id=sender, after=after, limit=4) == expected
    assert fetch_all(session, fake, sender_id="nobody") == []


def test_percent_encoded_chat_ids_stay_one_segment(session: requests.Session) -> None:
    odd = ["a/b", "../etc", "..", "sp ace", "q?x=1#frag", "100%", "ü-日本"]
    chats = {chat_id: demo_chat(3, chat_id=chat_id) for chat_id in odd}
    with FakePostpress(chats, api_key=KEY) as server:
        for chat_id in odd:
            encoded = quote(chat_id, safe="")
            if chat_id == "..":
                encoded = "%2E%2E"
            response = raw_get(server, f"/api/v1/chats/{encoded}/messages")
            assert response.status == 200, chat_id
            items = json.loads(response.read())["items"]
            assert [m["chat_id"] for m in items] == [chat_id] * 3
        assert raw_get(server, "/api/v1/chats/a/b/messages").status == 404


# -- changes while serving ---------------------------------------------------------------------


def test_added_messages_come_first(fake: FakePostpress, session: requests.Session) -> None:
    before = fake.messages()
    added = fake.add_messages(fake.chat_id, 15)
    assert len(added) == 15
    assert min(m["timestamp"] for m in added) > before[0]["timestamp"]
    served = fetch_all(session, fake, limit=50)
    assert served == [m["id"] for m in added + before]


def test_edited_messages_are_served_edited(fake: FakePostpress, session: requests.Session) -> None:
    target = fake.messages()[3]
    changed = fake.edit_message(fake.chat_id, target["id"], text="édité ✏️")
    assert changed["text"] == "édité ✏️" and changed["edited"] == 1
    served = get(session, fake, limit=5).json()["items"][3]
    assert served == changed
    with pytest.raises(LookupError, match="msg_nope"):
        fake.edit_message(fake.chat_id, "msg_nope", text="x")
    with pytest.raises(LookupError, match="chat_nope"):
        fake.messages("chat_nope")


def test_messages_arriving_between_pages_shift_later_pages(
    fake: FakePostpress, session: requests.Session
) -> None:
    fake.arrive_between_pages(fake.chat_id, 5, after_page=1)
    first = get(session, fake, limit=20).json()
    assert len(fake.messages()) == 125
    second = get(session, fake, limit=20, cursor=first["cursor"]).json()
    first_ids = [m["id"] for m in first["items"]]
    second_ids = [m["id"] for m in second["items"]]
    assert second_ids[:5] == first_ids[-5:]  # pushed down by the 5 newcomers
    rest = fetch_all(session, fake, limit=20, cursor=second["cursor"])
    seen = set(first_ids + second_ids + rest)
    assert seen == {m["id"] for m in fake.messages()[5:]}  # newcomers sit above page 1


# -- faults ------------------------------------------------------------------------------------


def test_error_types_cover_the_spec_page() -> None:
    statuses = [t.status for t in ERROR_TYPES.values()]
    assert {s: statuses.count(s) for s in set(statuses)} == {
        401: 13,
        403: 9,
        404: 2,
        500: 3,
        503: 5,
        504: 1,
    }


def test_every_error_type_is_served_as_its_envelope(
    fake: FakePostpress, session: requests.Session
) -> None:
    fake.fail_next(*(Fault.error(t.status, name) for name, t in ERROR_TYPES.items()))
    for name, error_type in ERROR_TYPES.items():
        body = assert_envelope(get(session, fake), error_type.status, name)
        assert (body["title"], body["detail"]) == (error_type.title, error_type.detail)
    assert get(session, fake).status_code == 200


@pytest.mark.parametrize(
    ("retry_after", "header"),
    [(0, "0"), (2.5, "2.5"), (3.0, "3"), ("Wed, 21 Oct 2026 07:28:00 GMT", None)],
)
def test_error_faults_carry_retry_after(
    fake: FakePostpress, session: requests.Session, retry_after: str | float, header: str | None
) -> None:
    fake.fail_next(Fault.error(429, "errors/too_many_requests", retry_after=retry_after))
    response = get(session, fake)
    body = assert_envelope(response, 429, "errors/too_many_requests")
    assert body["title"] == "Too Many Requests"
    assert response.headers["Retry-After"] == (header or retry_after)


def test_error_fault_text_can_be_overridden(fake: FakePostpress, session: requests.Session) -> None:
    fake.fail_next(Fault.error(500, "errors/unexpected_error", title="Oops", detail="boom"))
    body = assert_envelope(get(session, fake), 500, "errors/unexpected_error")
    assert (body["title"], body["detail"]) == ("Oops", "boom")


def test_raw_fault_serves_any_body(fake: FakePostpress, session: requests.Session) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    fake.fail_next(Fault.raw(502, page, headers={"X-Proxy": "nginx"}))
    response = get(session, fake)
    assert response.status_code == 502
    assert response.content == page
    assert response.headers["Content-Type"] == "text/html"
    assert response.headers["X-Proxy"] == "nginx"


def test_truncated_fault_sends_half_the_body(fake: FakePostpress) -> None:
    fake.fail_next(Fault.truncated())
    response = raw_get(fake, "/api/v1/chats/chat_demo/messages?limit=10")
    assert response.status == 200
    length = int(response.headers["Content-Length"])
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert len(caught.value.partial) == length // 2
    assert fake.requests[-1].fault == "truncated"


def test_truncated_fault_breaks_a_requests_call(
    fake: FakePostpress, session: requests.Session
) -> None:
    fake.fail_next(Fault.truncated())
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(session, fake)
    assert get(session, fake).status_code == 200


def test_not_json_and_empty_faults(fake: FakePostpress, session: requests.Session) -> None:
    fake.fail_next(Fault.not_json(), Fault.empty())
    html = get(session, fake)
    assert html.status_code == 200 and html.content.startswith(b"<!doctype html>")
    with pytest.raises(ValueError, match="Expecting value"):
        html.json()
    empty = get(session, fake)
    assert empty.status_code == 200 and empty.content == b""


def test_drop_fault_closes_without_a_response(
    fake: FakePostpress, session: requests.Session
) -> None:
    fake.fail_next(Fault.drop())
    with pytest.raises(requests.exceptions.ConnectionError):
        get(session, fake)
    assert fake.requests[-1].status is None
    assert get(session, fake).status_code == 200


def test_delay_fault_trips_a_read_timeout(fake: FakePostpress, session: requests.Session) -> None:
    fake.fail_next(Fault.delay(2.0))
    with pytest.raises(requests.exceptions.ReadTimeout):
        session.get(url(fake), timeout=0.2)
    assert get(session, fake).status_code == 200


def test_delay_fault_then_answers_normally(fake: FakePostpress, session: requests.Session) -> None:
    fake.fail_next(Fault.delay(0.05))
    assert len(get(session, fake, limit=3).json()["items"]) == 3


def test_latency_applies_to_every_request(fake: FakePostpress, session: requests.Session) -> None:
    fake.latency = 2.0
    with pytest.raises(requests.exceptions.ReadTimeout):
        session.get(url(fake), timeout=0.2)
    fake.latency = 0.0
    assert get(session, fake).status_code == 200


def test_repeat_cursor_points_back_at_the_same_page(
    fake: FakePostpress, session: requests.Session
) -> None:
    fake.fail_next(Fault.repeat_cursor(), Fault.repeat_cursor())
    first = get(session, fake, limit=10).json()
    assert decode_cursor(first["cursor"]) == 0
    again = get(session, fake, limit=10, cursor=first["cursor"]).json()
    assert again["cursor"] == first["cursor"]
    assert again["items"] == first["items"]


def test_redirect_fault(fake: FakePostpress, session: requests.Session) -> None:
    fake.fail_next(Fault.redirect("http://elsewhere.invalid/api/v1/x", status=307))
    response = session.get(url(fake), allow_redirects=False, timeout=5)
    assert response.status_code == 307
    assert response.headers["Location"] == "http://elsewhere.invalid/api/v1/x"


def test_faults_answer_in_order_and_only_messages_requests(
    fake: FakePostpress, session: requests.Session
) -> None:
    fake.fail_next(
        Fault.error(503, "errors/no_channel"), Fault.error(504, "errors/request_timeout")
    )
    other = session.get(f"http://127.0.0.1:{fake.port}/api/v1/accounts", timeout=5)
    assert other.status_code == 404  # not a messages request: no fault consumed
    assert get(session, fake).status_code == 503
    assert get(session, fake).status_code == 504
    assert get(session, fake).status_code == 200


def test_fail_next_without_faults_clears_the_queue(
    fake: FakePostpress, session: requests.Session
) -> None:
    fake.fail_next(Fault.drop(), Fault.drop())
    fake.fail_page(3, Fault.drop())
    assert fake.pending_faults == 3
    fake.fail_next()
    assert fake.pending_faults == 1
    assert get(session, fake).status_code == 200
    fake.clear_faults()
    assert fake.pending_faults == 0


def test_fail_page_hits_that_page_the_given_times(
    fake: FakePostpress, session: requests.Session
) -> None:
    fake.fail_page(2, Fault.error(500, "errors/provider_error"), times=2)
    first = get(session, fake, limit=30)
    assert first.status_code == 200
    cursor = first.json()["cursor"]
    assert get(session, fake, limit=30, cursor=cursor).status_code == 500
    assert get(session, fake, limit=30, cursor=cursor).status_code == 500
    assert get(session, fake, limit=30, cursor=cursor).status_code == 200
    assert fetch_all(session, fake, limit=30) == [m["id"] for m in fake.messages()]


def test_fault_constructors_check_their_arguments() -> None:
    with pytest.raises(ValueError, match="status"):
        Fault.error(99, "errors/x")
    with pytest.raises(ValueError, match="type"):
        Fault.error(500, "")
    with pytest.raises(ValueError, match="3xx"):
        Fault.redirect("/x", status=200)
    with pytest.raises(ValueError, match="seconds"):
        Fault.delay(-1)
    with pytest.raises(ValueError, match="retry_after"):
        Fault.error(503, "errors/service_unavailable", retry_after=float("nan"))
    with pytest.raises(ValueError, match="page"):
        FakePostpress(messages=1).fail_page(0, Fault.drop())


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: Fault.error(99, "errors/x"), ConfigurationError),
        (lambda: Fault.error("500", "errors/x"), ArgumentTypeError),
        (lambda: Fault.raw(502, "<html>"), ArgumentTypeError),
        (lambda: Fault.delay("1"), ArgumentTypeError),
        (lambda: FakePostpress([]), ArgumentTypeError),
        (lambda: FakePostpress(messages=-1), ConfigurationError),
        (lambda: FakePostpress(api_key=""), ConfigurationError),
        (lambda: FakePostpress(latency="slow"), ArgumentTypeError),
        (lambda: FakePostpress({"c": [1]}), ArgumentTypeError),
        (lambda: FakePostpress(messages=1).fail_next("drop"), ArgumentTypeError),
        (lambda: FakePostpress(messages=1).fail_page(1, Fault.drop(), times=0), ConfigurationError),
        (lambda: decode_cursor(5), ArgumentTypeError),
        (lambda: decode_cursor("!!"), ConfigurationError),
    ],
)
def test_bad_arguments_are_configuration_errors(build: Any, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        build()
    assert type(caught.value) is error  # both are PostpressErrors and ValueErrors


# -- concurrency and life cycle ----------------------------------------------------------------


def test_concurrent_clients_each_get_every_message(fake: FakePostpress) -> None:
    def crawl(limit: int) -> list[str]:
        with requests.Session() as s:
            s.headers["X-API-KEY"] = KEY
            return fetch_all(s, fake, limit=limit)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(crawl, [3, 5, 11, 17]))
    expected = [m["id"] for m in fake.messages()]
    assert all(ids == expected for ids in results)


def test_stop_closes_connections_and_joins_every_thread() -> None:
    baseline = set(threading.enumerate())
    server = FakePostpress(messages=30, api_key=KEY).start()
    port = server.port
    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=5)  # kept alive, idle
    idle.request("GET", "/api/v1/chats/chat_demo/messages", headers={"X-API-KEY": KEY})
    assert idle.getresponse().read()
    server.fail_next(Fault.delay(30))
    stuck = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    stuck.request("GET", "/api/v1/chats/chat_demo/messages", headers={"X-API-KEY": KEY})
    while server.pending_faults:  # until the delayed request is being served
        threading.Event().wait(0.01)
    server.stop()
    server.stop()  # idempotent
    assert set(threading.enumerate()) <= baseline
    assert not server.running
    with pytest.raises(ConnectionRefusedError):  # nobody listens any more
        http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()
    idle.close()
    stuck.close()


def test_a_running_server_cannot_start_twice() -> None:
    with FakePostpress(messages=1) as server, pytest.raises(RuntimeError, match="already running"):
        server.start()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url


def test_add_chat_names_a_message_that_is_not_json() -> None:
    server = FakePostpress({})
    with pytest.raises(ValueError, match="msg_bad"):
        server.add_chat("c", [{"id": "msg_bad", "text": object()}])
    server.add_chat("c", demo_chat(2))
    assert server.chat_ids == ["c"]


def test_the_committed_sample_is_what_the_server_serves(session: requests.Session) -> None:
    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    with FakePostpress({"chat_demo": demo_chat(75, seed=0)}, api_key=KEY) as server:
        cursor = None
        for number in (1, 2, 3):
            response = get(session, server, limit=25, **({"cursor": cursor} if cursor else {}))
            assert response.content == (sample / f"page-{number}.json").read_bytes(), number
            cursor = response.json()["cursor"]
    assert cursor is None
