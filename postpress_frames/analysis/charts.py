"""Altair charts of sender activity, saved as PNG, SVG or offline HTML without a browser.

Each chart function takes the tables (like :func:`~postpress_frames.analysis.stats.sender_activity`)
and returns an Altair chart whose data is already aggregated, so the embedded data stays
small: at most ``max_senders`` senders are shown (the rest are summed as "others (N
senders)"). Each reads a lazy dataset once.

Senders are shown by name (``names=``: a mapping ``sender_id -> name`` or a DataFrame with
``sender_id`` and ``name``), else by a short id no other sender shown shares; the connected
account is marked "(you)". A sender id is one person in every chat, so a chart of several
chats draws each sender once, summed over the chats, with one label resolved over all the
senders drawn: two people never share a label, even when given the same name.

Every mark has a tooltip (names, counts, durations as the report writes them); charts with a
sender legend highlight the sender clicked in it. :func:`render_chart` and
:func:`save_chart` (from :mod:`.rendering`) turn them into files.

>>> from postpress_frames import frames_from_pages
>>> from postpress_frames.testing import demo_chat
>>> frames = frames_from_pages([{"items": demo_chat(200), "cursor": None}])
>>> chart = weekday_hour_heatmap(frames, tz="Europe/Paris")
>>> chart.to_dict()["mark"]
{'type': 'rect'}
>>> save_chart(chart, "rhythm.png")
PosixPath('rhythm.png')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Final

import polars as pl

from postpress_frames._args import as_id_list, as_int
from postpress_frames._exceptions import ConfigurationError
from postpress_frames.analysis._altair import alt
from postpress_frames.analysis.display import (
    WEEKDAYS,
    duration_label_expr,
    format_duration,
    label_order,
    others_label,
    sender_labels,
)
from postpress_frames.analysis.inputs import (
    FrameLike,
    Inputs,
    check_every,
    check_positive,
    check_tz,
    prepare_inputs,
)
from postpress_frames.analysis.metrics import DEFAULT_RESPONSE_CAP
from postpress_frames.analysis.names import Names, names_frame, short_ids
from postpress_frames.analysis.receipts import read_times
from postpress_frames.analysis.rendering import ChartFormat as ChartFormat
from postpress_frames.analysis.rendering import render_chart, save_chart
from postpress_frames.analysis.sequence import local_time, median_ms, response_rows
from postpress_frames.analysis.stats import activity_over_time_plan

__all__ = [
    "MAX_CHART_ROWS",
    "calendar_heatmap",
    "messages_over_time_chart",
    "render_chart",
    "response_matrix_chart",
    "response_time_chart",
    "save_chart",
    "time_to_read_chart",
    "weekday_hour_heatmap",
]

#: Altair refuses to embed more rows than this by default; our charts stay below it.
MAX_CHART_ROWS: Final = 5000
DEFAULT_MAX_SENDERS: Final = 8
DEFAULT_FACET_COLUMNS: Final = 3  # heatmap panels per row, at most
ROW_STEP: Final = 30  # pixels per sender in the charts with one row per sender
CELL: Final = 13  # pixels per day in the calendar
#: The selection bound to a chart's sender legend (a fixed name: specs stay reproducible).
SENDER_PICK: Final = "pick_sender"
_FADED: Final = 0.15  # opacity of the senders not picked
_EMPTY_DAY: Final = "#ebedf0"
_DURATION_TICKS: Final = (1, 10, 60, 600, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400)
_PERIOD_NAMES: Final = {"1h": "hour", "1d": "day", "1w": "week", "1mo": "month", "1y": "year"}
_LABEL_LIMIT: Final = 260  # pixels of a sender label before Vega cuts it


def _read(
    frames: Mapping[str, FrameLike], max_senders: int, known: pl.DataFrame
) -> tuple[Inputs, pl.DataFrame]:
    """The messages read once (after every check) and the sender labels of a chart."""
    as_int(max_senders, "max_senders", minimum=1)
    inputs = prepare_inputs(frames).collected("messages")
    return inputs, sender_labels(inputs, max_senders, known)


def _check_rows(data: pl.DataFrame, what: str) -> pl.DataFrame:
    if data.height > MAX_CHART_ROWS:
        raise ConfigurationError(
            f"{what} would embed {data.height} rows (more than {MAX_CHART_ROWS}); "
            "choose a coarser period or fewer senders"
        )
    return data


def _sender_pick() -> alt.Parameter:
    return alt.selection_point(name=SENDER_PICK, fields=["sender"], bind="legend")


def _durations_text(frame: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """``<column>_text``: each millisecond column as the report writes durations."""
    return frame.with_columns(
        pl.col(column)
        .map_elements(
            lambda ms: format_duration(timedelta(milliseconds=ms)), return_dtype=pl.String
        )
        .alias(f"{column}_text")
        for column in columns
    )


# --------------------------------------------------------------------------- over time


def _auto_every(inputs: Inputs) -> str:
    span = inputs.collect(
        inputs.messages.select((pl.col("timestamp").max() - pl.col("timestamp").min()).alias("s"))
    ).item()
    days = span.days if isinstance(span, timedelta) else 0
    if days <= 62:
        return "1d"
    return "1w" if days <= 2 * 366 else "1mo"


def _period_format(every: str) -> str:
    """How a period's start reads in a tooltip."""
    if every.endswith(("mo", "q")):
        return "%b %Y"
    if every.endswith("y"):
        return "%Y"
    if every.endswith("w"):
        return "week of %a %d %b %Y"
    if every.endswith("d"):
        return "%a %d %b %Y"
    return "%a %d %b %Y %H:%M"


