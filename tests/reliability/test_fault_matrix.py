"""Every failure the spec page lists, injected on a seeded random page of a 10,000-message chat.

Over real HTTP (FakePostpress), with instant retries (zero backoff, a fake sleep):

* transient, retries suffice: the frames equal the fault-free run's, row for row;
* permanent, or retries run out: the typed error with status, type, page and attempts;
  ``sync_chat`` leaves every byte of the stored dataset as it was, no staging or temporary
  file behind, and a rerun completes the dataset to exactly the fault-free frames.
"""

from __future__ import annotations

import random
import shutil
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from postpress_frames._exceptions import (
    APIError,
    AuthenticationError,
    CursorLoopError,
    GatewayTimeoutError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    PostpressError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    TransportError,
)
from postpress_frames.pipeline.sync import sync_chat
from postpress_frames.storage.dataset import read_chat, write_dataset
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.testing import ERROR_TYPES, FakePostpress, Fault, demo_chat
from tests.conftest import pages_of
from tests.reliability.helpers import (
    ATTEMPTS,
    SleepRecorder,
    client_for,
    instant_retry,
    leftovers,
    snapshot,
)

CHAT = "chat_ten_thousand"
OTHER = "chat_bystander"
MESSAGES = 10_000
PAGE_SIZE = 250
PAGES = MESSAGES // PAGE_SIZE
EVERYTHING = timedelta(days=365 * 20)  # an overlap reaching past the oldest message
READ_TIMEOUT = 0.5
SLOW_ANSWER = 1.5

