"""A canary API key through the whole pipeline, failures included: it never shows up in a log
record at DEBUG, an exception's str or repr (or its cause's), a repr, CLI output (``--debug``
too), a Parquet file, the manifest or the dataset. Redirects never carry it to another host.
(The notebooks are run with a canary key by ``tests/test_notebooks.py``.)"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from postpress_frames._exceptions import PostpressError
from postpress_frames.pipeline.fetch import fetch_chat
from postpress_frames.pipeline.sync import sync_chat
from postpress_frames.storage.parquet import write_parquet
from postpress_frames.testing import FakePostpress, Fault, demo_chat
from tests.reliability.helpers import client_for
from tests.test_secrets import Recorder

CANARY = "pp_live_CANARY_7f3a9c_never_print_me"
CHAT = "chat_canary"


@pytest.fixture
def server() -> Iterator[FakePostpress]:
    chats = {CHAT: demo_chat(400, chat_id=CHAT, seed=9)}
    with FakePostpress(chats, api_key=CANARY) as fake:
        yield fake


def echo(status: int) -> Fault:
    """A misbehaving proxy that echoes the request headers, key included."""
    body = f"<html><pre>X-API-KEY: {CANARY}\nAccept: */*</pre></html>".encode()
    return Fault.raw(status, body, headers={"X-Echo": CANARY})


def texts_of(error: BaseException) -> list[str]:
    out: list[str] = []
    seen: BaseException | None = error
    while seen is not None:
        out += [str(seen), repr(seen), repr(getattr(seen, "__dict__", {}))]
        seen = seen.__cause__ or seen.__context__
    return out


def test_the_canary_never_leaks_from_the_library(
    server: FakePostpress, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    failures = [
        echo(502),
        echo(200),  # an HTML 200 quoting the key: not JSON
        Fault.error(503, "errors/network_down", retry_after=0),
        Fault.drop(),
        Fault.truncated(),
        Fault.delay(1.0),
    ]
    with client_for(server, timeout=(5.0, 0.5)) as client:
        seen.append(repr(client))
        for fault in failures:  # each once: retried and survived
            server.fail_page(2, fault)
            frames = fetch_chat(CHAT, client=client, page_size=100)
            assert frames.messages.height == 400
        pages = list(client.iter_pages(CHAT, page_size=100))
        seen += [repr(pages), repr(frames), str(frames.messages), repr(server.requests)]
        for fault in (echo(502), echo(200), Fault.error(401, "errors/expired_credentials")):
            server.fail_next(*[fault] * 3)
            with pytest.raises(PostpressError) as caught:
                sync_chat(CHAT, tmp_path / "lake", client=client)
            seen += texts_of(caught.value)
            server.fail_next()
        with pytest.raises(PostpressError) as caught:
            list(client.iter_pages("chat_nobody_has"))
        seen += texts_of(caught.value)
        sync_chat(CHAT, tmp_path / "lake", client=client)
    write_parquet(frames, tmp_path / "folder")
    assert any("GET http://" in r.getMessage() for r in caplog.records)  # DEBUG was on
    seen += [r.getMessage() for r in caplog.records] + [repr(r.__dict__) for r in caplog.records]
    assert not [text for text in seen if CANARY in text]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "manifest.json" for p in files)
    assert any(p.suffix == ".parquet" for p in files)
    assert not [p for p in files if CANARY.encode() in p.read_bytes()]


def test_the_canary_never_leaks_from_the_cli(server: FakePostpress, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTPRESS_")}
    env |= {"POSTPRESS_API_KEY": CANARY, "POSTPRESS_BASE_URL": server.base_url}
    server.fail_page(1, echo(502))  # retried once, with the key echoed in the log line
    lake = tmp_path / "lake"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "postpress_frames",
            "--debug",
            "sync",
            CHAT,
            "chat_none",
            "--dataset",
            str(lake),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 4, result.stderr  # the unknown chat is not found
    assert "DEBUG" in result.stderr and "400 stored" in result.stdout
    assert CANARY not in result.stdout + result.stderr
    assert not [p for p in lake.rglob("*") if p.is_file() and CANARY.encode() in p.read_bytes()]


def test_a_redirect_hop_to_another_host_never_carries_the_key(server: FakePostpress) -> None:
    with Recorder() as other:
        same_host = f"{server.base_url}/chats/{CHAT}/messages?limit=250"
        server.fail_next(Fault.redirect(same_host, 307), Fault.redirect(f"{other.url}/x", 302))
        with client_for(server) as client, pytest.raises(PostpressError) as caught:
            list(client.iter_pages(CHAT))
        assert other.headers == []  # the second hop is refused, not followed
    assert "refused to follow a redirect" in str(caught.value)
    assert [r.header("X-API-KEY") for r in server.requests] == [CANARY, CANARY]
