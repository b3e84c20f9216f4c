"""``ChatFrames._repr_html_`` (issue 14): what Jupyter shows of a bundle: each table's name,
row count and first rows (polars' own HTML), ``rejects`` when there are any, everything
escaped, ``original`` left out."""

from __future__ import annotations

import copy
from html.parser import HTMLParser

import pytest

from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import PREVIEW_ROWS, TABLE_NAMES, ChatFrames
from postpress_frames.testing import demo_chat

SCRIPT = "<script>alert(1)</script>"


class Tags(HTMLParser):
    """The start and end tags of a document, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []
        self.closed: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.opened.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.closed.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    tags.close()
    return tags


def sections(html: str) -> dict[str, str]:
    """Each table's ``<details>`` block, by the name in its summary."""
    out = {}
    for block in html.split("<details")[1:]:
        name = block.split("<code>", 1)[1].split("</code>", 1)[0]
        out[name] = block
    return out


@pytest.fixture(scope="module")
def frames() -> ChatFrames:
    items = copy.deepcopy(demo_chat(200))
    items[-1]["text"] = SCRIPT  # the oldest message: the first row of messages
    items[0]["hidden"] = "yes"  # set aside
    return frames_from_pages([{"items": items, "cursor": None}], on_invalid="quarantine")


def test_every_table_is_named_with_its_row_count(frames: ChatFrames) -> None:
    html = frames._repr_html_()
    blocks = sections(html)
    assert list(blocks) == [*TABLE_NAMES, "rejects"]
    for name in TABLE_NAMES:
        height = frames[name].height
        assert height > PREVIEW_ROWS
        assert f"</code>: {height:,} rows, the first {PREVIEW_ROWS} shown" in blocks[name]
    assert "</code>: 1 row</summary>" in blocks["rejects"]
    assert repr(frames) in html  # the one-line summary heads the block


def test_each_table_shows_its_first_rows(frames: ChatFrames) -> None:
    blocks = sections(frames._repr_html_())
    ids = frames.messages["id"].to_list()
    for message_id in ids[:PREVIEW_ROWS]:
        assert message_id in blocks["messages"]
    assert ids[PREVIEW_ROWS] not in blocks["messages"]
    assert f"shape: ({PREVIEW_ROWS}, " in blocks["messages"]  # polars' own table
    assert frames.rejects["message_id"][0] in blocks["rejects"]
    assert frames.seen_by["attendee_id"][0] in blocks["seen_by"]


def test_original_is_left_out_of_the_preview(frames: ChatFrames) -> None:
    blocks = sections(frames._repr_html_())
    assert "<th>original</th>" not in blocks["messages"]
    assert "original not shown" in blocks["messages"]
    assert "<th>text</th>" in blocks["messages"]


def test_the_text_of_messages_is_escaped(frames: ChatFrames) -> None:
    assert frames.messages["text"][0] == SCRIPT
    html = frames._repr_html_()
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "script" not in parsed(html).opened


def test_the_html_is_well_formed_and_holds_no_key(frames: ChatFrames) -> None:
    html = frames._repr_html_()
    tags = parsed(html)
    for tag in ("div", "details", "summary", "table", "code"):
        assert tags.opened.count(tag) == tags.closed.count(tag), tag
    assert tags.opened.count("details") == len(TABLE_NAMES) + 1
    assert "api_key" not in html


def test_empty_frames_render_every_table_and_no_rejects() -> None:
    html = ChatFrames.empty()._repr_html_()
    blocks = sections(html)
    assert list(blocks) == list(TABLE_NAMES)
    for name in TABLE_NAMES:
        assert "</code>: 0 rows" in blocks[name]
        assert "shape: (0, " in blocks[name]
    assert "<th>message_id</th>" in blocks["seen_by"]  # the columns, even without rows
    assert "rejects" not in html


def test_frames_without_original_say_nothing_of_it() -> None:
    frames = ChatFrames.empty(include_original=False)
    assert "original" not in frames._repr_html_()


def test_a_bundle_of_few_rows_shows_them_all() -> None:
    frames = frames_from_pages([{"items": demo_chat(3), "cursor": None}])
    blocks = sections(frames._repr_html_())
    assert "</code>: 3 rows; original not shown</summary>" in blocks["messages"]
    assert all(message_id in blocks["messages"] for message_id in frames.messages["id"])


def test_repr_is_unchanged(frames: ChatFrames) -> None:
    assert repr(frames) == (
        f"ChatFrames(messages={frames.messages.height}, attachments={frames.attachments.height}, "
        f"reactions={frames.reactions.height}, seen_by={frames.seen_by.height}, rejects=1)"
    )
