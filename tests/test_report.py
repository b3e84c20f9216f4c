"""The HTML report: one offline page, a row per person and a column per metric, every chart
(interactive by default, SVG images with ``static=True``), the counts explained."""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError, StorageError
from postpress_frames.analysis.display import format_duration
from postpress_frames.analysis.metrics import CONTENT_METRICS, RECEIPT_METRICS
from postpress_frames.analysis.rendering import vega_script
from postpress_frames.analysis.report import render_report, write_report
from postpress_frames.analysis.report_sections import format_value
from postpress_frames.analysis.stats import METRIC_DEFINITIONS
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.testing import demo_chats, demo_names
from postpress_frames.testing.demo_chat import demo_chat
from tests.conftest import pages_of
from tests.scan_counter import ScanCounter

SVG_URI = re.compile(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')
SPEC = re.compile(r'<script type="application/json" id="(spec-\d+)">(.*?)</script>', re.DOTALL)
SCRIPT = re.compile(r"<script(?P<attributes>[^>]*)>(?P<body>.*?)</script>", re.DOTALL)
FIGURES = (
    "messages-over-time",
    "calendar",
    "response-time",
    "response-matrix",
    "weekday-hour",
    "time-to-read",
)
IDS = {"chat_id", "sender_id", "sender_name", "is_sender", "attendee_id"}


@pytest.fixture(scope="module")
def frames() -> ChatFrames:
    items = demo_chat(400, seed=5)
    return frames_from_pages([{"object": "MessageList", "items": items, "cursor": None}])


@pytest.fixture(scope="module")
def page(frames: ChatFrames) -> str:
    return render_report(frames, tz="Europe/Paris", title="Team <chat> & co", names=demo_names())


@pytest.fixture(scope="module")
def static_page(frames: ChatFrames) -> str:
    return render_report(frames, tz="Europe/Paris", names=demo_names(), static=True)


def headers(page: str) -> list[str]:
    """The metric column names of every table header (from their tooltips)."""
    return re.findall(r'<th scope="col"[^>]*><abbr title="([a-z0-9_]+): ', page)


# --------------------------------------------------------------------------- loads nothing


def test_the_interactive_page_loads_nothing_from_the_network(page: str) -> None:
    """The markup refers to nothing outside the page; its scripts are the Vega libraries
    (inlined once), the script that draws the charts and the charts' specs. The browser
    test watches what the scripts request: nothing."""
    assert page.startswith("<!doctype html>")
    markup = SCRIPT.sub("", page)
    assert re.search(r"<link|<iframe|<object|<embed|@import|url\(", markup, re.I) is None
    assert re.search(r"\s(?:src|href)=\"(?!data:|#)", markup) is None  # data: URIs, anchors
    code = [body for attributes, body in SCRIPT.findall(page) if "json" not in attributes]
    assert len(code) == 2
    assert code[0] == vega_script()
    assert "vegaEmbed(" in code[1]
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    assert policy.group(1).startswith("default-src 'none';")  # the browser fetches nothing


def test_the_static_page_has_no_script_and_every_chart_as_an_inline_svg(
    static_page: str,
) -> None:
    assert re.search(r"<script|<link|<iframe|@import", static_page, re.IGNORECASE) is None
    assert re.search(r'src="(?!data:)', static_page) is None
    images = SVG_URI.findall(static_page)
    assert len(images) == len(FIGURES)
    for encoded in images:
        svg = base64.b64decode(encoded)
        assert svg.startswith(b"<svg")
        assert len(svg) > 2_000
        assert re.search(rb'(href|src)="https?:', svg) is None
    assert "<noscript>" not in static_page
    assert "Hover over a mark" not in static_page  # no hint of what only scripts can do


def test_the_interactive_page_embeds_each_chart_as_a_vega_lite_spec(page: str) -> None:
    specs = SPEC.findall(page)
    assert len(specs) == len(FIGURES)
    for spec_id, text in specs:
        assert f'data-spec="{spec_id}"' in page
        assert "</" not in text
        spec = json.loads(text)
        assert "$schema" not in spec  # no URL vega-embed could fetch
        assert spec["datasets"]  # the data travels inside the page
    for anchor in FIGURES:
        assert f'<figure id="{anchor}">' in page
    assert "<noscript>" in page and "--static" in page


def test_names_cannot_break_out_of_the_page(frames: ChatFrames) -> None:
    sender = frames.messages.get_column("sender_id")[0]
    page = render_report(frames, names={sender: "</script><b>Eve</b>"})
    assert "</script><b>" not in page
    assert "&lt;/script&gt;&lt;b&gt;Eve&lt;/b&gt;" in page  # in the tables
    assert "\\u003c/script\\u003e\\u003cb\\u003eEve" in page  # in the chart specs


def test_the_page_is_the_same_each_time(frames: ChatFrames, page: str) -> None:
    assert (
        render_report(frames, tz="Europe/Paris", title="Team <chat> & co", names=demo_names())
        == page
    )


# --------------------------------------------------------------------------- the tables


def test_people_are_rows_and_metrics_are_columns_under_headings(
    page: str, frames: ChatFrames
) -> None:
    names = demo_names()
    for sender in frames.messages.get_column("sender_id").unique().to_list():
        assert f'title="{sender}">{html.escape(names[sender])}' in page
    assert f"{names[next(iter(names))]} (you)</span>" in page  # the connected account
    for heading in (
        "Volume",
        "Tenure",
        "Attachments and reactions",
        "Conversations",
        "Responsiveness",
        "Rhythm",
        "Read receipts",
        "Content",
    ):
        assert f"<h2>{heading}</h2>" in page
    shown = headers(page)
    wanted = [*METRIC_DEFINITIONS, *RECEIPT_METRICS, *CONTENT_METRICS]
    assert {m for m in wanted if m not in IDS} <= set(shown)
    for metric in set(shown):
        assert f"<dt><code>{metric}</code>" in page  # and in the definitions


def test_a_header_shows_a_label_and_its_definition_on_hover(page: str) -> None:
    definition = html.escape(METRIC_DEFINITIONS["share_of_messages"], quote=True)
    assert f'<abbr title="share_of_messages: {definition}">share of messages</abbr>' in page


def test_the_counts_are_explained(frames: ChatFrames, page: str) -> None:
    messages = frames.messages
    events = int(messages.get_column("is_event").sum())
    written = messages.height - events
    assert f"{written:,} messages ({messages.height:,} items fetched; {events:,} events" in page
    people = messages.get_column("sender_id").n_unique()
    assert f"{people} people in 1 chat," in page


def test_people_of_several_chats_count_once() -> None:
    chats = demo_chats(2, 300)
    frames = frames_from_pages(pages_of([m for items in chats.values() for m in items]))
    memberships = frames.messages.select("chat_id", "sender_id").unique().height
    people = frames.messages.get_column("sender_id").n_unique()
    assert people < memberships  # some people are in both chats
    page = render_report(frames, static=True)
    assert f"{people} people in 2 chats ({memberships} chat memberships" in page
    assert page.count('<tr class="chat"><th colspan=') >= 2 * 6  # each table, per chat
    assert "Who reads whom in chat chat_demo_2" in page


def test_a_wide_who_reads_whom_is_split_into_tables_that_fit(frames: ChatFrames) -> None:
    index = pl.int_range(pl.len()) % 12
    ids = pl.lit(pl.Series([f"ACoAA{i:02d}Xq7LmN4pR8sT1vW3yZ5bC6dF9ghJ" for i in range(12)]))
    messages = frames.messages.with_columns(
        sender_id=ids.gather(index), sender_attendee_id=pl.format("att_x{}", index)
    )
    readers = frames.seen_by.with_columns(
        attendee_id=pl.format("att_x{}", pl.int_range(pl.len()) % 12)
    )
    page = render_report(frames.replace(messages=messages, seen_by=readers), static=True)
    assert "Who reads whom (readers 1-8 of 12)" in page
    assert "Who reads whom (readers 9-12 of 12)" in page


def test_a_report_of_three_tables_says_it_has_no_receipts(frames: ChatFrames) -> None:
    tables = {name: frames[name] for name in ("messages", "attachments", "reactions")}
    page = render_report(tables, static=True)
    assert "No seen_by table was given: no read receipts." in page
    assert "<h2>Content</h2>" in page


def test_empty_chat_gives_a_page_that_says_so() -> None:
    page = render_report(ChatFrames.empty(), static=True)
    assert "No messages: nothing to count." in page
    assert "No messages." in page
    assert len(SVG_URI.findall(page)) == len(FIGURES)


def test_title_is_escaped(page: str) -> None:
    assert "<title>Team &lt;chat&gt; &amp; co</title>" in page
    assert "<chat>" not in page


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
        ("top_emoji", [{"value": "👍", "count": 1200}], "👍\u00a0(1,200)"),
        ("top_domains", [], "\u2013"),
    ],
)
def test_cells_are_formatted_for_reading(column: str, value: object, shown: str) -> None:
    assert format_value(column, value) == shown


