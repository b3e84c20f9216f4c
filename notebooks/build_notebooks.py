"""Build the notebooks from this script, run them, and save them with their outputs.

    .venv/bin/python notebooks/build_notebooks.py        # what `make notebooks` runs
    .venv/bin/python notebooks/build_notebooks.py --no-execute   # sources only, no outputs

The committed notebooks carry their executed outputs, so a reader on a code host sees the
tables and charts without running anything. Each notebook runs in a fresh kernel, in a
temporary folder, without the ``POSTPRESS_*`` variables of the environment (the notebooks
use the bundled fake server). What would differ from one run to the next is made stable
by :func:`normalize`, which tests/test_notebooks.py applies too when it checks that the
committed outputs are current.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import nbformat
import nbformat.v4
from nbclient import NotebookClient
from nbformat import NotebookNode

# nbformat has no type hints: its functions are called through these typed names.
new_notebook: Callable[..., NotebookNode] = nbformat.v4.new_notebook
new_code_cell: Callable[..., NotebookNode] = nbformat.v4.new_code_cell
new_markdown_cell: Callable[..., NotebookNode] = nbformat.v4.new_markdown_cell
from_dict: Callable[[Any], NotebookNode] = nbformat.from_dict
writes: Callable[[NotebookNode], str] = nbformat.writes

HERE = Path(__file__).parent
CELL_TIMEOUT = 600  # seconds, per cell
CHART_TAG = "chart"  # the tag of a cell whose result is a chart (see `notebook`)

SETUP = """\
import tempfile
from pathlib import Path

import polars as pl

import postpress_frames as ppf
from postpress_frames.testing import FakePostpress"""


def notebook(*cells: tuple[str, str]) -> NotebookNode:
    """A notebook of ``(kind, source)`` cells: ``md``, ``code``, or ``chart`` (code whose
    result is a chart: tagged, so the test checks it shows an image)."""
    nb = new_notebook()
    for kind, src in cells:
        if kind == "md":
            nb.cells.append(new_markdown_cell(src))
        elif kind == "chart":
            nb.cells.append(new_code_cell(src, metadata={"tags": [CHART_TAG]}))
        else:
            nb.cells.append(new_code_cell(src))
    nb.metadata = metadata()
    return nb


def metadata() -> NotebookNode:
    """The notebook metadata, the same whatever kernel ran it (no Python patch version)."""
    return from_dict(
        {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        }
    )


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
        """\
frames.attachments.group_by("type", "quoted").len().sort(
    "len", "type", "quoted", descending=[True, False, False]
)""",
    ),
    (
        "md",
        "**reactions** has one row per reaction, **seen_by** one row per read receipt (never one column per attendee):",
    ),
    ("code", """frames.reactions.head()"""),
    (
        "code",
        """\
frames.seen_by.group_by("seen", seen_at_known=pl.col("seen_at").is_not_null()).len().sort(
    "seen", "seen_at_known"
)""",
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
        "md",
        """\
Altair's default renderer loads the Vega scripts from a CDN when a chart is shown, so
offline, and in a saved or exported notebook, a chart shows *Error loading script*.
`alt.renderers.enable("png")` renders each chart to a PNG image in the kernel instead (with
vl-convert, installed with postpress-frames): no network is needed, and the image is saved
in the notebook, so GitHub and nbviewer show it too. Add that line to your own notebooks.
The images are static; `charts.save_chart(chart, "chart.html")` writes an interactive chart
that opens offline.""",
    ),
    (
        "code",
        """\
import tempfile
from datetime import timedelta
from pathlib import Path

import altair as alt

import postpress_frames as ppf
from postpress_frames import charts, stats, write_report
from postpress_frames.testing import FakePostpress, demo_names

