"""The statistics on Spark equal the local ones (issue 16, item 1).

A dataset of twelve demo chats whose ids are every kind the safe-files issue handles
(non-ASCII, spaces, ``=``, ``/``, ``%``, ``:``, ``#``, ``?``, quotes, ``.hidden``, ``..``,
digits only, ``{[]}^*\\``, emoji; one chat of three messages) is written with
``write_dataset``. Each function of :mod:`postpress_frames.spark` runs on ``local[2]`` on
that dataset, given as a mapping of Spark DataFrames and as its root, and its result
(``toArrow()`` to polars, rows sorted) equals the local function's on ``scan_dataset``: the
same columns, dtypes as Spark maps them, values (floats to 1e-12; counts, durations and
timestamps exact). The tests that start Spark are marked ``spark`` and ``slow``; the checks
made before any job run without a JVM.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from postpress_frames import spark as on_spark
from postpress_frames import stats
from postpress_frames._exceptions import (
    ArgumentTypeError,
    ConfigurationError,
    MissingInputError,
    SchemaValidationError,
    StorageError,
)
from postpress_frames.analysis.metrics import STATISTIC_SCHEMAS
from postpress_frames.storage.dataset import scan_dataset, write_dataset
from postpress_frames.storage.layout import chat_folder, legacy_chat_folder
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.testing import demo_chat, demo_names
from tests.engines import spark_session

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# Spark starts its Python workers with PYSPARK_PYTHON ("python3" on PATH otherwise), read
# when the first SparkContext of the process starts: set before any test runs, so that the
# workers have this environment's polars and package whichever test starts Spark first.
os.environ["PYSPARK_PYTHON"] = sys.executable

#: Chat id -> messages: the ids of tests/test_partition_names.py, a space and an emoji.
CHATS = {
    "chat_é ü=x": 220,
    "00123": 150,
    "a/b": 180,
    "50%": 120,
    "k:v#?": 160,
    'it\'s "q"': 140,
    ".hidden": 130,
    "..": 110,
    "日本 語": 200,
    "x{[]}^*\\": 3,  # TINY: too few messages for a response
    "with space": 100,
    "emoji 🎉 chat": 170,
}
#: A chat without responses: it has no row in response_matrix.
TINY = "x{[]}^*\\"
TABLES = ("messages", "attachments", "reactions", "seen_by")
# pyspark warns about pandas 3 (which applyInArrow imports) when a session starts and
# on each applyInArrow.
pytestmark = pytest.mark.filterwarnings(
    "ignore:PySpark does not yet fully support pandas:FutureWarning"
)

Statistic = Callable[..., Any]


def _names() -> dict[str, str]:
    """Names for every other sender of the demo chats, two of them the same name."""
    everyone: dict[str, str] = {}
    for chat_id in CHATS:
        everyone.update(demo_names(chat_id))
    named = dict(list(everyone.items())[::2])
    first, second = list(named)[:2]
    named[first] = named[second] = "Sam"
    return named


#: Statistic -> the options it runs with (every option away from its default).
OPTIONS: dict[str, dict[str, Any]] = {
    "sender_activity": {
        "tz": "Europe/Paris",
        "session_gap": timedelta(minutes=45),
        "response_cap": timedelta(hours=6),
        "names": _names(),
    },
    "response_matrix": {"response_cap": timedelta(hours=2), "names": _names()},
    "content": {"names": _names()},
    "participants": {"names": _names()},
    "read_receipts": {"tz": "Asia/Tokyo", "response_cap": timedelta(hours=3), "names": _names()},
    "read_matrix": {"names": _names()},
}


@dataclass(frozen=True)
class Lake:
    root: Path
    local: dict[str, pl.LazyFrame]  # scan_dataset(root)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    items = []
    for seed, (chat_id, n) in enumerate(CHATS.items()):
        items += demo_chat(n, seed=seed, chat_id=chat_id)
    root = tmp_path_factory.mktemp("spark-stats") / "lake"
    assert sorted(write_dataset(frames_from_pages([{"items": items, "cursor": None}]), root)) == (
        sorted(CHATS)
    )
    return Lake(root, scan_dataset(root))


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:  # tests/test_engines.py's session, still open: share it
        yield active
        return
    with spark_session(tmp_path_factory.mktemp("spark")) as session:
        yield session


def spark_frames(spark: SparkSession, root: Path) -> dict[str, DataFrame]:
    """The tables as a user reads them (partition type inference is off in the session)."""
    return {table: spark.read.parquet(str(root / table)) for table in TABLES}


def to_polars(frame: DataFrame) -> pl.DataFrame:
    return pl.DataFrame(pl.from_arrow(frame.toArrow()))


def as_spark_gives(local: pl.DataFrame) -> pl.DataFrame:
    """The local result as Spark gives it back: instants in UTC, microsecond units."""
    return local.with_columns(
        pl.col(pl.Datetime).dt.convert_time_zone("UTC").dt.cast_time_unit("us"),
        pl.col(pl.Duration).cast(pl.Duration("us")),
    )


def sorted_rows(frame: pl.DataFrame) -> pl.DataFrame:
    keys = [c for c, dtype in frame.schema.items() if dtype in (pl.String, pl.Boolean, pl.Int64)]
    return frame.sort(keys, nulls_last=True)


def assert_same(got: DataFrame, want: pl.DataFrame, statistic: str) -> None:
    assert got.schema == on_spark.spark_schema(statistic)
    assert got.columns == list(STATISTIC_SCHEMAS[statistic]) == want.columns
    result = to_polars(got)
    assert result.height > 0
    assert sorted(result.get_column("chat_id").unique()) == sorted(
        want.get_column("chat_id").unique()
    )
    assert_frame_equal(
        sorted_rows(result), sorted_rows(as_spark_gives(want)), rel_tol=0, abs_tol=1e-12
    )


# -- every statistic equals its local result ----------------------------------------------


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("form", ["mapping", "root"])
@pytest.mark.parametrize("statistic", list(OPTIONS))
def test_every_statistic_equals_its_local_result(
    spark: SparkSession, lake: Lake, statistic: str, form: str
) -> None:
    options = OPTIONS[statistic]
    tables = spark_frames(spark, lake.root) if form == "mapping" else str(lake.root)
    got = getattr(on_spark, statistic)(tables, **options)
    want = getattr(stats, statistic)(lake.local, **options)
    assert set(want.get_column("chat_id")) >= set(CHATS) - {TINY}
    shown = want.select(pl.col("^.*_name$")).unpivot().get_column("value")
    assert "Sam" in shown  # names= reached the executors (Spark's result is compared below)
    assert_same(got, want, statistic)


@pytest.mark.spark
@pytest.mark.slow
def test_a_dataset_url_reads_like_its_path_with_the_default_options(
    spark: SparkSession, lake: Lake
) -> None:
    got = on_spark.sender_activity(lake.root.absolute().as_uri())
    assert_same(got, stats.sender_activity(lake.local), "sender_activity")


@pytest.mark.spark
@pytest.mark.slow
def test_a_url_where_no_dataset_is_says_so(spark: SparkSession, tmp_path: Path) -> None:
    nowhere = (tmp_path / "nowhere").as_uri()
    with pytest.raises(MissingInputError, match=f"{nowhere}/messages: no such table folder"):
        on_spark.participants(nowhere)


@pytest.mark.spark
@pytest.mark.slow
def test_a_root_without_a_seen_by_folder_reads_as_no_receipts_as_locally(
    spark: SparkSession, lake: Lake, tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    shutil.copytree(lake.root, root)
    shutil.rmtree(root / "seen_by")
    want = stats.read_receipts(scan_dataset(root))
    assert want.get_column("seen").sum() == 0
    assert_same(on_spark.read_receipts(root), want, "read_receipts")


@pytest.mark.spark
@pytest.mark.slow
def test_a_root_reads_chat_ids_as_strings_whatever_partition_type_inference(
    spark: SparkSession, lake: Lake
) -> None:
    inference = "spark.sql.sources.partitionColumnTypeInference.enabled"
    before = spark.conf.get(inference)
    spark.conf.set(inference, "true")
    try:
        got = to_polars(on_spark.participants(lake.root))
    finally:
        spark.conf.set(inference, before)
    assert set(got.get_column("chat_id")) == set(CHATS)  # "00123" too, not 123


@pytest.mark.spark
@pytest.mark.slow
def test_spark_types_follow_the_arrow_mapping(spark: SparkSession, lake: Lake) -> None:
    activity = on_spark.sender_activity(lake.root, tz="America/New_York")
    shown = {f.name: f.dataType.simpleString() for f in activity.schema.fields}
    assert [shown[c] for c in ("chat_id", "is_sender", "messages", "share_of_messages")] == [
        "string",
        "boolean",
        "bigint",
        "double",
    ]
    assert [shown[c] for c in ("first_at", "response_time_median", "peak_hour")] == [
        "timestamp",
        "interval day to second",
        "tinyint",
    ]
    tops = on_spark.content(lake.root).schema["top_reactions_received"].dataType
    assert tops.simpleString() == "array<struct<value:string,count:bigint>>"
    row = activity.filter("chat_id = 'a/b'").orderBy("sender_id").first()
    assert row is not None
    want = stats.sender_activity(lake.local, tz="America/New_York").filter(chat_id="a/b")
    first = want.sort("sender_id").row(0, named=True)
    # A timestamp is an instant: the same moment, whatever zone it is shown in.
    assert row["first_at"].timestamp() == first["first_at"].timestamp()
    assert row["response_time_median"] == first["response_time_median"]


# -- what is checked before any job -------------------------------------------------------


@pytest.mark.spark
@pytest.mark.slow
def test_a_mapping_is_checked_table_by_table(spark: SparkSession, lake: Lake) -> None:
    frames = spark_frames(spark, lake.root)
    with pytest.raises(SchemaValidationError, match="seen_by") as missing_table:
        on_spark.read_receipts({k: v for k, v in frames.items() if k != "seen_by"})
    assert [(f.table, f.check) for f in missing_table.value.failures] == [
        ("seen_by", "table_present")
    ]
    without_text = {**frames, "messages": frames["messages"].drop("text")}
    with pytest.raises(SchemaValidationError) as missing_column:
        on_spark.content(without_text)
    assert [(f.table, f.column) for f in missing_column.value.failures] == [("messages", "text")]
    numbered = {**frames, "reactions": frames["reactions"].withColumn("chat_id", spark_lit(7))}
    with pytest.raises(SchemaValidationError, match="partitionColumnTypeInference") as typed:
        on_spark.sender_activity(numbered)
    assert [(f.table, f.column) for f in typed.value.failures] == [("reactions", "chat_id")]
    assert "dtype is int, not string" in typed.value.failures[0].check
    # A column the analysis reads when present (added after early datasets) may be missing.
    old = {**frames, "messages": frames["messages"].drop("sender_attendee_id")}
    assert on_spark.participants(old).columns == list(STATISTIC_SCHEMAS["participants"])


def spark_lit(value: object) -> Any:
    from pyspark.sql import functions as F

    return F.lit(value)


def test_options_are_checked_by_the_local_function_before_any_job() -> None:
    with pytest.raises(ConfigurationError, match="unknown time zone 'Mars/Olympus'"):
        on_spark.sender_activity("lake", tz="Mars/Olympus")
    with pytest.raises(ConfigurationError, match="session_gap must be a positive timedelta"):
        on_spark.sender_activity("lake", session_gap=timedelta(0))
    with pytest.raises(ArgumentTypeError, match=r"response_cap must be a datetime\.timedelta"):
        on_spark.response_matrix("lake", response_cap=5)  # type: ignore[arg-type]
    names = pl.DataFrame({"sender_id": ["a", "a"], "name": ["Ada", "Bob"]})
    with pytest.raises(ConfigurationError, match="names: sender_id 'a' has two names"):
        on_spark.read_matrix("lake", names=names)


def test_inputs_of_the_wrong_kind_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ArgumentTypeError, match="spark_tables must be a mapping of table name"):
        on_spark.content(b"lake")  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match=r"spark_tables\['messages'\] must be a Spark"):
        on_spark.content(dict.fromkeys(TABLES, pl.LazyFrame()))  # type: ignore[arg-type]
    with pytest.raises(MissingInputError, match="does not exist"):
        on_spark.participants(tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(StorageError, match="is a file, not a dataset folder"):
        on_spark.participants(tmp_path / "notes.txt")
    write_dataset(ChatFrames.empty(), tmp_path / "lake")
    with pytest.raises(ArgumentTypeError, match="spark must be a SparkSession"):
        on_spark.read_receipts(tmp_path / "lake", spark="local[2]")  # type: ignore[arg-type]


def test_a_root_without_a_spark_session_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pyspark.sql import SparkSession

    monkeypatch.setattr(SparkSession, "getActiveSession", classmethod(lambda cls: None))
    write_dataset(ChatFrames.empty(), tmp_path / "lake")
    with pytest.raises(ConfigurationError, match="no active SparkSession"):
        on_spark.sender_activity(tmp_path / "lake")


def test_a_chat_in_folders_of_an_earlier_version_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    write_dataset(
        frames_from_pages([{"items": demo_chat(20, chat_id="chat_é"), "cursor": None}]), root
    )
    for table in TABLES:
        current = root / table / chat_folder("chat_é")
        if current.is_dir():
            current.rename(root / table / legacy_chat_folder("chat_é"))
    with pytest.raises(StorageError, match="'chat_é' in a folder an earlier version named"):
        on_spark.sender_activity(root)


def test_every_statistic_has_the_columns_of_its_schema_table() -> None:
    for statistic in OPTIONS:
        schema = on_spark.spark_schema(statistic)
        assert schema.names == list(STATISTIC_SCHEMAS[statistic])
        assert all(field.nullable for field in schema.fields)
    with pytest.raises(ConfigurationError, match="unknown statistic 'activity'"):
        on_spark.spark_schema("activity")
    with pytest.raises(ArgumentTypeError, match="statistic must be the name of a statistic"):
        on_spark.spark_schema(on_spark.sender_activity)  # type: ignore[arg-type]
