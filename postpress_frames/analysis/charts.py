"""Altair charts of sender activity, saved as PNG, SVG or offline HTML without a browser.

Each chart function takes the tables (like :func:`~postpress_frames.analysis.stats.sender_activity`)
and returns an ``alt.Chart`` whose data is already aggregated, so the embedded data stays
small: at most ``max_senders`` senders are shown (the rest are summed as "others"), and
charts of many chats sum each sender over all of them. Sender ids are shortened to 16
characters, and the connected account is marked "(you)". Each reads a lazy dataset once.
:func:`render_chart` and :func:`save_chart` (from :mod:`.rendering`) turn them into files.

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
from collections.abc import Mapping
from datetime import timedelta
from typing import Final

import altair as alt
import polars as pl

from postpress_frames._args import as_int
from postpress_frames._exceptions import ConfigurationError
from postpress_frames.analysis.display import (
    WEEKDAYS,
    duration_label_expr,
    label_order,
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
from postpress_frames.analysis.rendering import ChartFormat as ChartFormat
from postpress_frames.analysis.rendering import render_chart, save_chart
from postpress_frames.analysis.sequence import local_time, response_rows
from postpress_frames.analysis.stats import activity_over_time_plan

__all__ = [
    "MAX_CHART_ROWS",
    "messages_over_time_chart",
    "render_chart",
    "response_matrix_chart",
    "response_time_chart",
    "save_chart",
    "weekday_hour_heatmap",
]

#: Altair refuses to embed more rows than this by default; our charts stay below it.
MAX_CHART_ROWS: Final = 5000
DEFAULT_MAX_SENDERS: Final = 8
DEFAULT_FACET_COLUMNS: Final = 3  # heatmap panels per row
BINS_PER_DECADE: Final = 4  # response-time histogram: 4 log-even bins per factor of 10
_PERIOD_NAMES: Final = {"1h": "hour", "1d": "day", "1w": "week", "1mo": "month", "1y": "year"}


def _read(frames: Mapping[str, FrameLike], max_senders: int) -> tuple[Inputs, pl.DataFrame]:
    """The messages read once (after every check) and the sender labels of a chart."""
    as_int(max_senders, "max_senders", minimum=1)
    inputs = prepare_inputs(frames).collected("messages")
    return inputs, sender_labels(inputs, max_senders)


def _check_rows(data: pl.DataFrame, what: str) -> pl.DataFrame:
    if data.height > MAX_CHART_ROWS:
        raise ConfigurationError(
            f"{what} would embed {data.height} rows (more than {MAX_CHART_ROWS}); "
            "choose a coarser period or fewer senders"
        )
    return data


# --------------------------------------------------------------------------- charts


def _auto_every(inputs: Inputs) -> str:
    span = inputs.collect(
        inputs.messages.select((pl.col("timestamp").max() - pl.col("timestamp").min()).alias("s"))
    ).item()
    days = span.days if isinstance(span, timedelta) else 0
    if days <= 62:
        return "1d"
    return "1w" if days <= 2 * 366 else "1mo"


def messages_over_time_chart(
    frames: Mapping[str, FrameLike],
    *,
    every: str | None = None,
    tz: str = "UTC",
    max_senders: int = DEFAULT_MAX_SENDERS,
) -> alt.Chart:
    """Stacked bars of messages per period and sender (``every`` defaults to days for a
    chat of up to two months, weeks up to two years, months beyond).

    >>> from postpress_frames import frames_from_pages
    >>> from postpress_frames.testing import demo_chat
    >>> frames = frames_from_pages([{"items": demo_chat(200), "cursor": None}])
    >>> chart = messages_over_time_chart(frames, every="1w")
    >>> chart.to_dict()["encoding"]["x"]["field"], chart.to_dict()["title"]
    ('period', 'Messages per week (UTC)')
    """
    check_tz(tz)
    if every is not None:
        check_every(every)
    inputs, labels = _read(frames, max_senders)
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
        )
        # Wall-clock periods sent as UTC and drawn on a UTC scale: what the table shows
        # is what the axis shows, whatever the time zone of the renderer.
        .with_columns(pl.col("period", "period_end").dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
        .drop("rank")
    )
    _check_rows(data, "messages_over_time_chart")
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
            color=alt.Color("sender:N", title="sender", sort=label_order(labels)),
            tooltip=[
                alt.Tooltip("utcyearmonthdatehoursminutes(period):T", title="period"),
                "sender:N",
                "messages:Q",
            ],
        )
        .properties(width=640, height=260)
    )
    return chart


def weekday_hour_heatmap(
    frames: Mapping[str, FrameLike],
    *,
    tz: str = "UTC",
    max_senders: int = DEFAULT_MAX_SENDERS,
    columns: int = DEFAULT_FACET_COLUMNS,
) -> alt.Chart:
    """One weekday x hour grid of messages per sender, all on one shared colour scale.

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> weekday_hour_heatmap(ChatFrames.empty()).to_dict()["encoding"]["facet"]["field"]
    'sender'
    """
    check_tz(tz)
    as_int(columns, "columns", minimum=1)
    inputs, labels = _read(frames, max_senders)
    return draw_weekday_hour(inputs, labels, tz=tz, columns=columns)


def draw_weekday_hour(inputs: Inputs, labels: pl.DataFrame, *, tz: str, columns: int) -> alt.Chart:
    """:func:`weekday_hour_heatmap` of checked inputs and their sender labels."""
    local = local_time(tz)
    counts = inputs.collect(
        inputs.written.select("sender_id", hour=local.dt.hour(), weekday=local.dt.weekday())
        .group_by("sender_id", "hour", "weekday")
        .agg(messages=pl.len())
    )
    order = label_order(labels)
    senders = pl.DataFrame({"sender": order}, schema={"sender": pl.String})
    grid = senders.join(
        pl.DataFrame({"hour": list(range(24))}, schema={"hour": pl.Int8}), how="cross"
    ).join(pl.DataFrame({"weekday": list(range(1, 8))}, schema={"weekday": pl.Int8}), how="cross")
    summed = (
        counts.join(labels, on="sender_id")
        .group_by("sender", "hour", "weekday")
        .agg(pl.col("messages").sum().cast(pl.Int64))
    )
    data = (
        grid.join(summed, on=["sender", "hour", "weekday"], how="left")
        .with_columns(
            pl.col("messages").fill_null(0),
            day=pl.col("weekday").replace_strict(
                list(range(1, 8)), list(WEEKDAYS), return_dtype=pl.String
            ),
        )
        .drop("weekday")
    )
    _check_rows(data, "weekday_hour_heatmap")
    chart: alt.Chart = (
        alt.Chart(data, title=f"Messages by weekday and hour ({tz})")
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="hour"),
            y=alt.Y("day:O", title=None, sort=list(WEEKDAYS)),
            color=alt.Color("messages:Q", title="messages", scale=alt.Scale(scheme="blues")),
            facet=alt.Facet("sender:N", title=None, sort=order, columns=columns),
            tooltip=["sender:N", "day:O", "hour:O", "messages:Q"],
        )
        .properties(width=300, height=120)
        .resolve_scale(color="shared")
    )
    return chart


def response_time_chart(
    frames: Mapping[str, FrameLike],
    *,
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
    max_senders: int = DEFAULT_MAX_SENDERS,
) -> alt.Chart:
    """Histogram of response times per sender on a log axis (4 bins per factor of 10).

    Times under one second are drawn in the first bin, which starts at one second.

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> response_time_chart(ChatFrames.empty()).to_dict()["encoding"]["x"]["scale"]["type"]
    'log'
    """
    check_positive("response_cap", response_cap)
    inputs, labels = _read(frames, max_senders)
    responses = inputs.collect(response_rows(inputs, response_cap=response_cap))
    return draw_response_times(responses, labels, response_cap=response_cap)


def draw_response_times(
    responses: pl.DataFrame, labels: pl.DataFrame, *, response_cap: timedelta
) -> alt.Chart:
    """:func:`response_time_chart` of the response rows and their sender labels."""
    seconds = (pl.col("response_time").dt.total_milliseconds() / 1000).clip(lower_bound=1.0)
    # floor(4 * log10(s)), nudged so that exact edges (10 s, 100 s) open their own bin.
    index = (seconds.log10() * BINS_PER_DECADE + 1e-9).floor().cast(pl.Int64)
    data = (
        responses.join(labels, left_on="responder", right_on="sender_id")
        .group_by("sender", index.alias("bin"))
        .agg(responses=pl.len().cast(pl.Int64))
        .with_columns(
            from_seconds=pl.lit(10.0).pow(pl.col("bin") / BINS_PER_DECADE),
            to_seconds=pl.lit(10.0).pow((pl.col("bin") + 1) / BINS_PER_DECADE),
        )
        .drop("bin")
        .sort("sender", "from_seconds")
    )
    _check_rows(data, "response_time_chart")
    cap_seconds = response_cap.total_seconds()
    ticks = [v for v in (1, 10, 60, 600, 3600, 6 * 3600, 86400, 7 * 86400) if v <= cap_seconds]
    top = 10 ** (math.ceil(math.log10(max(cap_seconds, 10)) * BINS_PER_DECADE) / BINS_PER_DECADE)
    order = label_order(labels)
    chart: alt.Chart = (
        alt.Chart(data, title="Response time per sender (log scale)")
        .mark_rect()
        .encode(
            x=alt.X(
                "from_seconds:Q",
                title="response time",
                scale=alt.Scale(type="log", domain=[1, top]),
                axis=alt.Axis(values=ticks, labelExpr=duration_label_expr(ticks)),
            ),
            x2="to_seconds:Q",
            y=alt.Y("responses:Q", title="responses"),
            y2=alt.datum(0),
            color=alt.Color("sender:N", legend=None, sort=order),
            row=alt.Row("sender:N", title=None, sort=order),
            tooltip=["sender:N", "from_seconds:Q", "to_seconds:Q", "responses:Q"],
        )
        .properties(width=560, height=90)
    )
    return chart


def response_matrix_chart(
    frames: Mapping[str, FrameLike],
    *,
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
    max_senders: int = DEFAULT_MAX_SENDERS,
) -> alt.Chart:
    """Who answers whom: responders down, the senders they answered across.

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> response_matrix_chart(ChatFrames.empty()).to_dict()["encoding"]["y"]["field"]
    'responder'
    """
    check_positive("response_cap", response_cap)
    inputs, labels = _read(frames, max_senders)
    responses = inputs.collect(response_rows(inputs, response_cap=response_cap))
    return draw_response_matrix(responses, labels)


def draw_response_matrix(responses: pl.DataFrame, labels: pl.DataFrame) -> alt.Chart:
    """:func:`response_matrix_chart` of the response rows and their sender labels."""
    names = labels.select("sender_id", "sender")
    data = (
        responses.join(
            names.rename({"sender": "responder_label"}), left_on="responder", right_on="sender_id"
        )
        .join(
            names.rename({"sender": "responded_to_label"}),
            left_on="responded_to",
            right_on="sender_id",
        )
        .group_by(
            pl.col("responder_label").alias("responder"),
            pl.col("responded_to_label").alias("responded_to"),
        )
        .agg(responses=pl.len().cast(pl.Int64))
        .with_columns(share=pl.col("responses") / pl.col("responses").sum())
        .sort("responder", "responded_to")
    )
    _check_rows(data, "response_matrix_chart")
    order = label_order(labels)
    chart: alt.Chart = (
        alt.Chart(data, title="Who answers whom (responses)")
        .mark_rect()
        .encode(
            x=alt.X("responded_to:N", title="answered", sort=order),
            y=alt.Y("responder:N", title="responder", sort=order),
            color=alt.Color("responses:Q", title="responses", scale=alt.Scale(scheme="oranges")),
            tooltip=[
                "responder:N",
                "responded_to:N",
                "responses:Q",
                alt.Tooltip("share:Q", format=".1%"),
            ],
        )
        .properties(width=320, height=320)
    )
    return chart
