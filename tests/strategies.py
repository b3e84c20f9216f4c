"""Hypothesis strategies for postpress pages: every field present, absent or null.

Reusable by any test that needs realistic page bodies::

    @given(chat_pages())
    def test_something(chat): frames_from_pages(chat.pages) ...

``ABSENT`` marks a key left out of the JSON object; :func:`drop_absent` removes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from hypothesis import strategies as st

ABSENT: Final = object()
FLAGS: Final = ("is_sender", "seen", "hidden", "deleted", "edited", "is_event", "delivered")
VARIANTS: Final = ("img", "video", "audio", "file", "linkedin_post", "video_meeting")
EPOCH_SECONDS_MIN: Final = 1_600_000_000
EPOCH_SECONDS_MAX: Final = 2_000_000_000

ids = st.text("abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=8)
texts = st.text(max_size=20)  # any unicode, emoji included


def timestamp_text(moment: datetime) -> str:
    """The API's timestamp format: ``2026-05-17T09:42:11.000Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
).map(lambda m: m.replace(microsecond=m.microsecond // 1000 * 1000))
timestamps = moments.map(timestamp_text)
# The page says seconds; the real service sends milliseconds too: draw both.
epochs = st.integers(EPOCH_SECONDS_MIN, EPOCH_SECONDS_MAX).flatmap(
    lambda s: st.sampled_from([s, s * 1000])
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """An optional field: absent, null, or a value."""
    return st.one_of(st.just(ABSENT), st.none(), strategy)


def drop_absent(obj: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in obj.items() if value is not ABSENT}


@st.composite
def attachments(draw: st.DrawFn, variant: str | None = None) -> dict[str, Any]:
    """One attachment of ``variant`` (drawn when None), with its own fields."""
    kind = variant or draw(st.sampled_from(VARIANTS))
    obj: dict[str, Any] = {
        "id": draw(ids),
        "type": kind,
        "file_size": draw(maybe(st.integers(0, 10**9))),
        "unavailable": draw(st.booleans()),
        "mimetype": draw(maybe(st.sampled_from(["image/png", "video/mp4", "audio/ogg"]))),
        "url": draw(maybe(st.just("https://cdn.example.com/f"))),
        "url_expires_at": draw(maybe(epochs)),
    }
    size = {"width": draw(st.integers(0, 4000)), "height": draw(st.integers(0, 4000))}
    if kind == "img":
        obj |= {"size": size, "sticker": draw(st.booleans())}
    elif kind == "video":
        obj |= {"size": size, "gif": draw(st.booleans())}
    elif kind == "audio":
        obj |= {"duration": draw(maybe(st.integers(0, 3600))), "voice_note": draw(st.booleans())}
    elif kind == "file":
        obj |= {"file_name": draw(texts)}
    elif kind == "video_meeting":
        obj |= {
            "starts_at": draw(st.one_of(st.none(), epochs)),
            "expires_at": draw(st.one_of(st.none(), epochs)),
            "time_range": draw(st.one_of(st.none(), st.integers(0, 86_400))),
        }
    return drop_absent(obj)


attachment_lists = st.lists(attachments(), max_size=3)
seen_by_maps = st.dictionaries(ids, st.one_of(st.booleans(), timestamps), max_size=3)


@st.composite
def messages(draw: st.DrawFn, message_id: str | None = None) -> dict[str, Any]:
    """One message item: required fields present (nullable ones sometimes null)."""
    use_alias = draw(st.integers(0, 9)) == 0  # some providers send only `message_id`
    key = message_id or draw(ids)
    obj: dict[str, Any] = {
        "object": "Message",
        "id": ABSENT if use_alias else key,
        "message_id": key if use_alias else draw(maybe(st.just(key))),
        "provider_id": draw(ids),
        "account_id": "acc_1",
        "chat_id": "chat_1",
        "chat_provider_id": draw(ids),
        "sender_id": draw(ids),
        "sender_attendee_id": draw(ids),
        "timestamp": draw(timestamps),
        "text": draw(st.one_of(st.none(), texts)),
        **{flag: draw(st.sampled_from([0, 1])) for flag in FLAGS},
        "attachments": draw(attachment_lists),
        "reactions": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "value": st.sampled_from(["👍", "❤️", "😂"]),
                        "sender_id": ids,
                        "is_sender": st.booleans(),
                    }
                ),
                max_size=3,
            )
        ),
        "seen_by": draw(seen_by_maps),
        "behavior": draw(st.one_of(st.none(), st.integers(0, 5))),
        "event_type": draw(maybe(st.integers(0, 13))),
        "original": draw(st.just('{"raw": true}')),
        "replies": draw(maybe(st.integers(0, 50))),
        "reply_by": draw(maybe(st.lists(ids, max_size=2))),
        "parent": draw(maybe(ids)),
        "subject": draw(maybe(texts)),
        "message_type": draw(maybe(st.sampled_from(["MESSAGE", "INVITATION", "INMAIL"]))),
        "attendee_type": draw(maybe(st.sampled_from(["MEMBER", "ORGANIZATION", "OTHER"]))),
        "attendee_distance": draw(maybe(st.sampled_from([1, 2, 3, 4, -1]))),
        "sender_urn": draw(maybe(st.just("urn:li:member:1"))),
        "is_forwarded": draw(maybe(st.booleans())),
        "reply_to": draw(
            maybe(
                st.fixed_dictionaries(
                    {
                        "id": ids,
                        "provider_id": ids,
                        "timestamp": timestamps,
                        "sender_attendee_id": ids,
                        "sender_id": ids,
                        "text": st.one_of(st.none(), texts),
                    }
                )
            )
        ),
        "quoted": draw(
            maybe(
                st.fixed_dictionaries(
                    {
                        "provider_id": ids,
                        "sender_id": ids,
                        "text": st.one_of(st.none(), texts),
                        "attachments": attachment_lists,
                    },
                    optional={"message_id": ids},
                )
            )
        ),
    }
    return drop_absent(obj)


