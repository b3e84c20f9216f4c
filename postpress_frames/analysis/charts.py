"""Altair charts of sender activity, saved as PNG, SVG or offline HTML without a browser.

Each chart function takes the tables (like :func:`~postpress_frames.analysis.stats.sender_activity`)
and returns an ``alt.Chart`` whose data is already aggregated, so the embedded data stays
small: at most ``max_senders`` senders are shown (the rest are summed as "others"), and
charts of many chats sum each sender over all of them. Sender ids are shortened to 16
characters, and the connected account is marked "(you)".

>>> chart = weekday_hour_heatmap(frames, tz="Europe/Paris")         # doctest: +SKIP
>>> save_chart(chart, "rhythm.png")                                 # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Final, Literal

import altair as alt
import polars as pl
import vl_convert as vlc

from postpress_frames._exceptions import ConfigurationError
from postpress_frames.analysis.stats import (
    DEFAULT_RESPONSE_CAP,
    FrameLike,
    _check_tz,
    _inputs,
    activity_over_time,
    response_times,
)

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
WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
BINS_PER_DECADE: Final = 4  # response-time histogram: 4 log-even bins per factor of 10
_LABEL_WIDTH: Final = 16
_PERIOD_NAMES: Final = {"1h": "hour", "1d": "day", "1w": "week", "1mo": "month", "1y": "year"}
ChartFormat = Literal["png", "svg", "html", "json"]


# --------------------------------------------------------------------------- senders


def _sender_labels(frames: Mapping[str, FrameLike], max_senders: int) -> pl.DataFrame:
    """sender_id -> label: the ``max_senders`` busiest by name, the rest as "others"."""
    if max_senders < 1:
        raise ConfigurationError(f"max_senders must be at least 1, got {max_senders}")
    inputs = _inputs(frames)
    counts = inputs.collect(
        inputs.messages.group_by("sender_id")
        .agg(
            messages=(~pl.col("is_event")).sum(),
            you=pl.col("is_sender").any(),
        )
        .sort(["messages", "sender_id"], descending=[True, False])
    )
    ids = counts.get_column("sender_id").to_list()
    short = [i if len(i) <= _LABEL_WIDTH else i[: _LABEL_WIDTH - 1] + "…" for i in ids]
    if len(set(short)) < len(short):  # shortening made two senders look alike
        short = ids
    labels = [
        f"{label} (you)" if you else label
        for label, you in zip(short, counts.get_column("you").to_list(), strict=True)
    ]
    others = len(ids) - max_senders
    if others > 0:
        name = f"others ({others} senders)" if others > 1 else "others (1 sender)"
        labels = labels[:max_senders] + [name] * others
    return pl.DataFrame(
        {"sender_id": ids, "sender": labels, "rank": list(range(len(ids)))},
        schema={"sender_id": pl.String, "sender": pl.String, "rank": pl.Int64},
    ).with_columns(pl.col("rank").clip(upper_bound=max_senders))


def _order(labels: pl.DataFrame) -> list[str]:
    return labels.sort("rank").get_column("sender").unique(maintain_order=True).to_list()


def _check_rows(data: pl.DataFrame, what: str) -> pl.DataFrame:
    if data.height > MAX_CHART_ROWS:
        raise ConfigurationError(
            f"{what} would embed {data.height} rows (more than {MAX_CHART_ROWS}); "
            "choose a coarser period or fewer senders"
        )
    return data


# --------------------------------------------------------------------------- charts


def _auto_every(frames: Mapping[str, FrameLike]) -> str:
    inputs = _inputs(frames)
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

    >>> chart = messages_over_time_chart(frames, every="1w")            # doctest: +SKIP
    >>> chart.to_dict()["encoding"]["x"]["field"]                       # doctest: +SKIP
    'period'
    """
    _check_tz(tz)
    every = every or _auto_every(frames)
    labels = _sender_labels(frames, max_senders)
    # Stacked here rather than by Vega-Lite, which does not stack bars with a ranged x:
    # each bar spans its whole period, so weeks and months read as widths of time.
    rank = labels.group_by("sender").agg(pl.col("rank").min())
    data = (
        activity_over_time(frames, every, tz=tz)
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
            color=alt.Color("sender:N", title="sender", sort=_order(labels)),
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
    columns: int = 3,
) -> alt.Chart:
    """One weekday x hour grid of messages per sender, all on one shared colour scale.

    >>> weekday_hour_heatmap(frames).to_dict()["encoding"]["facet"]["field"]  # doctest: +SKIP
    'sender'
    """
    _check_tz(tz)
    labels = _sender_labels(frames, max_senders)
    inputs = _inputs(frames)
    local = pl.col("timestamp").dt.convert_time_zone(tz)
    counts = inputs.collect(
        inputs.messages.filter(~pl.col("is_event"))
        .select("sender_id", hour=local.dt.hour(), weekday=local.dt.weekday())
        .group_by("sender_id", "hour", "weekday")
        .agg(messages=pl.len())
    )
    senders = pl.DataFrame({"sender": _order(labels)}, schema={"sender": pl.String})
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
            facet=alt.Facet("sender:N", title=None, sort=_order(labels), columns=columns),
            tooltip=["sender:N", "day:O", "hour:O", "messages:Q"],
        )
        .properties(width=300, height=120)
        .resolve_scale(color="shared")
    )
    return chart


