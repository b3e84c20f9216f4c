"""Outputs never destroy what the package did not write (issue 12, defect 1).

``write_parquet`` replaces its target folder whole, so it writes only where nothing of the
user's is: an absent path, an empty folder, or a fetch folder of its own (a valid
postpress-frames ``manifest.json`` and nothing but the five files it writes).
``write_dataset``, ``sync_chat`` and ``sync_chats`` write inside their root, which must be
absent, empty or a dataset; a file or a folder of other files is refused before any request
or write. Every refusal is a ``StorageError`` naming the path and what is there, and leaves
everything as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from postpress_frames._exceptions import ConfigurationError, StorageError
from postpress_frames.pipeline.sync import sync_chat, sync_chats
from postpress_frames.storage.dataset import read_chat, write_dataset
from postpress_frames.storage.parquet import read_parquet, write_parquet
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.testing import FakePostpress, demo_chat
from tests.conftest import demo_frames
from tests.reliability.helpers import client_for, snapshot

CHAT = "chat_safe"


@pytest.fixture(scope="module")
def frames() -> ChatFrames:
    return demo_frames(40, chat_id=CHAT)


@pytest.fixture
def server() -> Iterator[FakePostpress]:
    with FakePostpress({CHAT: demo_chat(60, chat_id=CHAT)}) as fake:
        yield fake


def tree(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` (or ``path`` itself when it is a file) -> its bytes."""
    if path.is_file():
        return {path.name: path.read_bytes()}
    return snapshot(path)


# -- write_parquet ------------------------------------------------------------------------------


def test_write_parquet_refuses_to_replace_a_file(frames: ChatFrames, tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("my notes")
    with pytest.raises(StorageError, match="is a file") as caught:
        write_parquet(frames, target)
    assert caught.value.path == str(target)
    assert target.read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_write_parquet_refuses_a_folder_holding_other_files(
    frames: ChatFrames, tmp_path: Path
) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "other.csv").write_text("a,b\n1,2\n")
    before = tree(target)
    with pytest.raises(StorageError, match=r"other\.csv") as caught:
        write_parquet(frames, target)
    assert caught.value.path == str(target)
    assert "did not write" in str(caught.value)
    assert tree(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left


def test_write_parquet_refuses_its_own_folder_once_a_user_added_a_file(
    frames: ChatFrames, tmp_path: Path
) -> None:
    target = tmp_path / "out"
    write_parquet(frames, target)
    (target / "other.csv").write_text("mine")
    before = tree(target)
    with pytest.raises(StorageError, match=r"other\.csv"):
        write_parquet(demo_frames(10, chat_id=CHAT, seed=3), target)
    assert tree(target) == before
    assert read_parquet(target) == frames


@pytest.mark.parametrize(
    "manifest",
    [
        '{"format": "something-else", "chat_ids": []}',
        "not json at all",
        '{"chat_ids": ["x"]}',  # no format: not ours
    ],
)
def test_write_parquet_refuses_a_folder_whose_manifest_is_not_ours(
    frames: ChatFrames, tmp_path: Path, manifest: str
) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "manifest.json").write_text(manifest)
    with pytest.raises(StorageError, match=r"manifest\.json"):
        write_parquet(frames, target)
    assert (target / "manifest.json").read_text() == manifest


def test_write_parquet_refuses_a_folder_holding_a_subfolder(
    frames: ChatFrames, tmp_path: Path
) -> None:
    target = tmp_path / "out"
    write_parquet(frames, target)
    (target / "messages.parquet").unlink()
    (target / "messages.parquet").mkdir()  # a folder where a table file goes: not ours
    with pytest.raises(StorageError, match="did not write"):
        write_parquet(frames, target)
    assert (target / "messages.parquet").is_dir()


def test_write_parquet_replaces_its_own_folder_and_writes_into_an_empty_one(
    frames: ChatFrames, tmp_path: Path
) -> None:
    target = tmp_path / "out"
    write_parquet(demo_frames(10, chat_id=CHAT, seed=5), target)
    write_parquet(frames, target)  # an earlier fetch folder: replaced
    assert read_parquet(target) == frames
    empty = tmp_path / "empty"
    empty.mkdir()
    write_parquet(frames, empty)
    assert read_parquet(empty) == frames
    no_original = tmp_path / "no_original"  # a fetch folder without the original column
    from postpress_frames.tables.build import frames_from_pages
    from tests.conftest import pages_of

    lean = frames_from_pages(pages_of(demo_chat(10, chat_id=CHAT)), include_original=False)
    write_parquet(lean, no_original)
    write_parquet(lean, no_original)
    assert read_parquet(no_original) == lean


