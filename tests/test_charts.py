"""Charts: each saves as a real PNG, and its spec names the fields it draws."""

from __future__ import annotations

import struct
from datetime import timedelta
from pathlib import Path
from typing import Any

import altair as alt
import pytest

from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError, PostpressError
from postpress_frames.analysis import charts
from postpress_frames.analysis.charts import (
    MAX_CHART_ROWS,
    calendar_heatmap,
    messages_over_time_chart,
    render_chart,
    response_matrix_chart,
    response_time_chart,
    save_chart,
    time_to_read_chart,
    weekday_hour_heatmap,
)
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.testing.demo_chat import demo_chat
from tests.scan_counter import ScanCounter

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def frames() -> ChatFrames:
    items = demo_chat(600, seed=3)
    return frames_from_pages([{"object": "MessageList", "items": items, "cursor": None}])


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def fields(spec: Any) -> set[str]:
    """Every ``field`` named anywhere in a Vega-Lite spec."""
    found: set[str] = set()
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "field" and isinstance(value, str):
                found.add(value)
            found |= fields(value)
    elif isinstance(spec, list):
        for value in spec:
            found |= fields(value)
    return found


def embedded_rows(chart: alt.TopLevelMixin) -> int:
    spec = chart.to_dict()
    return sum(len(rows) for rows in spec.get("datasets", {}).values())


CHARTS = {
    "messages_over_time": (
        lambda f: messages_over_time_chart(f, tz="Europe/Paris"),
        {"period", "period_end", "top", "bottom", "sender", "messages"},
    ),
    "weekday_hour": (
        lambda f: weekday_hour_heatmap(f, tz="Europe/Paris"),
        {"hour", "day", "messages", "sender"},
    ),
    "response_time": (
        lambda f: response_time_chart(f),
        {"p10_seconds", "q1_seconds", "median_seconds", "q3_seconds", "p90_seconds", "sender"},
    ),
    "response_matrix": (
        lambda f: response_matrix_chart(f),
        {"responder", "responded_to", "responses", "share"},
    ),
    "calendar": (
        lambda f: calendar_heatmap(f, tz="Europe/Paris"),
        {"week", "weekday", "messages", "date"},
    ),
    "time_to_read": (
        lambda f: time_to_read_chart(f),
        {"p10_seconds", "median_seconds", "p90_seconds", "reader", "read_receipts"},
    ),
}
#: What each chart reads of lazy tables: every table it needs, once.
READS = {name: {"messages": 1} for name in CHARTS} | {
    "time_to_read": {"messages": 1, "seen_by": 1, "reactions": 1}
}


@pytest.mark.parametrize("name", list(CHARTS))
def test_chart_saves_as_a_real_png_and_names_its_fields(
    name: str, frames: ChatFrames, tmp_path: Path
) -> None:
    build, expected_fields = CHARTS[name]
    chart = build(frames)
    assert isinstance(chart, alt.TopLevelMixin)
    assert expected_fields <= fields(chart.to_dict())
    assert 0 < embedded_rows(chart) <= MAX_CHART_ROWS
    path = save_chart(chart, tmp_path / f"{name}.png")
    width, height = png_size(path)
    assert width >= 300
    assert height >= 200
    assert path.stat().st_size > 5_000


def test_heatmap_shares_one_colour_scale_across_senders(frames: ChatFrames) -> None:
    spec = weekday_hour_heatmap(frames).to_dict()
    assert spec["resolve"]["scale"]["color"] == "shared"
    assert spec["encoding"]["facet"]["field"] == "sender"
    # A full grid per sender: 7 weekdays x 24 hours, zeros included.
    senders = frames.messages.get_column("sender_id").n_unique()
    assert embedded_rows(weekday_hour_heatmap(frames)) == senders * 7 * 24


def test_response_times_are_on_a_log_axis(frames: ChatFrames) -> None:
    x = response_time_chart(frames).to_dict()["layer"][0]["encoding"]["x"]
    assert x["scale"]["type"] == "log"


def test_response_time_ticks_read_like_the_report(frames: ChatFrames) -> None:
    axis = response_time_chart(frames).to_dict()["layer"][0]["encoding"]["x"]["axis"]
    assert axis["values"] == [1, 10, 60, 600, 3600, 21600, 86400]
    for tick, shown in ((60, "1 min"), (21600, "6 h"), (86400, "1 d")):
        assert f'datum.value == {tick} ? "{shown}"' in axis["labelExpr"]
    svg = render_chart(response_time_chart(frames), "svg").decode()
    assert ">1 min</text>" in svg
    assert ">1 d</text>" in svg


