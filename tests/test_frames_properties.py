"""Properties of frames_from_pages on Hypothesis-generated pages."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postpress_frames._exceptions import SchemaValidationError
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from tests.strategies import FLAGS, Chat, chat_pages, message_key, messages

# Generating a page is the slow part: few, rich examples keep the file fast.
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def build(pages: list[Any], **kwargs: Any) -> ChatFrames:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # generated data is documented data: no warning
        return frames_from_pages(pages, **kwargs)


def attachments_of(item: dict[str, Any]) -> list[tuple[bool, dict[str, Any]]]:
    quoted = item.get("quoted") or {}
    own = [(False, a) for a in item["attachments"]]
    return own + [(True, a) for a in quoted.get("attachments") or []]


def parse_ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@SETTINGS
@given(chat_pages())
def test_invariants(chat: Chat) -> None:
    frames = build(chat.pages)
    check_one_row_per_message_id_first_fetched_wins(chat, frames)
    check_messages_sorted_by_timestamp_then_id(frames)
    check_children_count_the_lists_of_kept_messages(chat, frames)
    check_children_values_match_their_message(chat, frames)
    check_optional_fields_null_exactly_when_absent_or_null(chat, frames)
    check_dtypes_never_depend_on_the_data(frames)


def check_one_row_per_message_id_first_fetched_wins(chat: Chat, frames: ChatFrames) -> None:
    expected = {message_key(item): item for item in chat.kept}
    assert sorted(frames.messages["id"].to_list()) == sorted(expected)
    for row in frames.messages.iter_rows(named=True):
        item = expected[row["id"]]
        assert row["text"] == item["text"]
        assert row["timestamp"] == parse_ts(item["timestamp"])
        assert row["provider_id"] == item["provider_id"]
        for flag in FLAGS:
            assert row[flag] is (item[flag] == 1)


def check_messages_sorted_by_timestamp_then_id(frames: ChatFrames) -> None:
    messages = frames.messages
    assert messages.equals(messages.sort("timestamp", "id"))


def check_children_count_the_lists_of_kept_messages(chat: Chat, frames: ChatFrames) -> None:
    attachments = [a for item in chat.kept for a in attachments_of(item)]
    assert frames.attachments.height == len(attachments)
    assert frames.attachments["quoted"].sum() == sum(quoted for quoted, _ in attachments)
    assert frames.reactions.height == sum(len(item["reactions"]) for item in chat.kept)
    assert frames.seen_by.height == sum(len(item["seen_by"]) for item in chat.kept)
    per_message = frames.attachments.group_by("message_id").len()
    for message_id, count in per_message.iter_rows():
        item = next(i for i in chat.kept if message_key(i) == message_id)
        assert count == len(attachments_of(item))


def check_children_values_match_their_message(chat: Chat, frames: ChatFrames) -> None:
    by_id = {message_key(item): item for item in chat.kept}
    for row in frames.attachments.iter_rows(named=True):
        source = [
            a for quoted, a in attachments_of(by_id[row["message_id"]]) if quoted is row["quoted"]
        ]
        attachment = source[row["position"]]
        assert row["id"] == attachment["id"]
        assert row["type"] == attachment["type"]
        assert row["unavailable"] is attachment["unavailable"]
        assert row["width"] == (attachment.get("size") or {}).get("width")
        assert row["file_size"] == attachment.get("file_size")
        expires = attachment.get("url_expires_at")
        if expires is None:
            assert row["url_expires_at"] is None
        else:
            seconds = expires / 1000 if expires >= 10**11 else expires
            assert row["url_expires_at"].timestamp() == seconds
    for row in frames.reactions.iter_rows(named=True):
        reaction = by_id[row["message_id"]]["reactions"][row["position"]]
        assert (row["value"], row["sender_id"], row["is_sender"]) == (
            reaction["value"],
            reaction["sender_id"],
            reaction["is_sender"],
        )
    for row in frames.seen_by.iter_rows(named=True):
        value = by_id[row["message_id"]]["seen_by"][row["attendee_id"]]
        if isinstance(value, bool):
            assert (row["seen"], row["seen_at"]) == (value, None)
        else:
            assert (row["seen"], row["seen_at"]) == (True, parse_ts(value))


@settings(SETTINGS, max_examples=8)  # validation costs ~0.1 s per call
@given(chat_pages(), st.booleans())
def test_bytes_and_dicts_give_equal_valid_frames(chat: Chat, include_original: bool) -> None:
    raw = [json.dumps(page).encode() for page in chat.pages]
    frames = build(raw, include_original=include_original)
    assert frames == build(chat.pages, include_original=include_original)
    assert ("original" in frames.messages.columns) is include_original
    frames.validate()


def check_optional_fields_null_exactly_when_absent_or_null(chat: Chat, frames: ChatFrames) -> None:
    messages = frames.messages
    by_id = {message_key(item): item for item in chat.kept}
    for column in ("event_type", "replies", "parent", "subject", "message_type", "sender_urn"):
        for message_id, value in messages.select("id", column).iter_rows():
            assert value == by_id[message_id].get(column)
    for message_id, reply_to_id in messages.select("id", "reply_to_id").iter_rows():
        assert reply_to_id == (by_id[message_id].get("reply_to") or {}).get("id")


# sender_attendee_id is required on the spec page but kept as a null (schemas.RELAXED).
REQUIRED = [
    "provider_id",
    "account_id",
    "chat_id",
    "chat_provider_id",
    "sender_id",
    "timestamp",
    *FLAGS,
]


@settings(SETTINGS, max_examples=8)
@given(messages("m1"), st.sampled_from(REQUIRED), st.booleans())
def test_missing_required_field_is_reported_by_validate(
    item: dict[str, Any], field: str, absent: bool
) -> None:
    if absent:
        del item[field]
    else:
        item[field] = None
    frames = build([{"items": [item]}])
    assert frames.messages[field].null_count() == 1
    with pytest.raises(SchemaValidationError) as caught:
        frames.validate()
    failure = next(f for f in caught.value.failures if f.column == field)
    assert failure.check == "not_nullable"
    assert list(failure.message_ids) == ["m1"]


def check_dtypes_never_depend_on_the_data(frames: ChatFrames) -> None:
    empty = ChatFrames.empty()
    for name in frames:
        assert frames[name].schema == empty[name].schema
        assert not any(dtype == pl.Null for dtype in frames[name].schema.values())
