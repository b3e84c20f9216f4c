"""Shared pieces of the reliability tests: instant retries, dataset snapshots, id lists, and
what each engine (DuckDB, polars, pyarrow, the package) sees of a dataset."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from postpress_frames.api.client import Client
from postpress_frames.api.retry import RetryPolicy
from postpress_frames.tables.schemas import TABLE_MODELS
from postpress_frames.testing import FakePostpress, Fault
from tests.engines import NoFiles, Reader, read_package

ATTEMPTS = 3


class SleepRecorder:
    """A fake ``sleep`` for RetryPolicy: records each wait, never sleeps."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def instant_retry(sleep: SleepRecorder | None = None) -> RetryPolicy:
    """Three attempts, zero backoff, a fake sleep (``Retry-After`` is recorded, not slept)."""
    return RetryPolicy(
        max_attempts=ATTEMPTS,
        initial_backoff=0.0,
        max_backoff=0.0,
        jitter=0.0,
        sleep=sleep or SleepRecorder(),
    )


def client_for(server: FakePostpress, **kwargs: Any) -> Client:
    kwargs.setdefault("retry", instant_retry())
    kwargs.setdefault("timeout", 10.0)
    return Client(server.api_key, server.base_url, **kwargs)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones included) -> its bytes."""
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def leftovers(root: Path) -> list[str]:
    """Hidden temporary files or staging folders a sync must not leave behind."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.name.startswith(".tmp-") or (p.name == ".staging" and any(p.iterdir()))
    )


def ids_of(messages: Iterable[dict[str, Any]]) -> list[str]:
    return sorted(m.get("id") or m["message_id"] for m in messages)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def live_threads() -> set[threading.Thread]:
    return set(threading.enumerate())


# -- what each engine sees of a dataset -------------------------------------------------------
#: One dataset state as a reader sees it: table -> chat id -> its sorted keys (message ids,
#: repeats kept), or the error the reader raised on that table.
Generation = dict[str, dict[str, list[str]] | str]


def generation(root: Path, read: Reader = read_package) -> Generation:
    """What ``read`` sees of every table at ``root``; a table without files reads as empty."""
    seen: Generation = {}
    for table in TABLE_MODELS:
        try:
            seen[table] = read(root, table).keys_by_chat()
        except NoFiles:
            seen[table] = {}
        except Exception as error:  # a partial file, say: reported, not raised
            seen[table] = f"{type(error).__name__}: {str(error)[:300]}"
    return seen


def empty_generation() -> Generation:
    return {table: {} for table in TABLE_MODELS}


def _describe(keys: dict[str, list[str]] | str) -> str:
    if isinstance(keys, str):
        return keys
    rows = sum(len(k) for k in keys.values())
    distinct = len({key for k in keys.values() for key in k})
    return f"{rows} rows of {distinct} distinct messages in chats {sorted(keys)!r}"


def generation_problems(
    views: dict[str, Generation], previous: Generation, new: Generation
) -> list[str]:
    """How ``views`` (engine -> what it saw) break "each table is the previous generation or
    the new one, whole": a table read twice (hidden files counted), partly, or not at all.

    The view named ``scan_dataset`` (the package, which finishes a decided commit) must also
    see all four tables from the same generation.
    """
    problems = []
    for engine, view in views.items():
        common = {"previous", "new"}
        for table in TABLE_MODELS:
            got = view[table]
            matches = {n for n, g in (("previous", previous), ("new", new)) if got == g[table]}
            if not matches:
                problems.append(
                    f"{engine} {table}: {_describe(got)}; the previous generation has "
                    f"{_describe(previous[table])}, the new one {_describe(new[table])}"
                )
            common &= matches or {"previous", "new"}
        if engine == "scan_dataset" and not common:
            tables = {t: _describe(view[t]) for t in TABLE_MODELS}
            problems.append(f"{engine}: tables from different generations: {tables}")
    return problems


def listing(root: Path) -> list[str]:
    """Every file under ``root`` (hidden ones included), relative, with its size."""
    if not root.exists():
        return []
    return [
        f"{p.relative_to(root).as_posix()} ({p.stat().st_size} B)"
        for p in sorted(root.rglob("*"))
        if p.is_file()
    ]


# -- a sync SIGKILLed at a kill point (a kill trial's child process) ---------------------------
#: What the child prints: before its sync, where it kills itself, and if it ever finishes.
KILL_READY = "kill-trial: ready"
KILL_DYING = "kill-trial: dying at"
KILL_FINISHED = "kill-trial: finished"
#: The child's command line: ``python -c KILL_CHILD chat root mode n options`` run from
#: :data:`REPO` (so ``tests`` imports); ``options`` is the JSON of the storage options.
KILL_CHILD = (
    "import sys; from tests.reliability.helpers import kill_trial_child; "
    "kill_trial_child(sys.argv[1:])"
)
REPO = Path(__file__).resolve().parents[2]


