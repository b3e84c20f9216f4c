"""The per-person statistics on Spark: the package's own polars code, run per chat on the
executors (``pip install 'postpress-frames[spark]'``).

:func:`sender_activity`, :func:`response_matrix`, :func:`read_receipts`,
:func:`read_matrix`, :func:`content` and :func:`participants` take the tables as a mapping
of table name -> Spark DataFrame, or the root of a dataset (a local path, or a URL Spark
reads such as ``s3a://bucket/lake``), and return a Spark DataFrame with the columns, values
and dtypes of the local function of :mod:`postpress_frames.stats` (dtypes as Spark maps
them from Arrow, see :func:`spark_schema`). Nothing is computed until an action runs::

    from pyspark.sql import SparkSession
    from postpress_frames import spark as pp_spark

    spark = SparkSession.builder.getOrCreate()
    people = pp_spark.sender_activity("s3a://bucket/lake", tz="Europe/Paris")
    people.orderBy("chat_id", "sender_id").show()

**How the tables reach the executors.** Every metric is computed per chat, so each chat
is computed where its rows are: the columns the analysis reads
(:data:`~postpress_frames.analysis.inputs.REQUIRED_COLUMNS`, ``seen_by`` for the receipt
statistics) of each table are tagged with their table's name and unioned by name into one
frame (columns another table lacks are null), which is grouped by ``chat_id``:
``groupBy("chat_id").applyInArrow`` hands each chat's rows of every table, as one Arrow
table, to a function that splits them by tag, calls the local statistic on them (Arrow to
polars and back) and casts the result to the Arrow schema Spark expects. One
shuffle for any number of tables; a cogroup joins two at a time, and three or four would
need a shuffle per join. The names of ``names=`` are checked on the driver (the local
function runs there once on empty tables, so every option is checked before any job)
and broadcast. The executors need the package and polars installed (in local mode: point
``PYSPARK_PYTHON`` at the environment that has them), and pandas, which ``applyInArrow``
requires (``pyspark[sql]``).

**Reading a dataset root.** Each table is read with ``spark.read.schema(...)`` of the
columns needed, ``chat_id`` a string whatever ``partitionColumnTypeInference`` says, and
``pathGlobFilter="part-0.parquet"``: Spark skips the hidden ``.commit`` and ``.staging``
folders (names starting with ``.``) and Hive-unescapes the ``chat_id=`` folder names (see
:mod:`postpress_frames.storage.layout`). A local root is checked as
:func:`~postpress_frames.scan_dataset` checks it, and an interrupted commit is finished
first; a chat still in the folders of an earlier version, which Spark would decode
wrongly, is a :class:`~postpress_frames.StorageError` (write or sync the chat once to move
it). A URL is read as it is.

**Dtypes.** A statistic's schema is its polars schema in
:data:`~postpress_frames.analysis.metrics.STATISTIC_SCHEMAS`, exported to Arrow by polars
and mapped by pyspark: ``String`` -> ``string``, ``Int64`` -> ``bigint``, ``Int8`` ->
``tinyint``, ``Float64`` -> ``double``, ``Boolean`` -> ``boolean``, ``Datetime`` with a time
zone -> ``timestamp`` (an instant: ``first_at``/``last_at`` show in the session time zone,
not in ``tz``), ``Duration("ms")`` -> ``interval day to second`` (microseconds, so
milliseconds are exact), a top list -> ``array<struct<value: string, count: bigint>>``. The
rows of one chat come in the local order; Spark gives no order between them.

**The limit: one chat on one executor.** A chat's rows of every table are one Arrow table
in one Python worker, where polars computes the statistic; the JVM side sorts and streams
them (it spills), so the Python worker's memory is the limit. Measured on ``local[2]`` with
the default memory settings (a 1 GiB driver heap, Python workers without a cap; an idle
worker holds about 235 MiB) on one demo chat, the worker's peak resident memory and the
action's wall time:

================  ============================  ==========================================
chat              ``sender_activity``           ``read_receipts`` (``seen_by`` too)
================  ============================  ==========================================
100,000 messages  366 MiB, 3.3 s (local 0.3 s)  691 MiB, 9.5 s (local 1.2 s)
1,000,000         1.6 GiB, 18 s (local 2.4 s)   3.7 GiB, 73 s (local 16 s)
================  ============================  ==========================================

(1,000,000 messages: 0.14 M attachments, 0.29 M reactions, 3.6 M read receipts.) Memory
grows linearly, about 1.4 KiB per message for the statistics of messages, attachments and
reactions and 3.4 KiB per message with ``seen_by``. Extrapolating, with
``spark.executor.pyspark.memory`` at 2 GiB a chat of about 1.2 M messages fits for
``sender_activity`` and 0.5 M for ``read_receipts``. A bigger chat fails its task with an
out-of-memory error; a chat cannot be split (its metrics need all its messages in order).
Chats run in parallel, one task each.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import polars as pl
import pyarrow as pa

from postpress_frames._args import as_path, is_url
from postpress_frames._exceptions import (
    ArgumentTypeError,
    ConfigurationError,
    MissingInputError,
    SchemaFailure,
    SchemaValidationError,
    StorageError,
)
from postpress_frames.analysis import stats as local
from postpress_frames.analysis.inputs import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, SEEN_BY_COLUMNS
from postpress_frames.analysis.metrics import (
    DEFAULT_RESPONSE_CAP,
    DEFAULT_SESSION_GAP,
    STATISTIC_SCHEMAS,
)
from postpress_frames.analysis.names import Names, names_frame
from postpress_frames.storage.commit import recover_for_reading
from postpress_frames.storage.dataset import readable_dataset, stored_files
from postpress_frames.storage.layout import PART_FILE, PARTITION_KEY, chat_folder
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import TABLE_MODELS, polars_schema

try:
    from pyspark.errors import AnalysisException
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema
    from pyspark.sql.types import NullType, StructType
except ModuleNotFoundError as error:  # without the extra
    raise ModuleNotFoundError(
        "postpress_frames.spark needs pyspark: pip install 'postpress-frames[spark]'",
        name=error.name,
    ) from error

__all__ = [
    "SparkTables",
    "content",
    "participants",
    "read_matrix",
    "read_receipts",
    "response_matrix",
    "sender_activity",
    "spark_schema",
]

#: What the statistics take: table name -> Spark DataFrame, or a dataset root (path or URL).
SparkTables = Mapping[str, DataFrame] | str | os.PathLike[str]

_EXPECTED: Final = "a mapping of table name -> Spark DataFrame, or a dataset root (path or URL)"
#: The column telling which table a row of the unioned frame comes from.
_TAG: Final = "__postpress_table"
_LARGE_VAR_TYPES: Final = "spark.sql.execution.arrow.useLargeVarTypes"

LocalStatistic = Callable[..., pl.DataFrame]

#: Statistic -> (its local function, whether it reads ``seen_by``).
_STATISTICS: Final[Mapping[str, tuple[LocalStatistic, bool]]] = MappingProxyType(
    {
        "sender_activity": (local.sender_activity, False),
        "response_matrix": (local.response_matrix, False),
        "content": (local.content, False),
        "participants": (local.participants, True),
        "read_receipts": (local.read_receipts, True),
        "read_matrix": (local.read_matrix, True),
    }
)


# -- dtypes -------------------------------------------------------------------------------


def _struct(schema: Mapping[str, pl.DataType]) -> StructType:
    """``schema`` as Spark maps it: polars' Arrow export, then pyspark's Arrow mapping."""
    empty = pl.DataFrame(schema=dict(schema)).to_arrow(compat_level=pl.CompatLevel.oldest())
    return from_arrow_schema(empty.schema)


def spark_schema(statistic: str) -> StructType:
    """The Spark schema of ``statistic`` (a key of
    :data:`~postpress_frames.analysis.metrics.STATISTIC_SCHEMAS`): its polars schema as
    Arrow, mapped to Spark types by pyspark.

    >>> schema = spark_schema("sender_activity")
    >>> [schema[c].dataType.simpleString() for c in ("messages", "first_at", "peak_hour")]
    ['bigint', 'timestamp', 'tinyint']
    >>> schema["response_time_median"].dataType.simpleString()
    'interval day to second'
    >>> spark_schema("content")["top_emoji"].dataType.simpleString()
    'array<struct<value:string,count:bigint>>'
    """
    if not isinstance(statistic, str):
        raise ArgumentTypeError("statistic", "the name of a statistic (a string)", statistic)
    if statistic not in STATISTIC_SCHEMAS:
        known = ", ".join(STATISTIC_SCHEMAS)
        raise ConfigurationError(f"statistic: unknown statistic {statistic!r} (one of {known})")
    return _struct(STATISTIC_SCHEMAS[statistic])


def _input_columns(table: str) -> dict[str, pl.DataType]:
    """The columns of ``table`` a statistic reads, ``chat_id`` first, as stored."""
    stored = polars_schema(TABLE_MODELS[table])
    columns = SEEN_BY_COLUMNS if table == "seen_by" else REQUIRED_COLUMNS[table]
    wanted = dict.fromkeys([PARTITION_KEY, *columns, *OPTIONAL_COLUMNS.get(table, ())])
    return {name: stored.get(name, pl.String()) for name in wanted}


def _tables(seen_by: bool) -> list[str]:
    return [*REQUIRED_COLUMNS, *(["seen_by"] if seen_by else [])]


# -- inputs -------------------------------------------------------------------------------


def _checked_frame(table: str, frame: DataFrame) -> DataFrame:
    """The columns of ``table`` a statistic reads, as their Spark types; a
    SchemaValidationError naming table and column when one is missing or of another type."""
    expected = _struct(_input_columns(table))
    given = {field.name: field.dataType for field in frame.schema.fields}
    optional = set(OPTIONAL_COLUMNS.get(table, ()))
    failures = []
    selected = []
    for field in expected.fields:
        dtype = given.get(field.name)
        if dtype is None and field.name in optional:
            selected.append(F.lit(None).cast(field.dataType).alias(field.name))
            continue
        if dtype is None:
            failures.append(SchemaFailure(table, field.name, "column_in_dataframe"))
            continue
        if type(dtype) is not type(field.dataType) and not isinstance(dtype, NullType):
            hint = (
                " (read a dataset with partitionColumnTypeInference off, or pass its root)"
                if field.name == PARTITION_KEY
                else ""
            )
            problem = f"dtype is {dtype.simpleString()}, not {field.dataType.simpleString()}{hint}"
            failures.append(SchemaFailure(table, field.name, problem))
            continue
        selected.append(F.col(f"`{field.name}`").cast(field.dataType).alias(field.name))
    if failures:
        raise SchemaValidationError(table, failures)
    return frame.select(selected)


def _from_mapping(tables: Mapping[str, object], names: list[str]) -> dict[str, DataFrame]:
    missing = [name for name in names if name not in tables]
    if missing:
        raise SchemaValidationError(
            ", ".join(missing), [SchemaFailure(name, None, "table_present") for name in missing]
        )
    frames = {}
    for name in names:
        frame = tables[name]
        if not isinstance(frame, DataFrame):
            raise ArgumentTypeError(f"spark_tables[{name!r}]", "a Spark DataFrame", frame)
        frames[name] = _checked_frame(name, frame)
    return frames


def _local_root(root: str | os.PathLike[str]) -> Path:
    """The local dataset ``root``, checked as the package's readers check it, its
    interrupted commits finished; a StorageError for a chat in an earlier version's folders."""
    path = readable_dataset(as_path(root, "spark_tables"))
    recover_for_reading(path, None)
    for table in _tables(seen_by=True):
        for chat_id, file in stored_files(path, table).items():
            if file.parent.name != chat_folder(chat_id):
                raise StorageError(
                    f"holds chat {chat_id!r} in a folder an earlier version named; Spark "
                    "decodes such names wrongly: write or sync the chat once to rename it",
                    path=file.parent,
                )
    return path.absolute()


