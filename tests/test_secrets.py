"""The API key stays secret: only the base URL's host gets it; never in reprs, logs, errors."""

from __future__ import annotations

import logging
import pickle
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from postpress_frames._exceptions import APIError, PostpressError, ServerError
from postpress_frames.api.client import Client
from postpress_frames.api.retry import RetryPolicy
from postpress_frames.testing import FakePostpress, Fault

FAST = RetryPolicy(max_attempts=2, initial_backoff=0.0, retry_after_cap=0.0)
KEY = "pp_live_s3cr3t_do_not_leak_0123456789"


class Recorder:
    """Another host: a plain HTTP server that records every request's headers."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.headers.append(dict(self.headers.items()))
                payload = b'{"items": [], "cursor": null}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> Recorder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[FakePostpress]:
    with FakePostpress(messages=12, seed=2, api_key=KEY) as fake:
        yield fake


def client_for(server: FakePostpress) -> Client:
    return Client(server.api_key, server.base_url, retry=FAST, timeout=5.0)


def header(recorded: Any, name: str) -> str | None:
    for key, value in dict(recorded.headers).items():
        if key.lower() == name.lower():
            return str(value)
    return None


# -- redirects ---------------------------------------------------------------------------


def test_a_redirect_to_another_host_never_carries_the_key(server: FakePostpress) -> None:
    with Recorder() as other:
        server.fail_next(Fault.redirect(f"{other.url}/steal"))
        with client_for(server) as client, pytest.raises(APIError) as caught:
            list(client.iter_pages(server.chat_id))
        assert other.headers == []  # not followed at all
    error = caught.value
    assert error.status == 302
    assert error.title == "Redirect refused"
    assert f"refused to follow a redirect to {other.url}" in str(error)
    assert KEY not in str(error)
    assert len(server.requests) == 1  # a refused redirect is not retried


@pytest.mark.parametrize("status", [301, 303, 307, 308])
def test_every_redirect_status_to_another_host_is_refused(
    server: FakePostpress, status: int
) -> None:
    with Recorder() as other:
        server.fail_next(Fault.redirect(f"{other.url}/steal", status=status))
        with (
            client_for(server) as client,
            pytest.raises(APIError, match="refused to follow a redirect"),
        ):
            list(client.iter_pages(server.chat_id))
        assert other.headers == []


def test_the_same_server_under_another_host_name_is_another_host(server: FakePostpress) -> None:
    port = urlsplit(server.base_url).port
    server.fail_next(Fault.redirect(f"http://localhost:{port}/elsewhere"))
    with (
        client_for(server) as client,
        pytest.raises(APIError, match="refused to follow a redirect"),
    ):
        list(client.iter_pages(server.chat_id))
    assert len(server.requests) == 1


def test_a_same_host_redirect_is_followed_with_the_key(server: FakePostpress) -> None:
    parts = urlsplit(server.base_url)
    target = f"{parts.path.rstrip('/')}/chats/{server.chat_id}/messages?limit=250"
    server.fail_next(Fault.redirect(target, status=307))  # relative Location
    with client_for(server) as client:
        pages = list(client.iter_pages(server.chat_id))
    assert sum(len(page.items) for page in pages) == len(server.messages(server.chat_id))
    assert len(server.requests) == 2
    assert all(header(recorded, "X-API-KEY") == KEY for recorded in server.requests)


def test_redirect_loops_on_the_same_host_stop(server: FakePostpress) -> None:
    loop = Fault.redirect(f"{server.base_url}/chats/{server.chat_id}/messages?limit=250")
    server.fail_next(*[loop] * 10)
    with client_for(server) as client, pytest.raises(APIError, match="redirects in a row"):
        list(client.iter_pages(server.chat_id))


# -- plain http --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    [
        "http://api.postpress.ai/api/v1",
        "http://10.0.0.8:8080/api/v1",
        "http://192.168.1.1",
        "http://[2001:db8::1]/api/v1",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
    ],
)
def test_plain_http_to_a_non_loopback_host_is_refused(base_url: str) -> None:
    with pytest.raises(PostpressError, match="plain http") as caught:
        Client(KEY, base_url)
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:8000/api/v1",
        "http://127.8.9.10",
        "http://localhost:8000",
        "http://LOCALHOST:8000",
        "http://[::1]:8000/api/v1",
        "https://api.postpress.ai/api/v1/",
    ],
)
def test_https_and_plain_http_to_loopback_are_allowed(base_url: str) -> None:
    assert Client(KEY, base_url).base_url == base_url.rstrip("/")


def test_credentials_in_the_base_url_are_refused() -> None:
    with pytest.raises(PostpressError, match="credentials"):
        Client(KEY, "https://user:pass@api.postpress.ai/api/v1")


# -- reprs, pickles, errors, logs --------------------------------------------------------


def test_repr_masks_the_key() -> None:
    client = Client(KEY, "https://api.postpress.ai/api/v1")
    assert repr(client) == "Client(base_url='https://api.postpress.ai/api/v1', api_key='pp_l…***')"
    assert str(client) == repr(client)
    assert KEY not in repr(vars(client))


def test_a_short_key_is_masked_entirely() -> None:
    client = Client("short_key", "https://api.postpress.ai")
    assert "api_key='***'" in repr(client)
    assert "short" not in repr(client)


def test_a_client_cannot_be_pickled() -> None:
    with pytest.raises(TypeError, match="API key"):
        pickle.dumps(Client(KEY, "https://api.postpress.ai"))


def test_an_unusable_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(PostpressError) as caught:
        Client("pp_live_abc\r\nX-Evil: 1", "https://api.postpress.ai")
    assert "pp_live_abc" not in str(caught.value)


def test_an_error_page_echoing_the_key_is_scrubbed(server: FakePostpress) -> None:
    echo = f"<html><body>Bad gateway. Your headers: X-API-KEY: {KEY}</body></html>".encode()
    server.fail_next(*[Fault.raw(502, echo)] * 2)
    with client_for(server) as client, pytest.raises(ServerError) as caught:
        list(client.iter_pages(server.chat_id))
    assert KEY not in str(caught.value)
    assert KEY not in repr(caught.value)
    assert "X-API-KEY: ***" in str(caught.value)


def test_the_key_never_reaches_the_log(
    server: FakePostpress, caplog: pytest.LogCaptureFixture
) -> None:
    server.fail_next(Fault.error(503, "errors/network_down"), Fault.drop())
    retry = RetryPolicy(max_attempts=3, initial_backoff=0.0)
    with (
        caplog.at_level(logging.DEBUG),
        Client(server.api_key, server.base_url, retry=retry) as client,
    ):
        pages = list(client.iter_pages(server.chat_id, page_size=5))
        with pytest.raises(APIError):
            list(client.iter_pages("chat_unknown"))
    assert sum(len(page.items) for page in pages) == 12
    messages = [record.getMessage() for record in caplog.records]
    assert any("GET http://" in message for message in messages)  # DEBUG lines were captured
    assert any("retrying" in message for message in messages)
    assert all(KEY not in message for message in messages)
    assert all(KEY not in repr(record.__dict__) for record in caplog.records)
    assert KEY not in caplog.text
