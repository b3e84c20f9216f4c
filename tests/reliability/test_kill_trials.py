"""SIGKILL of a sync in a subprocess, at seeded points: every engine reads each table of the
dataset whole, as the previous or the new generation, and one rerun makes it equal to the
server's full list.

Each trial is one kind of kill point, over a fresh or an existing dataset:

* ``requests``: the parent kills the sync after a random number of page requests (a random
  few milliseconds later), while the next page is held back by the server so the sync is
  certainly still fetching;
* ``stage-write``: the sync dies halfway through writing a random staged batch file;
* ``merge-write``: it dies halfway through writing one of the merged (hidden) files;
* ``commit-before`` / ``commit-after``: it dies just before or just after one of the renames
  that put the journal and the merged files in place (the commit).

Every trial checks that the child really was killed mid-work: it printed its ready line,
the server saw its page requests, it says where it died (for the kill points it aims at
itself), and its return code is ``-SIGKILL``. A child that finishes, fails or crashes at
import fails the trial.

Right after the kill, before anything reruns or recovers, every table is read by DuckDB
(``read_parquet('root/<table>/*/*.parquet', hive_partitioning = true)``), polars
(``scan_parquet`` of that glob), ``pyarrow.dataset`` and then the package's
``scan_dataset``, last because it may finish a decided commit (see
:mod:`tests.reliability.helpers`). Each must count every message of the chat exactly once,
as the previous generation (nothing, over a fresh dataset) or the new one (what the rerun
stores): never both, as when a hidden temporary file is counted beside the part file, and
never a partial file. The package must also see the four tables from one generation.

Two quick trials run in the default suite. Marked ``slow``: the twenty seeded ones, four of
each kind, half over an existing dataset, and one kill while writing each file of a commit
over an existing dataset (halfway through each merged table, then once they are all
written: just before and just after the journal's rename).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from postpress_frames.pipeline.sync import sync_chat
from postpress_frames.storage.dataset import read_chat
from postpress_frames.testing import FakePostpress, demo_chat
from tests.engines import KILL_TRIAL_READERS
from tests.reliability.helpers import (
    Generation,
    client_for,
    empty_generation,
    generation,
    generation_problems,
    ids_of,
    leftovers,
    listing,
    sigkill_sync,
)

CHAT = "chat_killed"
PAGE_SIZE = 50
MODES = ("requests", "stage-write", "merge-write", "commit-before", "commit-after")
TRIALS = 20


@dataclass(frozen=True)
class KillPoint:
    mode: str
    n: int
    incremental: bool
    seed: int


def kill_point(seed: int) -> KillPoint:
    rng = random.Random(seed)
    mode = MODES[seed % len(MODES)]
    incremental = bool(seed // len(MODES) % 2)
    # An initial sync makes 25 requests and stages 11 batches of four tables; an incremental
    # one about 20 requests. A commit is the journal's rename, then the four tables'.
    high = {"requests": 18, "stage-write": 12, "merge-write": 4}.get(mode, 5)
    return KillPoint(mode, rng.randint(1, high), incremental, seed)


def run_trial(point: KillPoint, root: Path) -> None:
    mode, n, seed = point.mode, point.n, point.seed
    previous = empty_generation()
    with FakePostpress({CHAT: demo_chat(1200, chat_id=CHAT, seed=seed)}, seed=seed) as server:
        if point.incremental:
            with client_for(server) as client:
                sync_chat(CHAT, root, client=client)
            previous = generation(root)
            newest = server.messages(CHAT)[0]
            server.edit_message(CHAT, newest["id"], text="edited after the first sync")
            server.add_messages(CHAT, 900)
        out = sigkill_sync(server, CHAT, root, mode, n, seed=seed)
        what = f"{mode} {n} (seed {seed})"

        # What every engine sees now: the foreign ones first, the package (which may finish
        # the commit) last, and before it read_chat and the rerun.
        files = listing(root)
        views: dict[str, Generation] = {
            engine: generation(root, read) for engine, read in KILL_TRIAL_READERS.items()
        }
        views["scan_dataset"] = generation(root)

        if views["scan_dataset"]["messages"]:
            stored = read_chat(root, CHAT).validate()  # readable and valid, whatever the moment
            assert stored.messages["id"].n_unique() == stored.messages.height
        else:  # killed before the first commit: the chat is not stored (MissingInputError)
            with pytest.raises(FileNotFoundError):
                read_chat(root, CHAT)

        with client_for(server) as client:
            result = sync_chat(CHAT, root, client=client)
        assert result.ok
        problems = generation_problems(views, previous, generation(root))
        assert not problems, "\n".join(
            [f"{what}: after the kill, before any rerun:", *problems, "", out.strip(), *files]
        )
        final = read_chat(root, CHAT).validate()
        want = ids_of(server.messages(CHAT))
        assert sorted(final.messages["id"].to_list()) == want
        assert final.messages.height == len(want)
        if point.incremental:
            edited = final.messages.filter(final.messages["id"] == newest["id"])
            assert edited["text"].item() == "edited after the first sync"
        assert leftovers(root) == []


QUICK = [KillPoint("requests", 7, True, 101), KillPoint("commit-after", 3, False, 102)]


@pytest.mark.parametrize("point", QUICK, ids=lambda p: f"{p.mode}-{p.n}")
def test_sigkill_then_rerun_quick(tmp_path: Path, point: KillPoint) -> None:
    run_trial(point, tmp_path / "lake")


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(TRIALS))
def test_sigkill_then_rerun(tmp_path: Path, seed: int) -> None:
    run_trial(kill_point(seed), tmp_path / "lake")


# Over an existing dataset: halfway through writing each merged table's hidden file (in the
# commit's order), then with all four written, just before and just after the journal's
# rename (the commit's first): the moments hidden files sit beside the part files.
EACH_FILE = [
    *(KillPoint("merge-write", n, True, 200 + n) for n in range(1, 5)),
    KillPoint("commit-before", 1, True, 205),
    KillPoint("commit-after", 1, True, 206),
]


@pytest.mark.slow
@pytest.mark.parametrize("point", EACH_FILE, ids=lambda p: f"{p.mode}-{p.n}")
def test_sigkill_while_writing_each_file(tmp_path: Path, point: KillPoint) -> None:
    run_trial(point, tmp_path / "lake")