def _read(spark: SparkSession, root: str, table: str, local_root: Path | None) -> DataFrame:
    schema = _struct(_input_columns(table))
    if local_root is not None and not (local_root / table).is_dir():
        return spark.createDataFrame([], schema)  # as scan_dataset: no folder, no rows
    location = f"{root.rstrip('/')}/{table}"
    try:
        frame = spark.read.schema(schema).option("pathGlobFilter", PART_FILE).parquet(location)
    except AnalysisException as error:
        if error.getCondition() == "PATH_NOT_FOUND":
            raise MissingInputError(
                "no such table folder (no dataset there?)", path=location
            ) from None
        raise
    return frame.select(*(f"`{name}`" for name in schema.names))


def _session(spark: object) -> SparkSession:
    if spark is None:
        active = SparkSession.getActiveSession()
        if active is None:
            raise ConfigurationError(
                "spark: no active SparkSession to read the dataset with; start one or pass spark="
            )
        return active
    if not isinstance(spark, SparkSession):
        raise ArgumentTypeError("spark", "a SparkSession", spark)
    return spark


def _inputs(
    spark_tables: object, spark: object, seen_by: bool
) -> tuple[SparkSession, dict[str, DataFrame]]:
    names = _tables(seen_by)
    if isinstance(spark_tables, Mapping):
        frames = _from_mapping(spark_tables, names)
        session = _session(spark) if spark is not None else next(iter(frames.values())).sparkSession
        return session, frames
    if not isinstance(spark_tables, str | os.PathLike) or isinstance(spark_tables, bytes):
        raise ArgumentTypeError("spark_tables", _EXPECTED, spark_tables)
    text = os.fspath(spark_tables)
    if not isinstance(text, str) or not text:
        raise ArgumentTypeError("spark_tables", _EXPECTED, spark_tables)
    local_root = None if is_url(text) else _local_root(text)
    session = _session(spark)
    root = text if local_root is None else str(local_root)
    return session, {name: _read(session, root, name, local_root) for name in names}


