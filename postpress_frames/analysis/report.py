"""One self-contained HTML page: the statistics table, every chart, the definitions.

The page has no scripts and loads nothing: charts are SVG images rendered by vl-convert and
embedded as ``data:`` URIs, styles are inline. It opens offline, in a mail attachment, or
from a file share. Its head carries ``<meta name="generator" content="postpress-frames">``:
:func:`write_report` replaces only a file with that mark (an earlier report) and refuses
anything else.

>>> from postpress_frames import frames_from_pages
>>> from postpress_frames.testing import demo_chat
>>> frames = frames_from_pages([{"items": demo_chat(200), "cursor": None}])
>>> write_report(frames, "report.html", tz="Europe/Paris")
PosixPath('report.html')
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import altair as alt
import polars as pl

from postpress_frames._args import as_path
from postpress_frames._exceptions import ArgumentTypeError
from postpress_frames._outputs import check_file_target
from postpress_frames.analysis.charts import (
    DEFAULT_FACET_COLUMNS,
    DEFAULT_MAX_SENDERS,
    draw_messages_over_time,
    draw_response_matrix,
    draw_response_times,
    draw_weekday_hour,
)
from postpress_frames.analysis.display import (
    format_duration,
    mark_you,
    sender_labels,
    weekday_name,
)
from postpress_frames.analysis.export import GENERATOR, replace_file
from postpress_frames.analysis.inputs import (
    FrameLike,
    Inputs,
    check_positive,
    check_tz,
    prepare_inputs,
)
from postpress_frames.analysis.metrics import (
    DEFAULT_RESPONSE_CAP,
    DEFAULT_SESSION_GAP,
    METRIC_DEFINITIONS,
)
from postpress_frames.analysis.rendering import render_chart
from postpress_frames.analysis.sequence import response_rows
from postpress_frames.analysis.stats import sender_activity_plan

__all__ = ["GENERATOR_MARK", "check_report_target", "is_report", "render_report", "write_report"]

#: The mark in the head of every report: how :func:`write_report` knows its own files.
GENERATOR_MARK: Final = f'<meta name="generator" content="{GENERATOR}">'
_HEAD_BYTES: Final = 4096  # the mark comes within the first few lines

_STYLE: Final = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1200px; padding: 0 1rem; color: #1f2328; }
h1 { margin-bottom: 0.2rem; } .meta { color: #59636e; margin-top: 0; }
table { border-collapse: collapse; margin: 1rem 0 2rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #d1d9e0; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f6f8fa; position: sticky; top: 0; }
td.metric { color: #3d444d; } td.metric abbr { text-decoration: none; cursor: help; }
figure { margin: 1.5rem 0 2.5rem; } figure img { max-width: 100%; height: auto; }
figcaption { color: #59636e; margin-top: 0.4rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dt { font-family: ui-monospace, monospace; } dd { margin: 0; }
"""

_CHART_CAPTIONS: Final = (
    (
        "messages-over-time",
        "Messages over time",
        "Each bar spans one period; its segments are the senders, stacked.",
    ),
    (
        "weekday-hour",
        "When each sender writes",
        "Darker cells are busier weekday and hour slots; all panels share one colour scale.",
    ),
    (
        "response-time",
        "How fast each sender answers",
        "Response times on a log axis: bars to the left are quick answers.",
    ),
    (
        "response-matrix",
        "Who answers whom",
        "Rows are responders, columns the senders they answered; darker means more.",
    ),
)


def _format(column: str, value: Any) -> str:
    if value is None:
        return "\u2013"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z")
    if column == "peak_weekday":
        return weekday_name(value)
    if column == "peak_hour":
        return f"{int(value):02d}:00"
    if isinstance(value, float):
        if "share" in column or "ratio" in column:
            return f"{value:.1%}"
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(stats: pl.DataFrame) -> str:
    """One table per chat: a row per metric, a column per sender."""
    parts: list[str] = []
    for (chat_id,), chat in stats.group_by("chat_id", maintain_order=True):
        senders = chat.to_dicts()
        head = "".join(
            f"<th>{html.escape(mark_you(str(s['sender_id']), is_sender=s['is_sender']))}</th>"
            for s in senders
        )
        rows = []
        for column in chat.columns:
            if column in ("chat_id", "sender_id", "is_sender"):
                continue
            definition = html.escape(METRIC_DEFINITIONS.get(column, ""), quote=True)
            cells = "".join(f"<td>{html.escape(_format(column, s[column]))}</td>" for s in senders)
            rows.append(
                f'<tr><td class="metric"><abbr title="{definition}">{html.escape(column)}'
                f"</abbr></td>{cells}</tr>"
            )
        parts.append(
            f"<h3>Chat {html.escape(str(chat_id))}</h3>\n"
            f'<table class="stats"><thead><tr><th>metric</th>{head}</tr></thead>\n'
            f"<tbody>\n{chr(10).join(rows)}\n</tbody></table>"
        )
    if not parts:
        return '<p class="empty">No messages: nothing to count.</p>'
    return "\n".join(parts)


def _image(chart: alt.TopLevelMixin, alt_text: str) -> str:
    svg = render_chart(chart, "svg")
    encoded = base64.b64encode(svg).decode("ascii")
    return (
        f'<img alt="{html.escape(alt_text, quote=True)}" src="data:image/svg+xml;base64,{encoded}">'
    )


