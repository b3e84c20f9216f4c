"""Bench inputs: demo chats cached as JSON lines, their pages, and FakePostpress in a child.

Generating demo messages is pure Python (about 5 s per 100,000), so every chat is generated
once and cached under ``bench/.runs/`` (git-ignored) as JSON lines: one message per line,
serialised exactly as FakePostpress serialises it (compact, UTF-8), newest first. Delete the
folder to regenerate.

The large chat of workload 4 (1,000,000 messages) is ten chunks of ``demo_chat`` with seeds
0..9, each chunk ending where the previous (newer) one begins, so ids and timestamps stay
unique and the chat stays newest first. Its first chunk is the 100,000-message reference.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import BENCH, PYTHON, RUNS

PAGE_SIZE = 250
API_KEY = "pp_bench_fake_key"  # FakePostpress's key: loopback only, never a real secret
BIG_CHUNKS = 10


def _encoder() -> json.JSONEncoder:
    # The same settings as FakePostpress's serialiser, so cached lines are byte-identical.
    return json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _write_lines(path: Path, messages: list[dict[str, Any]], *, append: bool = False) -> None:
    encode = _encoder().encode
    with path.open("ab" if append else "wb") as out:
        for message in messages:
            out.write(encode(message).encode())
            out.write(b"\n")


def chat_file(chat_id: str, n: int, *, seed: int = 0) -> Path:
    """JSON lines of ``demo_chat(n, seed=seed, chat_id=chat_id)``, generated once."""
    path = RUNS / f"chat-{chat_id}-{n}-s{seed}.jsonl"
    if not path.exists():
        from postpress_frames.testing import demo_chat

        RUNS.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        _write_lines(tmp, demo_chat(n, seed=seed, chat_id=chat_id))
        tmp.replace(path)
    return path


def big_chat_file(n: int, *, chat_id: str = "chat_big") -> Path:
    """JSON lines of an ``n``-message chat made of ten demo chunks (see the module docstring)."""
    path = RUNS / f"chat-{chat_id}-{n}-chunked.jsonl"
    if path.exists():
        return path
    from postpress_frames.testing import DEFAULT_END, demo_chat

    RUNS.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    end = DEFAULT_END
    chunk = n // BIG_CHUNKS
    for seed in range(BIG_CHUNKS):
        size = chunk if seed < BIG_CHUNKS - 1 else n - chunk * (BIG_CHUNKS - 1)
        messages = demo_chat(size, seed=seed, chat_id=chat_id, end=end)
        _write_lines(tmp, messages, append=True)
        oldest = datetime.fromisoformat(messages[-1]["timestamp"]).astimezone(UTC)
        end = oldest - timedelta(hours=1)
        del messages
    tmp.replace(path)
    return path


def read_lines(path: Path, limit: int | None = None) -> list[bytes]:
    """The first ``limit`` (default all) serialised messages of a cached chat."""
    lines: list[bytes] = []
    with path.open("rb") as source:
        for line in source:
            if limit is not None and len(lines) >= limit:
                break
            lines.append(line.rstrip(b"\n"))
    return lines


def pages_of(lines: list[bytes], page_size: int = PAGE_SIZE) -> list[bytes]:
    """The response bodies FakePostpress sends for these messages, page by page."""
    from postpress_frames.testing import encode_cursor

    pages = []
    for start in range(0, max(len(lines), 1), page_size):
        end = start + page_size
        cursor = b"null" if end >= len(lines) else f'"{encode_cursor(end)}"'.encode()
        pages.append(
            b'{"object":"MessageList","items":['
            + b",".join(lines[start:end])
            + b'],"cursor":'
            + cursor
            + b"}"
        )
    return pages


def pages_file(n: int) -> Path:
    """The pages of the ``n``-message demo chat, stored for a child: a length index + bytes."""
    path = RUNS / f"pages-{n}.bin"
    index = path.with_suffix(".json")
    if not (path.exists() and index.exists()):
        pages = pages_of(read_lines(chat_file("chat_demo", n)))
        with path.open("wb") as out:
            for page in pages:
                out.write(page)
        index.write_text(json.dumps([len(p) for p in pages]))
    return path


def load_pages_file(path: Path) -> list[bytes]:
    """Read the pages back one ``read`` each (no whole-file copy, so RSS grows by the input)."""
    lengths = json.loads(path.with_suffix(".json").read_text())
    with path.open("rb") as source:
        return [source.read(length) for length in lengths]


# -- FakePostpress in a child process ---------------------------------------------------------


@dataclass(frozen=True)
class Served:
    base_url: str
    api_key: str
    chats: dict[str, int]  # chat id -> messages
    pid: int  # the serving child's

    def cpu(self) -> float:
        """CPU seconds (user + system) the serving child has used so far (Linux)."""
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serve(chats: dict[str, tuple[Path, int]], *, latency: float = 0.0) -> Iterator[Served]:
    """Run FakePostpress in a child process (so serving does not share our GIL) for ``chats``:
    chat id -> (cached JSON lines, how many of its first lines to serve)."""
    spec = {cid: [str(path), n] for cid, (path, n) in chats.items()}
    process = subprocess.Popen(
        [PYTHON, str(BENCH / "_child.py"), "serve", json.dumps(spec), str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "POSTPRESS_API_KEY": API_KEY},
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        ready = process.stdout.readline()
        if not ready:
            raise RuntimeError("the FakePostpress child exited before serving")
        info = json.loads(ready)
        counts = {cid: n for cid, (_, n) in chats.items()}
        yield Served(info["base_url"], API_KEY, counts, process.pid)
    finally:
        process.stdin.close()  # the child stops its server and exits on EOF
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve_in_this_process(spec: dict[str, list[Any]], latency: float) -> None:
    """The child's side of :func:`serve`: load the lines, serve until stdin closes."""
    from postpress_frames.testing import FakePostpress

    server = FakePostpress({}, api_key=os.environ["POSTPRESS_API_KEY"], latency=latency)
    for chat_id, (path, n) in spec.items():
        lines = read_lines(Path(path), n)
        if not _inject(server, chat_id, lines):
            server.add_chat(chat_id, [json.loads(line) for line in lines])
    with server:
        sys.stdout.write(json.dumps({"base_url": server.base_url}) + "\n")
        sys.stdout.flush()
        sys.stdin.read()


def _inject(server: Any, chat_id: str, lines: list[bytes]) -> bool:
    """Hand FakePostpress the already-serialised lines (a 1,000,000-message chat would take
    ~30 s to parse and serialise again). Falls back to ``add_chat`` if its internals moved.
    Only unfiltered requests are served from such a chat: ids, senders, times stay unset."""
    server.add_chat(chat_id, [])
    chat = getattr(server, "_chats", {}).get(chat_id)
    if chat is None or not all(
        hasattr(chat, name) for name in ("blobs", "ids", "senders", "times")
    ):
        return False
    chat.blobs = lines
    chat.ids = [None] * len(lines)
    chat.senders = [None] * len(lines)
    chat.times = [None] * len(lines)
    return True