def test_durations_show_their_two_largest_units() -> None:
    assert format_duration(timedelta(seconds=4325)) == "1 h 12 min"
    assert format_duration(timedelta(hours=24)) == "1 d"
    assert format_duration(timedelta(seconds=1.5)) == "1.5 s"


# --------------------------------------------------------------------------- read once


def same_page(one: str, other: str) -> bool:
    """Whether two static pages are the same, up to the ids vl-convert numbers per process."""

    def images(page: str) -> list[str]:
        svgs = (base64.b64decode(encoded).decode() for encoded in SVG_URI.findall(page))
        return [re.sub(r"gradient_\d+", "gradient", svg) for svg in svgs]

    return SVG_URI.sub("", one) == SVG_URI.sub("", other) and images(one) == images(other)


@pytest.mark.parametrize("static", [False, True], ids=["interactive", "static"])
def test_a_report_of_lazy_tables_reads_each_table_once(
    frames: ChatFrames, static: bool, page: str, static_page: str
) -> None:
    counter = ScanCounter(frames)
    options = {"title": "Team <chat> & co"} if not static else {}
    lazy_page = render_report(
        counter.frames, tz="Europe/Paris", names=demo_names(), static=static, **options
    )
    assert same_page(lazy_page, static_page if static else page)
    assert counter.reads == {"messages": 1, "attachments": 1, "reactions": 1, "seen_by": 1}


