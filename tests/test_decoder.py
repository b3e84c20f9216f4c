"""The strict decoder and the grouped build (issue 15): a page the decoder takes is one the
screen's grammar matches, so skipping the grammar there changes nothing a build returns,
raises or warns; and the tables built group by group are the tables built at once."""

from __future__ import annotations

import copy
import json
import random
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postpress_frames._exceptions import InvalidResponseError
from postpress_frames.api.page import Page
from postpress_frames.tables import reader as reader_module
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.decoder import decodes
from postpress_frames.tables.screen import unmatched
from postpress_frames.tables.wire import ITEM_FIELDS
from postpress_frames.testing import demo_chat
from tests.strategies import chat_pages, full_message, page_of

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "0", "1", "true", "12", "2026-05-17T09:42:11.000Z", "x"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
#: Where a drawn value goes: an item's own key (listed or not), or one of its objects'.
PATHS = [
    *[(key,) for key in ITEM_FIELDS],
    ("pinned",),
    ("attachments", 0, "size", "width"),
    ("attachments", 0, "blurhash"),
    ("attachments", 0, "duration"),
    ("quoted", "text"),
    ("quoted", "attachments", 0, "file_size"),
    ("reply_to", "timestamp"),
    ("reply_to", "novel"),
    ("reactions", 0, "is_sender"),
    ("reactions", 0, "emoji"),
    ("seen_by", "att_1"),
]


def _put(message: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    target: Any = message
    for step in path[:-1]:
        try:
            target = target[step]
        except (KeyError, IndexError, TypeError):
            return  # the message has no such object: nothing to change
    if isinstance(target, dict) or (isinstance(target, list) and isinstance(path[-1], int)):
        try:
            target[path[-1]] = value
        except IndexError:
            return


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """A page body, valid or broken in a few places, serialised one way or another."""
    chat = draw(chat_pages(max_messages=4))
    page = copy.deepcopy(chat.pages[0]) if chat.pages else {"items": [], "cursor": None}
    for _ in range(draw(st.integers(0, 3))):
        if page["items"]:
            message = page["items"][draw(st.integers(0, len(page["items"]) - 1))]
            _put(message, draw(st.sampled_from(PATHS)), draw(json_values))
    if draw(st.booleans()):
        page[draw(st.sampled_from(["total", "cursor", "object"]))] = draw(json_values)
    text = json.dumps(
        page, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1]))
    )
    edit = draw(st.sampled_from(["", '"behavior"', '"seen_by"', '"text"', '"id"']))
    if edit and edit in text:
        choice = draw(st.sampled_from(["escape", "twice", "space"]))
        if choice == "escape":
            text = text.replace(edit, edit.replace("e", "\\u0065"), 1)
        elif choice == "twice":
            text = text.replace(f"{edit}: ", f"{edit}: null, {edit}: ", 1)
        else:
            text = text.replace(f"{edit}:", f"{edit} :", 1)
    return text.encode()


def test_the_grammar_decides_where_the_decoder_is_stricter() -> None:
    body = json.dumps(page_of(full_message(id="m1", hidden=2))).encode()
    assert not decodes(body)
    assert unmatched([(1, body)]) == []  # a number in a flag: the flag's own check names it
    with pytest.raises(InvalidResponseError, match=r"expected 0, 1, true or false, got 2") as info:
        frames_from_pages([body])
    assert (info.value.page, info.value.field, info.value.message_id) == (1, "hidden", "m1")


def _outcome(pages: list[Any], **kwargs: Any) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frames = frames_from_pages(pages, **kwargs)
            result: Any = (dict(frames.items()), frames.rejects)
        except InvalidResponseError as error:
            result = (str(error), error.page, error.field, error.message_id)
    return result, [f"{w.category.__name__}: {w.message}" for w in caught]


def _same(left: Any, right: Any) -> bool:
    if isinstance(left[0], dict) != isinstance(right[0], dict):
        return False
    if isinstance(left[0], dict):
        tables, rejects = left
        return all(tables[name].equals(right[0][name]) for name in tables) and rejects.equals(
            right[1]
        )
    return bool(left == right)


def _escaped(message: dict[str, Any]) -> bytes:
    return json.dumps(page_of(message)).replace('"chat_id"', '"ch\\u0061t_id"').encode()


