"""The HTML report: one offline page with the statistics table and every chart."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from pathlib import Path

import pytest

from postpress_frames.analysis.report import _format, _format_duration, render_report, write_report
from postpress_frames.analysis.stats import METRIC_DEFINITIONS
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.testing.demo_chat import demo_chat

SVG_URI = re.compile(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(scope="module")
def frames() -> ChatFrames:
    items = demo_chat(400, seed=5)
    return frames_from_pages([{"object": "MessageList", "items": items, "cursor": None}])


@pytest.fixture(scope="module")
def page(frames: ChatFrames) -> str:
    return render_report(frames, tz="Europe/Paris", title="Team <chat> & co")


def test_page_loads_nothing_from_the_network(page: str) -> None:
    assert page.startswith("<!doctype html>")
    assert re.search(r"https?://", page) is None
    assert re.search(r"<script|<link|<iframe|@import", page, re.IGNORECASE) is None
    assert re.search(r'src="(?!data:)', page) is None


def test_page_holds_every_chart_as_an_inline_svg(page: str) -> None:
    images = SVG_URI.findall(page)
    assert len(images) == 4
    for encoded in images:
        svg = base64.b64decode(encoded)
        assert svg.startswith(b"<svg")
        assert len(svg) > 2_000
        assert re.search(rb'(href|src)="https?:', svg) is None
    for anchor in ("messages-over-time", "weekday-hour", "response-time", "response-matrix"):
        assert f'<figure id="{anchor}">' in page


def test_page_holds_the_statistics_table(page: str, frames: ChatFrames) -> None:
    assert '<table class="stats">' in page
    for sender in frames.messages.get_column("sender_id").unique().to_list():
        assert f"<th>{sender}" in page
    assert "(you)</th>" in page
    for metric in METRIC_DEFINITIONS:
        if metric not in ("chat_id", "sender_id", "is_sender"):
            assert f">{metric}</abbr>" in page
            assert f"<dt>{metric}</dt>" in page


def test_title_is_escaped(page: str) -> None:
    assert "<title>Team &lt;chat&gt; &amp; co</title>" in page
    assert "<chat>" not in page


def test_write_report_writes_utf8_html(frames: ChatFrames, tmp_path: Path) -> None:
    path = write_report(frames, tmp_path / "out" / "report.html", tz="UTC")
    assert path == tmp_path / "out" / "report.html"
    text = path.read_text(encoding="utf-8")
    assert text.rstrip().endswith("</html>")
    assert "times in UTC" in text


def test_empty_chat_gives_a_page_that_says_so() -> None:
    page = render_report(ChatFrames.empty())
    assert "No messages: nothing to count." in page
    assert len(SVG_URI.findall(page)) == 4


@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [
        ("share_of_messages", 0.3054, "30.5%"),
        ("messages_per_turn", 2.239, "2.24"),
        ("messages", 1494, "1,494"),
        ("peak_weekday", 4, "Thu"),
        ("peak_hour", 8, "08:00"),
        ("response_time_median", timedelta(seconds=66.9), "1 min 6 s"),
        ("first_at", None, "\u2013"),
        ("is_sender", True, "yes"),
    ],
)
def test_cells_are_formatted_for_reading(column: str, value: object, shown: str) -> None:
    assert _format(column, value) == shown


def test_durations_show_their_two_largest_units() -> None:
    assert _format_duration(timedelta(seconds=4325)) == "1 h 12 min"
    assert _format_duration(timedelta(hours=24)) == "1 d"
    assert _format_duration(timedelta(seconds=1.5)) == "1.5 s"
