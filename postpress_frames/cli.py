"""The ``postpress-frames`` command line: fetch, sync, validate, fake-server, demo.

Key and base URL come from ``--api-key``/``--base-url`` or ``POSTPRESS_API_KEY`` /
``POSTPRESS_BASE_URL``. Progress goes to stderr, results to stdout. Exit codes: 0 ok,
2 usage (a wrong option, argument or setting: ``ConfigurationError``, ``ArgumentTypeError``),
3 authentication or permission, 4 not found, 5 API failure after retries, 6 invalid data,
1 a file that cannot be read or written (``StorageError``, a disk full, a read-only target).
Every :class:`PostpressError` prints as one line on stderr; ``--debug`` (before or after the
command) adds the traceback and debug logs, and never changes the exit code.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from postpress_frames._exceptions import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    PostpressError,
    SchemaValidationError,
    StorageError,
    TransportError,
)
from postpress_frames._version import __version__

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
EXIT_AUTH, EXIT_NOT_FOUND, EXIT_API, EXIT_DATA = 3, 4, 5, 6

F = TypeVar("F", bound=Callable[..., Any])


def exit_code_for(error: BaseException) -> int:
    """Map an error to the CLI's exit code (see the module docstring).

    >>> from postpress_frames._exceptions import ArgumentTypeError, NotFoundError
    >>> exit_code_for(NotFoundError(404)), exit_code_for(ArgumentTypeError("root", "a path", 1))
    (4, 2)
    >>> exit_code_for(StorageError("disk full", path="lake")), exit_code_for(FileNotFoundError())
    (1, 2)
    """
    if isinstance(error, StorageError):
        return EXIT_ERROR
    if isinstance(error, AuthenticationError | PermissionDeniedError):
        return EXIT_AUTH
    if isinstance(error, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(error, APIError | TransportError):
        return EXIT_API
    if isinstance(error, InvalidResponseError | SchemaValidationError):
        return EXIT_DATA
    if isinstance(error, ConfigurationError | click.UsageError | FileNotFoundError):
        return EXIT_USAGE
    return EXIT_ERROR


class _Group(click.Group):
    """Turns package and file errors into one line on stderr and their exit code.

    With ``--debug`` the traceback comes first; the line and the exit code are the same.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (PostpressError, OSError) as exc:
            _echo_error(ctx, exc)
            ctx.exit(exit_code_for(exc))


def _echo_error(ctx: click.Context, error: BaseException, *, prefix: str = "") -> None:
    """``error`` as one line on stderr, after its traceback with ``--debug``."""
    root = ctx.find_root()
    if root.obj and root.obj.get("debug"):
        click.echo("".join(traceback.format_exception(error)).rstrip(), err=True)
    message = " ".join(str(error).split())
    click.echo(f"error: {prefix}{type(error).__name__}: {message}", err=True)


LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def _set_debug(ctx: click.Context, _param: click.Parameter, debug: bool) -> None:
    """``--debug`` on the group or on a command: both turn on the same root setting."""
    root = ctx.find_root()
    root.ensure_object(dict)
    if not debug or root.obj.get("debug"):
        return
    root.obj["debug"] = True
    handler = root.obj.get("log_handler")
    if isinstance(handler, logging.Handler):
        handler.setLevel(logging.DEBUG)
        logging.getLogger().setLevel(logging.DEBUG)


def _debug_option(func: F) -> F:
    return click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_debug,
        help="Show tracebacks and debug logs (before or after the command).",
    )(func)


def _start_logging(ctx: click.Context) -> None:
    """Log to stderr (warnings, or everything with ``--debug``) for this invocation only."""
    debug = bool(ctx.obj.get("debug"))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(logging.DEBUG if debug else logging.WARNING)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else min(level or logging.WARNING, logging.WARNING))
    ctx.obj["log_handler"] = handler

    def stop() -> None:
        root.removeHandler(handler)
        root.setLevel(level)

    ctx.call_on_close(stop)


def _client_options(func: F) -> F:
    func = click.option(
        "--base-url", envvar="POSTPRESS_BASE_URL", help="API base URL [env POSTPRESS_BASE_URL]."
    )(func)
    return click.option(
        "--api-key",
        envvar="POSTPRESS_API_KEY",
        show_envvar=False,
        help="API key [env POSTPRESS_API_KEY]; prefer the environment variable.",
    )(func)


PROGRESS_OPTION = click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr [default: when stderr is a terminal].",
)


def _client(api_key: str | None, base_url: str | None) -> Any:
    from postpress_frames.api.client import Client

    return Client(api_key=api_key, base_url=base_url)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="postpress-frames")
