"""Regenerate the notebooks from this script (outputs stay empty: they are stripped in git).

.venv/bin/python notebooks/build_notebooks.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

SETUP = """\
import tempfile
from pathlib import Path

import polars as pl

import postpress_frames as ppf
from postpress_frames.testing import FakePostpress"""


def notebook(*cells: tuple[str, str]) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in cells
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


QUICKSTART = notebook(
    (
        "md",
        """\
# Quickstart: a chat's messages as typed tables

This notebook runs without an API key: it starts the bundled **fake postpress server**, which
serves a realistic demo chat over real HTTP. To use the real API instead, set
`POSTPRESS_API_KEY` in your environment and call `ppf.fetch_chat("your_chat_id")` without a
`client`.""",
    ),
    ("code", SETUP),
    ("md", "Start the fake server (a real HTTP server on 127.0.0.1) and point a client at it."),
    (
        "code",
        """\
server = FakePostpress(messages=2000).start()
client = ppf.Client(api_key=server.api_key, base_url=server.base_url)
client""",
    ),
    ("md", "Fetch every page of the chat. `progress=True` shows a progress bar."),
    (
        "code",
        """\
frames = ppf.fetch_chat(server.chat_id, client=client, progress=True)
frames""",
    ),
    (
        "md",
        """\
`frames` holds four tables. **messages** has one row per message (sorted by time), with the
`reply_to` and `quoted` objects flattened into columns:""",
    ),
    (
        "code",
        """frames.messages.select("id", "timestamp", "sender_id", "is_sender", "text", "reply_to_id").head()""",
    ),
    (
        "md",
        "**attachments** has one row per attachment, of the message or of the message it quotes (`quoted`):",
    ),
    (
        "code",
        """frames.attachments.group_by("type", "quoted").len().sort("len", descending=True)""",
    ),
    (
        "md",
        "**reactions** has one row per reaction, **seen_by** one row per read receipt (never one column per attendee):",
    ),
    ("code", """frames.reactions.head()"""),
    (
        "code",
        """frames.seen_by.group_by("seen", seen_at_known=pl.col("seen_at").is_not_null()).len()""",
    ),
    (
        "md",
        "Every table is checked against its pandera schema (columns, dtypes, nulls, value sets, keys):",
    ),
    ("code", """frames.validate()"""),
    ("md", "Write the tables as Parquet (one file per table plus a manifest) and read them back:"),
    (
        "code",
        """\
out = Path(tempfile.mkdtemp()) / "chat"
ppf.write_parquet(frames, out)
sorted(p.name for p in out.iterdir())""",
    ),
    (
        "code",
        """\
back = ppf.read_parquet(out)
assert back == frames
back""",
    ),
    (
        "code",
        """\
client.close()
server.stop()""",
    ),
)

SENDER_ACTIVITY = notebook(
    (
        "md",
        """\
# Who talks, how much, when, and how fast they answer

Per-sender statistics of a chat, the response matrix and the charts, on the demo chat of the
bundled fake server (no API key needed). Every metric's definition is in
`ppf.stats.METRIC_DEFINITIONS` and in the README.""",
    ),
    (
        "code",
        """\
import tempfile
from datetime import timedelta
from pathlib import Path

import postpress_frames as ppf
from postpress_frames import charts, stats, write_report
from postpress_frames.testing import FakePostpress""",
    ),
    (
        "code",
        """\
with (
    FakePostpress(messages=5000) as server,
    ppf.Client(api_key=server.api_key, base_url=server.base_url) as client,
):
    frames = ppf.fetch_chat(server.chat_id, client=client)
frames""",
    ),
    (
        "md",
        """\
## The statistics table
One row per sender. Times of day are read in `tz`; a conversation starts after more than
`session_gap` of silence; a response is a sender's first message after someone else's, within
`response_cap`.""",
    ),
    (
        "code",
        """\
activity = stats.sender_activity(
    frames, tz="Europe/Paris", session_gap=timedelta(minutes=30), response_cap=timedelta(hours=24)
)
activity.select(
    "sender_id",
    "is_sender",
    "messages",
    "share_of_messages",
    "words",
    "turns",
    "conversations_started",
    "responses",
    "response_time_median",
    "unanswered",
    "peak_hour",
)""",
    ),
    ("md", "What a column means:"),
    (
        "code",
        """\
for column in ("turns", "conversations_started", "responses", "unanswered"):
    print(f"{column}: {stats.METRIC_DEFINITIONS[column]}")""",
    ),
    (
        "md",
        "For a spreadsheet, `export_ready` turns durations into seconds and times into ISO strings:",
    ),
    (
        "code",
        """\
csv_path = Path(tempfile.mkdtemp()) / "senders.csv"
stats.export_ready(activity).write_csv(csv_path)
csv_path.stat().st_size > 0""",
    ),
    (
        "md",
        """\
