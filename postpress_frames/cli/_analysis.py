"""The commands that compute statistics and charts: stats, report, demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Final

import click

from postpress_frames.cli._app import STORAGE_OPTION, DataPath, cli, counts, debug_option
from postpress_frames.cli._inputs import load, load_names, reading
from postpress_frames.cli._targets import (
    DEMO_CHART,
    DEMO_CHAT,
    DEMO_DATASET,
    DEMO_REPORT,
    check_demo_target,
)

TZ_OPTION = click.option(
    "--tz", default="UTC", show_default=True, help="Time zone for days, hours and weekdays."
)
NAMES_OPTION = click.option(
    "--names",
    "names_csv",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with columns sender_id,name: the names shown for those senders "
    "(others show a short id).",
)

#: The columns `stats --format table` and `demo` print (with ``chat_id`` first when the
#: input holds several chats); csv, json and ``--out`` files carry every column.
TABLE_COLUMNS: Final = (
    "sender_name",
    "sender_id",
    "is_sender",
    "messages",
    "share_of_messages",
    "words",
    "turns",
    "active_days",
    "conversations_started",
    "responses",
    "response_time_median",
    "peak_hour",
)


def table_columns(activity: Any) -> list[str]:
    """The columns the table shows: ``chat_id`` too when there is more than one chat, so a
    sender of two chats is never two unlabelled rows."""
    several = activity.get_column("chat_id").n_unique() > 1
    shown = ["chat_id", *TABLE_COLUMNS] if several else list(TABLE_COLUMNS)
    return [column for column in shown if column in activity.columns]


def print_stats(activity: Any) -> None:
    import polars as pl

    shown = activity.select(table_columns(activity))
    with pl.Config(
        tbl_rows=100,
        tbl_cols=shown.width,
        tbl_width_chars=200,
        tbl_hide_dataframe_shape=True,
        fmt_str_lengths=24,
        float_precision=3,
    ):
        click.echo(shown)


@cli.command()
@click.argument("path", type=DataPath(exists=True, file_okay=False))
@TZ_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default=None,
    help="What stdout shows [default: table]. table: the main columns (chat_id too for "
    "several chats); csv/json: every column, durations in seconds (<name>_s).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every column to this .parquet, .csv or .json file instead of printing.",
)
@NAMES_OPTION
@STORAGE_OPTION
@debug_option
def stats(
    path: Path | str,
    tz: str,
    fmt: str | None,
    out: Path | None,
    names_csv: Path | None,
    storage_options: dict[str, str] | None,
) -> None:
    """Per-sender activity statistics of a fetch folder or a dataset.

    In csv, json and --out files durations are float seconds (<name>_s), times ISO
    8601 with their offset (csv, json) or UTC timestamps (Parquet), and chat_id is
    always a column. --out never replaces files the package did not write (only an
    earlier statistics file; anything else is refused: exit 1).

    \b
    Example:
      postpress-frames stats lake --tz Europe/Paris --format csv > senders.csv
      postpress-frames stats lake --out senders.parquet
      postpress-frames stats lake --names people.csv
    """
    from postpress_frames.analysis.export import check_stats_target, export_ready, write_stats
    from postpress_frames.analysis.stats import sender_activity

    if out is not None:
        if fmt is not None:
            raise click.UsageError("--format prints to stdout; with --out the suffix sets it")
        check_stats_target(out)
    names = load_names(names_csv)
    tables = load(path, storage_options)
    with reading(path):
        activity = sender_activity(tables, tz=tz, names=names)
    if out is not None:
        write_stats(activity, out)
        click.echo(f"stats: {out} ({activity.height} rows)")
    elif fmt in (None, "table"):
        print_stats(activity)
    elif fmt == "csv":
        click.echo(export_ready(activity).write_csv(), nl=False)
    else:
        click.echo(export_ready(activity).write_json())


@cli.command()
@click.argument("path", type=DataPath(exists=True, file_okay=False))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML file: new, or an earlier report (replaced).",
)
@TZ_OPTION
@click.option("--title", default="Sender activity", show_default=True)
@NAMES_OPTION
@click.option(
    "--static",
    is_flag=True,
    help="Images only (no script): for mail clients and viewers that run no JavaScript.",
)
@STORAGE_OPTION
@debug_option
def report(
    path: Path | str,
    out: Path,
    tz: str,
    title: str,
    names_csv: Path | None,
    static: bool,
    storage_options: dict[str, str] | None,
) -> None:
    """Write one self-contained HTML report (statistics and charts) that opens offline.

    --out never replaces files the package did not write: only an earlier report
    is replaced; any other file is refused (exit 1) before anything is read.

    \b
    Example:
      postpress-frames report lake --out report.html --tz Europe/Paris --names people.csv
    """
    from postpress_frames.analysis.report import check_report_target, write_report

    check_report_target(out)
    names = load_names(names_csv)
    tables = load(path, storage_options)
    with reading(path):
        write_report(tables, out, tz=tz, title=title, names=names, static=static)
    click.echo(f"report: {out}")


@cli.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Folder: new, empty, or an earlier demo's.",
)
@click.option("--messages", type=click.IntRange(1), default=5000, show_default=True)
@TZ_OPTION
@debug_option
def demo(out: Path, messages: int, tz: str) -> None:
    """The whole job on a local fake server: fetch, validate, Parquet, statistics, charts.

    --out never replaces files the package did not write: it must be new, empty,
    or hold only an earlier demo's outputs (checked before anything runs; exit 1).

    \b
    Example:
      postpress-frames demo --out demo-output
    """
    from postpress_frames.analysis.charts import messages_over_time_chart, save_chart
    from postpress_frames.analysis.report import write_report
    from postpress_frames.analysis.stats import sender_activity
    from postpress_frames.api.client import Client
    from postpress_frames.pipeline.fetch import fetch_chat
    from postpress_frames.storage.dataset import write_dataset
    from postpress_frames.storage.parquet import write_parquet
    from postpress_frames.testing import FakePostpress, demo_names

    check_demo_target(out)
    with (
        FakePostpress(messages=messages) as server,
        Client(api_key=server.api_key, base_url=server.base_url) as client,
    ):
        click.echo(f"fake postpress at {server.base_url}, chat {server.chat_id}", err=True)
        # A bar only where someone watches: redirected output gets no carriage-return lines.
        frames = fetch_chat(server.chat_id, client=client, progress=sys.stderr.isatty())
    frames.validate()
    write_parquet(frames, out / DEMO_CHAT)
    write_dataset(frames, out / DEMO_DATASET)
    events = int(frames.messages.get_column("is_event").sum())
    click.echo(f"validated: {counts(frames)}")
    click.echo(f"           ({events} of the messages are events: left out of the statistics)")
    click.echo(f"Parquet:   {out / DEMO_CHAT} (one chat), {out / DEMO_DATASET} (Hive-partitioned)")
    names = demo_names(server.chat_id)  # the demo's people; `--names FILE.csv` for yours
    click.echo(f"\nPer-sender activity ({tz}):")
    print_stats(sender_activity(frames, tz=tz, names=names))
    chart = save_chart(messages_over_time_chart(frames, tz=tz, names=names), out / DEMO_CHART)
    page = write_report(
        frames, out / DEMO_REPORT, tz=tz, title="Demo chat: sender activity", names=names
    )
    click.echo(f"\nchart:  {chart}\nreport: {page}")