@_debug_option
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Fetch postpress chats into typed tables and BI-ready Parquet.

    \b
    Example:
      export POSTPRESS_API_KEY=pp_live_...
      postpress-frames fetch chat_01HXYZ --out out/chat

    \b
    Exit codes:
      0 ok                1 a file could not be read or written
      2 usage, a setting  3 authentication or permission
      4 not found         5 API failure after retries
      6 invalid data
    Errors print as one line; --debug (before or after the command) adds the
    traceback and never changes the exit code.
    """
    ctx.ensure_object(dict)
    _start_logging(ctx)


@cli.command()
@click.argument("chat_id")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Folder.")
@click.option("--after", help="Only messages strictly after this ISO 8601 UTC moment.")
@click.option("--before", help="Only messages strictly before this ISO 8601 UTC moment.")
@click.option("--sender-id", help="Only messages from this sender id.")
@click.option("--page-size", type=click.IntRange(1, 250), default=250, show_default=True)
@click.option("--no-original", is_flag=True, help="Drop the raw provider payload column.")
@PROGRESS_OPTION
@_client_options
@_debug_option
def fetch(
    chat_id: str,
    out: Path,
    after: str | None,
    before: str | None,
    sender_id: str | None,
    page_size: int,
    no_original: bool,
    progress: bool | None,
    api_key: str | None,
    base_url: str | None,
) -> None:
    """Fetch every page of CHAT_ID into a folder of Parquet files.

    \b
    Example:
      postpress-frames fetch chat_01HXYZ --out out/chat --after 2026-01-01
    """
    from postpress_frames.pipeline.fetch import fetch_chat
    from postpress_frames.storage.parquet import write_parquet

    with _client(api_key, base_url) as client:
        frames = fetch_chat(
            chat_id,
            client=client,
            after=after,
            before=before,
            sender_id=sender_id,
            page_size=page_size,
            include_original=not no_original,
            progress=sys.stderr.isatty() if progress is None else progress,
        )
    filters = {"after": after, "before": before, "sender_id": sender_id}
    write_parquet(frames, out, filters={k: v for k, v in filters.items() if v})
    click.echo(f"{out}: {_counts(frames)}")


@cli.command()
@click.argument("chat_ids", nargs=-1, required=True)
@click.option("--dataset", required=True, type=click.Path(path_type=Path), help="Dataset root.")
@click.option("--workers", type=click.IntRange(1, 32), default=4, show_default=True)
@click.option("--page-size", type=click.IntRange(1, 250), default=250, show_default=True)
@PROGRESS_OPTION
@_client_options
@_debug_option
def sync(
    chat_ids: Sequence[str],
    dataset: Path,
    workers: int,
    page_size: int,
    progress: bool | None,
    api_key: str | None,
    base_url: str | None,
) -> None:
    """Bring the Parquet dataset up to date with CHAT_IDS (only what is new is fetched).

    \b
    Example:
      postpress-frames sync chat_a chat_b --dataset lake --workers 4
    """
    from postpress_frames.pipeline.sync import sync_chats

    with _client(api_key, base_url) as client:
        results = sync_chats(
            chat_ids,
            dataset,
            client=client,
            workers=workers,
            page_size=page_size,
            progress=sys.stderr.isatty() if progress is None else progress,
        )
    failed = []
    for result in results:
        if result.error is None:
            click.echo(str(result))
        else:
            failed.append(result.error)
            _echo_error(click.get_current_context(), result.error, prefix=f"{result.chat_id}: ")
    if failed:
        sys.exit(max(exit_code_for(e) for e in failed))


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@_debug_option
def validate(path: Path) -> None:
    """Validate a folder written by `fetch` or a dataset written by `sync`.

    \b
    Example:
      postpress-frames validate out/chat
    """
    from postpress_frames.storage.dataset import chat_ids, read_chat
    from postpress_frames.storage.parquet import MANIFEST, read_parquet

    if (path / MANIFEST).is_file():
        click.echo(f"{path}: valid: {_counts(read_parquet(path))}")
        return
    ids = chat_ids(path)
    if not ids:
        raise click.UsageError(f"{path}: neither a fetch folder nor a dataset with chats")
    for chat_id in ids:
        click.echo(f"{chat_id}: valid: {_counts(read_chat(path, chat_id).validate())}")


@cli.command("fake-server")
@click.option("--messages", type=click.IntRange(0), default=5000, show_default=True)
@click.option("--chats", type=click.IntRange(1), default=1, show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="0 picks a free port.")
@click.option("--seed", type=int, default=0, show_default=True)
@_debug_option
def fake_server(messages: int, chats: int, port: int, seed: int) -> None:
    """Serve demo chats on 127.0.0.1 until interrupted, printing how to reach them.

    \b
    Example:
      postpress-frames fake-server --messages 10000 --port 8765
    """
    from postpress_frames.testing import FakePostpress, demo_chats

    with FakePostpress(demo_chats(chats, messages, seed=seed), port=port) as server:
        click.echo(f"base URL: {server.base_url}")
        click.echo(f"API key:  {server.api_key}  (a fake key, for this server only)")
        click.echo(f"chat ids: {' '.join(server.chat_ids)}")
        click.echo(
            f"export POSTPRESS_BASE_URL={server.base_url} POSTPRESS_API_KEY={server.api_key}"
        )
        click.echo("Ctrl-C to stop.")
        try:
            _wait_for_interrupt()
        except KeyboardInterrupt:
            click.echo("stopped", err=True)


def _wait_for_interrupt() -> None:
    """Sleep until Ctrl-C (``KeyboardInterrupt``); the tests replace it to stop at once."""
    import time

    while True:
        time.sleep(3600)


def _load(path: Path) -> Any:
    """A fetch folder as ChatFrames, or a dataset root as lazy tables of all its chats."""
    from postpress_frames.storage.dataset import chat_ids, scan_dataset
    from postpress_frames.storage.parquet import MANIFEST, read_parquet

    if (path / MANIFEST).is_file():
        return read_parquet(path)
    if not chat_ids(path):
        raise click.UsageError(f"{path}: neither a fetch folder nor a dataset with chats")
    return scan_dataset(path)


TZ_OPTION = click.option(
    "--tz", default="UTC", show_default=True, help="Time zone for days, hours and weekdays."
)

# The columns `stats --format table` and `demo` print; csv and json carry every column.
TABLE_COLUMNS = (
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


def _print_stats(activity: Any, *, full: bool = False) -> None:
    import polars as pl

    shown = activity if full else activity.select(c for c in TABLE_COLUMNS if c in activity.columns)
    with pl.Config(
        tbl_rows=100,
        tbl_cols=-1 if full else len(TABLE_COLUMNS),
        tbl_width_chars=200,
        tbl_hide_dataframe_shape=True,
        fmt_str_lengths=24,
        float_precision=3,
    ):
        click.echo(shown)


@cli.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@TZ_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table: the main columns for reading; csv/json: every column.",
)
@_debug_option
def stats(path: Path, tz: str, fmt: str) -> None:
    """Per-sender activity statistics of a fetch folder or a dataset.

    \b
    Example:
      postpress-frames stats lake --tz Europe/Paris --format csv > senders.csv
    """
    from postpress_frames.analysis.stats import export_ready, sender_activity

    activity = sender_activity(_load(path), tz=tz)
    if fmt == "table":
        _print_stats(activity)
    elif fmt == "csv":
        click.echo(export_ready(activity).write_csv(), nl=False)
    else:
        click.echo(export_ready(activity).write_json())


@cli.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@TZ_OPTION
@click.option("--title", default="Sender activity", show_default=True)
@_debug_option
def report(path: Path, out: Path, tz: str, title: str) -> None:
    """Write one self-contained HTML report (statistics and charts) that opens offline.

    \b
    Example:
      postpress-frames report lake --out report.html --tz Europe/Paris
    """
    from postpress_frames.analysis.report import write_report

    write_report(_load(path), out, tz=tz, title=title)
    click.echo(f"report: {out}")


@cli.command()
@click.option(
    "--out", type=click.Path(path_type=Path), default=Path("demo-output"), show_default=True
)
@click.option("--messages", type=click.IntRange(1), default=5000, show_default=True)
@TZ_OPTION
@_debug_option
def demo(out: Path, messages: int, tz: str) -> None:
    """The whole job on a local fake server: fetch, validate, Parquet, statistics, charts.

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
    from postpress_frames.testing import FakePostpress

    with (
        FakePostpress(messages=messages) as server,
        Client(api_key=server.api_key, base_url=server.base_url) as client,
    ):
        click.echo(f"fake postpress at {server.base_url}, chat {server.chat_id}", err=True)
        frames = fetch_chat(server.chat_id, client=client, progress=True)
    frames.validate()
    write_parquet(frames, out / "chat")
    write_dataset(frames, out / "dataset")
    click.echo(f"validated: {_counts(frames)}")
    click.echo(f"Parquet:   {out / 'chat'} (one chat), {out / 'dataset'} (Hive-partitioned)")
    click.echo(f"\nPer-sender activity ({tz}):")
    _print_stats(sender_activity(frames, tz=tz))
    chart = save_chart(messages_over_time_chart(frames, tz=tz), out / "messages_over_time.png")
    page = write_report(frames, out / "report.html", tz=tz, title="Demo chat: sender activity")
    click.echo(f"\nchart:  {chart}\nreport: {page}")


def _counts(frames: Any) -> str:
    return ", ".join(f"{name}={frame.height}" for name, frame in frames.items())


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="postpress-frames")