# -- the computation per chat -------------------------------------------------------------


class _Value:
    """A value the per-chat function reads as ``.value``, like a Spark Broadcast."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _per_chat(
    statistic: str,
    columns: Mapping[str, list[str]],
    options: Mapping[str, object],
    names: Any,
    target: pa.Schema,
) -> Callable[[pa.Table], pa.Table]:
    """The function ``applyInArrow`` calls with one chat's tagged rows (on an executor)."""
    function, _ = _STATISTICS[statistic]
    order = list(STATISTIC_SCHEMAS[statistic])

    def compute(rows: pa.Table) -> pa.Table:
        frame = pl.DataFrame(pl.from_arrow(rows))
        tag = pl.col(_TAG)
        frames = {name: frame.filter(tag == name).select(cols) for name, cols in columns.items()}
        result = function(frames, **options, names=names.value)
        exported = result.select(order).to_arrow(compat_level=pl.CompatLevel.oldest())
        return exported.cast(target)

    return compute


def _run(
    statistic: str,
    spark_tables: SparkTables,
    spark: SparkSession | None,
    names: Names | None,
    options: Mapping[str, object],
) -> DataFrame:
    function, seen_by = _STATISTICS[statistic]
    # The local function checks every option, as it would locally: on empty tables, now.
    function(ChatFrames.empty(), **options, names=names)
    known = names_frame(names)
    session, frames = _inputs(spark_tables, spark, seen_by)
    tagged = [frame.withColumn(_TAG, F.lit(name)) for name, frame in frames.items()]
    union = tagged[0]
    for frame in tagged[1:]:
        union = union.unionByName(frame, allowMissingColumns=True)
    mapping = dict(zip(known.get_column("sender_id"), known.get_column("name"), strict=True))
    shared: Any = session.sparkContext.broadcast(mapping) if mapping else _Value(None)
    schema = spark_schema(statistic)
    large = session.conf.get(_LARGE_VAR_TYPES, "false") == "true"
    target = to_arrow_schema(schema, timezone="UTC", prefers_large_types=large)
    columns = {name: frame.columns for name, frame in frames.items()}
    compute = _per_chat(statistic, columns, options, shared, target)
    return union.groupBy(PARTITION_KEY).applyInArrow(compute, schema)


