"""The demo chat generator: deterministic, newest first, and covering the whole spec page."""

from __future__ import annotations

import itertools
import json
import random
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError
from postpress_frames.testing import demo_names as exported_demo_names
from postpress_frames.testing._messages import build
from postpress_frames.testing._timeline import cast, timeline
from postpress_frames.testing.demo_chat import (
    DEFAULT_END,
    DEMO_ACCOUNT_ID,
    demo_chat,
    demo_chats,
    demo_names,
    format_timestamp_ms,
    messages_after,
)

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")

# The spec page's item fields: required ones, optional ones, and nullable ones.
REQUIRED = {
    "id", "provider_id", "account_id", "chat_id", "chat_provider_id", "sender_id",
    "sender_attendee_id", "timestamp", "text", "is_sender", "attachments", "reactions",
    "seen", "seen_by", "hidden", "deleted", "edited", "is_event", "delivered", "behavior",
    "original",
}  # fmt: skip
OPTIONAL = {
    "message_id", "quoted", "is_forwarded", "event_type", "replies", "reply_by", "parent",
    "subject", "message_type", "attendee_type", "attendee_distance", "sender_urn", "reply_to",
}  # fmt: skip
NULLABLE = {"text", "behavior", "subject"}
FLAGS = ("is_sender", "seen", "hidden", "deleted", "edited", "is_event", "delivered")
COMMON_ATTACHMENT = {"id", "type", "unavailable"}
VARIANT_REQUIRED = {
    "img": {"size", "sticker"},
    "video": {"size", "gif"},
    "audio": {"voice_note"},
    "file": {"file_name"},
    "linkedin_post": set(),
    "video_meeting": {"starts_at", "expires_at", "time_range"},
}
EPOCH_MS = 100_000_000_000  # values at or above are milliseconds


@pytest.fixture(scope="module")
def chat() -> list[dict[str, Any]]:
    return demo_chat(600, seed=3)


def all_attachments(chat: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [a for m in chat for a in m["attachments"]]
    return found + [a for m in chat if "quoted" in m for a in m["quoted"]["attachments"]]


def test_same_arguments_give_the_same_chat() -> None:
    assert demo_chat(300, seed=5) == demo_chat(300, seed=5)
    assert demo_chat(300, seed=5) != demo_chat(300, seed=6)
    assert demo_chat(50, chat_id="chat_a")[0]["id"] != demo_chat(50, chat_id="chat_b")[0]["id"]


def test_messages_are_json_ready(chat: list[dict[str, Any]]) -> None:
    assert json.loads(json.dumps(chat, allow_nan=False)) == chat


def test_messages_are_newest_first_with_unique_ids(chat: list[dict[str, Any]]) -> None:
    stamps = [m["timestamp"] for m in chat]
    assert stamps == sorted(stamps, reverse=True)
    ids = [m["id"] for m in chat]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("msg_") for i in ids)
    assert all(m["message_id"] == m["id"] for m in chat if "message_id" in m)


def test_some_messages_share_a_millisecond() -> None:
    counts = Counter(m["timestamp"] for m in demo_chat(5000, seed=1))
    assert max(counts.values()) >= 2


def test_timestamps_are_strict_utc_milliseconds(chat: list[dict[str, Any]]) -> None:
    for m in chat:
        assert TIMESTAMP.fullmatch(m["timestamp"]), m["id"]
        if "reply_to" in m:
            assert TIMESTAMP.fullmatch(m["reply_to"]["timestamp"]), m["id"]
        for value in m["seen_by"].values():
            assert isinstance(value, bool) or TIMESTAMP.fullmatch(value), m["id"]