def kill_trial_child(argv: list[str]) -> None:
    """A kill trial's child, on a local folder or an object store: hook the kill points on
    the storage functions wherever the package binds them, say it is ready, then sync.

    ``argv`` is ``chat root mode n options`` (``options``: JSON, ``null`` on disk). The kill
    points are those of ``test_kill_trials``: ``stage-write`` / ``merge-write`` die halfway
    through writing the n-th staged batch file / merged (temporary) table file (on a store
    that file is the local one, before its upload), ``commit-before`` / ``commit-after`` just
    before / after the n-th ``commit_file``; plus, on a store, ``commit-copied``: inside the
    n-th ``commit_file``, after the copy onto the target, before the temporary's delete.
    """
    import postpress_frames.pipeline.sync as sync
    import postpress_frames.storage.atomic as atomic
    import postpress_frames.storage.parquet as parquet
    import postpress_frames.storage.store as store

    chat, root, mode, n, options = argv[0], argv[1], argv[2], int(argv[3]), json.loads(argv[4])
    calls = {"stage": 0, "merge": 0, "commit": 0}

    def die(where: str) -> None:
        print(f"{KILL_DYING} {where}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    real_write, real_commit = parquet.write_table, atomic.commit_file
    real_unlink = store.ObjectPath.unlink

    def write_table(frame: Any, target: Any, *args: Any, **kwargs: Any) -> Any:
        # Merged tables go to temporary files (a local one first, on a store); batches do not.
        phase = "merge" if atomic.is_temp_name(Path(target).name) else "stage"
        calls[phase] += 1
        result = real_write(frame, target, *args, **kwargs)
        if mode == f"{phase}-write" and calls[phase] == n:
            data = Path(target).read_bytes()
            Path(target).write_bytes(data[: len(data) // 2])  # half written, then killed
            die(f"{phase}-write {n}: {Path(target).name}")
        return result

    def commit_file(tmp: Any, target: Any, *args: Any, **kwargs: Any) -> Any:
        calls["commit"] += 1
        if mode == "commit-before" and calls["commit"] == n:
            die(f"commit-before {n}: {target.name}")
        if mode == "commit-copied" and calls["commit"] == n:

            def unlink(self: Any, *a: Any, **k: Any) -> None:
                if self == tmp:
                    die(f"commit-copied {n}: {target.name}")
                real_unlink(self, *a, **k)

            store.ObjectPath.unlink = unlink  # type: ignore[method-assign]
        result = real_commit(tmp, target, *args, **kwargs)
        if mode == "commit-after" and calls["commit"] == n:
            die(f"commit-after {n}: {target.name}")
        return result

    hooked = {"write_table": 0, "commit_file": 0}
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith("postpress_frames"):
            continue
        for attr, real, fake in (
            ("write_table", real_write, write_table),
            ("commit_file", real_commit, commit_file),
        ):
            if getattr(module, attr, None) is real:
                setattr(module, attr, fake)
                hooked[attr] += 1
    if not all(hooked.values()):
        sys.exit(f"kill-trial: nothing to hook: {hooked}")

    print(KILL_READY, flush=True)
    sync.sync_chat(chat, root, page_size=50, batch_pages=2, storage_options=options)
    print(f"{KILL_FINISHED} {calls}", flush=True)


def sigkill_sync(
    server: FakePostpress,
    chat: str,
    root: str | Path,
    mode: str,
    n: int,
    *,
    seed: int,
    storage_options: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Run :func:`kill_trial_child` against ``server`` and check it was killed mid-work at its
    kill point (mode ``requests``: the parent kills it a random few ms after its n-th page
    request, page n + 1 being held back); return what it printed.

    ``env`` replaces the child's environment (the server's key and URL are added).
    """
    rng = random.Random(seed)
    child_env = {
        **(os.environ if env is None else env),
        "POSTPRESS_API_KEY": server.api_key,
        "POSTPRESS_BASE_URL": server.base_url,
    }
    server.requests.clear()
    if mode == "requests":  # page n + 1 is held back: the kill finds the sync fetching
        server.fail_page(n + 1, Fault.delay(120))
    argv = [chat, str(root), mode, str(n), json.dumps(storage_options)]
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_CHILD, *argv],
        cwd=REPO,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if mode == "requests":
            deadline = time.monotonic() + 120
            while len(server.requests) < n and proc.poll() is None:
                assert time.monotonic() < deadline, "the sync never reached its kill point"
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.05))
            proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    server.clear_faults()
    seen = len(server.requests)

    what = f"{mode} {n} (seed {seed})"
    assert KILL_READY in out, f"{what}: the child never started its sync:\n{out}\n{err[-3000:]}"
    assert KILL_FINISHED not in out, f"{what}: the sync finished before its kill point:\n{out}"
    assert proc.returncode == -signal.SIGKILL, (
        f"{what}: the child exited with {proc.returncode} instead of being killed:\n"
        f"{out}\n{err[-3000:]}"
    )
    assert seen >= (n if mode == "requests" else 1), f"{what}: only {seen} requests"
    if mode != "requests":
        assert f"{KILL_DYING} {mode} {n}" in out, f"{what}: killed elsewhere:\n{out}"
    return out