def test_write_report_names_a_path_of_the_wrong_type(frames: ChatFrames) -> None:
    with pytest.raises(ArgumentTypeError, match="path must be a path") as caught:
        write_report(frames, 123)  # type: ignore[arg-type]
    assert caught.value.argument == "path"


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"title": 7}, "title"),
        ({"tz": None}, "tz"),
        ({"session_gap": 30}, "session_gap"),
        ({"response_cap": "1d"}, "response_cap"),
        ({"names": ["Ada"]}, "names"),
        ({"static": "yes"}, "static"),
    ],
)
def test_report_options_of_the_wrong_type_are_named(
    options: dict[str, object], argument: str
) -> None:
    with pytest.raises(ArgumentTypeError) as caught:
        render_report(ChatFrames.empty(), **options)  # type: ignore[arg-type]
    assert caught.value.argument == argument


def test_bad_names_are_refused_before_any_table_is_read(frames: ChatFrames) -> None:
    counter = ScanCounter(frames)
    names = pl.DataFrame({"sender_id": ["a", "a"], "name": ["Ada", "Bob"]})
    with pytest.raises(ConfigurationError, match="has two names"):
        render_report(counter.frames, names=names)
    assert counter.reads == {}


# --------------------------------------------------------------------------- what it replaces


def test_the_page_is_marked_as_ours(page: str, static_page: str) -> None:
    for each in (page, static_page):
        head = each[: each.index("</head>")]
        assert '<meta name="generator" content="postpress-frames">' in head[:4096]


def test_write_report_writes_utf8_html(frames: ChatFrames, tmp_path: Path) -> None:
    path = write_report(frames, tmp_path / "out" / "report.html", tz="UTC", static=True)
    assert path == tmp_path / "out" / "report.html"
    text = path.read_text(encoding="utf-8")
    assert text.rstrip().endswith("</html>")
    assert "Times in UTC" in text


def test_write_report_replaces_an_earlier_report(tmp_path: Path) -> None:
    path = write_report(ChatFrames.empty(), tmp_path / "report.html", title="First")
    write_report(ChatFrames.empty(), path, title="Second", static=True)
    assert "<title>Second</title>" in path.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left


@pytest.mark.parametrize(
    "content",
    [
        b"<!doctype html><html><head><title>My notes</title></head></html>",
        b"not html at all",
        b"",
        # A report without the mark (as earlier versions wrote them) is not recognised either.
        b'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Sender',
    ],
    ids=["someone's page", "a text file", "an empty file", "an unmarked page"],
)
def test_write_report_refuses_a_file_it_did_not_write(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_bytes(content)
    with pytest.raises(StorageError, match="not written by postpress-frames") as caught:
        write_report(ChatFrames.empty(), path)
    assert caught.value.path == str(path)
    assert path.read_bytes() == content
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_report_refuses_a_folder(tmp_path: Path) -> None:
    (tmp_path / "report.html").mkdir()
    with pytest.raises(StorageError, match="is a folder"):
        write_report(ChatFrames.empty(), tmp_path / "report.html")


def test_a_refused_report_reads_no_table(frames: ChatFrames, tmp_path: Path) -> None:
    (tmp_path / "report.html").write_text("mine")
    counter = ScanCounter(frames)
    with pytest.raises(StorageError):
        write_report(counter.frames, tmp_path / "report.html")
    assert counter.reads == {}
