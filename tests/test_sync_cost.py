"""What the per-chat fast paths of the client and of sync keep: every request prepared alike,
cookies and compressed bodies as requests handles them, and no scan of the dataset per chat."""

from __future__ import annotations

import gzip
import json
import os
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from postpress_frames.api.client import Client
from postpress_frames.pipeline.sync import sync_chats
from postpress_frames.storage.dataset import empty_stored, read_chat, scan_stored
from postpress_frames.tables.schemas import STORED_TABLES
from postpress_frames.testing import FakePostpress, demo_chat, demo_chats
from tests.conftest import FAST_RETRY

KEY = "pp_test_local_key"


def test_every_page_is_requested_with_the_same_headers(server: FakePostpress) -> None:
    with Client(server.api_key, server.base_url, retry=FAST_RETRY) as client:
        pages = list(client.iter_pages(server.chat_id, page_size=50))
    assert len(pages) == 6
    sent = [dict(request.headers) for request in server.requests]
    assert sent[0]["X-API-KEY"] == server.api_key
    assert all(headers == sent[0] for headers in sent[1:])


class _Listing(BaseHTTPRequestHandler):
    """Two pages of one message each; the first answer sets a cookie, and can be gzipped."""

    protocol_version = "HTTP/1.1"
    gzip = False
    chunked = False
    cookies: list[str | None]

    def do_GET(self) -> None:
        self.cookies.append(self.headers.get("Cookie"))
        last = "cursor=" in self.path
        body = json.dumps(
            {"items": [{"id": "m2" if last else "m1"}], "cursor": None if last else "c1"}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if not last:
            self.send_header("Set-Cookie", "lb=node-7; Path=/")
        if self.gzip:
            body = gzip.compress(body)
            self.send_header("Content-Encoding", "gzip")
        if self.chunked:  # three chunks and the last, empty one
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            third = len(body) // 3 + 1
            for start in (0, third, 2 * third, len(body)):
                piece = body[start : start + third] if start < len(body) else b""
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent."""


@contextmanager
def listing(
    *, compressed: bool = False, chunked: bool = False
) -> Iterator[tuple[str, list[str | None]]]:
    cookies: list[str | None] = []
    settings = {"gzip": compressed, "chunked": chunked, "cookies": cookies}
    handler = type("Handler", (_Listing,), settings)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/api/v1", cookies
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_a_cookie_the_server_sets_is_sent_with_the_next_page() -> None:
    with listing() as (base_url, cookies), Client(KEY, base_url, retry=FAST_RETRY) as client:
        ids = [item["id"] for page in client.iter_pages("chat_x") for item in page.items]
    assert ids == ["m1", "m2"]
    assert cookies == [None, "lb=node-7"]


@pytest.mark.parametrize(("compressed", "chunked"), [(True, False), (False, True), (True, True)])
def test_a_compressed_or_chunked_body_is_read_whole(compressed: bool, chunked: bool) -> None:
    with (
        listing(compressed=compressed, chunked=chunked) as (base_url, _),
        Client(KEY, base_url) as client,
    ):
        pages = list(client.iter_pages("chat_x"))
    assert [page.raw for page in pages] == [
        b'{"items": [{"id": "m1"}], "cursor": "c1"}',
        b'{"items": [{"id": "m2"}], "cursor": null}',
    ]


def sync_served(chats: dict[str, list[dict[str, Any]]], root: Path) -> None:
    with FakePostpress(chats) as server, Client(server.api_key, server.base_url) as client:
        assert all(result.ok for result in sync_chats(list(chats), root, client=client))


def listings_during_sync(
    root: Path, chats: dict[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> Counter[str]:
    """The folders under ``root`` listed while ``sync_chats`` syncs ``chats``, with counts."""
    listed: Counter[str] = Counter()
    lock = threading.Lock()
    real_scandir, real_listdir = os.scandir, os.listdir

    def record(path: Any) -> None:
        try:
            name = Path(path).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return
        with lock:
            listed[name] += 1

    def scandir(path: Any = ".") -> Any:
        record(path)
        return real_scandir(path)

    def listdir(path: Any = ".") -> list[str]:
        record(path)
        return real_listdir(path)

    with FakePostpress(chats) as server:
        client = Client(server.api_key, server.base_url, retry=FAST_RETRY)
        with monkeypatch.context() as patched:
            patched.setattr(os, "scandir", scandir)
            patched.setattr(os, "listdir", listdir)
            results = sync_chats(list(chats), root, client=client, workers=3)
        client.close()
    assert all(result.ok and result.total == 30 for result in results)
    return listed


def test_sync_chats_lists_the_dataset_once_however_many_chats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The root and the table folders are listed as often for six chats as for two (once,
    before any request); each chat's sync looks only in the folders of the chats synced."""
    shared: dict[int, Counter[str]] = {}
    for n in (2, 6):
        root = tmp_path / f"lake{n}"
        chats = demo_chats(n, 30, seed=3)
        sync_served(dict(list(chats.items())[:1]), root)  # one chat stored: its folders exist
        listed = listings_during_sync(root, chats, monkeypatch)
        per_chat = [name for name in listed if "chat_id=" in name]
        assert per_chat
        assert all(any(name.endswith(f"chat_id={chat}") for chat in chats) for name in per_chat)
        shared[n] = Counter({name: k for name, k in listed.items() if "chat_id=" not in name})
    assert shared[2] == shared[6]
    assert set(shared[6]) <= {".", *STORED_TABLES}


def test_empty_stored_is_a_stored_file_of_no_rows(tmp_path: Path) -> None:
    sync_served({"chat_a": demo_chat(20, chat_id="chat_a")}, tmp_path)
    stored = read_chat(tmp_path, "chat_a")
    assert stored.messages.height == 20
    for table in STORED_TABLES:
        empty = empty_stored(table)
        assert empty.height == 0
        assert empty.schema == scan_stored(tmp_path, table, "chat_a").collect_schema()
        assert empty.schema == scan_stored(tmp_path, table, "chat_missing").collect_schema()
    mine = empty_stored("rejects")
    mine.insert_column(0, pl.Series("mine", [], pl.String))  # in place
    assert "mine" not in empty_stored("rejects").columns  # not shared with other callers