def messages_over_time_chart(
    frames: Mapping[str, FrameLike],
    *,
    every: str | None = None,
    tz: str = "UTC",
    max_senders: int = DEFAULT_MAX_SENDERS,
    names: Names | None = None,
) -> alt.Chart:
    """Stacked bars of messages per period and sender (``every`` defaults to days for a
    chat of up to two months, weeks up to two years, months beyond); clicking a sender
    in the legend highlights their bars.

    >>> from postpress_frames import frames_from_pages
    >>> from postpress_frames.testing import demo_chat
    >>> frames = frames_from_pages([{"items": demo_chat(200), "cursor": None}])
    >>> chart = messages_over_time_chart(frames, every="1w")
    >>> chart.to_dict()["encoding"]["x"]["field"], chart.to_dict()["title"]
    ('period', 'Messages per week (UTC)')
    """
    known = names_frame(names)
    check_tz(tz)
    if every is not None:
        check_every(every)
    inputs, labels = _read(frames, max_senders, known)
    return draw_messages_over_time(inputs, labels, every=every, tz=tz)


def draw_messages_over_time(
    inputs: Inputs, labels: pl.DataFrame, *, every: str | None, tz: str
) -> alt.Chart:
    """:func:`messages_over_time_chart` of checked inputs and their sender labels."""
    every = every or _auto_every(inputs)
    # Stacked here rather than by Vega-Lite, which does not stack bars with a ranged x:
    # each bar spans its whole period, so weeks and months read as widths of time.
    rank = labels.group_by("sender").agg(pl.col("rank").min())
    data = (
        inputs.collect(activity_over_time_plan(inputs, every, tz=tz))
        .join(labels.select("sender_id", "sender"), on="sender_id")
        .group_by("sender", "period")
        .agg(pl.col("messages").sum())
        .join(rank, on="sender")
        .sort("period", "rank")
        .with_columns(top=pl.col("messages").cum_sum().over("period"))
        .with_columns(
            bottom=pl.col("top") - pl.col("messages"),
            period_end=pl.col("period").dt.offset_by(every),
            period_label=pl.col("period").dt.strftime(_period_format(every)),
        )
        # Wall-clock periods sent as UTC and drawn on a UTC scale: what the table shows
        # is what the axis shows, whatever the time zone of the renderer.
        .with_columns(pl.col("period", "period_end").dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
        .drop("rank")
    )
    _check_rows(data, "messages_over_time_chart")
    pick = _sender_pick()
    chart: alt.Chart = (
        alt.Chart(data, title=f"Messages per {_PERIOD_NAMES.get(every, every)} ({tz})")
        .mark_rect(stroke="white", strokeWidth=0.3)
        .encode(
            x=alt.X(
                "period:T",
                title=None,
                scale=alt.Scale(type="utc"),
                axis=alt.Axis(format="%d %b %Y" if every.endswith(("h", "d")) else "%b %Y"),
            ),
            x2="period_end:T",
            y=alt.Y("top:Q", title="messages"),
            y2="bottom:Q",
            color=alt.Color(
                "sender:N",
                title="sender",
                scale=alt.Scale(domain=label_order(labels)),
                legend=alt.Legend(labelLimit=_LABEL_LIMIT),
            ),
            opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(_FADED)),
            tooltip=[
                alt.Tooltip("period_label:N", title="period"),
                alt.Tooltip("sender:N", title="sender"),
                alt.Tooltip("messages:Q", title="messages"),
            ],
        )
        .add_params(pick)
        .properties(width=640, height=260)
    )
    return chart


