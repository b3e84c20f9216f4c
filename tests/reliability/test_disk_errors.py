"""Disk full or a read-only target: a clear error, and the previous dataset or folder intact.

Tests run as root, where ``chmod`` does not stop writes: a full disk is simulated by a writer
that writes half a file then raises ``ENOSPC``, a read-only file system by ``EROFS`` from the
rename, and an unwritable target by a path whose parent is a regular file.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import postpress_frames.storage.atomic as atomic
import postpress_frames.storage.commit as commit
import postpress_frames.storage.merge as merge
import postpress_frames.storage.parquet as parquet
from postpress_frames.pipeline.sync import sync_chat
from postpress_frames.storage.dataset import read_chat, write_dataset
from postpress_frames.storage.parquet import read_parquet, write_parquet
from postpress_frames.testing import FakePostpress, demo_chat
from tests.conftest import demo_frames
from tests.reliability.helpers import client_for, leftovers, snapshot

CHAT = "chat_disk"


def failing_writer(real: Callable[..., None], fail_at: int, code: int) -> Callable[..., None]:
    """A ``write_table`` whose ``fail_at``-th call writes half a file, then raises ``code``."""
    calls = [0]

    def write(frame: pl.DataFrame, target: Path) -> None:
        calls[0] += 1
        if calls[0] == fail_at:
            real(frame, target)
            data = Path(target).read_bytes()
            Path(target).write_bytes(data[: len(data) // 2])
            raise OSError(code, os.strerror(code), str(target))
        real(frame, target)

    return write


@pytest.fixture
def server() -> Iterator[FakePostpress]:
    with FakePostpress({CHAT: demo_chat(900, chat_id=CHAT, seed=5)}) as fake:
        yield fake


@pytest.fixture
def lake(server: FakePostpress, tmp_path: Path) -> Path:
    root = tmp_path / "lake"
    with client_for(server) as client:
        sync_chat(CHAT, root, client=client)
    server.add_messages(CHAT, 600)
    return root


# batch files are written first (4 per batch, by storage.merge), then the four merged files
# (by storage.commit): one writer counts the calls of both
@pytest.mark.parametrize(
    "fail_at",
    [1, pytest.param(6, marks=pytest.mark.slow), pytest.param(13, marks=pytest.mark.slow), 16],
)
def test_disk_full_during_sync_raises_enospc_and_keeps_the_dataset(
    server: FakePostpress, lake: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int
) -> None:
    before = snapshot(lake)
    assert merge.write_table is commit.write_table
    writer = failing_writer(merge.write_table, fail_at, errno.ENOSPC)
    monkeypatch.setattr(merge, "write_table", writer)
    monkeypatch.setattr(commit, "write_table", writer)
    with client_for(server) as client:
        with pytest.raises(OSError, match="No space left on device") as caught:
            sync_chat(CHAT, lake, client=client, page_size=100, batch_pages=2)
        assert caught.value.errno == errno.ENOSPC
        assert snapshot(lake) == before
        assert leftovers(lake) == []
        monkeypatch.undo()
        assert sync_chat(CHAT, lake, client=client).added == 600


def test_a_read_only_file_system_at_the_commit_keeps_the_dataset(
    server: FakePostpress, lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(lake)

    def read_only(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(args[0]))

    monkeypatch.setattr(atomic.os, "replace", read_only)  # the journal's rename is the first
    with client_for(server) as client, pytest.raises(OSError, match="Read-only file system"):
        sync_chat(CHAT, lake, client=client)
    monkeypatch.undo()
    assert snapshot(lake) == before
    assert leftovers(lake) == []


def test_a_target_under_a_file_is_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where a folder should be")
    frames = demo_frames(50)
    for write, name in ((write_parquet, "chat"), (write_dataset, "lake")):
        with pytest.raises(OSError, match="not_a_folder") as caught:
            write(frames, blocker / name)
        assert caught.value.errno in (errno.ENOTDIR, errno.EEXIST)
    assert blocker.read_text() == "a file where a folder should be"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not_a_folder"]


@pytest.mark.parametrize("fail_at", [1, 3])
def test_disk_full_in_write_parquet_keeps_the_previous_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int
) -> None:
    target = tmp_path / "chat"
    old = demo_frames(40, seed=1)
    write_parquet(old, target)
    before = snapshot(target)
    monkeypatch.setattr(
        parquet, "write_table", failing_writer(parquet.write_table, fail_at, errno.ENOSPC)
    )
    with pytest.raises(OSError, match="No space left on device"):
        write_parquet(demo_frames(80, seed=2), target)
    assert snapshot(target) == before
    assert read_parquet(target) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chat"]  # no staging folder left


def test_disk_full_in_write_dataset_keeps_the_previous_chat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = demo_frames(40, seed=1, chat_id=CHAT)
    write_dataset(old, tmp_path)
    before = snapshot(tmp_path)
    monkeypatch.setattr(commit, "write_table", failing_writer(commit.write_table, 3, errno.ENOSPC))
    with pytest.raises(OSError, match="No space left on device"):
        write_dataset(demo_frames(80, seed=2, chat_id=CHAT), tmp_path)
    assert snapshot(tmp_path) == before
    assert read_chat(tmp_path, CHAT).messages.equals(old.messages)


def test_the_cli_reports_an_unwritable_target_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with FakePostpress({CHAT: demo_chat(30, chat_id=CHAT)}) as server:
        env = {
            **os.environ,
            "POSTPRESS_API_KEY": server.api_key,
            "POSTPRESS_BASE_URL": server.base_url,
        }
        result = subprocess.run(
            [sys.executable, "-m", "postpress_frames", "fetch", CHAT, "--out", str(blocker / "o")],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert str(blocker) in lines[0]