def render_report(
    frames: Mapping[str, FrameLike],
    *,
    tz: str = "UTC",
    title: str = "Sender activity",
    session_gap: timedelta = DEFAULT_SESSION_GAP,
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
) -> str:
    """The report as an HTML string (UTF-8, no scripts, no external references).

    The tables are read once; the statistics, the sender labels and the response times
    are each computed once and shared by the table and the charts.

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> page = render_report(ChatFrames.empty(), tz="Europe/Paris", title="Team chat")
    >>> page.startswith("<!doctype html>"), "<title>Team chat</title>" in page
    (True, True)
    """
    inputs = _checked_inputs(
        frames, tz=tz, title=title, session_gap=session_gap, response_cap=response_cap
    )
    return _render(inputs, tz=tz, title=title, session_gap=session_gap, response_cap=response_cap)


def _checked_inputs(
    frames: Mapping[str, FrameLike],
    *,
    tz: str,
    title: str,
    session_gap: timedelta,
    response_cap: timedelta,
) -> Inputs:
    """The report's arguments checked, and its tables prepared (nothing is read yet)."""
    check_tz(tz)
    check_positive("session_gap", session_gap)
    check_positive("response_cap", response_cap)
    if not isinstance(title, str):
        raise ArgumentTypeError("title", "a string", title)
    return prepare_inputs(frames)


def _render(
    prepared: Inputs, *, tz: str, title: str, session_gap: timedelta, response_cap: timedelta
) -> str:
    inputs = prepared.collected()
    stats = inputs.collect(
        sender_activity_plan(inputs, tz=tz, session_gap=session_gap, response_cap=response_cap)
    )
    labels = sender_labels(inputs, DEFAULT_MAX_SENDERS)
    responses = inputs.collect(response_rows(inputs, response_cap=response_cap))
    charts = (
        draw_messages_over_time(inputs, labels, every=None, tz=tz),
        draw_weekday_hour(inputs, labels, tz=tz, columns=DEFAULT_FACET_COLUMNS),
        draw_response_times(responses, labels, response_cap=response_cap),
        draw_response_matrix(responses, labels),
    )
    figures = "\n".join(
        f'<figure id="{anchor}"><h3>{html.escape(heading)}</h3>{_image(chart, heading)}'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for (anchor, heading, caption), chart in zip(_CHART_CAPTIONS, charts, strict=True)
    )
    chats = stats.get_column("chat_id").n_unique()
    messages = int(stats.get_column("messages").sum())
    meta = (
        f"{chats:,} chat{'s' if chats != 1 else ''} · {messages:,} messages · "
        f"{stats.height:,} senders · times in {tz} · conversations split after "
        f"{format_duration(session_gap)} of silence · responses capped at "
        f"{format_duration(response_cap)}"
    )
    definitions = "\n".join(
        f"<dt>{html.escape(name)}</dt><dd>{html.escape(text)}</dd>"
        for name, text in METRIC_DEFINITIONS.items()
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{GENERATOR_MARK}
<title>{html.escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p class="meta">{html.escape(meta)}</p>
<section id="statistics">
<h2>Statistics</h2>
{_table(stats)}
</section>
<section id="charts">
<h2>Charts</h2>
{figures}
</section>
<section id="definitions">
<h2>Definitions</h2>
<p>Events (joins, calls, renames) are left out of every metric but <code>events</code>;
deleted messages count as sent but not as content.</p>
<dl>
{definitions}
</dl>
</section>
</body>
</html>
"""


def write_report(
    frames: Mapping[str, FrameLike],
    path: str | Path,
    *,
    tz: str = "UTC",
    title: str = "Sender activity",
    session_gap: timedelta = DEFAULT_SESSION_GAP,
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
) -> Path:
    """Render the report and write it to ``path`` (UTF-8); returns the path.

    An existing file is replaced only when it is an earlier report (:func:`is_report`);
    anything else is refused with a ``StorageError`` naming the path, before the report is
    computed. The page is written aside and renamed into place.

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> write_report(ChatFrames.empty(), "out/report.html")
    PosixPath('out/report.html')
    >>> write_report(ChatFrames.empty(), "out/report.html")  # an earlier report: replaced
    PosixPath('out/report.html')
    >>> _ = Path("notes.html").write_text("<p>mine</p>")
    >>> from postpress_frames import StorageError
    >>> try:
    ...     write_report(ChatFrames.empty(), "notes.html")
    ... except StorageError as error:
    ...     print(error.path, Path("notes.html").read_text())
    notes.html <p>mine</p>
    """
    target = as_path(path, "path")
    inputs = _checked_inputs(
        frames, tz=tz, title=title, session_gap=session_gap, response_cap=response_cap
    )
    check_report_target(target)
    page = _render(inputs, tz=tz, title=title, session_gap=session_gap, response_cap=response_cap)
    return replace_file(target, lambda tmp: tmp.write_text(page, encoding="utf-8"), what="a report")


def is_report(path: Path) -> bool:
    """Whether the file ``path`` is a report of ours (the generator mark in its head).

    >>> _ = Path("page.html").write_text("<!doctype html><title>mine</title>")
    >>> is_report(Path("page.html"))
    False
    """
    try:
        with path.open("rb") as file:
            head = file.read(_HEAD_BYTES)
    except OSError:
        return False
    return GENERATOR_MARK.encode() in head


def check_report_target(path: str | Path) -> Path:
    """``path`` when a report may be written there: absent, or an earlier report of ours."""
    return check_file_target(as_path(path, "path"), what="a report", ours=is_report)
