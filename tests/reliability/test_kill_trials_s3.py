"""SIGKILL of a sync to a dataset on S3 (the local moto server), at seeded points: every
engine reads each table whole, as the previous or the new generation, and one rerun makes
the dataset equal to the server's full list, with no temporary object left.

The kill points are those of :mod:`tests.reliability.test_kill_trials` (``requests``,
``stage-write``, ``merge-write``, ``commit-before``, ``commit-after``), each over a fresh and
over an existing dataset, plus one a store adds: ``commit-copied``, inside a ``commit_file``
after the server-side copy onto the target and before the temporary object's delete. The
child is :func:`tests.reliability.helpers.kill_trial_child`, run with the dataset's URL and
``storage_options`` (and no ``AWS_*`` variable, so an option that is not passed on fails).

What differs on a store (see :mod:`postpress_frames.storage.commit`): batches are staged in a
local temporary folder, each merged table is written locally then uploaded whole to
``.commit/chat_id=<chat>/.tmp-*`` (``merge-write`` dies before that upload), and the journal
is uploaded in one PUT, not put in place by ``commit_file``: every ``commit_file`` is one of
the five files of ``WRITE_ORDER`` (four tables, rejects), after the change is decided: the
package must see the previous generation after a kill before the commit, the new one after any
``commit-*`` kill; the foreign readers see, table by table, exactly the tables moved so far
as new (after ``commit-after n``, the n first of ``WRITE_ORDER``, which the first reader
thus sees new).

Right after the kill every table is read by polars (``scan_parquet`` of
``s3://.../<table>/chat_id=*/*.parquet`` with ``storage_options``), ``pyarrow.dataset`` (over
:func:`tests.s3server.arrow_filesystem`, hive partitioning) and then the package's
``scan_dataset``, last because it may finish a decided commit. DuckDB is left out: it reads
S3 only through its ``httpfs`` extension, which cannot be installed offline.

Quick, in the default suite: three trials. Marked ``slow``: ten seeded ones (each kind over
a fresh and over an existing dataset) and ``commit-copied`` over both.
"""

from __future__ import annotations

import os
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pytest

from postpress_frames import read_chat, scan_dataset, sync_chat
from postpress_frames.storage.atomic import is_temp_name
from postpress_frames.storage.commit import WRITE_ORDER
from postpress_frames.tables.schemas import TABLE_MODELS, key_column
from postpress_frames.testing import FakePostpress, demo_chat
from tests.engines import (
    PARTITION,
    STRING_PARTITION,
    NoFiles,
    Read,
    _rows,
    arrow_family,
    polars_family,
    read_polars,
)
from tests.reliability.helpers import (
    Generation,
    client_for,
    empty_generation,
    generation,
    generation_problems,
    ids_of,
    sigkill_sync,
)
from tests.reliability.test_kill_trials import CHAT, KillPoint, kill_point
from tests.s3server import S3Root, arrow_filesystem, list_keys

SLOW_SEEDS = 10  # kill_point(seed): seeds 0-4 over a fresh dataset, 5-9 over an existing one


# -- the readers, on the bucket -----------------------------------------------------------------
def read_polars_s3(root: S3Root, table: str) -> Read:
    """``polars.scan_parquet('s3://.../<table>/chat_id=*/*.parquet', hive_partitioning=True,
    hive_schema={"chat_id": pl.String}, storage_options=...)``."""
    return read_polars(root.url, table, f"{PARTITION}=*/*.parquet", root.storage_options)


