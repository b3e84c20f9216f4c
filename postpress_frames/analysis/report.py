"""One self-contained HTML page: the statistics table, every chart, the definitions.

The page has no scripts and loads nothing: charts are SVG images rendered by vl-convert and
embedded as ``data:`` URIs, styles are inline. It opens offline, in a mail attachment, or
from a file share.

>>> write_report(frames, "report.html", tz="Europe/Paris")            # doctest: +SKIP
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

from postpress_frames.analysis.charts import (
    messages_over_time_chart,
    render_chart,
    response_matrix_chart,
    response_time_chart,
    weekday_hour_heatmap,
)
from postpress_frames.analysis.stats import (
    DEFAULT_RESPONSE_CAP,
    DEFAULT_SESSION_GAP,
    METRIC_DEFINITIONS,
    FrameLike,
    sender_activity,
)

__all__ = ["render_report", "write_report"]

WEEKDAY_NAMES: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

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


def _format_duration(value: timedelta) -> str:
    """``timedelta(seconds=4325)`` -> ``"1 h 12 min"``: the two largest units, zeros dropped."""
    seconds = value.total_seconds()
    if seconds < 60:
        return f"{seconds:.3g} s"
    whole = int(seconds)
    units = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))
    parts: list[tuple[int, str]] = []
    for name, size in units:
        amount, whole = divmod(whole, size)
        if amount or parts:
            parts.append((amount, name))
    return " ".join(f"{amount} {name}" for amount, name in parts[:2] if amount)


def _format(column: str, value: Any) -> str:
    if value is None:
        return "\u2013"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, timedelta):
        return _format_duration(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z")
    if column == "peak_weekday":
        return WEEKDAY_NAMES[int(value) - 1]
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
            f"<th>{html.escape(str(s['sender_id']))}{' (you)' if s['is_sender'] else ''}</th>"
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

    >>> page = render_report(frames, tz="Europe/Paris", title="Team chat")  # doctest: +SKIP
    >>> page.startswith("<!doctype html>")                                  # doctest: +SKIP
    True
    """
    stats = sender_activity(frames, tz=tz, session_gap=session_gap, response_cap=response_cap)
    charts = (
        messages_over_time_chart(frames, tz=tz),
        weekday_hour_heatmap(frames, tz=tz),
        response_time_chart(frames, response_cap=response_cap),
        response_matrix_chart(frames, response_cap=response_cap),
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
        f"{_format_duration(session_gap)} of silence · responses capped at "
        f"{_format_duration(response_cap)}"
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

    >>> write_report(frames, "out/report.html")                             # doctest: +SKIP
    PosixPath('out/report.html')
    """
    page = render_report(
        frames, tz=tz, title=title, session_gap=session_gap, response_cap=response_cap
    )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target
