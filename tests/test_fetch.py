"""fetch_chat: iter_pages plus frames_from_pages, over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from postpress_frames._exceptions import ArgumentTypeError, NotFoundError
from postpress_frames.api.client import Client
from postpress_frames.pipeline.fetch import fetch_chat
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.testing import FakePostpress
from tests.conftest import FAST_RETRY


@pytest.fixture(scope="module")
def big_server():  # type: ignore[no-untyped-def]
    with FakePostpress(messages=5000) as server:
        yield server


def test_fetch_chat_equals_frames_from_the_same_pages(big_server: FakePostpress) -> None:
    with Client(api_key=big_server.api_key, base_url=big_server.base_url) as client:
        frames = fetch_chat(big_server.chat_id, client=client)
        pages = list(client.iter_pages(big_server.chat_id))
    assert frames == frames_from_pages(pages)
    assert frames.validate() is frames
    assert frames.messages.height == 5000
    assert sorted(frames.messages["id"]) == sorted(m["id"] for m in big_server.messages())


def test_fetch_chat_passes_filters(big_server: FakePostpress) -> None:
    everything = big_server.messages()
    sender = everything[0]["sender_id"]
    middle = everything[2500]["timestamp"]
    with Client(api_key=big_server.api_key, base_url=big_server.base_url) as client:
        frames = fetch_chat(
            big_server.chat_id, client=client, sender_id=sender, before=middle, page_size=100
        )
    want = {m["id"] for m in everything if m["sender_id"] == sender and m["timestamp"] < middle}
    assert set(frames.messages["id"]) == want


def test_fetch_chat_without_original(big_server: FakePostpress) -> None:
    with Client(api_key=big_server.api_key, base_url=big_server.base_url) as client:
        frames = fetch_chat(big_server.chat_id, client=client, include_original=False)
    assert "original" not in frames.messages.columns
    frames.validate()


def test_progress_bar_counts_messages(
    big_server: FakePostpress, capsys: pytest.CaptureFixture[str]
) -> None:
    with Client(api_key=big_server.api_key, base_url=big_server.base_url) as client:
        fetch_chat(big_server.chat_id, client=client, progress=True, after="2026-10-01")
    err = capsys.readouterr().err
    assert big_server.chat_id in err
    assert "msg" in err


def test_fetch_chat_raises_the_typed_error(big_server: FakePostpress) -> None:
    with (
        Client(
            api_key=big_server.api_key, base_url=big_server.base_url, retry=FAST_RETRY
        ) as client,
        pytest.raises(NotFoundError) as caught,
    ):
        fetch_chat("chat_nope", client=client)
    assert caught.value.status == 404
    assert caught.value.chat_id == "chat_nope"


@pytest.mark.parametrize(
    ("args", "kwargs", "argument"),
    [
        ((123,), {}, "chat_id"),
        (("chat_x",), {"client": "http://localhost"}, "client"),
        (("chat_x",), {"page_size": "50"}, "page_size"),
        (("chat_x",), {"include_original": 0}, "include_original"),
        (("chat_x",), {"progress": "yes"}, "progress"),
    ],
)
def test_fetch_chat_names_a_wrong_argument_before_any_request(
    big_server: FakePostpress, args: tuple[Any, ...], kwargs: dict[str, Any], argument: str
) -> None:
    big_server.requests.clear()
    with (
        Client(api_key=big_server.api_key, base_url=big_server.base_url) as client,
        pytest.raises(ArgumentTypeError) as caught,
    ):
        fetch_chat(*args, **{"client": client, **kwargs})
    assert caught.value.argument == argument
    assert big_server.requests == []