def read_pyarrow_s3(root: S3Root, table: str) -> Read:
    """``pyarrow.dataset.dataset('<bucket>/<prefix>/<table>', filesystem=S3FileSystem(...),
    partitioning=HivePartitioning.discover(schema=<chat_id: string>))``."""
    fs, folder = arrow_filesystem(root), f"{root.bucket}/{root.prefix}/{table}"
    if fs.get_file_info(folder).type != pafs.FileType.Directory:
        raise NoFiles(folder)
    if not pads.dataset(folder, filesystem=fs, format="parquet").files:
        raise NoFiles(folder)
    partitioning = pads.HivePartitioning.discover(infer_dictionary=False, schema=STRING_PARTITION)
    dataset = pads.dataset(folder, filesystem=fs, format="parquet", partitioning=partitioning)
    data = dataset.to_table(columns=[PARTITION, key_column(table)])
    families = {field.name: arrow_family(field.type) for field in dataset.schema}
    return Read(families, _rows(table, pl.DataFrame(pl.from_arrow(data))))


def read_package_s3(root: S3Root, table: str) -> Read:
    """The package's ``scan_dataset(url, storage_options=...)`` (it finishes a decided commit)."""
    frame = scan_dataset(root.url, storage_options=root.storage_options)[table].collect()
    families = {name: polars_family(dtype) for name, dtype in frame.schema.items()}
    return Read(families, _rows(table, frame))


#: The foreign readers, before the package may finish a commit (no DuckDB: no httpfs offline).
FOREIGN_READERS: dict[str, Callable[[S3Root, str], Read]] = {
    "polars": read_polars_s3,
    "pyarrow": read_pyarrow_s3,
}


def s3_generation(root: S3Root, read: Callable[[S3Root, str], Read]) -> Generation:
    return generation(root, read)  # type: ignore[arg-type]  # generation passes root on as is


# -- what each moment must look like ------------------------------------------------------------
def moved_tables(point: KillPoint) -> int:
    """How many of ``WRITE_ORDER`` were copied onto their targets when the child died."""
    if point.mode == "commit-before":
        return point.n - 1
    if point.mode in ("commit-after", "commit-copied"):
        return point.n
    return 0


def moment_problems(
    point: KillPoint, views: dict[str, Generation], previous: Generation, new: Generation
) -> list[str]:
    """Beyond "previous or new": a foreign reader sees new exactly the tables already moved;
    the package sees the new generation once the journal is uploaded (every ``commit-*``
    kill: on a store no ``commit_file`` precedes the journal), the previous one before."""
    moved = set(WRITE_ORDER[: moved_tables(point)])
    decided = point.mode.startswith("commit-")
    problems = []
    for engine, view in views.items():
        for table in TABLE_MODELS:
            fresh = decided if engine == "scan_dataset" else table in moved
            want, name = (new, "new") if fresh else (previous, "previous")
            if view[table] != want[table]:
                problems.append(f"{engine} {table}: not the {name} generation")
    return problems


def leftover_keys(root: S3Root) -> list[str]:
    """Temporary objects, a journal or staged files a sync must not leave under the prefix
    (pyarrow's empty ``dir/`` markers aside)."""
    under = [k for k in list_keys(root) if k.startswith(f"{root.prefix}/")]
    return [
        key
        for key in under
        if is_temp_name(key.rstrip("/").rpartition("/")[2])
        or (not key.endswith("/") and ("/.commit/" in key or "/.staging/" in key))
    ]


def child_env(tmp_path: Path) -> dict[str, str]:
    """The child's environment: no ``AWS_*`` (the options alone must reach the store), its
    local temporary files (staging, uploads) under ``tmp_path``."""
    folder = tmp_path / "child-tmp"
    folder.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {**env, "AWS_EC2_METADATA_DISABLED": "true", "TMPDIR": str(folder)}


