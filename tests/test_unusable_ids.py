"""Ids and cursors a page cannot be paged by: the client refuses them, with the field named.

A lone surrogate escape (``"\\ud800x"``) is valid JSON but not Unicode text: polars reads it
as other text (two such ids become one) and no URL can carry it, so an id or a cursor holding
one is an :class:`InvalidResponseError`, under either ``on_invalid``, never a bare
``UnicodeEncodeError``; and no error suggests ``on_invalid="quarantine"`` for what the
client refuses, since quarantine cannot keep it either.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from postpress_frames._exceptions import InvalidResponseError
from postpress_frames.api.client import Client
from postpress_frames.pipeline.fetch import fetch_chat
from postpress_frames.pipeline.sync import sync_chat
from postpress_frames.testing import FakePostpress, Fault, demo_chat
from tests.conftest import FAST_RETRY

CHAT = "chat_unusable"
SURROGATE_ID = '"\\ud800x"'  # as the body carries it: a JSON escape


def serve_page(server: FakePostpress, body: str) -> None:
    fault = Fault.raw(200, body.encode("ascii"), content_type="application/json")
    server.fail_page(1, fault, times=10)


def one_message(**replace: str) -> str:
    """A body of one demo message whose JSON values named in ``replace`` are swapped for the
    raw JSON text given."""
    item = dict(demo_chat(1, chat_id=CHAT, seed=2)[0])
    text = json.dumps(item)
    for key, raw in replace.items():
        text = text.replace(f'"{key}": {json.dumps(item[key])}', f'"{key}": {raw}', 1)
    return '{"items": [' + text + '], "cursor": null}'


@pytest.fixture
def server() -> Iterator[FakePostpress]:
    with FakePostpress({CHAT: demo_chat(3, chat_id=CHAT, seed=2)}) as running:
        yield running


def client_of(server: FakePostpress) -> Client:
    return Client(api_key=server.api_key, base_url=server.base_url, retry=FAST_RETRY)


@pytest.mark.parametrize("on_invalid", ["raise", "quarantine"])
def test_an_id_holding_a_lone_surrogate_is_refused_by_its_field(
    server: FakePostpress, on_invalid: Literal["raise", "quarantine"]
) -> None:
    serve_page(server, one_message(id=SURROGATE_ID))
    with client_of(server) as client, pytest.raises(InvalidResponseError) as caught:
        fetch_chat(CHAT, client=client, on_invalid=on_invalid)
    error = caught.value
    assert (error.page, error.field, error.chat_id) == (1, "items[0].id", CHAT)
    assert "lone surrogate" in error.problem and '"\\ud800x"' in error.problem
    assert "quarantine" not in str(error)
    str(error).encode("utf-8")  # printable: the CLI's one line cannot fail on it


def test_a_sync_refuses_it_and_writes_nothing(server: FakePostpress, tmp_path: Path) -> None:
    serve_page(server, one_message(id=SURROGATE_ID))
    with client_of(server) as client, pytest.raises(InvalidResponseError) as caught:
        sync_chat(CHAT, tmp_path / "lake", client=client)
    assert caught.value.field == "items[0].id"
    assert not list((tmp_path / "lake").rglob("*.parquet"))


def test_a_cursor_holding_a_lone_surrogate_is_refused(server: FakePostpress) -> None:
    serve_page(server, one_message().replace('"cursor": null', '"cursor": "\\udc00c2"'))
    with client_of(server) as client, pytest.raises(InvalidResponseError) as caught:
        list(client.iter_pages(CHAT))
    assert (caught.value.field, caught.value.page) == ("cursor", 1)
    assert "lone surrogate" in caught.value.problem


def test_a_paired_surrogate_escape_is_text(server: FakePostpress) -> None:
    serve_page(server, one_message(id='"m_\\ud83d\\ude00"'))  # an emoji, escaped
    with client_of(server) as client:
        frames = fetch_chat(CHAT, client=client)
    assert frames.messages["id"].to_list() == ["m_\N{GRINNING FACE}"]


def test_the_client_s_refusal_of_an_id_carries_no_quarantine_hint(server: FakePostpress) -> None:
    """A number where the id goes: the client cannot page by it, whatever on_invalid says."""
    serve_page(server, one_message(id="7"))
    with client_of(server) as client, pytest.raises(InvalidResponseError) as caught:
        fetch_chat(CHAT, client=client)
    assert caught.value.field == "items[0].id"
    assert "quarantine" not in str(caught.value)


def test_a_value_the_builder_refuses_still_suggests_quarantine(server: FakePostpress) -> None:
    serve_page(server, one_message(text="{}"))
    with client_of(server) as client, pytest.raises(InvalidResponseError) as caught:
        fetch_chat(CHAT, client=client)
    assert caught.value.field is not None and "text" in caught.value.field
    assert 'on_invalid="quarantine"' in str(caught.value)


def test_the_builder_refuses_a_message_it_reads_another_id_for_than_the_client() -> None:
    from postpress_frames.api.page import Page
    from postpress_frames.tables.build import frames_from_pages

    body = (
        '{"items": ['
        + ", ".join(json.dumps(m) for m in demo_chat(2, chat_id=CHAT, seed=2))
        + '], "cursor": null}'
    )
    raw = body.encode()
    ids = [m["id"] for m in demo_chat(2, chat_id=CHAT, seed=2)]
    agreeing = Page.lazy(1, raw, None, keep=[0, 1], total=2, ids=ids)
    assert frames_from_pages([agreeing]).messages.height == 2
    unknown = Page.lazy(1, raw, None, keep=[0, 1], total=2)  # no ids: nothing to compare
    assert frames_from_pages([unknown]).messages.height == 2
    other = Page.lazy(1, raw, None, keep=[1], total=2, ids=[ids[0], "m_elsewhere"])
    with pytest.raises(InvalidResponseError) as caught:
        frames_from_pages([other])
    assert (caught.value.page, caught.value.field) == (1, "items[1].id")
    assert "'m_elsewhere'" in caught.value.problem
    aside = frames_from_pages([other], on_invalid="quarantine")
    assert aside.messages.height == 0 and aside.rejects["message_id"].to_list() == [None]
