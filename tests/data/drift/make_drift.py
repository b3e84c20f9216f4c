"""Write the drift corpus: pages in each shape the real service drifts to (see README.md).

Every value is made up; the shapes follow the public type definitions cited in README.md.
Pages are pretty-printed (two-space indent), so the screen also sees JSON with whitespace.
Run ``python tests/data/drift/make_drift.py`` from the repository root to regenerate.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def message(message_id: str, minute: int, **overrides: Any) -> dict[str, Any]:
    """A valid v1 message (the spec page's shape) with made-up values."""
    base: dict[str, Any] = {
        "object": "Message",
        "id": message_id,
        "provider_id": f"urn:li:msg:2-{message_id}",
        "account_id": "acc_drift",
        "chat_id": "chat_drift",
        "chat_provider_id": "2-ZHJpZnQtY2hhdA==",
        "sender_id": "ACoAAB-drift-sender",
        "sender_attendee_id": "att_drift_sender",
        "timestamp": f"2026-06-01T10:{minute:02d}:00.000Z",
        "text": f"drift message {message_id}",
        "is_sender": 0,
        "attachments": [],
        "reactions": [],
        "seen": 1,
        "seen_by": {"att_drift_reader": "2026-06-01T11:00:00.000Z"},
        "hidden": 0,
        "deleted": 0,
        "edited": 0,
        "is_event": 0,
        "delivered": 1,
        "behavior": None,
        "original": "",  # what LinkedIn sends: the field is there, and empty
    }
    base.update(overrides)
    return base


IMG = {
    "id": "att-img",
    "type": "img",
    "file_size": 4096,
    "unavailable": False,
    "mimetype": "image/jpeg",
    "url": "https://media.example.com/drift.jpg",
    "size": {"width": 800, "height": 600},
    "sticker": False,
}


def page(items: list[dict[str, Any]], cursor: str | None, **extra: Any) -> dict[str, Any]:
    return {"object": "MessageList", "items": items, "cursor": cursor, **extra}


def boolean_flags() -> list[dict[str, Any]]:
    flags = {"is_sender": True, "seen": False, "hidden": False}
    flags |= {"deleted": False, "edited": True, "is_event": False, "delivered": True}
    mixed = {"is_sender": 1, "seen": True, "delivered": 0}
    return [page([message("m-bool-all", 1, **flags), message("m-bool-mixed", 2, **mixed)], None)]


def unlisted() -> list[dict[str, Any]]:
    sender = {
        "object": "ChatAttendee",  # the v2 models' sender object
        "id": "att_drift_sender",
        "type": "individual",
        "display_name": "Jane Drift",
        "public_identifier": "jane-drift",
    }
    reaction = {
        "value": "👍",
        "sender_id": "ACoAAB-drift-reader",
        "is_sender": False,
        "object": "MessageReaction",
        "sender": {"id": "att_drift_reader", "display_name": "Joe Reader"},
    }
    attachment = IMG | {"media_type": "photo", "description": "a drift photo"}
    quoted = {
        "provider_id": "urn:li:msg:2-m-quoted",
        "sender_id": "ACoAAB-drift-reader",
        "text": "the quoted one",
        "attachments": [],
        "id": "m-quoted",  # a listed name (of a message), unlisted inside quoted
        "sender": {"id": "att_drift_reader", "display_name": "Joe Reader"},
    }
    first = message(
        "m-unlisted",
        3,
        sender_public_identifier="jane-drift",
        sender=sender,
        provider="linkedin",
        is_pinned=False,
        attachments=[attachment],
        reactions=[reaction],
        quoted=quoted,
    )
    plain = message("m-plain", 4)
    return [page([first, plain], "c1", total_count=3), page([message("m-late", 5)], None)]


def missing_required() -> list[dict[str, Any]]:
    no_attendee = message("m-no-attendee", 6)
    del no_attendee["sender_attendee_id"]
    no_size = copy.deepcopy(IMG)
    del no_size["size"]
    reply_to = {
        "id": "m-no-attendee",
        "provider_id": "urn:li:msg:2-m-no-attendee",
        "timestamp": "2026-06-01T10:06:00.000Z",
        "sender_id": "ACoAAB-drift-sender",
        "text": None,
    }
    image = message("m-image-no-size", 7, attachments=[no_size], reply_to=reply_to)
    return [page([no_attendee, image], None)]


def untypable() -> list[dict[str, Any]]:
    float_size = IMG | {"size": {"width": 800.5, "height": 600}}
    float_file = IMG | {"id": "att-float-file", "file_size": 4096.5}
    audio = {"id": "att-audio", "type": "audio", "unavailable": False, "duration": 3}
    v2_attachment = {"id": "att-v2", "type": "file", "is_unavailable": False}
    v2_attachment |= {"file_name": "notes.txt", "filename": "notes.txt"}
    no_provider = message("m-no-chat-provider-id", 13)
    del no_provider["chat_provider_id"]
    no_id = message("m-x", 15)
    del no_id["id"]
    first = [
        message("m-good-1", 8),
        message("m-float-width", 9, attachments=[float_size]),
        message("m-float-file-size", 10, attachments=[float_file]),
        message("m-string-flag", 11, seen="true"),
    ]
    second = [
        message("m-offset-timestamp", 12, timestamp="2026-06-01T12:12:00+02:00"),
        no_provider,
        message("m-number-receipt", 14, seen_by={"att_drift_reader": 1}),
        no_id,
        message("m-audio-no-voice-note", 16, attachments=[audio]),
        message("m-v2-attachment", 17, attachments=[v2_attachment]),
        message("m-good-2", 18),
    ]
    return [page(first, "c1"), page(second, None)]


def v2() -> list[dict[str, Any]]:
    item = {
        "object": "Message",
        "id": "m-v2",
        "text": "hello from v2",
        "sender_id": "ACoAAB-drift-sender",
        "chat_id": "chat_drift",
        "timestamp": "2026-06-01T10:20:00.000Z",
        "is_sender": False,
        "is_hidden": False,
        "is_seen": True,
        "is_delivered": True,
        "is_deleted": False,
        "is_edited": False,
        "is_pinned": False,
        "is_event": False,
        "is_mentionned": False,
        "reactions_counter": [{"reaction": "👍", "count": 1}],
        "provider": "linkedin",
        "attachments": [],
    }
    return [{"data": [item], "total_count": 1, "next_cursor": "v2-cursor"}]


SHAPES = {
    "boolean-flags": boolean_flags,
    "unlisted": unlisted,
    "missing-required": missing_required,
    "untypable": untypable,
    "v2": v2,
}


def main() -> None:
    for name, make in SHAPES.items():
        folder = HERE / name
        folder.mkdir(exist_ok=True)
        for old in folder.glob("page-*.json"):
            old.unlink()
        for number, body in enumerate(make(), start=1):
            text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
            (folder / f"page-{number}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
