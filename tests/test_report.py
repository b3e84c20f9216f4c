"""The HTML report: one offline page with the statistics table and every chart."""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.io.plugins import register_io_source

from postpress_frames._exceptions import ArgumentTypeError, StorageError
from postpress_frames.analysis.display import format_duration
from postpress_frames.analysis.report import _format, render_report, write_report
from postpress_frames.analysis.stats import METRIC_DEFINITIONS
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.testing.demo_chat import demo_chat

SVG_URI = re.compile(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')


class ScanCounter:
    """LazyFrames over in-memory tables that count how often each table is read."""

    def __init__(self, tables: Mapping[str, pl.DataFrame]) -> None:
        self.reads: Counter[str] = Counter()
        self.frames = {name: self._source(name, table) for name, table in tables.items()}

    def _source(self, name: str, table: pl.DataFrame) -> pl.LazyFrame:
        def read(
            with_columns: list[str] | None,
            predicate: pl.Expr | None,
            n_rows: int | None,
            batch_size: int | None,
        ) -> Iterator[pl.DataFrame]:
            self.reads[name] += 1
            rows = table if with_columns is None else table.select(with_columns)
            if predicate is not None:
                rows = rows.filter(predicate)
            yield rows if n_rows is None else rows.head(n_rows)

        return register_io_source(read, schema=table.schema)


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
        if metric not in ("chat_id", "sender_id", "sender_name", "is_sender"):
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
    assert format_duration(timedelta(seconds=4325)) == "1 h 12 min"
    assert format_duration(timedelta(hours=24)) == "1 d"
    assert format_duration(timedelta(seconds=1.5)) == "1.5 s"


def same_page(one: str, other: str) -> bool:
    """Whether two pages are the same, up to the ids vl-convert numbers per process."""

    def images(page: str) -> list[str]:
        svgs = (base64.b64decode(encoded).decode() for encoded in SVG_URI.findall(page))
        return [re.sub(r"gradient_\d+", "gradient", svg) for svg in svgs]

    return SVG_URI.sub("", one) == SVG_URI.sub("", other) and images(one) == images(other)


def test_a_report_of_lazy_tables_reads_each_table_once(frames: ChatFrames, page: str) -> None:
    counter = ScanCounter(frames)
    lazy_page = render_report(counter.frames, tz="Europe/Paris", title="Team <chat> & co")
    assert same_page(lazy_page, page)
    assert counter.reads == {"messages": 1, "attachments": 1, "reactions": 1}


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
    ],
)
def test_report_options_of_the_wrong_type_are_named(
    options: dict[str, object], argument: str
) -> None:
    with pytest.raises(ArgumentTypeError) as caught:
        render_report(ChatFrames.empty(), **options)  # type: ignore[arg-type]
    assert caught.value.argument == argument


# --------------------------------------------------------------------------- what it replaces


def test_the_page_is_marked_as_ours(page: str) -> None:
    head = page[: page.index("</head>")]
    assert '<meta name="generator" content="postpress-frames">' in head


def test_write_report_replaces_an_earlier_report(tmp_path: Path) -> None:
    path = write_report(ChatFrames.empty(), tmp_path / "report.html", title="First")
    write_report(ChatFrames.empty(), path, title="Second")
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
