"""Reading a dataset with other engines than the package: DuckDB, pyarrow.dataset, polars'
own glob scan and Spark, each with the options the README documents for a string
``chat_id``, next to the package's :func:`~postpress_frames.scan_dataset`.

Every reader gives a :class:`Read` of one table: its columns' dtype families (so DuckDB's
``BIGINT``, Spark's ``long`` and polars' ``Int64`` compare equal) and its rows reduced to
``chat_id`` and the key column (``id`` in messages, ``message_id`` elsewhere), as strings.
:func:`differences` compares two reads; :func:`id_table` prints, per chat id, what each
engine read back.
"""

from __future__ import annotations

import collections
import contextlib
import os
import sys
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as pads

from postpress_frames import scan_dataset
from postpress_frames.tables.schemas import key_column

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Chat ids that are hard as folder names: reserved and non-ASCII characters, ``=``, ``%``,
#: quotes, a leading dot, ``..``, a digits-only id engines would infer as a number.
HOSTILE_CHAT_IDS = (
    "chat_é ü=x",
    "日本 語",
    "a/b",
    "50%",
    "k=v",
    "k:v",
    "#hash",
    "what?",
    'it\'s "q"',
    ".hidden",
    "..",
    "00123",
    "x{[]}^*\\",
    "chat_plain",
)
DIGITS_ONLY = "00123"

PARTITION = "chat_id"
STRING = "string"


@dataclass(frozen=True)
class Read:
    """One table as an engine read it: column -> dtype family, and ``chat_id``/key rows."""

    families: Mapping[str, str]
    rows: pl.DataFrame  # columns chat_id, key (both String)

    def keys_by_chat(self) -> dict[str, list[str]]:
        """chat id -> its sorted keys, repeats kept (so counts compare too)."""
        out: dict[str, list[str]] = collections.defaultdict(list)
        for chat_id, key in self.rows.iter_rows():
            out[chat_id].append(key)
        return {chat_id: sorted(keys) for chat_id, keys in out.items()}