def test_every_message_is_strictly_before_end() -> None:
    end = datetime(2025, 3, 1, 12, tzinfo=UTC)
    chat = demo_chat(200, end=end)
    newest = datetime.fromisoformat(chat[0]["timestamp"])
    assert end - timedelta(days=1) <= newest < end
    assert demo_chat(10)[0]["timestamp"] < format_timestamp_ms(int(DEFAULT_END.timestamp() * 1000))


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="n_messages"):
        demo_chat(-1)
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        demo_chat(5, end=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="chat_id"):
        demo_chat(5, chat_id="")
    assert demo_chat(0) == []


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: demo_chat(-1), ConfigurationError),
        (lambda: demo_chat("5"), ArgumentTypeError),
        (lambda: demo_chat(5, seed="x"), ArgumentTypeError),
        (lambda: demo_chat(5, end="2026-01-01"), ArgumentTypeError),
        (lambda: demo_chat(5, end=datetime(2026, 1, 1)), ConfigurationError),
        (lambda: demo_chats(0), ConfigurationError),
        (lambda: demo_chats(2, account_id=7), ArgumentTypeError),
        (lambda: messages_after("not messages", 2), ArgumentTypeError),
        (lambda: demo_names(7), ArgumentTypeError),
        (lambda: demo_names(account_id=None), ArgumentTypeError),
        (lambda: demo_names(""), ConfigurationError),
    ],
)
def test_bad_arguments_are_configuration_errors(call: Any, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        call()
    assert type(caught.value) is error


def test_every_spec_field_appears(chat: list[dict[str, Any]]) -> None:
    seen_keys = Counter(key for m in chat for key in m)
    for field in REQUIRED:
        assert seen_keys[field] == len(chat), field
    for field in OPTIONAL:
        assert 0 < seen_keys[field] < len(chat), field
    assert set(seen_keys) == REQUIRED | OPTIONAL | {"object"}
    for field in NULLABLE:
        values = [m[field] for m in chat if field in m]
        assert None in values, field
        assert any(v is not None for v in values), field


def test_flags_are_zero_or_one_and_each_takes_both_values(chat: list[dict[str, Any]]) -> None:
    for flag in FLAGS:
        assert {m[flag] for m in chat} == {0, 1}, flag


def test_documented_value_sets(chat: list[dict[str, Any]]) -> None:
    assert {m["message_type"] for m in chat if "message_type" in m} <= {
        "MESSAGE", "INVITATION", "INMAIL", "INMAIL_DECLINE", "INMAIL_REPLY", "INMAIL_ACCEPT",
    }  # fmt: skip
    assert {m["attendee_type"] for m in chat if "attendee_type" in m} <= {
        "MEMBER",
        "ORGANIZATION",
        "OTHER",
    }
    assert {m["attendee_distance"] for m in chat if "attendee_distance" in m} <= {1, 2, 3, 4, -1}
    events = [m for m in chat if m["is_event"]]
    assert events
    assert all(0 <= m["event_type"] <= 13 for m in chat if "event_type" in m)
    assert any(m["text"] is None for m in events)


def test_all_six_attachment_variants_with_their_fields(chat: list[dict[str, Any]]) -> None:
    by_type = defaultdict(list)
    for attachment in all_attachments(chat):
        by_type[attachment["type"]].append(attachment)
        required = COMMON_ATTACHMENT | VARIANT_REQUIRED[attachment["type"]]
        assert required <= set(attachment), attachment
    assert set(by_type) == set(VARIANT_REQUIRED)
    assert {a["sticker"] for a in by_type["img"]} == {True, False}
    assert {a["gif"] for a in by_type["video"]} == {True, False}
    assert {a["voice_note"] for a in by_type["audio"]} == {True, False}
    assert all({"width", "height"} <= set(a["size"]) for a in by_type["img"] + by_type["video"])
    meetings = by_type["video_meeting"]
    for field in ("starts_at", "expires_at", "time_range"):
        assert any(a[field] is None for a in meetings), field
        assert any(a[field] is not None for a in meetings), field
    keys = Counter(k for a in all_attachments(chat) for k in a)
    for optional in ("file_size", "mimetype", "url", "url_expires_at"):
        assert 0 < keys[optional] < len(all_attachments(chat)), optional


def test_epoch_fields_come_in_seconds_and_in_milliseconds(chat: list[dict[str, Any]]) -> None:
    values = [
        a[f]
        for a in all_attachments(chat)
        for f in ("url_expires_at", "starts_at", "expires_at")
        if a.get(f) is not None
    ]
    assert all(isinstance(v, int) for v in values)
    assert any(v >= EPOCH_MS for v in values)
    assert any(v < EPOCH_MS for v in values)


def test_replies_and_quotes_point_at_earlier_messages(chat: list[dict[str, Any]]) -> None:
    position = {m["id"]: i for i, m in enumerate(chat)}
    replies = [m for m in chat if "reply_to" in m]
    assert replies
    for m in replies:
        target = chat[position[m["reply_to"]["id"]]]
        assert position[target["id"]] > position[m["id"]]  # older: later in the list
        for field in ("provider_id", "timestamp", "sender_attendee_id", "sender_id"):
            assert m["reply_to"][field] == target[field]
    assert any(m["reply_to"]["text"] is None for m in replies)
    quotes = [m["quoted"] for m in chat if "quoted" in m]
    assert any(q["attachments"] for q in quotes)
    assert any("message_id" in q for q in quotes) and any("message_id" not in q for q in quotes)
    for q in quotes:
        assert {"provider_id", "sender_id", "text", "attachments"} <= set(q)


def test_threads_count_their_replies(chat: list[dict[str, Any]]) -> None:
    children = Counter(m["parent"] for m in chat if "parent" in m)
    assert children
    by_id = {m["id"]: m for m in chat}
    for parent, count in children.items():
        assert by_id[parent]["replies"] == count
        assert by_id[parent]["reply_by"]


def test_reactions_and_both_kinds_of_read_receipts(chat: list[dict[str, Any]]) -> None:
    reactions = [r for m in chat for r in m["reactions"]]
    assert reactions
    assert all(isinstance(r["is_sender"], bool) and r["value"] for r in reactions)
    assert {r["is_sender"] for r in reactions} == {True, False}
    receipts = [v for m in chat for v in m["seen_by"].values()]
    assert any(isinstance(v, str) for v in receipts)
    assert any(v is True for v in receipts) and any(v is False for v in receipts)


def test_deleted_messages_have_no_text(chat: list[dict[str, Any]]) -> None:
    deleted = [m for m in chat if m["deleted"]]
    assert deleted and all(m["text"] is None for m in deleted)


def test_senders_are_stable_and_one_of_them_is_the_account(chat: list[dict[str, Any]]) -> None:
    attendee = defaultdict(set)
    is_sender = defaultdict(set)
    for m in chat:
        attendee[m["sender_id"]].add(m["sender_attendee_id"])
        is_sender[m["sender_id"]].add(m["is_sender"])
    assert 4 <= len(attendee) <= 5
    assert all(len(ids) == 1 for ids in attendee.values())
    assert all(len(flags) == 1 for flags in is_sender.values())
    assert sum(flags == {1} for flags in is_sender.values()) == 1


def test_conversations_are_bursts_separated_by_silences() -> None:
    times = [datetime.fromisoformat(m["timestamp"]) for m in demo_chat(2000, seed=2)]
    gaps = [newer - older for newer, older in itertools.pairwise(times)]
    assert sum(g < timedelta(minutes=2) for g in gaps) > len(gaps) / 3
    assert any(g > timedelta(days=1) for g in gaps)


def test_text_has_accents_cjk_rtl_and_zwj_emoji() -> None:
    text = " ".join(m["text"] or "" for m in demo_chat(2000, seed=4))
    assert re.search(r"[éèàçô]", text)
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text)
    assert re.search(r"[\u0600-\u06ff]", text)
    assert "\u200d" in text


