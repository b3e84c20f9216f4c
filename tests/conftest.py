"""Shared fixtures: a fake postpress server, a client with instant retries, demo frames."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from postpress_frames._retry import RetryPolicy

if TYPE_CHECKING:
    from postpress_frames.chat_frames import ChatFrames
    from postpress_frames.client import Client
    from postpress_frames.testing import FakePostpress

FAST_RETRY = RetryPolicy(max_attempts=4, initial_backoff=0.0, max_backoff=0.0, jitter=0.0)


def pages_of(messages: list[dict[str, Any]], size: int = 100) -> list[dict[str, Any]]:
    """Split newest-first messages into API page bodies, as the server would serve them."""
    chunks = [messages[i : i + size] for i in range(0, len(messages), size)] or [[]]
    return [
        {
            "object": "MessageList",
            "items": chunk,
            "cursor": None if i == len(chunks) - 1 else f"c{i}",
        }
        for i, chunk in enumerate(chunks)
    ]


def demo_frames(n: int = 200, *, chat_id: str = "chat_demo", seed: int = 0) -> ChatFrames:
    """Frames of a demo chat built without any network."""
    from postpress_frames.frames import frames_from_pages
    from postpress_frames.testing import demo_chat

    return frames_from_pages(pages_of(demo_chat(n, seed=seed, chat_id=chat_id)))


@pytest.fixture
def server() -> Iterator[FakePostpress]:
    from postpress_frames.testing import FakePostpress

    with FakePostpress(messages=300) as fake:
        yield fake


@pytest.fixture
def client(server: FakePostpress) -> Iterator[Client]:
    from postpress_frames.client import Client

    with Client(api_key=server.api_key, base_url=server.base_url, retry=FAST_RETRY) as c:
        yield c