def test_write_parquet_refuses_a_symbolic_link(frames: ChatFrames, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    with pytest.raises(StorageError, match="symbolic link"):
        write_parquet(frames, link)
    assert link.is_symlink() and list(real.iterdir()) == []


@pytest.mark.parametrize("path", [".", "sub/..", "..", "/"])
def test_write_parquet_to_the_current_folder_or_above_is_refused_clearly(
    frames: ChatFrames, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """Today ``"."`` raised ValueError from pathlib (an empty name) with a traceback."""
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    monkeypatch.chdir(work)
    with pytest.raises(StorageError, match="current folder") as caught:
        write_parquet(frames, path)
    assert caught.value.path == path
    assert sorted(p.name for p in work.iterdir()) == ["sub"]
    with pytest.raises(ConfigurationError, match="non-empty path"):
        write_parquet(frames, "")


def test_write_parquet_to_a_subfolder_of_the_current_folder_works(
    frames: ChatFrames, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert write_parquet(frames, "out/").as_posix() == "out"
    assert write_parquet(frames, "./out/chat/..").as_posix() == "out"  # our folder again
    assert read_parquet("out") == frames


# -- write_dataset, sync_chat, sync_chats ---------------------------------------------------------


def foreign_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "data").mkdir()
    (folder / "data" / "x.parquet").write_bytes(b"not ours")
    return folder


def test_write_dataset_refuses_a_file_and_a_folder_of_other_files(
    frames: ChatFrames, tmp_path: Path
) -> None:
    file = tmp_path / "lake.txt"
    file.write_text("mine")
    with pytest.raises(StorageError, match="is a file") as caught:
        write_dataset(frames, file)
    assert caught.value.path == str(file)
    assert file.read_text() == "mine"
    folder = foreign_folder(tmp_path)
    before = tree(folder)
    with pytest.raises(StorageError, match=r"notes\.txt") as caught:
        write_dataset(frames, folder)
    assert caught.value.path == str(folder)
    assert tree(folder) == before
    assert sorted(p.name for p in folder.iterdir()) == ["data", "notes.txt"]


def test_write_dataset_refuses_a_dataset_with_a_foreign_file_and_names_it(
    frames: ChatFrames, tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    write_dataset(frames, root)
    (root / "messages" / "export.csv").write_text("mine")
    before = tree(root)
    with pytest.raises(StorageError, match=r"messages/export\.csv"):
        write_dataset(frames, root)
    assert tree(root) == before


def test_write_dataset_accepts_absent_empty_and_own_roots(
    frames: ChatFrames, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for root in (tmp_path / "absent", empty, tmp_path / "absent"):  # the last: ours by then
        assert write_dataset(frames, root) == [CHAT]
        assert read_chat(root, CHAT) == frames


def test_a_users_file_inside_a_partition_folder_is_never_deleted(
    server: FakePostpress, frames: ChatFrames, tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    with client_for(server) as client:
        assert sync_chat(CHAT, root, client=client).total == 60
        mine = next((root / "messages").iterdir()) / "notes.txt"
        mine.write_text("mine")
        server.add_messages(CHAT, 5)
        assert sync_chat(CHAT, root, client=client).total == 65
    write_dataset(frames, root)
    assert read_chat(root, CHAT) == frames
    assert mine.read_text() == "mine"


@pytest.mark.parametrize("kind", ["file", "folder of other files"])
def test_sync_chat_refuses_a_root_that_is_not_a_dataset_before_any_request(
    server: FakePostpress, tmp_path: Path, kind: str
) -> None:
    if kind == "file":
        root = tmp_path / "lake"
        root.write_text("mine")
    else:
        root = foreign_folder(tmp_path)
    before = tree(root)
    with client_for(server) as client:
        with pytest.raises(StorageError) as caught:
            sync_chat(CHAT, root, client=client)
        assert caught.value.path == str(root)
        assert ("is a file" if kind == "file" else "notes.txt") in str(caught.value)
        with pytest.raises(StorageError):
            sync_chats([CHAT, "chat_other"], root, client=client)
    assert server.requests == []
    assert tree(root) == before


def test_sync_refuses_a_fetch_folder_as_its_dataset(
    server: FakePostpress, frames: ChatFrames, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    write_parquet(frames, out)
    before = tree(out)
    with client_for(server) as client, pytest.raises(StorageError, match=r"manifest\.json"):
        sync_chat(CHAT, out, client=client)
    assert server.requests == []
    assert tree(out) == before


def test_write_parquet_refuses_a_dataset_root(frames: ChatFrames, tmp_path: Path) -> None:
    root = tmp_path / "lake"
    write_dataset(frames, root)
    before = tree(root)
    with pytest.raises(StorageError, match="did not write"):
        write_parquet(frames, root)
    assert tree(root) == before