alt.renderers.enable("png");""",
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
The API knows senders by opaque ids. Pass `names=` (a mapping `sender_id -> name`, or a
DataFrame with `sender_id` and `name`) and every table and chart shows people; senders without
a name show a short id unique within the chat. The demo chat's people have names:""",
    ),
    ("code", """names = demo_names(server.chat_id)\nnames"""),
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
    frames,
    tz="Europe/Paris",
    session_gap=timedelta(minutes=30),
    response_cap=timedelta(hours=24),
    names=names,
)
activity.select(
    "sender_name",
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
    (
        "code",
        """\
stats.response_matrix(frames, names=names).sort(
    "responses", "responder", "responded_to", descending=[True, False, False]
).select("responder_name", "responded_to_name", "responses", "share", "response_time_median")""",
    ),
    (
        "md",
        """\
## Read receipts
`seen_by` holds attendee ids; `stats.participants` maps them to senders, once. Per reader:
how much of what others wrote they saw, how fast, and how often they left it on read.""",
    ),
    ("code", """stats.participants(frames, names=names).drop("chat_id")"""),
    (
        "code",
        """\
stats.read_receipts(frames, names=names).select(
    "sender_name",
    "messages_received",
    "seen_share",
    "time_to_read_median",
    "time_to_read_p90",
    "read_within_5min_share",
    "left_on_read",
)""",
    ),
    ("chart", """charts.time_to_read_chart(frames, names=names)"""),
    (
        "md",
        """\
## Content
Emoji (as the `emoji` library finds them: a family or a flag is one), links and their domains,
questions, and the reactions each sender gives and gets.""",
    ),
    (
        "code",
        """\
stats.content(frames, names=names).select(
    "sender_name",
    "emoji",
    "top_emoji",
    "links",
    "top_domains",
    "questions",
    "top_reactions_received",
)""",
    ),
    (
        "md",
        """\
## A calendar
Messages per day, one row of weeks per year.""",
    ),
    ("chart", """charts.calendar_heatmap(frames, tz="Europe/Paris", names=names)"""),
    (
        "md",
        """\
## Messages over time
Each bar is one period; its coloured segments are the senders. Gaps are silences, tall bars
busy periods.""",
    ),
    ("chart", """charts.messages_over_time_chart(frames, tz="Europe/Paris", names=names)"""),
    (
        "md",
        """\
## When each sender writes
One panel per sender, weekday by hour of day, on one shared colour scale: darker cells are
busier hours, so panels compare directly.""",
    ),
    ("chart", """charts.weekday_hour_heatmap(frames, tz="Europe/Paris", names=names)"""),
    (
        "md",
        """\
## How fast each sender answers
One row per sender, on a log axis: the box holds the middle half of the response times, the line
runs from the 10th to the 90th percentile, the tick is the median.""",
    ),
    ("chart", """charts.response_time_chart(frames, names=names)"""),
    (
        "md",
        "## The response matrix as a heatmap\nRead a row as *who answered* and a column as *whom*; darker is more often.",
    ),
    ("chart", """charts.response_matrix_chart(frames, names=names)"""),
    (
        "md",
        "Charts save as PNG (no browser needed) or as HTML that opens offline; the report puts it all in one file:",
    ),
    (
        "code",
        """\
out = Path(tempfile.mkdtemp())
charts.save_chart(charts.weekday_hour_heatmap(frames), out / "heatmap.png")
write_report(frames, out / "report.html", tz="Europe/Paris", names=names)
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
    .sort("chat_id", "messages", "sender_id", descending=[False, True, False])
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


NOTEBOOKS: dict[str, NotebookNode] = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_sender_activity.ipynb": SENDER_ACTIVITY,
    "03_bi_export.ipynb": BI_EXPORT,
}

# What differs from one run to the next in an output's text: the fake server's port.
_PORT = re.compile(r"\b(127\.0\.0\.1|localhost):\d+")


def source(name: str) -> NotebookNode:
    """Notebook ``name`` as written above, without outputs; each cell's id is derived from
    the notebook's name and the cell's index, so a rebuild changes no id."""
    nb = from_dict(NOTEBOOKS[name])  # a copy
    stem = Path(name).stem
    for index, cell in enumerate(nb.cells):
        cell.id = f"{stem}-{index:02d}"
    return nb


def kernel_env(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The kernel's environment: ``environ`` without any ``POSTPRESS_*`` variable (an API
    key must never reach a saved output) or ``POLARS_*`` one (table formats), with fixed
    hash seed, terminal size and time zone."""
    env = {k: v for k, v in environ.items() if not k.startswith(("POSTPRESS_", "POLARS_"))}
    env.update(PYTHONHASHSEED="0", COLUMNS="100", LINES="40", TZ="UTC")
    return env


def execute(nb: NotebookNode, *, env: Mapping[str, str] | None = None) -> NotebookNode:
    """Run ``nb`` top to bottom in a fresh kernel whose working and temporary folder is a new
    empty one (``env``: the kernel's environment, :func:`kernel_env` by default); the
    executed notebook, normalized."""
    with tempfile.TemporaryDirectory(prefix="postpress-notebook-") as workdir:
        run_env = {**(kernel_env() if env is None else env), "TMPDIR": workdir}
        NotebookClient(
            nb,
            timeout=CELL_TIMEOUT,
            kernel_name="python3",
            extra_arguments=["--IPKernelApp.log_level=ERROR"],  # not its TCP transport warning
            record_timing=False,  # no execution timestamps in the cells' metadata
            store_widget_state=False,  # no widget models (random ids) in the metadata
            resources={"metadata": {"path": workdir}},
        ).execute(env=run_env)
        return normalize(nb, workdir=workdir)


def normalize(nb: NotebookNode, *, workdir: str | None = None) -> NotebookNode:
    """``nb`` with what varies between runs made stable, in place: the metadata the kernel
    adds, the fake server's port, the run's temporary folder (``workdir``)."""
    folders = [] if workdir is None else sorted({workdir, os.path.realpath(workdir)}, key=len)

    def scrub(text: str) -> str:
        for folder in reversed(folders):  # the longer path first
            text = text.replace(folder, "<tmp>")
        return _PORT.sub(r"\1:<port>", text)

    nb.metadata = metadata()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        for output in cell.outputs:
            if "text" in output:
                output.text = scrub(output.text)
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") and isinstance(value, str):
                    output.data[mime] = scrub(value)
    return nb


def render(nb: NotebookNode) -> str:
    """The text of the ``.ipynb`` file (nbformat's JSON), after validating ``nb``."""
    nbformat.validate(nb)
    text = writes(nb)
    return text if text.endswith("\n") else text + "\n"


def build(name: str, *, run: bool = True, env: Mapping[str, str] | None = None) -> str:
    """The text of notebook ``name``: executed (``run``) or with empty outputs."""
    nb = source(name)
    return render(execute(nb, env=env) if run else nb)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help="notebooks to build [default: all]"
    )
    parser.add_argument(
        "--execute",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run each notebook and save its outputs [default: --execute]",
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - NOTEBOOKS.keys())
    if unknown:
        parser.error(f"no notebook {', '.join(unknown)}; the notebooks: {', '.join(NOTEBOOKS)}")
    for name in args.names or NOTEBOOKS:
        (HERE / name).write_text(build(name, run=args.execute), encoding="utf-8")
        print(f"wrote notebooks/{name}" + ("" if args.execute else " (no outputs)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
