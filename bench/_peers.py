"""What an analyst would otherwise write: the same four tables with pandas (pages parsed by
``json.loads`` or by ``orjson``), polars.from_dicts or dlt, and the floors (the least work that
touches the same bytes).

Every peer returns its row counts per table (messages, attachments, reactions, seen_by) so
the suite can check it built the same tables as ours before comparing times.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

Counts = dict[str, int]
Loads = Callable[[bytes], Any]
FLAGS = ("is_sender", "seen", "hidden", "deleted", "edited", "is_event", "delivered")
EPOCHS = ("url_expires_at", "starts_at", "expires_at")


def _items(pages: list[bytes], loads: Loads = json.loads) -> list[dict[str, Any]]:
    return [item for page in pages for item in loads(page)["items"]]


# -- pandas: json_normalize and child tables the usual way ------------------------------------


def pandas_tables(pages: list[bytes], loads: Loads = json.loads) -> Counts:
    """``loads`` each page (``json.loads``, or ``orjson.loads`` for the second pandas peer),
    ``pd.json_normalize`` the messages, ``record_path`` for the child tables, then type every
    column (timestamps, 0/1 flags, epoch s/ms)."""
    import pandas as pd

    items = _items(pages, loads)
    messages = pd.json_normalize(items, sep="_", max_level=1)
    messages = messages.drop(
        columns=[c for c in messages.columns if c.startswith("seen_by_")]
        + ["attachments", "reactions", "quoted_attachments", "object"],
        errors="ignore",
    )
    messages["id"] = messages["id"].fillna(messages.get("message_id"))
    messages["timestamp"] = pd.to_datetime(messages["timestamp"], utc=True, format="ISO8601")
    messages["reply_to_timestamp"] = pd.to_datetime(
        messages["reply_to_timestamp"], utc=True, format="ISO8601"
    )
    for flag in FLAGS:
        messages[flag] = messages[flag].astype("boolean")

    own = pd.json_normalize(
        [m for m in items if m.get("attachments")],
        record_path="attachments",
        meta=["id"],
        meta_prefix="message_",
        sep="_",
    )
    own["quoted"] = False
    quoted = pd.json_normalize(
        [m for m in items if (m.get("quoted") or {}).get("attachments")],
        record_path=["quoted", "attachments"],
        meta=["id"],
        meta_prefix="message_",
        sep="_",
    )
    quoted["quoted"] = True
    attachments = pd.concat([own, quoted], ignore_index=True)
    for column in EPOCHS:
        if column in attachments:
            values = attachments[column]
            millis = values.where(values.abs() >= 1e11, values * 1000)
            attachments[column] = pd.to_datetime(millis, unit="ms", utc=True)

    reactions = pd.json_normalize(
        [m for m in items if m.get("reactions")],
        record_path="reactions",
        meta=["id"],
        meta_prefix="message_",
    )
    reactions["is_sender"] = reactions["is_sender"].astype("boolean")

    seen_by = pd.DataFrame(
        [
            (m["id"], attendee, value)
            for m in items
            for attendee, value in (m.get("seen_by") or {}).items()
        ],
        columns=["message_id", "attendee_id", "value"],
    )
    seen_by["seen"] = seen_by["value"].ne(False)
    seen_by["seen_at"] = pd.to_datetime(
        seen_by["value"].where(seen_by["value"].map(lambda v: isinstance(v, str))),
        utc=True,
        format="ISO8601",
    )
    seen_by = seen_by.drop(columns="value")
    return {
        "messages": len(messages),
        "attachments": len(attachments),
        "reactions": len(reactions),
        "seen_by": len(seen_by),
    }


def pandas_orjson_tables(pages: list[bytes]) -> Counts:
    """:func:`pandas_tables` with every page parsed by ``orjson.loads`` (a faster parser)."""
    import orjson

    return pandas_tables(pages, orjson.loads)


# -- polars.from_dicts on the parsed pages ----------------------------------------------------


def polars_from_dicts_tables(pages: list[bytes]) -> Counts:
    """``json.loads`` each page, ``pl.from_dicts`` the items (schema inferred over all rows),
    then the child tables with explode/unnest and the same typing as ours."""
    import polars as pl

    ts_format = "%Y-%m-%dT%H:%M:%S%.fZ"

    def ts(expr: pl.Expr) -> pl.Expr:
        return expr.str.to_datetime(ts_format, time_unit="ms", time_zone="UTC", strict=False)

    items = pl.from_dicts(_items(pages), infer_schema_length=None)
    items = items.with_columns(pl.coalesce("id", "message_id").alias("id"))
    messages = items.select(
        pl.exclude("attachments", "reactions", "seen_by", "quoted", "reply_to", "object"),
        pl.col("quoted").struct.unnest().name.prefix("quoted_"),
        pl.col("reply_to").struct.unnest().name.prefix("reply_to_"),
    ).with_columns(
        ts(pl.col("timestamp")),
        ts(pl.col("reply_to_timestamp")),
        *[pl.col(flag).cast(pl.Boolean) for flag in FLAGS],
    )
    messages = messages.drop("quoted_attachments")

    def children(column: pl.Expr, name: str) -> pl.DataFrame:
        return (
            items.select(pl.col("id").alias("message_id"), column.alias(name))
            .explode(name, empty_as_null=False, keep_nulls=False)
            .unnest(name)
        )

    epoch = [
        pl.when(pl.col(c).abs() >= 1e11)
        .then(pl.col(c))
        .otherwise(pl.col(c) * 1000)
        .cast(pl.Datetime("ms", "UTC"))
        .alias(c)
        for c in EPOCHS
    ]
    own = children(pl.col("attachments"), "a").with_columns(quoted=pl.lit(value=False))
    quoted = children(pl.col("quoted").struct.field("attachments"), "a").with_columns(
        quoted=pl.lit(value=True)
    )
    attachments = pl.concat([own, quoted], how="diagonal_relaxed").with_columns(epoch)
    reactions = children(pl.col("reactions"), "r")
    seen_by = (
        items.select(pl.col("id").alias("message_id"), pl.col("seen_by"))
        .unnest("seen_by")
        .unpivot(index="message_id", variable_name="attendee_id")
        .drop_nulls("value")
        .with_columns(
            (pl.col("value") != "false").alias("seen"),
            ts(pl.col("value")).alias("seen_at"),
        )
        .drop("value")
    )
    return {
        "messages": messages.height,
        "attachments": attachments.height,
        "reactions": reactions.height,
        "seen_by": seen_by.height,
    }


# -- the floor of workload 1: read_json with the explicit schema, nothing derived ------------


def read_json_floor(pages: list[bytes], threads: int) -> Counts:
    """``pl.read_json`` of every page with our wire schema on ``threads`` threads."""
    import polars as pl

    from postpress_frames.tables.build import wire_schema

    schema = wire_schema()

    def read(page: bytes) -> int:
        return int(pl.read_json(page, schema=schema).get_column("items").list.len().sum())

    if threads == 1:
        return {"messages": sum(map(read, pages))}
    with ThreadPoolExecutor(threads) as pool:
        return {"messages": sum(pool.map(read, pages))}


# -- workload 2: dlt's rest_api source to Parquet, and the download-only floor -----------------


def dlt_to_parquet(base_url: str, api_key: str, chat_id: str, workdir: Path) -> Counts:
    """dlt's ``rest_api`` source (cursor paginator, X-API-KEY header) into the filesystem
    destination as Parquet; a fresh pipeline folder and bucket each run, telemetry off."""
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    import dlt
    from dlt.sources.rest_api import rest_api_source

    shutil.rmtree(workdir, ignore_errors=True)
    source = rest_api_source(
        {
            "client": {
                "base_url": base_url + "/",
                "headers": {"X-API-KEY": api_key},
                "paginator": {
                    "type": "cursor",
                    "cursor_path": "cursor",
                    "cursor_param": "cursor",
                },
            },
            "resources": [
                {
                    "name": "messages",
                    "endpoint": {
                        "path": f"chats/{chat_id}/messages",
                        "params": {"limit": 250},
                        "data_selector": "items",
                    },
                }
            ],
        }
    )
    pipeline = dlt.pipeline(
        pipeline_name="postpress_bench",
        pipelines_dir=str(workdir / "pipelines"),
        destination=dlt.destinations.filesystem(bucket_url=str(workdir / "lake")),
        dataset_name="postpress",
    )
    pipeline.run(source, loader_file_format="parquet")
    return dlt_counts(workdir / "lake" / "postpress")


def dlt_counts(dataset: Path) -> Counts:
    """Row counts of dlt's tables mapped onto ours: quoted attachments are a child table of
    their own, and ``seen_by`` became one column per attendee (its non-null values count)."""
    import polars as pl

    def files(table: str) -> list[Path]:
        return sorted((dataset / table).glob("*.parquet"))

    def height(table: str) -> int:
        # One file at a time: dlt's files of one table may differ in columns.
        return sum(pl.scan_parquet(f).select(pl.len()).collect().item() for f in files(table))

    def seen_values(file: Path) -> int:
        frame = pl.scan_parquet(file)
        seen = [c for c in frame.collect_schema().names() if c.startswith("seen_by__")]
        if not seen:
            return 0
        total = frame.select(pl.sum_horizontal(pl.col(seen).is_not_null()).sum()).collect()
        return int(total.item())

    assert files("messages"), f"dlt wrote no messages table under {dataset}"
    return {
        "messages": height("messages"),
        "attachments": height("messages__attachments") + height("messages__quoted__attachments"),
        "reactions": height("messages__reactions"),
        "seen_by": sum(seen_values(f) for f in files("messages")),
    }


def download_floor(base_url: str, api_key: str, chat_id: str) -> Counts:
    """A ``requests.Session`` that only downloads every page: the cursor is cut out of the
    body's tail with ``rfind``, nothing is parsed. Counts pages and message objects."""
    import requests

    pages = messages = 0
    url = f"{base_url}/chats/{chat_id}/messages"
    params = {"limit": "250"}
    with requests.Session() as session:
        session.headers["X-API-KEY"] = api_key
        while True:
            response = session.get(url, params=params, timeout=60)
            response.raise_for_status()
            body = response.content
            pages += 1
            messages += body.count(b'{"object":"Message",')
            cursor = _tail_cursor(body)
            if cursor is None:
                break
            params["cursor"] = cursor
    return {"messages": messages, "pages": pages}


def _tail_cursor(body: bytes) -> str | None:
    at = body.rfind(b'"cursor":')
    tail = body[at + len(b'"cursor":') :].rstrip(b"} \n")
    return None if tail == b"null" else tail.strip(b'"').decode()