def run_trial(point: KillPoint, root: S3Root, tmp_path: Path) -> None:
    mode, n, seed = point.mode, point.n, point.seed
    url, options = root.url, root.storage_options
    previous = empty_generation()
    with FakePostpress({CHAT: demo_chat(1200, chat_id=CHAT, seed=seed)}, seed=seed) as server:
        if point.incremental:
            with client_for(server) as client:
                sync_chat(CHAT, url, client=client, storage_options=options)
            previous = s3_generation(root, read_package_s3)
            newest = server.messages(CHAT)[0]
            server.edit_message(CHAT, newest["id"], text="edited after the first sync")
            server.add_messages(CHAT, 900)
        out = sigkill_sync(
            server, CHAT, url, mode, n, seed=seed, storage_options=options, env=child_env(tmp_path)
        )
        what = f"{mode} {n} (seed {seed}, {'existing' if point.incremental else 'fresh'})"

        # What every engine sees now: the foreign ones first, the package (which may finish
        # the commit) last, and before it read_chat and the rerun.
        keys = list_keys(root)
        views = {engine: s3_generation(root, read) for engine, read in FOREIGN_READERS.items()}
        views["scan_dataset"] = s3_generation(root, read_package_s3)

        if views["scan_dataset"]["messages"]:
            stored = read_chat(url, CHAT, storage_options=options).validate()
            assert stored.messages["id"].n_unique() == stored.messages.height
        else:  # killed before the first commit: the chat is not stored (MissingInputError)
            with pytest.raises(FileNotFoundError):
                read_chat(url, CHAT, storage_options=options)

        # The rerun stages where the killed child did: it deletes what the child left there.
        child_tmp, saved = tmp_path / "child-tmp", tempfile.tempdir
        tempfile.tempdir = str(child_tmp)
        try:
            with client_for(server) as client:
                result = sync_chat(CHAT, url, client=client, storage_options=options)
        finally:
            tempfile.tempdir = saved
        assert result.ok, f"{what}: the rerun failed: {result}"
        staging = child_tmp / "postpress-frames-staging"
        assert not staging.exists() or not any(staging.iterdir()), f"{what}: staging left"
        new = s3_generation(root, read_package_s3)
        problems = generation_problems(views, previous, new)
        problems += moment_problems(point, views, previous, new)
        assert not problems, "\n".join(
            [f"{what}: after the kill, before any rerun:", *problems, "", out.strip(), *keys]
        )
        final = read_chat(url, CHAT, storage_options=options).validate()
        want = ids_of(server.messages(CHAT))
        assert sorted(final.messages["id"].to_list()) == want
        assert final.messages.height == len(want)
        if point.incremental:
            edited = final.messages.filter(final.messages["id"] == newest["id"])
            assert edited["text"].item() == "edited after the first sync"
        assert leftover_keys(root) == [], f"{what}: left after the rerun"


# Undecided (temporaries beside the old tables), decided before any commit_file (a store's
# journal is one PUT), and decided with three tables moved, over a fresh dataset.
QUICK = [
    KillPoint("merge-write", 3, True, 102),
    KillPoint("commit-before", 1, True, 103),
    KillPoint("commit-after", 3, False, 104),
]


def _id(point: KillPoint) -> str:
    return f"{point.mode}-{point.n}-{'existing' if point.incremental else 'fresh'}"


@pytest.mark.parametrize("point", QUICK, ids=_id)
def test_sigkill_then_rerun_s3_quick(s3_root: S3Root, tmp_path: Path, point: KillPoint) -> None:
    run_trial(point, s3_root, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(SLOW_SEEDS))
def test_sigkill_then_rerun_s3(s3_root: S3Root, tmp_path: Path, seed: int) -> None:
    run_trial(kill_point(seed), s3_root, tmp_path)


# Between the server-side copy onto the target and the temporary object's delete: the
# temporary is a copy of the target, which finishing the journal copies again.
COPIED = [
    KillPoint("commit-copied", random.Random(seed).randint(1, 5), incremental, seed)
    for seed, incremental in ((300, False), (301, True))
]


@pytest.mark.slow
@pytest.mark.parametrize("point", COPIED, ids=_id)
def test_sigkill_between_copy_and_delete(s3_root: S3Root, tmp_path: Path, point: KillPoint) -> None:
    run_trial(point, s3_root, tmp_path)