def _rows(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    key = key_column(table)
    return frame.select(
        pl.col(PARTITION).cast(pl.String).alias(PARTITION), pl.col(key).cast(pl.String).alias("key")
    )


# -- dtype families -------------------------------------------------------------------------


def polars_family(dtype: pl.DataType) -> str:
    if dtype == pl.String or dtype == pl.Categorical:
        return STRING
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "float"
    if dtype == pl.Boolean:
        return "boolean"
    if isinstance(dtype, pl.Datetime):
        return "instant" if dtype.time_zone is not None else "local timestamp"
    if isinstance(dtype, pl.List):
        inner = dtype.inner
        return f"list<{polars_family(inner() if isinstance(inner, type) else inner)}>"
    return f"other:{dtype}"


def arrow_family(dtype: pa.DataType) -> str:
    if pa.types.is_dictionary(dtype):
        return arrow_family(dtype.value_type)
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return STRING
    if pa.types.is_integer(dtype):
        return "integer"
    if pa.types.is_floating(dtype):
        return "float"
    if pa.types.is_boolean(dtype):
        return "boolean"
    if pa.types.is_timestamp(dtype):
        return "instant" if dtype.tz is not None else "local timestamp"
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        return f"list<{arrow_family(dtype.value_type)}>"
    return f"other:{dtype}"


def duckdb_family(sql_type: str) -> str:
    if sql_type.endswith("[]"):
        return f"list<{duckdb_family(sql_type[:-2])}>"
    families = {
        "VARCHAR": STRING,
        "TINYINT": "integer",
        "SMALLINT": "integer",
        "INTEGER": "integer",
        "BIGINT": "integer",
        "HUGEINT": "integer",
        "FLOAT": "float",
        "DOUBLE": "float",
        "BOOLEAN": "boolean",
        "TIMESTAMP WITH TIME ZONE": "instant",
        "TIMESTAMP": "local timestamp",
        "TIMESTAMP_MS": "local timestamp",
    }
    return families.get(sql_type, f"other:{sql_type}")


def spark_family(dtype: Any) -> str:
    name = dtype.typeName()
    if name == "array":
        return f"list<{spark_family(dtype.elementType)}>"
    families = {
        "string": STRING,
        "byte": "integer",
        "short": "integer",
        "integer": "integer",
        "long": "integer",
        "float": "float",
        "double": "float",
        "boolean": "boolean",
        "timestamp": "instant",  # Spark's TIMESTAMP is an instant, shown in the session zone
        "timestamp_ntz": "local timestamp",
    }
    return str(families.get(name, f"other:{name}"))


# -- the readers ----------------------------------------------------------------------------


class NoFiles(Exception):
    """The engine found no file for the table (a dataset without that table yet)."""


def read_package(root: Path, table: str) -> Read:
    """The package's own reader (it finishes an interrupted commit first)."""
    frame = scan_dataset(root)[table].collect()
    families = {name: polars_family(dtype) for name, dtype in frame.schema.items()}
    return Read(families, _rows(table, frame))


def read_duckdb(root: Path, table: str, glob: str = "*/*.parquet") -> Read:
    """DuckDB: ``read_parquet('root/<table>/<glob>', hive_partitioning = true,
    hive_types = {'chat_id': VARCHAR})``."""
    source = "read_parquet(?, hive_partitioning = true, hive_types = {'chat_id': VARCHAR})"
    pattern = str(root / table / glob)
    with duckdb.connect() as con:
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {source}", [pattern]).fetchall()
        except duckdb.IOException as error:
            if "No files found" in str(error):
                raise NoFiles(pattern) from error
            raise
        key = key_column(table)
        arrow = con.sql(f'SELECT {PARTITION}, "{key}" FROM {source}', params=[pattern])
        data = arrow.to_arrow_table()
    families = {name: duckdb_family(kind) for name, kind, *_ in described}
    return Read(families, _rows(table, pl.DataFrame(pl.from_arrow(data))))


def _arrow_read(root: Path, table: str, partitioning: Any) -> Read:
    folder = root / table
    # pyarrow's own discovery (hidden files skipped) decides whether the table has files:
    # a partitioning with a schema refuses a folder without any.
    if not folder.is_dir() or not pads.dataset(folder, format="parquet").files:
        raise NoFiles(str(folder))
    dataset = pads.dataset(folder, format="parquet", partitioning=partitioning)
    data = dataset.to_table(columns=[PARTITION, key_column(table)])
    families = {field.name: arrow_family(field.type) for field in dataset.schema}
    return Read(families, _rows(table, pl.DataFrame(pl.from_arrow(data))))


STRING_PARTITION = pa.schema([(PARTITION, pa.string())])


def read_pyarrow_discover(root: Path, table: str) -> Read:
    """``pyarrow.dataset.dataset(root/<table>, partitioning=HivePartitioning.discover(
    infer_dictionary=False, schema=<chat_id: string>))``."""
    partitioning = pads.HivePartitioning.discover(infer_dictionary=False, schema=STRING_PARTITION)
    return _arrow_read(root, table, partitioning)


def read_pyarrow_hive(root: Path, table: str) -> Read:
    """``pyarrow.dataset.dataset(root/<table>, partitioning=pyarrow.dataset.partitioning(
    <chat_id: string>, flavor="hive"))``."""
    return _arrow_read(root, table, pads.partitioning(STRING_PARTITION, flavor="hive"))


def read_polars(
    root: Path | str,
    table: str,
    glob: str = "*/*.parquet",
    storage_options: dict[str, str] | None = None,
) -> Read:
    """``polars.scan_parquet('root/<table>/<glob>', hive_partitioning=True,
    hive_schema={"chat_id": pl.String})`` (``root`` may be an ``s3://`` URL)."""
    pattern = f"{root}/{table}/{glob}"
    lazy = pl.scan_parquet(
        pattern,
        hive_partitioning=True,
        hive_schema={PARTITION: pl.String},
        storage_options=storage_options,
    )
    try:
        schema = lazy.collect_schema()
    except pl.exceptions.ComputeError as error:
        if "expanded paths were empty" in str(error):
            raise NoFiles(pattern) from error
        raise
    frame = lazy.select(PARTITION, key_column(table)).collect()
    return Read({name: polars_family(dtype) for name, dtype in schema.items()}, _rows(table, frame))


def read_spark(spark: SparkSession, root: Path, table: str) -> Read:
    """``spark.read.parquet('root/<table>')`` (partition column type inference off)."""
    frame = spark.read.parquet(str(root / table))
    families = {field.name: spark_family(field.dataType) for field in frame.schema.fields}
    rows = frame.select(PARTITION, key_column(table)).collect()
    data = pl.DataFrame(
        [tuple(row) for row in rows], schema=[PARTITION, key_column(table)], orient="row"
    )
    return Read(families, _rows(table, data))


Reader = Callable[[Path, str], Read]

#: Engine label -> reader, the quick ones (no JVM).
QUICK_READERS: dict[str, Reader] = {
    "duckdb */*": read_duckdb,
    "duckdb **": lambda root, table: read_duckdb(root, table, "**/*.parquet"),
    "pyarrow discover": read_pyarrow_discover,
    "pyarrow hive": read_pyarrow_hive,
    "polars */*": read_polars,
    "polars **": lambda root, table: read_polars(root, table, "**/*.parquet"),
}
#: The foreign readers the kill trials use, before the package may finish a commit.
KILL_TRIAL_READERS: dict[str, Reader] = {
    "duckdb": read_duckdb,
    "polars": read_polars,
    "pyarrow": read_pyarrow_discover,
}


# -- comparing ------------------------------------------------------------------------------


def differences(expected: Read, got: Read) -> list[str]:
    """What ``got`` reads differently from ``expected``: columns, families, chats, rows."""
    problems: list[str] = []
    missing = sorted(set(expected.families) - set(got.families))
    extra = sorted(set(got.families) - set(expected.families))
    if missing or extra:
        problems.append(f"columns: missing {missing}, extra {extra}")
    for name in sorted(set(expected.families) & set(got.families)):
        if expected.families[name] != got.families[name]:
            problems.append(f"{name}: {got.families[name]} instead of {expected.families[name]}")
    want, have = expected.keys_by_chat(), got.keys_by_chat()
    if set(want) != set(have):
        problems.append(
            f"chat ids: missing {sorted(set(want) - set(have))!r}, "
            f"unexpected {sorted(set(have) - set(want))!r}"
        )
    for chat_id in sorted(set(want) & set(have)):
        if want[chat_id] != have[chat_id]:
            problems.append(
                f"{chat_id!r}: {len(have[chat_id])} rows "
                f"({len(set(have[chat_id]))} distinct keys) instead of {len(want[chat_id])}"
            )
    return problems


def read_back(chats: Mapping[str, Sequence[str]], messages: Read) -> dict[str, str]:
    """Original chat id -> the ``chat_id`` an engine gave that chat's messages.

    ``chats`` maps each chat id to its message ids (unique across chats); a chat whose
    messages came back under several ids shows them all, one it lost shows ``(missing)``.
    """
    of_message = dict(messages.rows.select("key", PARTITION).iter_rows())
    out = {}
    for chat_id, ids in chats.items():
        seen = sorted({of_message[i] for i in ids if i in of_message})
        if seen == [chat_id]:
            out[chat_id] = "="
        else:
            out[chat_id] = " | ".join(repr(s) for s in seen) if seen else "(missing)"
    return out


def id_table(chats: Mapping[str, Sequence[str]], messages: Mapping[str, Read]) -> str:
    """A text table: one line per chat id, one column per engine, ``=`` where it read the
    id back unchanged, else what it read."""
    columns = {engine: read_back(chats, read) for engine, read in messages.items()}
    header = ["chat id", *columns]
    lines = [[repr(c), *(columns[e][c] for e in columns)] for c in chats]
    widths = [max(_width(row[i]) for row in [header, *lines]) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in [header, *lines]
    )


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


# -- Spark ----------------------------------------------------------------------------------

_QUIET_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.console.type = Console
appender.console.name = stderr
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""


@contextlib.contextmanager
def spark_session(workdir: Path) -> Iterator[SparkSession]:
    """A local Spark (``local[2]``, no UI, bound to 127.0.0.1, errors-only logs) that reads
    partition values as strings (``partitionColumnTypeInference.enabled=false``); stopped
    at the end."""
    from pyspark.sql import SparkSession

    workdir.mkdir(parents=True, exist_ok=True)
    log4j = workdir / "log4j2.properties"
    log4j.write_text(_QUIET_LOG4J, encoding="utf-8")
    java_options = f"-Dlog4j2.configurationFile={log4j.as_uri()}"
    before = os.environ.get("SPARK_LOCAL_IP")
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    # Python workers (applyInArrow) must run this interpreter, which has the package and
    # polars, not whichever python3 comes first on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        spark = (
            SparkSession.builder.master("local[2]")
            .appName("postpress-frames-engines")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.local.dir", str(workdir / "spark-local"))
            .config("spark.sql.warehouse.dir", str(workdir / "warehouse"))
            .config("spark.driver.extraJavaOptions", java_options)
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        try:
            yield spark
        finally:
            spark.stop()
    finally:
        if before is None:
            os.environ.pop("SPARK_LOCAL_IP", None)
        else:
            os.environ["SPARK_LOCAL_IP"] = before