def test_messages_over_time_sums_to_the_message_count(frames: ChatFrames) -> None:
    chart = messages_over_time_chart(frames, every="1w")
    (rows,) = chart.to_dict()["datasets"].values()
    assert (
        sum(row["messages"] for row in rows)
        == frames.messages.filter(~frames.messages["is_event"]).height
    )
    assert all(row["bottom"] + row["messages"] == row["top"] for row in rows)


def test_other_senders_are_grouped(frames: ChatFrames) -> None:
    chart = response_matrix_chart(frames, max_senders=1)
    (rows,) = chart.to_dict()["datasets"].values()
    labels = {row["responder"] for row in rows} | {row["responded_to"] for row in rows}
    senders = frames.messages.get_column("sender_id").n_unique()
    assert len(labels) == 2
    assert f"others ({senders - 1} senders)" in labels


def test_too_fine_a_period_is_refused_before_altair_would(
    frames: ChatFrames, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(charts, "MAX_CHART_ROWS", 50)  # as if the chat were 100 times longer
    with pytest.raises(ConfigurationError, match="coarser period"):
        messages_over_time_chart(frames, every="1d")


def test_charts_of_an_empty_chat_still_render(tmp_path: Path) -> None:
    empty = ChatFrames.empty()
    for build, _ in CHARTS.values():
        assert render_chart(build(empty), "svg").startswith(b"<svg")


def test_save_chart_writes_offline_html_svg_and_json(frames: ChatFrames, tmp_path: Path) -> None:
    chart = response_matrix_chart(frames)
    html = save_chart(chart, tmp_path / "matrix.html").read_text()
    assert "<script src=" not in html
    assert "vegaEmbed" in html
    assert save_chart(chart, tmp_path / "matrix.svg").read_bytes().startswith(b"<svg")
    assert '"$schema"' in save_chart(chart, tmp_path / "matrix.json").read_text()


def test_save_chart_refuses_an_unknown_suffix(frames: ChatFrames, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"\.png"):
        save_chart(response_matrix_chart(frames), tmp_path / "matrix.gif")


@pytest.mark.parametrize("name", list(CHARTS))
def test_a_chart_of_lazy_tables_reads_the_messages_once(name: str, frames: ChatFrames) -> None:
    build, _ = CHARTS[name]
    counter = ScanCounter(frames)
    eager = build(frames).to_dict()
    assert build(counter.frames).to_dict() == eager
    assert counter.reads == READS[name]


def test_save_chart_names_a_path_of_the_wrong_type(frames: ChatFrames) -> None:
    chart = response_matrix_chart(frames)
    with pytest.raises(ArgumentTypeError, match="path must be a path") as caught:
        save_chart(chart, 123)  # type: ignore[arg-type]
    assert caught.value.argument == "path"


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda f: render_chart("chart", "svg"), "chart"),
        (lambda f: render_chart(response_matrix_chart(f), 1), "fmt"),
        (lambda f: render_chart(response_matrix_chart(f), "png", scale="2"), "scale"),
        (lambda f: response_matrix_chart(f, max_senders="3"), "max_senders"),
        (lambda f: weekday_hour_heatmap(f, columns=2.5), "columns"),
        (lambda f: weekday_hour_heatmap(f, tz=1), "tz"),
        (lambda f: response_time_chart(f, response_cap=60), "response_cap"),
        (lambda f: messages_over_time_chart(f, every=7), "every"),
        (lambda f: messages_over_time_chart([f]), "frames"),
    ],
)
def test_arguments_of_the_wrong_type_are_named(
    call: Any, argument: str, frames: ChatFrames
) -> None:
    with pytest.raises(ArgumentTypeError) as caught:
        call(frames)
    assert caught.value.argument == argument
    assert str(caught.value).startswith(f"{argument} must be ")


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda f: response_matrix_chart(f, max_senders=0), "max_senders"),
        (lambda f: weekday_hour_heatmap(f, columns=0), "columns"),
        (lambda f: render_chart(response_matrix_chart(f), "gif"), "chart format"),
        (lambda f: render_chart(response_matrix_chart(f), "png", scale=0), "scale"),
        (lambda f: messages_over_time_chart(f, every="fortnightly"), "every"),
        (lambda f: messages_over_time_chart(f, tz="Mars/Olympus"), "tz"),
        (lambda f: response_time_chart(f, response_cap=timedelta(0)), "response_cap"),
    ],
)
def test_bad_values_are_configuration_errors(call: Any, named: str, frames: ChatFrames) -> None:
    with pytest.raises(ConfigurationError, match=named) as caught:
        call(frames)
    assert not isinstance(caught.value, TypeError)
    assert isinstance(caught.value, PostpressError)
