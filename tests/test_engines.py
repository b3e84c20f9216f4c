"""Other engines read a synced dataset as the package does, whatever the chat ids.

Chats with hostile ids (:data:`tests.engines.HOSTILE_CHAT_IDS`: non-ASCII, ``/``, ``%``,
``=``, ``:``, ``#``, ``?``, quotes, ``.hidden``, ``..``, digits only, ``{[]}^*\\``) are
synced with ``sync_chats``, then every table is read by DuckDB (``*/*.parquet`` and
``**/*.parquet`` globs, ``hive_types = {'chat_id': VARCHAR}``), ``pyarrow.dataset`` (string
``chat_id``), ``polars.scan_parquet`` (both globs, ``hive_schema={"chat_id": pl.String}``)
and Spark (``spark.read.parquet``, partition type inference off), and compared with
``scan_dataset``: the same chat ids, the same rows per chat, compatible dtypes. A dataset
holding only the digits-only chat ``00123`` reads it back as that string, not a number.

Each test prints one line per chat id and a column per engine: ``=`` where the engine read
the id back unchanged, what it read otherwise. The Spark tests start a JVM (marked
``spark`` and ``slow``: ``make test`` runs them, ``make check`` does not).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from postpress_frames import sync_chats
from postpress_frames.tables.schemas import TABLE_MODELS
from postpress_frames.testing import FakePostpress, demo_chat
from tests.engines import (
    DIGITS_ONLY,
    HOSTILE_CHAT_IDS,
    PARTITION,
    QUICK_READERS,
    STRING,
    Read,
    Reader,
    differences,
    id_table,
    read_package,
    read_spark,
    spark_session,
)
from tests.reliability.helpers import client_for

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

MESSAGES = 30
PANDAS_WARNING = "ignore:PySpark does not yet fully support pandas:FutureWarning"


@dataclass(frozen=True)
class Synced:
    root: Path
    chats: dict[str, list[str]]  # chat id -> its message ids


def sync_lake(root: Path, chat_ids: tuple[str, ...]) -> Synced:
    chats = {c: demo_chat(MESSAGES, chat_id=c, seed=i) for i, c in enumerate(chat_ids)}
    with FakePostpress(chats) as server, client_for(server) as client:
        results = sync_chats(list(chat_ids), root, client=client)
    failed = {r.chat_id: r.error for r in results if not r.ok}
    assert not failed, f"sync failed: {failed}"
    return Synced(root, {c: [m["id"] for m in messages] for c, messages in chats.items()})


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Synced:
    return sync_lake(tmp_path_factory.mktemp("hostile") / "lake", HOSTILE_CHAT_IDS)


@pytest.fixture(scope="module")
def digits_only(tmp_path_factory: pytest.TempPathFactory) -> Synced:
    return sync_lake(tmp_path_factory.mktemp("digits") / "lake", (DIGITS_ONLY,))


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    with spark_session(tmp_path_factory.mktemp("spark")) as session:
        yield session


def compare_engines(synced: Synced, readers: dict[str, Reader]) -> None:
    """Read every table with each engine, print the id table, then assert they agree."""
    problems: list[str] = []
    messages: dict[str, Read] = {}
    for table in TABLE_MODELS:
        expected = read_package(synced.root, table)
        if table == "messages":
            messages["package"] = expected
            assert expected.keys_by_chat() == {c: sorted(i) for c, i in synced.chats.items()}
        for engine, reader in readers.items():
            got = reader(synced.root, table)
            if table == "messages":
                messages[engine] = got
            problems += [f"{engine} {table}: {p}" for p in differences(expected, got)]
    table = id_table(synced.chats, messages)
    print(f"\nchat id -> chat_id read back by each engine ('=': unchanged)\n{table}")
    assert not problems, "\n".join([*problems, "", table])


def check_digits_only(synced: Synced, readers: dict[str, Reader]) -> None:
    """Each engine reads the digits-only chat id back as the string it is, in every table."""
    problems: list[str] = []
    messages: dict[str, Read] = {}
    for table in TABLE_MODELS:
        for engine, reader in {"package": read_package, **readers}.items():
            got = reader(synced.root, table)
            if table == "messages":
                messages[engine] = got
            family = got.families.get(PARTITION)
            ids = sorted(got.keys_by_chat())
            if family != STRING or ids != [DIGITS_ONLY]:
                problems.append(f"{engine} {table}: chat_id is {family} {ids!r}")
    table = id_table(synced.chats, messages)
    print(f"\na dataset of chat {DIGITS_ONLY!r} alone, read back by each engine\n{table}")
    assert not problems, "\n".join([*problems, "", table])


def test_duckdb_pyarrow_and_polars_read_hostile_chat_ids_like_scan_dataset(
    hostile: Synced,
) -> None:
    compare_engines(hostile, QUICK_READERS)


def test_duckdb_pyarrow_and_polars_keep_a_digits_only_chat_id_a_string(
    digits_only: Synced,
) -> None:
    check_digits_only(digits_only, QUICK_READERS)


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.filterwarnings(PANDAS_WARNING)
def test_spark_reads_hostile_chat_ids_like_scan_dataset(
    hostile: Synced, spark: SparkSession
) -> None:
    compare_engines(
        hostile, {**QUICK_READERS, "spark": lambda root, table: read_spark(spark, root, table)}
    )


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.filterwarnings(PANDAS_WARNING)
def test_spark_keeps_a_digits_only_chat_id_a_string(
    digits_only: Synced, spark: SparkSession
) -> None:
    check_digits_only(digits_only, {"spark": lambda root, table: read_spark(spark, root, table)})