def _duration_label_expr() -> str:
    return (
        "datum.value < 60 ? format(datum.value, '~g') + ' s' : "
        "datum.value < 3600 ? format(datum.value / 60, '~g') + ' min' : "
        "format(datum.value / 3600, '~g') + ' h'"
    )


def response_time_chart(
    frames: Mapping[str, FrameLike],
    *,
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
    max_senders: int = DEFAULT_MAX_SENDERS,
) -> alt.Chart:
    """Histogram of response times per sender on a log axis (4 bins per factor of 10).

    Times under one second are drawn in the first bin, which starts at one second.

    >>> response_time_chart(frames).to_dict()["encoding"]["x"]["scale"]  # doctest: +SKIP
    {'type': 'log'}
    """
    labels = _sender_labels(frames, max_senders)
    seconds = (pl.col("response_time").dt.total_milliseconds() / 1000).clip(lower_bound=1.0)
    # floor(4 * log10(s)), nudged so that exact edges (10 s, 100 s) open their own bin.
    index = (seconds.log10() * BINS_PER_DECADE + 1e-9).floor().cast(pl.Int64)
    data = (
        response_times(frames, response_cap=response_cap)
        .join(labels, left_on="responder", right_on="sender_id")
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
    chart: alt.Chart = (
        alt.Chart(data, title="Response time per sender (log scale)")
        .mark_rect()
        .encode(
            x=alt.X(
                "from_seconds:Q",
                title="response time",
                scale=alt.Scale(type="log", domain=[1, top]),
                axis=alt.Axis(values=ticks, labelExpr=_duration_label_expr()),
            ),
            x2="to_seconds:Q",
            y=alt.Y("responses:Q", title="responses"),
            y2=alt.datum(0),
            color=alt.Color("sender:N", legend=None, sort=_order(labels)),
            row=alt.Row("sender:N", title=None, sort=_order(labels)),
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

    >>> response_matrix_chart(frames).to_dict()["encoding"]["y"]["field"]  # doctest: +SKIP
    'responder'
    """
    labels = _sender_labels(frames, max_senders)
    names = labels.select("sender_id", "sender")
    data = (
        response_times(frames, response_cap=response_cap)
        .join(
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
    order = _order(labels)
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


# --------------------------------------------------------------------------- output


def _vegalite_version() -> str | None:
    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vlc.get_vegalite_versions() else None


def render_chart(chart: alt.TopLevelMixin, fmt: ChartFormat, *, scale: float = 2.0) -> bytes:
    """The chart as PNG (``scale`` x pixels), SVG, offline HTML (scripts inlined) or JSON.

    >>> render_chart(chart, "svg")[:4]                                   # doctest: +SKIP
    b'<svg'
    """
    spec = chart.to_dict()
    version = _vegalite_version()
    if fmt == "png":
        png: bytes = vlc.vegalite_to_png(spec, vl_version=version, scale=scale)
        return png
    if fmt == "svg":
        svg: str = vlc.vegalite_to_svg(spec, vl_version=version)
        return svg.encode()
    if fmt == "html":
        html: str = vlc.vegalite_to_html(spec, vl_version=version, bundle=True)
        return html.encode()
    if fmt == "json":
        return json.dumps(spec, indent=2).encode()
    raise ConfigurationError(f"chart format must be png, svg, html or json, got {fmt!r}")


def save_chart(chart: alt.TopLevelMixin, path: str | Path, *, scale: float = 2.0) -> Path:
    """Write the chart to ``path`` in the format its suffix names (.png, .svg, .html,
    .json). HTML files carry the Vega scripts inline, so they open offline.

    >>> save_chart(response_matrix_chart(frames), "matrix.png")          # doctest: +SKIP
    PosixPath('matrix.png')
    """
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "html", "json"):
        raise ConfigurationError(
            f"cannot tell the chart format from {str(target)!r}: "
            "use a .png, .svg, .html or .json file name"
        )
    data = render_chart(chart, fmt, scale=scale)  # type: ignore[arg-type]  # checked above
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target