# -- the statistics -----------------------------------------------------------------------


def sender_activity(
    spark_tables: SparkTables,
    *,
    tz: str = "UTC",
    session_gap: timedelta = DEFAULT_SESSION_GAP,
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
    names: Names | None = None,
    spark: SparkSession | None = None,
) -> DataFrame:
    """:func:`postpress_frames.stats.sender_activity` on Spark: one row per chat and sender.

    ``spark_tables`` is a mapping of ``messages``, ``attachments`` and ``reactions`` to Spark
    DataFrames (each with ``chat_id``), or a dataset root read with ``spark`` (default: the
    active session). The options are the local function's, checked before any job.

    >>> sender_activity("no_such_lake")
    Traceback (most recent call last):
    ...
    postpress_frames._exceptions.MissingInputError: no_such_lake: does not exist (no dataset there)
    """
    options = {"tz": tz, "session_gap": session_gap, "response_cap": response_cap}
    return _run("sender_activity", spark_tables, spark, names, options)


def response_matrix(
    spark_tables: SparkTables,
    *,
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
    names: Names | None = None,
    spark: SparkSession | None = None,
) -> DataFrame:
    """:func:`postpress_frames.stats.response_matrix` on Spark: who answers whom, per chat.

    ``spark_tables`` and ``spark`` as in :func:`sender_activity`.

    >>> response_matrix({"messages": None})
    Traceback (most recent call last):
    ...
    postpress_frames._exceptions.SchemaValidationError: table 'attachments, reactions' failed ...
    """
    return _run("response_matrix", spark_tables, spark, names, {"response_cap": response_cap})