def test_text_has_links_flags_skin_tones_and_three_question_marks() -> None:
    texts = [m["text"] for m in demo_chat(2000, seed=4) if m["text"]]
    text = "\n".join(texts)
    assert re.search(r"https://(docs\.google\.com|github\.com|youtu\.be|www\.linkedin\.com)/", text)
    assert re.search(r"(^|\s)www\.", text)  # a link without its scheme
    assert re.search(r"[\U0001F1E6-\U0001F1FF]{2}", text)  # a flag
    assert re.search(r"[\U0001F3FB-\U0001F3FF]", text)  # a skin tone
    assert any(t.count("http") >= 2 for t in texts)  # several links in one message
    assert any(t.startswith("http") and " " not in t for t in texts)  # a link alone
    assert {t[-1] for t in texts} >= {"?", "\uff1f", "\u061f"}


def test_the_text_generator_changes_texts_only() -> None:
    members = cast("chat_x", "acc_x")
    times, senders = timeline(random.Random(0), members, 400, 0)

    def built(dress_seed: int) -> list[dict[str, Any]]:
        return build(
            random.Random(1),
            members,
            times,
            senders,
            chat_id="chat_x",
            account_id="acc_x",
            cap_ms=None,
            dress=random.Random(dress_seed),
        )

    def without_text(message: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in message.items() if k not in ("text", "original")}
        for part in ("quoted", "reply_to"):
            if part in kept:
                kept[part] = {k: v for k, v in kept[part].items() if k != "text"}
        return kept

    first, second = built(1), built(2)
    assert [m["text"] for m in first] != [m["text"] for m in second]
    assert [without_text(m) for m in first] == [without_text(m) for m in second]