def _tricky() -> dict[str, list[Any]]:
    def body(*items: dict[str, Any]) -> bytes:
        return json.dumps(page_of(*items)).encode()

    valid = body(full_message(id="m0"), full_message(id="m9"))
    no_id = full_message(id="x")
    del no_id["id"]
    coerced = body(full_message(id="f", behavior=1.5))
    duplicated = json.dumps(page_of(full_message(id="d"))).replace(
        '"seen_by": {', '"seen_by": {"att_0": "2026-05-17T09:42:11.000Z"}, "seen_by": {'
    )
    odd_receipt = full_message(id="x", seen_by={"behavior": 1.5})  # reads as "1.5": its check
    del odd_receipt["id"]
    return {
        "escaped key": [valid, _escaped(full_message(id="e"))],
        "a number in seen_by and no id, then a wrong type": [body(odd_receipt), coerced],
        "escaped key and no id, then a wrong type": [_escaped(no_id), coerced],
        "a wrong type, then an escaped key and no id": [coerced, _escaped(no_id)],
        "escaped key and no id, then a bad flag": [_escaped(no_id), body(full_message(hidden=3))],
        "escaped key, an empty id the Page leaves out": [
            Page(
                number=1, items=[], cursor=None, raw=_escaped(full_message(id="")), new_positions=()
            ),
            valid,
        ],
        "a key twice": [duplicated.encode(), valid],
        "a number in text": [valid, body(full_message(id="t", text=5))],
        "a text that reads as a number": [body(full_message(id="t", text="12")), valid],
        "a boolean in original": [body(full_message(id="o", original=True)), valid],
        "unlisted fields": [body(full_message(id="u", pinned=True)), valid],
        "a flag out of range": [valid, body(full_message(id="h", seen=2))],
    }


@pytest.mark.parametrize("on_invalid", ["raise", "quarantine"])
@pytest.mark.parametrize("case", list(_tricky()))
def test_the_decoder_changes_nothing_a_build_returns_raises_or_warns(
    monkeypatch: pytest.MonkeyPatch, case: str, on_invalid: str
) -> None:
    pages = _tricky()[case]
    with_decoder = _outcome(pages, on_invalid=on_invalid)
    monkeypatch.setattr(reader_module, "decodes", lambda raw: False)  # the grammar screens all
    with_grammar = _outcome(pages, on_invalid=on_invalid)
    assert _same(with_decoder[0], with_grammar[0]), (with_decoder[0], with_grammar[0])
    assert with_decoder[1] == with_grammar[1]


def test_an_escaped_key_on_a_page_without_ids_is_named_before_a_later_wrong_type() -> None:
    pages = _tricky()["escaped key and no id, then a wrong type"]
    result, _ = _outcome(pages)
    assert result[1] == 1 and "neither 'id' nor 'message_id'" in result[0]


def _pages(messages: list[dict[str, Any]], size: int) -> list[bytes]:
    return [
        json.dumps({"items": messages[i : i + size], "cursor": None}).encode()
        for i in range(0, len(messages), size)
    ]


@pytest.mark.parametrize("order", ["newest first", "shuffled", "with repeats"])
def test_tables_built_group_by_group_are_the_tables_built_at_once(
    monkeypatch: pytest.MonkeyPatch, order: str
) -> None:
    messages = demo_chat(600, seed=3)  # newest first, as the API sends them
    if order == "shuffled":
        random.Random(1).shuffle(messages)
    if order == "with repeats":  # a repeated id, other contents: the first fetched wins
        messages += [dict(messages[5], text="later copy"), dict(messages[400], seen=0)]
    pages = _pages(messages, 20)
    at_once = frames_from_pages(pages)
    monkeypatch.setattr(reader_module, "GROUP_BYTES", 30_000)  # a few pages a group
    monkeypatch.setattr(reader_module, "READ_BYTES", 8_000)
    assert frames_from_pages(pages) == at_once
    assert at_once.messages.get_column("timestamp").is_sorted()
    assert at_once.messages.height == 600


@st.composite
def fetched(draw: st.DrawFn) -> list[Any]:
    """One to three page bodies, some as Pages that keep only some of their messages."""
    pages: list[Any] = []
    for body in draw(st.lists(bodies(), min_size=1, max_size=3)):
        try:
            size = len(json.loads(body)["items"])
        except (ValueError, KeyError, TypeError):
            size = -1
        if size >= 0 and draw(st.booleans()):
            keep = tuple(i for i in range(size) if draw(st.booleans()))
            pages.append(Page(number=1, items=[], cursor=None, raw=body, new_positions=keep))
        else:
            pages.append(body)
    return pages


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fetched(), st.sampled_from(["raise", "quarantine"]))
def test_whichever_screens_a_page_the_build_is_the_same(pages: list[Any], on_invalid: str) -> None:
    with_decoder = _outcome(pages, on_invalid=on_invalid)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader_module, "decodes", lambda raw: False)  # the grammar screens all
        with_grammar = _outcome(pages, on_invalid=on_invalid)
    assert _same(with_decoder[0], with_grammar[0]), (with_decoder[0], with_grammar[0])
    assert with_decoder[1] == with_grammar[1]