def content(
    spark_tables: SparkTables, *, names: Names | None = None, spark: SparkSession | None = None
) -> DataFrame:
    """:func:`postpress_frames.stats.content` on Spark: emoji, links, questions and
    reactions per chat and sender.

    ``spark_tables`` and ``spark`` as in :func:`sender_activity`.

    >>> content(42)
    Traceback (most recent call last):
    ...
    postpress_frames._exceptions.ArgumentTypeError: spark_tables must be a mapping of table ...
    """
    return _run("content", spark_tables, spark, names, {})


def participants(
    spark_tables: SparkTables, *, names: Names | None = None, spark: SparkSession | None = None
) -> DataFrame:
    """:func:`postpress_frames.stats.participants` on Spark: every person of every chat.

    ``spark_tables`` adds ``seen_by`` to the tables of :func:`sender_activity`.

    >>> participants("lake", names={"ACoAA": 7})
    Traceback (most recent call last):
    ...
    postpress_frames._exceptions.ArgumentTypeError: names['ACoAA'] must be a name (a string), ...
    """
    return _run("participants", spark_tables, spark, names, {})


def read_receipts(
    spark_tables: SparkTables,
    *,
    tz: str = "UTC",
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
    names: Names | None = None,
    spark: SparkSession | None = None,
) -> DataFrame:
    """:func:`postpress_frames.stats.read_receipts` on Spark: one row per chat and reader.

    ``spark_tables`` adds ``seen_by`` to the tables of :func:`sender_activity`.

    >>> read_receipts("lake", tz="Mars/Olympus")
    Traceback (most recent call last):
    ...
    postpress_frames._exceptions.ConfigurationError: tz: unknown time zone 'Mars/Olympus' ...
    """
    options = {"tz": tz, "response_cap": response_cap}
    return _run("read_receipts", spark_tables, spark, names, options)


def read_matrix(
    spark_tables: SparkTables, *, names: Names | None = None, spark: SparkSession | None = None
) -> DataFrame:
    """:func:`postpress_frames.stats.read_matrix` on Spark: who reads whom, per chat.

    ``spark_tables`` adds ``seen_by`` to the tables of :func:`sender_activity`.

    >>> from postpress_frames import write_dataset
    >>> write_dataset(ChatFrames.empty(), "lake")
    []
    >>> read_matrix("lake", spark="local[2]")
    Traceback (most recent call last):
    ...
    postpress_frames._exceptions.ArgumentTypeError: spark must be a SparkSession, got str 'local[2]'
    """
    return _run("read_matrix", spark_tables, spark, names, {})