def test_demo_names_name_every_sender_of_every_demo_chat() -> None:
    assert exported_demo_names is demo_names
    for chat_id, messages in demo_chats(3, 400, seed=2).items():
        names = demo_names(chat_id)
        assert names == demo_names(chat_id, account_id=DEMO_ACCOUNT_ID)
        assert set(names) == {m["sender_id"] for m in messages}
        account = next(m["sender_id"] for m in messages if m["is_sender"])
        assert next(iter(names)) == account
        assert names[account] == "Léa Martin"
        assert len(set(names.values())) == len(names)
    other = demo_names(account_id="acc_other")
    assert set(other).isdisjoint(demo_names()) and "Léa Martin" in other.values()
    assert {m["sender_id"] for m in demo_chat(50, account_id="acc_other")} <= set(other)


def test_original_is_a_json_payload(chat: list[dict[str, Any]]) -> None:
    for m in chat[:100]:
        assert isinstance(json.loads(m["original"]), dict)


def test_demo_chats_have_distinct_ids_and_one_account() -> None:
    chats = demo_chats(3, 40, seed=1)
    assert list(chats) == ["chat_demo", "chat_demo_2", "chat_demo_3"]
    ids = [m["id"] for messages in chats.values() for m in messages]
    assert len(set(ids)) == len(ids) == 120
    assert {m["account_id"] for messages in chats.values() for m in messages} == {"acc_demo"}
    assert all(m["chat_id"] == cid for cid, messages in chats.items() for m in messages)


def test_messages_after_are_newer_and_new() -> None:
    chat = demo_chat(100, seed=1)
    new = messages_after(chat, 30, seed=2)
    assert len(new) == 30
    assert min(m["timestamp"] for m in new) > chat[0]["timestamp"]
    assert not {m["id"] for m in new} & {m["id"] for m in chat}
    assert {m["sender_id"] for m in new} <= {m["sender_id"] for m in chat}
    assert new == messages_after(chat, 30, seed=2)


def test_demo_data_builds_valid_frames() -> None:
    from postpress_frames.tables.build import frames_from_pages

    chat = demo_chat(400, seed=9)
    pages = [{"object": "MessageList", "items": chat[i : i + 100]} for i in range(0, 400, 100)]
    frames = frames_from_pages(pages)
    frames.validate()
    assert frames.messages.height == 400