CLASS_BY_STATUS: dict[int, type[APIError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
    500: ServerError,
    502: ServerError,
    503: ServiceUnavailableError,
    504: GatewayTimeoutError,
}


@dataclass(frozen=True)
class Case:
    """One fault: what to inject, whether a retry gets past it, and the error it must give."""

    name: str
    fault: Fault
    retried: bool
    error: type[PostpressError]
    status: int | None = None
    type: str | None = None
    waits: float = 0.0  # what the fake sleep must be asked for before each retry

    @property
    def page(self) -> int:
        """The seeded random page this fault lands on (a repeated cursor needs page >= 2)."""
        low = 2 if self.fault.kind == "repeat_cursor" else 1
        return random.Random(zlib.crc32(self.name.encode())).randint(low, PAGES)


HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"

CASES = [
    *(
        Case(
            name,
            Fault.error(spec.status, name),
            retried=spec.status >= 500,
            error=CLASS_BY_STATUS[spec.status],
            status=spec.status,
            type=name,
        )
        for name, spec in ERROR_TYPES.items()
    ),
    Case(
        "429 with Retry-After",
        Fault.error(429, "errors/too_many_requests", retry_after=7),
        retried=True,
        error=RateLimitError,
        status=429,
        type="errors/too_many_requests",
        waits=7.0,
    ),
    Case(
        "429 without Retry-After",
        Fault.error(429, "errors/too_many_requests"),
        retried=True,
        error=RateLimitError,
        status=429,
        type="errors/too_many_requests",
    ),
    Case("502 HTML body", Fault.raw(502, HTML_502), retried=True, error=ServerError, status=502),
    Case("dropped connection", Fault.drop(), retried=True, error=TransportError),
    Case("read timeout", Fault.delay(SLOW_ANSWER), retried=True, error=TransportError),
    Case("truncated body", Fault.truncated(), retried=True, error=TransportError),
    Case("200 not JSON", Fault.not_json(), retried=True, error=InvalidResponseError),
    Case("empty 200", Fault.empty(), retried=True, error=InvalidResponseError),
    Case("repeated cursor", Fault.repeat_cursor(), retried=False, error=CursorLoopError),
]
RETRIED = [case for case in CASES if case.retried]
# Building frames and rebuilding the dataset cost seconds: these run by default, all behind
# the slow marker. Every case still checks its bytes, its error and an unchanged dataset.
FRAMES_BY_DEFAULT = {"errors/provider_error", "429 with Retry-After", "read timeout", "empty 200"}
RERUN_BY_DEFAULT = {"truncated body"}
# One error type per status runs by default, every one of them in the slow run.
ONE_TYPE_PER_STATUS = {
    "errors/expired_credentials",
    "errors/account_restricted",
    "errors/invalid_resource_identifier",
    "errors/provider_error",
    "errors/service_unavailable",
    "errors/request_timeout",
}
BY_DEFAULT = {c.name for c in CASES if c.type not in ERROR_TYPES} | ONE_TYPE_PER_STATUS
STAGED_FIRST = {"errors/account_restricted", "truncated body", "repeated cursor"}


@dataclass(frozen=True)
class World:
    server: FakePostpress
    raw: list[bytes]  # the fault-free run's page bodies
    frames: ChatFrames  # and its frames
    base: Path  # a stored dataset: an older state of CHAT, and OTHER


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    messages = demo_chat(MESSAGES, seed=11, chat_id=CHAT)
    bystander = demo_chat(60, seed=12, chat_id=OTHER)
    with FakePostpress({CHAT: messages, OTHER: bystander}, seed=11) as server:
        with client_for(server) as client:
            pages = list(client.iter_pages(CHAT, page_size=PAGE_SIZE))
        assert len(pages) == PAGES
        frames = frames_from_pages(pages).validate()
        base = tmp_path_factory.mktemp("base") / "lake"
        older = messages[1500:]  # the stored copy lacks the newest 1,500 messages
        older[0] = {**older[0], "text": "an old version, edited since", "edited": 0}
        write_dataset(frames_from_pages(pages_of(older + bystander, PAGE_SIZE)), base)
        yield World(server, [page.raw for page in pages], frames, base)


@pytest.fixture
def server(world: World) -> Iterator[FakePostpress]:
    world.server.clear_faults()
    world.server.requests.clear()
    yield world.server
    world.server.clear_faults()


@pytest.fixture
def lake(world: World, tmp_path: Path) -> Path:
    root = tmp_path / "lake"
    shutil.copytree(world.base, root)
    return root


def fault_requests(server: FakePostpress, case: Case, expected: int) -> int:
    """How many answers the fault gave (a delayed answer is recorded once it is sent)."""
    deadline = time.monotonic() + 10 * SLOW_ANSWER
    while True:
        count = sum(1 for r in server.requests if r.fault == case.fault.kind)
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(0.01)


def timeout_for(case: Case) -> float | tuple[float, float]:
    return (10.0, READ_TIMEOUT) if case.fault.kind == "delay" else 10.0


def check_error(error: PostpressError, case: Case) -> None:
    assert type(error) is case.error, repr(error)
    assert getattr(error, "page", None) == case.page
    assert getattr(error, "chat_id", None) == CHAT
    if case.status is not None:
        assert isinstance(error, APIError)
        assert error.status == case.status
        assert error.type == case.type
    if case.retried:
        assert getattr(error, "attempts", None) == ATTEMPTS
    elif isinstance(error, APIError):
        assert error.attempts == 1
    if case.name == "502 HTML body":
        assert isinstance(error, APIError) and error.detail and "502 Bad Gateway" in error.detail
    if isinstance(error, CursorLoopError):
        assert error.field == "cursor"


def check_stored_equals(root: Path, frames: ChatFrames) -> None:
    stored = read_chat(root, CHAT)
    for table in frames:
        assert stored[table].equals(frames[table]), table


def marked(cases: list[Case], by_default: set[str]) -> list[Any]:
    return [
        pytest.param(case, id=case.name, marks=() if case.name in by_default else pytest.mark.slow)
        for case in cases
    ]


@pytest.mark.parametrize("case", marked(RETRIED, BY_DEFAULT))
def test_a_transient_fault_gives_the_fault_free_pages_byte_for_byte(
    world: World, server: FakePostpress, case: Case
) -> None:
    # frames_from_pages is a pure function of the page bodies: equal bytes, equal frames.
    sleep = SleepRecorder()
    server.fail_page(case.page, case.fault)
    with client_for(server, retry=instant_retry(sleep), timeout=timeout_for(case)) as client:
        pages = list(client.iter_pages(CHAT, page_size=PAGE_SIZE))
    assert fault_requests(server, case, 1) == 1 and server.pending_faults == 0
    assert [page.number for page in pages] == list(range(1, PAGES + 1))
    assert [page.raw for page in pages] == world.raw
    assert sleep.waits == [case.waits]  # one retry, after the wait Retry-After asked for


@pytest.mark.parametrize("case", marked(RETRIED, FRAMES_BY_DEFAULT))
def test_a_transient_fault_gives_the_fault_free_frames_row_for_row(
    world: World, server: FakePostpress, case: Case
) -> None:
    server.fail_page(case.page, case.fault)
    with client_for(server, timeout=timeout_for(case)) as client:
        frames = frames_from_pages(client.iter_pages(CHAT, page_size=PAGE_SIZE))
    assert fault_requests(server, case, 1) == 1
    assert frames == world.frames


@pytest.mark.parametrize("case", marked(CASES, BY_DEFAULT))
def test_a_lasting_fault_fails_typed_and_sync_changes_no_file(
    server: FakePostpress, lake: Path, case: Case
) -> None:
    before = snapshot(lake)
    sleep = SleepRecorder()
    server.fail_page(case.page, case.fault, times=ATTEMPTS if case.retried else 1)
    # Some faults come after batches of pages were staged, the others before any was.
    batch_pages = 8 if case.name in STAGED_FIRST else PAGES
    with (
        client_for(server, retry=instant_retry(sleep), timeout=timeout_for(case)) as client,
        pytest.raises(PostpressError) as caught,
    ):
        sync_chat(CHAT, lake, client=client, overlap=EVERYTHING, batch_pages=batch_pages)
    check_error(caught.value, case)
    expected = ATTEMPTS if case.retried else 1
    assert fault_requests(server, case, expected) == expected
    assert server.pending_faults == 0
    assert sleep.waits == ([case.waits] * (ATTEMPTS - 1) if case.retried else [])
    assert snapshot(lake) == before
    assert leftovers(lake) == []


@pytest.mark.parametrize("case", marked(CASES, RERUN_BY_DEFAULT))
def test_a_rerun_after_a_failed_sync_completes_the_dataset(
    world: World, server: FakePostpress, lake: Path, case: Case
) -> None:
    bystander = {k: v for k, v in snapshot(lake).items() if f"chat_id={OTHER}" in k}
    server.fail_page(case.page, case.fault, times=ATTEMPTS if case.retried else 1)
    with client_for(server, timeout=timeout_for(case)) as client:
        with pytest.raises(case.error):
            sync_chat(CHAT, lake, client=client, overlap=EVERYTHING, batch_pages=8)
        result = sync_chat(CHAT, lake, client=client, overlap=EVERYTHING, batch_pages=8)
    assert result.ok and result.total == MESSAGES
    assert (result.added, result.updated) == (1500, 1)
    check_stored_equals(lake, world.frames)
    after = {k: v for k, v in snapshot(lake).items() if f"chat_id={OTHER}" in k}
    assert after == bystander
    assert leftovers(lake) == []