# --------------------------------------------------------------------------- rhythm


def weekday_hour_heatmap(
    frames: Mapping[str, FrameLike],
    *,
    tz: str = "UTC",
    max_senders: int = DEFAULT_MAX_SENDERS,
    columns: int = DEFAULT_FACET_COLUMNS,
    names: Names | None = None,
) -> alt.Chart:
    """One weekday x hour grid of messages per sender, all on one shared colour scale.

    At most ``columns`` panels per row, and fewer when there are fewer senders; each panel
    carries its own axes, so a last row that is not full leaves blank space, never axes
    without a grid.

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> weekday_hour_heatmap(ChatFrames.empty()).to_dict()["encoding"]["facet"]["field"]
    'sender'
    """
    known = names_frame(names)
    check_tz(tz)
    as_int(columns, "columns", minimum=1)
    inputs, labels = _read(frames, max_senders, known)
    return draw_weekday_hour(inputs, labels, tz=tz, columns=columns)


def _balanced_columns(panels: int, columns: int) -> int:
    """The fewest columns (at most ``columns``) that keep the fewest rows: 4 panels in
    rows of 3 become 2 x 2, not 3 + 1."""
    rows = max(1, -(-panels // columns))
    return max(1, -(-panels // rows))


def draw_weekday_hour(inputs: Inputs, labels: pl.DataFrame, *, tz: str, columns: int) -> alt.Chart:
    """:func:`weekday_hour_heatmap` of checked inputs and their sender labels."""
    local = local_time(tz)
    counts = inputs.collect(
        inputs.written.select("sender_id", hour=local.dt.hour(), weekday=local.dt.weekday())
        .group_by("sender_id", "hour", "weekday")
        .agg(messages=pl.len())
    )
    summed = (
        counts.join(labels.select("sender_id", "sender"), on="sender_id")
        .group_by("sender", "hour", "weekday")
        .agg(pl.col("messages").sum().cast(pl.Int64))
    )
    # Only senders with a message get a panel: one who only wrote events has nothing to show.
    order = [s for s in label_order(labels) if s in set(summed.get_column("sender"))]
    senders = pl.DataFrame({"sender": order}, schema={"sender": pl.String})
    grid = senders.join(
        pl.DataFrame({"hour": list(range(24))}, schema={"hour": pl.Int8}), how="cross"
    ).join(pl.DataFrame({"weekday": list(range(1, 8))}, schema={"weekday": pl.Int8}), how="cross")
    data = (
        grid.join(summed, on=["sender", "hour", "weekday"], how="left", maintain_order="left")
        .with_columns(
            pl.col("messages").fill_null(0),
            day=pl.col("weekday").replace_strict(
                list(range(1, 8)), list(WEEKDAYS), return_dtype=pl.String
            ),
            slot=pl.format("{}:00\u2013{}:00", pl.col("hour"), pl.col("hour") + 1),
        )
        .drop("weekday")
    )
    _check_rows(data, "weekday_hour_heatmap")
    chart: alt.Chart = (
        alt.Chart(data, title=f"Messages by weekday and hour ({tz})")
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="hour", axis=alt.Axis(labelAngle=0, values=[0, 6, 12, 18])),
            y=alt.Y("day:O", title=None, sort=list(WEEKDAYS)),
            color=alt.Color(
                "messages:Q",
                title="messages",
                scale=alt.Scale(scheme="blues"),
                legend=alt.Legend() if data.height else None,
            ),
            facet=alt.Facet(
                "sender:N",
                title=None,
                sort=order,
                columns=_balanced_columns(len(order), columns),
                header=alt.Header(labelLimit=_LABEL_LIMIT, labelFontWeight="bold"),
            ),
            tooltip=[
                alt.Tooltip("sender:N", title="sender"),
                alt.Tooltip("day:O", title="day"),
                alt.Tooltip("slot:N", title="hour"),
                alt.Tooltip("messages:Q", title="messages"),
            ],
        )
        .properties(width=240, height=105)
        .resolve_scale(color="shared")
        # Axes per panel: a shared axis sits under each column's last row, which leaves
        # bare axes below the empty cells of a last row that is not full.
        .resolve_axis(x="independent", y="independent")
    )
    return chart


# --------------------------------------------------------------------------- durations


def _nearest_rank(ms: pl.Expr, percent: int) -> pl.Expr:
    """The nearest-rank ``percent``-th percentile (the report's p90 is this at 90)."""
    return ms.sort().get((pl.len() * percent + 99) // 100 - 1)


def _duration_summary(frame: pl.DataFrame, by: str, ms: pl.Expr, count: str) -> pl.DataFrame:
    """Per ``by``: ``count``, the 10th, 25th, 75th and 90th percentiles and the median of
    ``ms`` (each in ms, and in seconds from 1 s up for a log axis, and as text)."""
    stats = ("p10", "q1", "median", "q3", "p90")
    summary = (
        frame.group_by(by)
        .agg(
            pl.len().cast(pl.Int64).alias(count),
            p10=_nearest_rank(ms, 10),
            q1=_nearest_rank(ms, 25),
            median=median_ms(ms).cast(pl.Int64),
            q3=_nearest_rank(ms, 75),
            p90=_nearest_rank(ms, 90),
        )
        .sort(by)
        .with_columns((pl.col(s) / 1000).clip(lower_bound=1.0).alias(f"{s}_seconds") for s in stats)
    )
    summary = _durations_text(summary, stats)
    return summary.with_columns(
        middle_text=pl.format("{} \u2013 {}", "q1_text", "q3_text"),
        range_text=pl.format("{} \u2013 {}", "p10_text", "p90_text"),
    )


def _duration_rows(
    data: pl.DataFrame,
    *,
    who: str,
    count: str,
    order: list[str],
    colours: list[str],
    title: str,
    axis_title: str,
    top_seconds: float,
) -> alt.LayerChart:
    """One row per person (``who``): a line from the 10th to the 90th percentile, a box
    over the middle half and a tick at the median, on a log axis of durations. The chart
    grows by :data:`ROW_STEP` pixels per person, so labels never overlap."""
    top = 10 ** (math.ceil(math.log10(max(top_seconds, 10)) * 4) / 4)  # a quarter decade up
    ticks = [v for v in _DURATION_TICKS if v <= top]
    tooltip = [
        alt.Tooltip(f"{who}:N", title=who),
        alt.Tooltip(f"{count}:Q", title=count.replace("_", " "), format=","),
        alt.Tooltip("median_text:N", title="median"),
        alt.Tooltip("middle_text:N", title="middle half"),
        alt.Tooltip("range_text:N", title="10th \u2013 90th percentile"),
    ]
    base = alt.Chart(data).encode(
        y=alt.Y(
            f"{who}:N",
            title=None,
            sort=order,
            axis=alt.Axis(labelLimit=_LABEL_LIMIT, labelFontSize=12),
        ),
        tooltip=tooltip,
    )
    x = alt.X(
        "p10_seconds:Q",
        title=axis_title,
        scale=alt.Scale(type="log", domain=[1, top]),
        axis=alt.Axis(values=ticks, labelExpr=duration_label_expr(ticks)),
    )
    color = alt.Color(f"{who}:N", scale=alt.Scale(domain=colours), legend=None)
    whiskers = base.mark_rule(strokeWidth=1.5).encode(x=x, x2="p90_seconds:Q", color=color)
    boxes = base.mark_bar(size=ROW_STEP * 0.55, opacity=0.55).encode(
        x="q1_seconds:Q", x2="q3_seconds:Q", color=color
    )
    medians = base.mark_tick(color="#1f2328", thickness=2.5, size=ROW_STEP * 0.75).encode(
        x="median_seconds:Q"
    )
    return alt.LayerChart(
        layer=[whiskers, boxes, medians], title=title, width=560, height=alt.Step(ROW_STEP)
    )


def response_time_chart(
    frames: Mapping[str, FrameLike],
    *,
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
    max_senders: int = DEFAULT_MAX_SENDERS,
    names: Names | None = None,
) -> alt.LayerChart:
    """How fast each sender answers: one row per sender on a log axis of response times,
    a box over the middle half of their responses, a line from the 10th to the 90th
    percentile and a tick at the median (times under one second are drawn at one second).

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> spec = response_time_chart(ChatFrames.empty()).to_dict()
    >>> spec["layer"][0]["encoding"]["x"]["scale"]["type"], spec["height"]
    ('log', {'step': 30})
    """
    known = names_frame(names)
    check_positive("response_cap", response_cap)
    inputs, labels = _read(frames, max_senders, known)
    responses = inputs.collect(response_rows(inputs, response_cap=response_cap))
    return draw_response_times(responses, labels, response_cap=response_cap)


def draw_response_times(
    responses: pl.DataFrame, labels: pl.DataFrame, *, response_cap: timedelta
) -> alt.LayerChart:
    """:func:`response_time_chart` of the response rows and their sender labels."""
    labelled = responses.join(
        labels.select("sender_id", "sender"), left_on="responder", right_on="sender_id"
    )
    data = _duration_summary(
        labelled, "sender", pl.col("response_time").dt.total_milliseconds(), "responses"
    )
    order = [s for s in label_order(labels) if s in set(data.get_column("sender"))]
    return _duration_rows(
        _check_rows(data, "response_time_chart"),
        who="sender",
        count="responses",
        order=order,
        colours=label_order(labels),
        title="Response time per sender (log scale)",
        axis_title="response time",
        top_seconds=response_cap.total_seconds(),
    )


def _reader_labels(times: pl.DataFrame, labels: pl.DataFrame, max_senders: int) -> pl.DataFrame:
    """``chat_id, reader_attendee_id -> reader`` label: a reader who wrote has their sender
    label, one who never wrote the ``reader_name`` of the receipts; the ``max_senders``
    readers with the most timed receipts keep theirs, the rest are "others (N readers)"."""
    people = labels.select(pl.col("sender_id").alias("reader"), "person")
    readers = (
        times.filter(pl.col("time_to_read").is_not_null())
        .group_by("chat_id", "reader_attendee_id")
        .agg(pl.col("reader").first(), pl.col("reader_name").first(), reads=pl.len())
        .join(people, on="reader", how="left")
        .with_columns(
            key=pl.coalesce("reader", "reader_attendee_id"),
            label=pl.coalesce("person", "reader_name", "reader_attendee_id"),
        )
    )
    # One person may read in several chats (one key); two people may share a label.
    people_reads = (
        readers.group_by("key")
        .agg(pl.col("label").min(), pl.col("reads").sum())
        .sort(["reads", "key"], descending=[True, False])
    )
    keys = people_reads.get_column("key").to_list()
    shown = people_reads.get_column("label").to_list()
    short = short_ids(keys)
    twice = {label for label in shown if shown.count(label) > 1}
    shown = [
        f"{label} ({short[key]})" if label in twice else label
        for label, key in zip(shown, keys, strict=True)
    ]
    others = len(shown) - max_senders
    if others > 0:
        shown = shown[:max_senders] + [others_label(others, "reader")] * others
    by_key = pl.DataFrame(
        {"key": keys, "shown": shown, "rank": list(range(len(keys)))},
        schema={"key": pl.String, "shown": pl.String, "rank": pl.Int64},
    )
    return readers.join(by_key, on="key").select(
        "chat_id", "reader_attendee_id", pl.col("shown").alias("reader"), "rank"
    )


def time_to_read_chart(
    frames: Mapping[str, FrameLike],
    *,
    max_senders: int = DEFAULT_MAX_SENDERS,
    names: Names | None = None,
) -> alt.LayerChart:
    """How fast each reader reads: one row per reader on a log axis of the time from a
    message to its read receipt (:func:`~postpress_frames.analysis.receipts.read_times`;
    receipts without a time are left out), drawn like :func:`response_time_chart`.

    >>> from postpress_frames import frames_from_pages
    >>> from postpress_frames.testing import demo_chat
    >>> frames = frames_from_pages([{"items": demo_chat(200), "cursor": None}])
    >>> time_to_read_chart(frames).to_dict()["layer"][2]["mark"]["type"]
    'tick'
    """
    known = names_frame(names)
    as_int(max_senders, "max_senders", minimum=1)
    inputs = prepare_inputs(frames, seen_by=True).collected("messages", "seen_by")
    seen = inputs.seen_rows
    assert seen is not None  # prepared with seen_by=True
    # The checked tables, read once, are valid tables for read_times too.
    read: dict[str, FrameLike] = {
        "messages": inputs.messages,
        "attachments": inputs.attachment_rows,
        "reactions": inputs.reaction_rows,
        "seen_by": seen,
    }
    times = read_times(read, names=known)
    return draw_time_to_read(
        times, sender_labels(inputs, max_senders, known), max_senders=max_senders
    )


def draw_time_to_read(
    times: pl.DataFrame, labels: pl.DataFrame, *, max_senders: int
) -> alt.LayerChart:
    """:func:`time_to_read_chart` of the ``read_times`` rows and the sender labels."""
    readers = _reader_labels(times, labels, max_senders)
    labelled = (
        times.filter(pl.col("time_to_read").is_not_null())
        .select("chat_id", "reader_attendee_id", "time_to_read")
        .join(readers, on=["chat_id", "reader_attendee_id"])
    )
    data = _duration_summary(
        labelled, "reader", pl.col("time_to_read").dt.total_milliseconds(), "read_receipts"
    )
    order = readers.sort("rank").get_column("reader").unique(maintain_order=True).to_list()
    senders = label_order(labels)  # a reader who writes keeps their colour of the other charts
    slowest = data.get_column("p90_seconds").max()
    return _duration_rows(
        _check_rows(data, "time_to_read_chart"),
        who="reader",
        count="read_receipts",
        order=order,
        colours=senders + [r for r in order if r not in senders],
        title="Time to read per reader (log scale)",
        axis_title="time to read",
        top_seconds=float(slowest) if isinstance(slowest, int | float) else 86400.0,
    )


# --------------------------------------------------------------------------- who answers whom


def response_matrix_chart(
    frames: Mapping[str, FrameLike],
    *,
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
    max_senders: int = DEFAULT_MAX_SENDERS,
    names: Names | None = None,
) -> alt.Chart:
    """Who answers whom: responders down, the senders they answered across (the grid
    grows with the number of senders).

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> response_matrix_chart(ChatFrames.empty()).to_dict()["encoding"]["y"]["field"]
    'responder'
    """
    known = names_frame(names)
    check_positive("response_cap", response_cap)
    inputs, labels = _read(frames, max_senders, known)
    responses = inputs.collect(response_rows(inputs, response_cap=response_cap))
    return draw_response_matrix(responses, labels)


def draw_response_matrix(responses: pl.DataFrame, labels: pl.DataFrame) -> alt.Chart:
    """:func:`response_matrix_chart` of the response rows and their sender labels."""
    shown = labels.select("sender_id", "sender")
    grouped = (
        responses.join(
            shown.rename({"sender": "responder_label"}), left_on="responder", right_on="sender_id"
        )
        .join(
            shown.rename({"sender": "responded_to_label"}),
            left_on="responded_to",
            right_on="sender_id",
        )
        .group_by(
            pl.col("responder_label").alias("responder"),
            pl.col("responded_to_label").alias("responded_to"),
        )
        .agg(
            responses=pl.len().cast(pl.Int64),
            median=median_ms(pl.col("response_time").dt.total_milliseconds()).cast(pl.Int64),
        )
        .with_columns(share=pl.col("responses") / pl.col("responses").sum())
        .sort("responder", "responded_to")
    )
    data = _durations_text(grouped, ["median"]).drop("median")
    _check_rows(data, "response_matrix_chart")
    drawn = set(data.get_column("responder")) | set(data.get_column("responded_to"))
    order = [s for s in label_order(labels) if s in drawn]
    chart: alt.Chart = (
        alt.Chart(data, title="Who answers whom (responses)")
        .mark_rect()
        .encode(
            x=alt.X(
                "responded_to:N",
                title="answered",
                sort=order,
                axis=alt.Axis(labelAngle=-40, labelLimit=_LABEL_LIMIT),
            ),
            y=alt.Y(
                "responder:N", title="responder", sort=order, axis=alt.Axis(labelLimit=_LABEL_LIMIT)
            ),
            color=alt.Color(
                "responses:Q",
                title="responses",
                scale=alt.Scale(scheme="oranges"),
                legend=alt.Legend() if data.height else None,
            ),
            tooltip=[
                alt.Tooltip("responder:N", title="responder"),
                alt.Tooltip("responded_to:N", title="answered"),
                alt.Tooltip("responses:Q", title="responses", format=","),
                alt.Tooltip("share:Q", title="share of all responses", format=".1%"),
                alt.Tooltip("median_text:N", title="median response time"),
            ],
        )
        .properties(width=alt.Step(44), height=alt.Step(ROW_STEP))
    )
    return chart


# --------------------------------------------------------------------------- calendar


def calendar_heatmap(
    frames: Mapping[str, FrameLike],
    *,
    tz: str = "UTC",
    sender_ids: Iterable[str] | None = None,
    max_senders: int = DEFAULT_MAX_SENDERS,
    names: Names | None = None,
) -> alt.VConcatChart:
    """Messages per local day in ``tz``, one row per year (weeks across, from Monday,
    weekdays down); days without messages between the first and the last are empty
    grey cells. ``sender_ids`` keeps only those senders' messages. Each day's tooltip
    names its date, its count and its busiest senders.

    >>> from postpress_frames import frames_from_pages
    >>> from postpress_frames.testing import demo_chat
    >>> frames = frames_from_pages([{"items": demo_chat(200), "cursor": None}])
    >>> spec = calendar_heatmap(frames, tz="Europe/Paris").to_dict()
    >>> [row["title"] for row in spec["vconcat"]]
    ['2026']
    """
    known = names_frame(names)
    check_tz(tz)
    wanted = None if sender_ids is None else as_id_list(sender_ids, "sender_ids", "sender")
    inputs, labels = _read(frames, max_senders, known)
    return draw_calendar(inputs, labels, tz=tz, sender_ids=wanted)


def _week_axis(year: int) -> tuple[list[str], alt.Axis]:
    """The Mondays of the weeks that hold a day of ``year`` (the x domain of its row),
    and an axis naming the month at the week of its first day."""
    first = date(year, 1, 1)
    monday = first - timedelta(days=first.weekday())
    last = date(year, 12, 31)
    weeks = [
        (monday + timedelta(weeks=n)).isoformat() for n in range((last - monday).days // 7 + 1)
    ]
    starts = {}
    for month in range(1, 13):
        day = date(year, month, 1)
        starts[(day - timedelta(days=day.weekday())).isoformat()] = day.strftime("%b")
    label = "".join(f"datum.value == '{week}' ? '{name}' : " for week, name in starts.items())
    axis = alt.Axis(
        values=list(starts), labelExpr=label + "''", labelAngle=0, ticks=False, domain=False
    )
    return weeks, axis


def draw_calendar(
    inputs: Inputs, labels: pl.DataFrame, *, tz: str, sender_ids: list[str] | None = None
) -> alt.VConcatChart:
    """:func:`calendar_heatmap` of checked inputs and their sender labels."""
    written = inputs.written
    if sender_ids is not None:
        written = written.filter(pl.col("sender_id").is_in(sender_ids))
    per_sender = inputs.collect(
        written.group_by("sender_id", day=local_time(tz).dt.date()).agg(messages=pl.len())
    )
    busiest = (
        per_sender.join(labels.select("sender_id", "sender"), on="sender_id")
        .group_by("day", "sender")
        .agg(pl.col("messages").sum())
        .sort(["day", "messages", "sender"], descending=[False, True, False])
        .group_by("day", maintain_order=True)
        .agg(
            senders=pl.format("{} ({})", "sender", "messages").head(3).str.join(", "),
            more=(pl.len().cast(pl.Int64) - 3).clip(lower_bound=0),
        )
        .select(
            "day",
            pl.when(pl.col("more") > 0)
            .then(pl.format("{}, +{} more", "senders", "more"))
            .otherwise("senders")
            .alias("senders"),
        )
    )
    daily = per_sender.group_by("day").agg(pl.col("messages").sum().cast(pl.Int64))
    days = (
        daily.select(pl.date_range(pl.col("day").min(), pl.col("day").max(), "1d").alias("day"))
        if daily.height
        else daily.select("day")
    )
    data = (
        days.join(daily, on="day", how="left", maintain_order="left")
        .join(busiest, on="day", how="left", maintain_order="left")
        .with_columns(
            pl.col("messages").fill_null(0),
            pl.col("senders").fill_null(""),
            year=pl.col("day").dt.year(),
            week=pl.col("day").dt.truncate("1w").dt.strftime("%Y-%m-%d"),
            weekday=pl.col("day")
            .dt.weekday()
            .replace_strict(list(range(1, 8)), list(WEEKDAYS), return_dtype=pl.String),
            date=pl.col("day").dt.strftime("%a %d %b %Y"),
        )
        .with_columns(pl.col("day").dt.strftime("%Y-%m-%d"))
    )
    _check_rows(data, "calendar_heatmap")
    title = f"Messages per day ({tz})"
    years = data.get_column("year").unique().sort().to_list()
    if not years:
        empty = (
            alt.Chart(data, title="no messages")
            .mark_rect()
            .encode(x=alt.X("week:O", title=None), y=alt.Y("weekday:O", title=None))
        )
        return alt.vconcat(empty, title=title)
    colour = (
        alt.when(alt.datum.messages == 0)
        .then(alt.value(_EMPTY_DAY))
        .otherwise(
            alt.Color(
                "messages:Q",
                title="messages",
                scale=alt.Scale(scheme=alt.SchemeParams("greens", extent=[0.25, 1]), type="sqrt"),
            )
        )
    )
    rows = []
    for year in years:
        weeks, axis = _week_axis(year)
        rows.append(
            alt.Chart(title=str(year))
            .mark_rect(stroke="white", strokeWidth=1.5)
            .encode(
                x=alt.X("week:O", title=None, scale=alt.Scale(domain=weeks), axis=axis),
                y=alt.Y(
                    "weekday:O",
                    title=None,
                    scale=alt.Scale(domain=list(WEEKDAYS)),
                    axis=alt.Axis(ticks=False, domain=False),
                ),
                color=colour,
                tooltip=[
                    alt.Tooltip("date:N", title="date"),
                    alt.Tooltip("messages:Q", title="messages", format=","),
                    alt.Tooltip("senders:N", title="busiest senders"),
                ],
            )
            .transform_filter(alt.datum.year == year)
            .properties(width=alt.Step(CELL), height=alt.Step(CELL), view={"stroke": None})
        )
    chart: alt.VConcatChart = alt.vconcat(*rows, data=data, title=title).resolve_scale(
        color="shared"
    )
    return chart
