"""Clients sharing a RateLimitGate back off together when one of them gets a 429."""

from __future__ import annotations

from pathlib import Path

import pytest

from postpress_frames.api.client import Client
from postpress_frames.api.retry import RateLimitGate, RetryPolicy
from postpress_frames.pipeline import sync as sync_module
from postpress_frames.pipeline.sync import sync_chats
from postpress_frames.testing import FakePostpress, Fault, demo_chats


class FakeTime:
    """A clock that only moves when something sleeps, recording every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_429_on_one_client_holds_the_others() -> None:
    fake = FakeTime()
    gate = RateLimitGate(clock=fake.clock, sleep=fake.sleep)
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.0, jitter=0.0, sleep=fake.sleep)
    with FakePostpress(messages=20) as server:
        first = Client(api_key=server.api_key, base_url=server.base_url, retry=policy, gate=gate)
        second = first.clone()
        server.fail_next(Fault.error(429, "errors/too_many_requests", retry_after=7))
        assert len(next(first.iter_pages(server.chat_id)).items) == 20
        # first: the gate was closed for 7 s and its own retry slept those 7 s
        assert fake.sleeps == [7.0]
        fake.now -= 7.0  # as if the second worker asks while the first one still waits
        list(second.iter_pages(server.chat_id))
        assert fake.sleeps == [7.0, 7.0]
        first.close()
        second.close()


def test_the_gate_never_shortens_a_pause() -> None:
    fake = FakeTime()
    gate = RateLimitGate(clock=fake.clock, sleep=fake.sleep)
    gate.pause(10)
    gate.pause(2)
    assert gate.remaining() == 10
    gate.wait()
    assert fake.sleeps == [10]
    assert gate.remaining() == 0


def test_sync_chats_gives_every_worker_one_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[RateLimitGate] = []

    class Recording(RateLimitGate):
        def __init__(self) -> None:
            super().__init__()
            made.append(self)

    seen: list[RateLimitGate | None] = []
    real_clone = Client.clone

    def clone(self: Client, *, gate: RateLimitGate | None = None) -> Client:
        seen.append(gate)
        return real_clone(self, gate=gate)

    monkeypatch.setattr(sync_module, "RateLimitGate", Recording)
    monkeypatch.setattr(Client, "clone", clone)
    chats = demo_chats(3, 40, seed=2)
    with FakePostpress(chats) as server:
        server.fail_next(Fault.error(429, "errors/too_many_requests", retry_after=0))
        client = Client(api_key=server.api_key, base_url=server.base_url)
        results = sync_chats(chats, tmp_path, client=client, workers=3)
    assert all(r.ok for r in results)
    assert len(made) == 1
    assert seen == [made[0]] * 3