def message_key(item: dict[str, Any]) -> str:
    return str(item.get("id") or item.get("message_id"))


@dataclass(frozen=True)
class Chat:
    """Pages as fetched, and the messages that must survive (first occurrence of each id)."""

    pages: list[dict[str, Any]]
    kept: list[dict[str, Any]]


@st.composite
def chat_pages(draw: st.DrawFn, max_messages: int = 12) -> Chat:
    """A chat split into pages, some ids repeated on later pages with other contents."""
    keys = draw(st.lists(ids, unique=True, max_size=max_messages))
    items = [draw(messages(key)) for key in keys]
    repeats = draw(st.lists(st.sampled_from(keys), max_size=4)) if keys else []
    duplicates = [draw(messages(key)) for key in repeats]  # same id, other contents
    size = draw(st.integers(1, 5))
    stream = items + duplicates
    pages = [
        {"object": "MessageList", "items": stream[i : i + size], "cursor": f"c{i}"}
        for i in range(0, len(stream), size)
    ]
    if draw(st.booleans()):
        pages.append({"object": "MessageList", "items": [], "cursor": None})
    return Chat(pages=pages, kept=items)


def full_message(**overrides: Any) -> dict[str, Any]:
    """A valid message with every field of the spec page; ``ABSENT`` in overrides drops one.

    >>> full_message(id="m2", hidden=ABSENT)["id"]
    'm2'
    """
    variants = [
        {"id": "a-img", "type": "img", "size": {"width": 640, "height": 480}, "sticker": False},
        {"id": "a-video", "type": "video", "size": {"width": 1280, "height": 720}, "gif": True},
        {"id": "a-audio", "type": "audio", "duration": 12, "voice_note": True},
        {"id": "a-file", "type": "file", "file_name": "report.pdf"},
        {"id": "a-post", "type": "linkedin_post"},
        {
            "id": "a-meet",
            "type": "video_meeting",
            "starts_at": 1_779_000_000,
            "expires_at": 1_779_003_600_000,
            "time_range": 3600,
        },
    ]
    common = {
        "file_size": 2048,
        "unavailable": False,
        "mimetype": "application/octet-stream",
        "url": "https://cdn.example.com/file",
        "url_expires_at": 1_779_000_000,
    }
    message: dict[str, Any] = {
        "object": "Message",
        "id": "m1",
        "provider_id": "urn:li:msg:1",
        "account_id": "acc_1",
        "chat_id": "chat_1",
        "chat_provider_id": "2-chat",
        "sender_id": "sender_1",
        "sender_attendee_id": "att_1",
        "timestamp": "2026-05-17T09:42:11.000Z",
        "text": "Sounds good 👍",
        "is_sender": 0,
        "attachments": [common | v for v in variants],
        "quoted": {
            "message_id": "m0",
            "provider_id": "urn:li:msg:0",
            "sender_id": "sender_2",
            "text": "quoted text",
            "attachments": [common | v | {"id": "q-" + v["id"]} for v in variants],
        },
        "is_forwarded": False,
        "reactions": [{"value": "👍", "sender_id": "sender_2", "is_sender": False}],
        "seen": 1,
        "seen_by": {"att_2": True, "att_3": "2026-05-17T09:43:00.000Z", "att_4": False},
        "hidden": 0,
        "deleted": 0,
        "edited": 0,
        "is_event": 0,
        "delivered": 1,
        "behavior": 0,
        "event_type": 1,
        "original": '{"provider": "payload"}',
        "replies": 2,
        "reply_by": ["att_2"],
        "parent": "m0",
        "subject": "Hello",
        "message_type": "MESSAGE",
        "attendee_type": "MEMBER",
        "attendee_distance": 1,
        "sender_urn": "urn:li:member:1",
        "reply_to": {
            "id": "m0",
            "provider_id": "urn:li:msg:0",
            "timestamp": "2026-05-17T09:40:00.000Z",
            "sender_attendee_id": "att_2",
            "sender_id": "sender_2",
            "text": None,
        },
    }
    message.update(overrides)
    return drop_absent(message)


def page_of(*items: dict[str, Any], cursor: str | None = None) -> dict[str, Any]:
    """A page body around ``items``."""
    return {"object": "MessageList", "items": list(items), "cursor": cursor}
