"""Statistics as files: ``write_stats`` and ``export_ready`` share one conversion (seconds in
``<name>_s`` columns, UTC instants in Parquet, ISO 8601 with an offset in CSV and JSON), read
the same in DuckDB, and replace only a statistics file of their own."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

import postpress_frames
from postpress_frames import stats
from postpress_frames._exceptions import ConfigurationError, StorageError
from postpress_frames.analysis.export import STATISTIC_KEY, export_ready, is_stats_file, write_stats
from postpress_frames.analysis.metrics import STATISTIC_SCHEMAS
from postpress_frames.tables.chat_frames import ChatFrames
from tests.conftest import demo_frames
from tests.test_stats import conversation

STATISTICS: dict[str, Callable[[ChatFrames], pl.DataFrame]] = {
    "sender_activity": lambda f: stats.sender_activity(f, tz="Europe/Paris"),
    "response_times": stats.response_times,
    "response_matrix": stats.response_matrix,
    "activity_over_time": lambda f: stats.activity_over_time(f, "1d", tz="Europe/Paris"),
}


@pytest.fixture(scope="module")
def activity() -> pl.DataFrame:
    return stats.sender_activity(conversation(), tz="Europe/Paris")


def test_write_stats_is_public() -> None:
    assert postpress_frames.write_stats is write_stats is stats.write_stats
    assert "write_stats" in postpress_frames.__all__


def test_parquet_reads_back_in_duckdb_as_seconds_and_utc_timestamps(
    activity: pl.DataFrame, tmp_path: Path
) -> None:
    import duckdb

    path = write_stats(activity, tmp_path / "senders.parquet")
    types = {row[0]: row[1] for row in duckdb.sql(f"DESCRIBE SELECT * FROM '{path}'").fetchall()}
    assert types["response_time_median_s"] == "DOUBLE"
    assert types["first_at"] == "TIMESTAMP WITH TIME ZONE"
    assert "response_time_median" not in types
    rows = duckdb.sql(
        f"SELECT sender_id, response_time_median_s, response_time_p90_s, first_at "
        f"FROM '{path}' ORDER BY sender_id"
    ).fetchall()
    (_, a_median, a_p90, a_first), (_, b_median, b_p90, b_first) = rows
    assert a_p90 == 24 * 3600.0  # the 24 h cap, inclusive
    assert b_median == 31 * 60.0  # 31 minutes, in seconds: not 1_860_000 of an unknown unit
    assert b_p90 == 60 * 60.0
    assert a_median == (12 * 60 + 5) * 60.0
    # The instants are the messages' (09:00 and 09:03 UTC), whatever zone DuckDB shows them in.
    assert a_first.astimezone(UTC) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert b_first.astimezone(UTC) == datetime(2026, 3, 2, 9, 3, tzinfo=UTC)
    assert pl.read_parquet(path).schema["first_at"] == pl.Datetime("ms", "UTC")


def test_parquet_records_what_it_holds_in_its_metadata(
    activity: pl.DataFrame, tmp_path: Path
) -> None:
    metadata = pl.read_parquet_metadata(write_stats(activity, tmp_path / "s.parquet"))
    assert metadata["generator"] == "postpress-frames"
    assert metadata[STATISTIC_KEY] == "sender_activity"
    assert metadata["postpress_frames.time_zone"] == "Europe/Paris"
    assert metadata["postpress_frames.version"] == postpress_frames.__version__


def test_csv_and_json_carry_seconds_and_iso_times_with_their_offset(tmp_path: Path) -> None:
    activity = stats.sender_activity(conversation(), tz="UTC")
    csv = pl.read_csv(write_stats(activity, tmp_path / "s.csv"))
    b = csv.filter(sender_id="B").row(0, named=True)
    assert b["response_time_median_s"] == 31 * 60.0
    assert b["first_at"] == "2026-03-02T09:03:00.000+00:00"
    rows = json.loads((write_stats(activity, tmp_path / "s.json")).read_text())
    b_json = next(row for row in rows if row["sender_id"] == "B")
    assert b_json["response_time_median_s"] == 31 * 60.0
    assert b_json["first_at"] == "2026-03-02T09:03:00.000+00:00"
    assert "response_time_median" not in b_json


def test_export_ready_and_write_stats_write_the_same_text(
    activity: pl.DataFrame, tmp_path: Path
) -> None:
    exported = export_ready(activity)
    assert [c for c in exported.columns if c.endswith("_s")] == [
        "response_time_median_s",
        "response_time_p90_s",
    ]
    assert write_stats(activity, tmp_path / "s.csv").read_text() == exported.write_csv()
    assert write_stats(activity, tmp_path / "s.json").read_text() == exported.write_json()


def test_the_table_polars_cannot_write_as_csv_writes_with_write_stats(
    activity: pl.DataFrame, tmp_path: Path
) -> None:
    with pytest.raises(pl.exceptions.ComputeError):
        activity.write_csv(tmp_path / "plain.csv")  # durations have no CSV form in polars
    back = pl.read_csv(write_stats(activity, tmp_path / "s.csv"))
    assert back.height == activity.height


def test_statistic_schemas_are_what_the_statistics_return() -> None:
    for name, compute in STATISTICS.items():
        result = compute(ChatFrames.empty())
        assert list(result.columns) == list(STATISTIC_SCHEMAS[name]), name


@pytest.mark.parametrize("name", list(STATISTICS))
@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".json"])
def test_every_statistic_writes_and_replaces_its_own_file(
    name: str, suffix: str, tmp_path: Path
) -> None:
    table = STATISTICS[name](demo_frames(200))
    assert table.height > 0
    path = write_stats(table, tmp_path / f"{name}{suffix}")
    assert is_stats_file(path)
    write_stats(table.head(1), path)  # an earlier file of ours: replaced
    reader = {".parquet": pl.read_parquet, ".csv": pl.read_csv, ".json": pl.read_json}[suffix]
    back = reader(path)
    assert back.height == 1
    assert not any(isinstance(dtype, pl.Duration) for dtype in back.schema.values())
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_a_naive_period_stays_a_wall_clock_time(tmp_path: Path) -> None:
    table = stats.activity_over_time(conversation(), "1d", tz="Europe/Paris")
    parquet = pl.read_parquet(write_stats(table, tmp_path / "days.parquet"))
    assert parquet.schema["period"] == pl.Datetime("ms")  # local midnights, no zone
    assert parquet["period"][0] == datetime(2026, 3, 2)
    csv = pl.read_csv(write_stats(table, tmp_path / "days.csv"))
    assert csv["period"][0] == "2026-03-02T00:00:00.000"


def _users_files(activity: pl.DataFrame) -> dict[str, bytes]:
    """Files a user may have at a path write_stats is given, none written by write_stats."""
    plain = io.BytesIO()
    activity.write_parquet(plain)  # a Parquet file of the same table, but not ours
    return {
        "notes.csv": b"name,phone\nAda,123\n",
        "almost.csv": export_ready(activity).write_csv().replace("chat_id", "chat").encode(),
        "plain.parquet": plain.getvalue(),
        "broken.parquet": b"PAR1 not really",
        "mine.json": b'{"chat_id": "mine"}',
        "empty.json": b"[]",  # an empty array could be anyone's
        "rows.json": b'[{"a": 1}]',
    }


def test_write_stats_never_replaces_a_file_it_did_not_write(
    activity: pl.DataFrame, tmp_path: Path
) -> None:
    for name, content in _users_files(activity).items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(StorageError, match="not written by postpress-frames") as caught:
            write_stats(activity, path)
        assert caught.value.path == str(path)
        assert path.read_bytes() == content, name
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(StorageError, match="is a folder"):
        write_stats(activity, folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*_users_files(activity), "folder.csv"]
    )


def test_write_stats_refuses_other_tables_and_suffixes_before_writing(
    activity: pl.DataFrame, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError, match=r"table of postpress_frames\.stats"):
        write_stats(activity.drop("events"), tmp_path / "s.csv")
    with pytest.raises(ConfigurationError, match=r"\.parquet, \.csv or \.json"):
        write_stats(activity, tmp_path / "s.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_columns_in_another_order_are_written_in_the_statistic_order(
    activity: pl.DataFrame, tmp_path: Path
) -> None:
    shuffled = activity.select(reversed(activity.columns))
    back = pl.read_csv(write_stats(shuffled, tmp_path / "s.csv"))
    assert back.columns == export_ready(activity).columns


def test_seconds_keep_the_millisecond() -> None:
    table = pl.DataFrame(
        {"wait": [timedelta(milliseconds=24_484), None]}, schema={"wait": pl.Duration("ms")}
    )
    assert export_ready(table).to_dicts() == [{"wait_s": 24.484}, {"wait_s": None}]
