"""The commands that talk to the API or check files: fetch, sync, validate, fake-server."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from postpress_frames.cli._app import (
    ON_INVALID_OPTION,
    PROGRESS_OPTION,
    STORAGE_OPTION,
    DataPath,
    cli,
    client_options,
    counts,
    debug_option,
    echo_error,
    exit_code_for,
    progress_on,
)
from postpress_frames.cli._inputs import (
    is_fetch_folder_input,
    reading,
)
from postpress_frames.cli._targets import check_dataset_target, check_fetch_folder_target


def _client(api_key: str | None, base_url: str | None) -> Any:
    from postpress_frames.api.client import Client

    return Client(api_key=api_key, base_url=base_url)


@cli.command()
@click.argument("chat_id")
@click.option(
    "--out",
    "out",
    required=True,
    type=DataPath(),
    help="Folder (or s3:// URL): new, empty, or an earlier fetch folder (replaced whole).",
)
@click.option("--after", help="Only messages strictly after this ISO 8601 UTC moment.")
@click.option("--before", help="Only messages strictly before this ISO 8601 UTC moment.")
@click.option("--sender-id", help="Only messages from this sender id.")
@click.option("--page-size", type=click.IntRange(1, 250), default=250, show_default=True)
@click.option("--no-original", is_flag=True, help="Drop the raw provider payload column.")
@ON_INVALID_OPTION
@PROGRESS_OPTION
@STORAGE_OPTION
@client_options
@debug_option
def fetch(
    chat_id: str,
    out: Path | str,
    after: str | None,
    before: str | None,
    sender_id: str | None,
    page_size: int,
    no_original: bool,
    on_invalid: str,
    progress: bool | None,
    storage_options: dict[str, str] | None,
    api_key: str | None,
    base_url: str | None,
) -> None:
    """Fetch every page of CHAT_ID into a folder of Parquet files.

    --out never replaces files the package did not write: a file, or a folder
    holding other files, is refused (exit 1) before any request.

    \b
    Example:
      postpress-frames fetch chat_01HXYZ --out out/chat --after 2026-01-01
    """
    from postpress_frames.pipeline.fetch import fetch_chat
    from postpress_frames.storage.parquet import write_parquet
    from postpress_frames.tables.build import check_on_invalid

    check_fetch_folder_target(out, storage_options)
    with _client(api_key, base_url) as client:
        frames = fetch_chat(
            chat_id,
            client=client,
            after=after,
            before=before,
            sender_id=sender_id,
            page_size=page_size,
            include_original=not no_original,
            on_invalid=check_on_invalid(on_invalid),
            progress=progress_on(progress),
        )
    filters = {"after": after, "before": before, "sender_id": sender_id}
    write_parquet(
        frames,
        out,
        filters={k: v for k, v in filters.items() if v},
        storage_options=storage_options,
    )
    click.echo(f"{out}: {counts(frames)}")


@cli.command()
@click.argument("chat_ids", nargs=-1, required=True)
@click.option(
    "--dataset",
    required=True,
    type=DataPath(),
    help="Dataset root (or s3:// URL): new, empty, or a dataset written by sync.",
)
@click.option("--workers", type=click.IntRange(1, 32), default=4, show_default=True)
@click.option("--page-size", type=click.IntRange(1, 250), default=250, show_default=True)
@ON_INVALID_OPTION
@PROGRESS_OPTION
@STORAGE_OPTION
@client_options
@debug_option
def sync(
    chat_ids: Sequence[str],
    dataset: Path | str,
    workers: int,
    page_size: int,
    on_invalid: str,
    progress: bool | None,
    storage_options: dict[str, str] | None,
    api_key: str | None,
    base_url: str | None,
) -> None:
    """Bring the Parquet dataset up to date with CHAT_IDS (only what is new is fetched).

    --dataset never replaces files the package did not write, nor writes among
    them: a folder holding other files is refused (exit 1) before any request.

    \b
    Example:
      postpress-frames sync chat_a chat_b --dataset lake --workers 4
      postpress-frames sync chat_a --dataset s3://bucket/lake --storage-option aws_region=eu-west-1
    """
    from postpress_frames.pipeline.sync import sync_chats
    from postpress_frames.tables.build import check_on_invalid

    root = check_dataset_target(dataset, storage_options)
    with _client(api_key, base_url) as client:
        results = sync_chats(
            chat_ids,
            root,
            client=client,
            workers=workers,
            page_size=page_size,
            progress=progress_on(progress),
            on_invalid=check_on_invalid(on_invalid),
        )
    failed = []
    for result in results:
        if result.error is None:
            click.echo(str(result))
        else:
            failed.append(result.error)
            echo_error(click.get_current_context(), result.error, prefix=f"{result.chat_id}: ")
    if failed:
        sys.exit(max(exit_code_for(e) for e in failed))


@cli.command()
@click.argument("path", type=DataPath(exists=True))
@STORAGE_OPTION
@debug_option
def validate(path: Path | str, storage_options: dict[str, str] | None) -> None:
    """Validate a folder written by `fetch` or a dataset written by `sync`.

    A file that is not readable Parquet (truncated, foreign) is one line naming it
    (exit 1); tables that break their schema exit 6.

    \b
    Example:
      postpress-frames validate out/chat
    """
    from postpress_frames.storage.dataset import chat_ids, read_chat
    from postpress_frames.storage.parquet import read_parquet

    options = {"storage_options": storage_options}
    with reading(path):
        if is_fetch_folder_input(path, storage_options):
            click.echo(f"{path}: valid: {counts(read_parquet(path, **options))}")
            return
        ids = chat_ids(path, **options)
        if not ids:
            raise click.UsageError(f"{path}: neither a fetch folder nor a dataset with chats")
        for chat_id in ids:
            frames = read_chat(path, chat_id, **options).validate()
            click.echo(f"{chat_id}: valid: {counts(frames)}")


@cli.command("fake-server")
@click.option("--messages", type=click.IntRange(0), default=5000, show_default=True)
@click.option("--chats", type=click.IntRange(1), default=1, show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="0 picks a free port.")
@click.option("--seed", type=int, default=0, show_default=True)
@debug_option
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
