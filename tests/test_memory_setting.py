"""A sync fixes glibc's mmap threshold once, unless the user chose their own setting."""

from __future__ import annotations

from typing import Any

import pytest

from postpress_frames.pipeline import _memory
from postpress_frames.pipeline.sync import sync_chat
from postpress_frames.testing import FakePostpress, demo_chat
from tests.reliability.helpers import client_for


class FakeLibc:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []
        outer = self

        class Mallopt:
            argtypes: Any = None
            restype: Any = None

            def __call__(self, parameter: int, value: int) -> int:
                outer.calls.append((parameter, value))
                return 1

        self.mallopt = Mallopt()


@pytest.fixture
def libc(monkeypatch: pytest.MonkeyPatch) -> FakeLibc:
    fake = FakeLibc()
    monkeypatch.setattr(_memory.ctypes, "CDLL", lambda name: fake)
    monkeypatch.setattr(_memory, "_done", _memory.threading.Event())
    monkeypatch.setattr(_memory, "_wanted", _memory._wanted)
    for name in ("MALLOC_MMAP_THRESHOLD_", "POSTPRESS_FRAMES_KEEP_MALLOC"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(_memory.platform, "system", lambda: "Linux")
    monkeypatch.setattr(_memory.platform, "libc_ver", lambda: ("glibc", "2.36"))
    return fake


def test_a_sync_sets_the_threshold_once_per_process(libc: FakeLibc, tmp_path: Any) -> None:
    chats = {"chat_a": demo_chat(30, chat_id="chat_a")}
    with FakePostpress(chats) as server, client_for(server) as client:
        sync_chat("chat_a", tmp_path / "lake", client=client)
        sync_chat("chat_a", tmp_path / "lake", client=client)
    assert libc.calls == [(-3, 128 * 1024)]  # M_MMAP_THRESHOLD, glibc's default


@pytest.mark.parametrize("variable", ["MALLOC_MMAP_THRESHOLD_", "POSTPRESS_FRAMES_KEEP_MALLOC"])
def test_a_setting_of_the_user_is_left_alone(
    libc: FakeLibc, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "1")
    assert _memory.bound_large_allocations() is False
    assert libc.calls == []


def test_nothing_is_done_off_glibc(libc: FakeLibc, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_memory.platform, "libc_ver", lambda: ("", ""))
    assert _memory.bound_large_allocations() is False
    assert libc.calls == []