## Who answers whom
Each row counts how often `responder` answered `responded_to`; `share` is the fraction of all
the chat's responses.""",
    ),
    ("code", """stats.response_matrix(frames).sort("responses", descending=True)"""),
    (
        "md",
        """\
## Messages over time
Each bar is one period; its coloured segments are the senders. Gaps are silences, tall bars
busy periods.""",
    ),
    ("code", """charts.messages_over_time_chart(frames, tz="Europe/Paris")"""),
    (
        "md",
        """\
## When each sender writes
One panel per sender, weekday by hour of day, on one shared colour scale: darker cells are
busier hours, so panels compare directly.""",
    ),
    ("code", """charts.weekday_hour_heatmap(frames, tz="Europe/Paris")"""),
    (
        "md",
        """\
## How fast each sender answers
The distribution of response times on a log axis: mass to the left means quick replies; a long
right tail means some answers take hours.""",
    ),
    ("code", """charts.response_time_chart(frames)"""),
    (
        "md",
        "## The response matrix as a heatmap\nRead a row as *who answered* and a column as *whom*; darker is more often.",
    ),
    ("code", """charts.response_matrix_chart(frames)"""),
    (
        "md",
        "Charts save as PNG (no browser needed) or as HTML that opens offline; the report puts it all in one file:",
    ),
    (
        "code",
        """\
out = Path(tempfile.mkdtemp())
charts.save_chart(charts.weekday_hour_heatmap(frames), out / "heatmap.png")
write_report(frames, out / "report.html", tz="Europe/Paris")
sorted(p.name for p in out.iterdir())""",
    ),
)

BI_EXPORT = notebook(
    (
        "md",
        """\
# A dataset of several chats for BI tools

`sync_chats` keeps a local Parquet dataset current: each table is Hive-partitioned by
`chat_id`, so DuckDB, Spark, Power BI, Tableau, `pyarrow.dataset` and `polars.scan_parquet`
read all chats as one table. A second sync fetches only what is new.""",
    ),
    (
        "code",
        """\
import tempfile
from pathlib import Path

import duckdb
import polars as pl

import postpress_frames as ppf
from postpress_frames.testing import FakePostpress, demo_chats""",
    ),
    (
        "code",
        """\
server = FakePostpress(demo_chats(3, 1500, seed=7)).start()
client = ppf.Client(api_key=server.api_key, base_url=server.base_url)
lake = Path(tempfile.mkdtemp()) / "lake"
results = ppf.sync_chats(server.chat_ids, lake, client=client, workers=3)
for result in results:
    print(result)""",
    ),
    ("md", "New messages arrive; the next sync fetches only the recent window and merges by id:"),
    (
        "code",
        """\
for chat_id in server.chat_ids:
    server.add_messages(chat_id, 20)
for result in ppf.sync_chats(server.chat_ids, lake, client=client, workers=3):
    print(result)""",
    ),
    ("md", "The folder layout that BI tools read:"),
    ("code", """sorted(str(p.relative_to(lake)) for p in lake.rglob("*.parquet"))"""),
    ("md", "## DuckDB SQL over the whole dataset"),
    (
        "code",
        """\
messages = str(lake / "messages" / "*" / "*.parquet")
reactions = str(lake / "reactions" / "*" / "*.parquet")
query = \"\"\"
    SELECT m.chat_id,
           count(DISTINCT m.id)  AS messages,
           count(r.value)        AS reactions,
           min(m.timestamp)      AS first_message,
           max(m.timestamp)      AS last_message
    FROM read_parquet($messages, hive_partitioning = true) AS m
    LEFT JOIN read_parquet($reactions, hive_partitioning = true) AS r
           ON r.message_id = m.id AND r.chat_id = m.chat_id
    GROUP BY m.chat_id
    ORDER BY m.chat_id
\"\"\"
duckdb.sql(query, params={"messages": messages, "reactions": reactions}).pl()""",
    ),
    ("md", "## The same with polars, lazily"),
    (
        "code",
        """\
lazy = ppf.scan_dataset(lake)
(
    lazy["messages"]
    .group_by("chat_id", "sender_id")
    .agg(pl.len().alias("messages"), pl.col("timestamp").max().alias("last_message"))
    .sort("chat_id", "messages", descending=[False, True])
    .collect()
)""",
    ),
    (
        "code",
        """\
client.close()
server.stop()""",
    ),
)


def main() -> None:
    notebooks = {
        "01_quickstart.ipynb": QUICKSTART,
        "02_sender_activity.ipynb": SENDER_ACTIVITY,
        "03_bi_export.ipynb": BI_EXPORT,
    }
    for name, nb in notebooks.items():
        nbformat.write(nb, HERE / name)


if __name__ == "__main__":
    main()
