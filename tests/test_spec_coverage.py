"""Every field of the spec page lands in exactly one table column.

The field list is copied by hand from the spec page (shared/spec/list-chat-messages.txt,
"Response 200 OK", May 2026): CI has no copy of that page beside the repository. When the
page changes, update SPEC_FIELDS and MAPPING together.

How fields map to columns:
* message fields keep their names (``items[].text`` -> ``messages.text``);
* ``reply_to.X`` -> ``messages.reply_to_X``; ``quoted.X`` -> ``messages.quoted_X``;
* ``message_id`` is an alias of ``id`` (it fills ``messages.id`` when ``id`` is absent);
* attachments of a message and of its quoted message -> ``attachments`` (``quoted`` says
  which), ``size.width``/``size.height`` -> ``width``/``height``;
* ``reactions[].X`` -> ``reactions.X``;
* ``seen_by.<attendee_id>``: the key -> ``seen_by.attendee_id``, a boolean value ->
  ``seen_by.seen``, a timestamp value -> ``seen_by.seen_at``;
* not stored: the page's ``object`` and ``cursor`` (paging), the items' ``object`` tag;
* containers are not columns themselves: items, attachments, quoted, size, reactions,
  seen_by, reply_to, quoted.attachments.

The test changes one field at a time in a full message and checks that exactly the mapped
column changes, and nothing else.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from tests.strategies import ABSENT, full_message, page_of

VARIANT_FIELDS = {
    "img": ["size.width", "size.height", "sticker"],
    "video": ["size.width", "size.height", "gif"],
    "audio": ["duration", "voice_note"],
    "file": ["file_name"],
    "linkedin_post": [],
    "video_meeting": ["starts_at", "expires_at", "time_range"],
}
ATTACHMENT_COMMON = ["id", "type", "file_size", "unavailable", "mimetype", "url", "url_expires_at"]
MESSAGE_FIELDS = [
    "id",
    "message_id",
    "provider_id",
    "account_id",
    "chat_id",
    "chat_provider_id",
    "sender_id",
    "sender_attendee_id",
    "timestamp",
    "text",
    "is_sender",
    "is_forwarded",
    "seen",
    "hidden",
    "deleted",
    "edited",
    "is_event",
    "delivered",
    "behavior",
    "event_type",
    "original",
    "replies",
    "reply_by",
    "parent",
    "subject",
    "message_type",
    "attendee_type",
    "attendee_distance",
    "sender_urn",
]
REPLY_TO_FIELDS = ["id", "provider_id", "timestamp", "sender_attendee_id", "sender_id", "text"]
QUOTED_FIELDS = ["message_id", "provider_id", "sender_id", "text"]
REACTION_FIELDS = ["value", "sender_id", "is_sender"]


def attachment_fields(prefix: str) -> list[str]:
    return [
        f"{prefix}[{variant}].{field}"
        for variant, own in VARIANT_FIELDS.items()
        for field in ATTACHMENT_COMMON + own
    ]


SPEC_FIELDS = [
    *(f"items[].{f}" for f in MESSAGE_FIELDS),
    *attachment_fields("items[].attachments"),
    *attachment_fields("items[].quoted.attachments"),
    *(f"items[].quoted.{f}" for f in QUOTED_FIELDS),
    *(f"items[].reply_to.{f}" for f in REPLY_TO_FIELDS),
    *(f"items[].reactions[].{f}" for f in REACTION_FIELDS),
    "items[].seen_by.<attendee_id>",
    "items[].seen_by.<attendee_id>=boolean",
    "items[].seen_by.<attendee_id>=timestamp",
]
NOT_STORED = {"object", "cursor", "items[].object"}


def target(path: str) -> tuple[str, str]:
    """The one (table, column) a spec field lands in."""
    if path.startswith("items[].seen_by."):
        column = {"boolean": "seen", "timestamp": "seen_at"}.get(path.partition("=")[2])
        return "seen_by", column or "attendee_id"
    if ".attachments[" in path:
        field = path.rpartition("].")[2]
        return "attachments", field.removeprefix("size.")
    if path.startswith("items[].reactions[]."):
        return "reactions", path.rpartition(".")[2]
    if path.startswith("items[].reply_to."):
        return "messages", "reply_to_" + path.rpartition(".")[2]
    if path.startswith("items[].quoted."):
        return "messages", "quoted_" + path.rpartition(".")[2]
    field = path.removeprefix("items[].")
    return "messages", "id" if field == "message_id" else field


def other(value: Any) -> Any:
    """A different value of the same JSON type that stays valid."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return 1 - value if value in (0, 1) else value + 1
    if isinstance(value, list):
        return [*value, "att_9"]
    if isinstance(value, str) and value.endswith("Z"):  # a timestamp
        return value.replace("09:4", "10:4")
    if value is None:
        return "changed"
    return {"img": "video", "video": "img"}.get(value, value + "-changed")


def mutated(path: str) -> dict[str, Any]:
    """The full message with exactly the field at ``path`` changed."""
    message = copy.deepcopy(full_message())
    parts = path.removeprefix("items[].").split(".")
    if parts[0] == "seen_by":
        receipts = message["seen_by"]
        kind = path.partition("=")[2]
        if kind == "boolean":
            receipts["att_2"] = False
        elif kind == "timestamp":
            receipts["att_3"] = "2026-05-17T11:00:00.000Z"
        else:  # rename one attendee, keeping the order of the entries
            message["seen_by"] = {("att_9" if k == "att_2" else k): v for k, v in receipts.items()}
        return message
    if parts[0] == "message_id":  # the alias fills `id` when `id` is absent
        message.pop("id")
        message["message_id"] = "m-alias"
        return message
    holder: Any = message
    for part in parts[:-1]:
        name, _, index = part.partition("[")
        holder = holder[name]
        if index == "]":
            holder = holder[0]
        elif index:
            variant = index.rstrip("]")
            holder = next(a for a in holder if a["type"] == variant)
    leaf = parts[-1]
    if leaf == "type":  # changing a variant's type would also change its variant fields
        holder[leaf] = holder[leaf] + "_v2"
    else:
        holder[leaf] = other(holder.get(leaf))
    return message


def changed_columns(before: ChatFrames, after: ChatFrames) -> set[tuple[str, str]]:
    changed = set()
    for table in before:
        for column in before[table].columns:
            if not before[table][column].equals(after[table][column]):
                changed.add((table, column))
    return changed


def build(message: dict[str, Any]) -> ChatFrames:
    return frames_from_pages([page_of(message)])


BASE = build(full_message())


def test_every_spec_field_is_mapped_or_documented() -> None:
    assert len(SPEC_FIELDS) == len(set(SPEC_FIELDS))
    for path in SPEC_FIELDS:
        table, column = target(path)
        assert column in BASE[table].columns, path


@pytest.mark.filterwarnings("ignore::postpress_frames.tables.schemas.UnknownValueWarning")
@pytest.mark.parametrize("path", SPEC_FIELDS)
def test_changing_a_field_changes_exactly_its_column(path: str) -> None:
    table, column = target(path)
    key_columns = {("messages", "id")} | {(t, "message_id") for t in BASE if t != "messages"}
    changed = changed_columns(BASE, build(mutated(path)))
    if (table, column) == ("messages", "id"):  # the key flows into the child tables
        assert changed == key_columns
    else:
        assert changed == {(table, column)}


def test_every_column_comes_from_the_spec_page() -> None:
    derived = {  # columns made by the builder, not copied from a field
        ("attachments", "message_id"),
        ("attachments", "position"),
        ("attachments", "quoted"),
        ("reactions", "message_id"),
        ("reactions", "position"),
        ("seen_by", "message_id"),
        # the fields the spec page does not list, as JSON (tests/test_drift.py)
        ("messages", "extra"),
        ("attachments", "extra"),
        ("reactions", "extra"),
    }
    mapped = {target(path) for path in SPEC_FIELDS}
    for table in BASE:
        for column in BASE[table].columns:
            assert (table, column) in mapped | derived, (table, column)


def test_the_not_stored_fields_leave_no_trace() -> None:
    message = full_message(object="SomethingElse")
    page = page_of(message, cursor="another-cursor") | {"object": "Other"}
    assert frames_from_pages([page]) == BASE
    assert {"object", "cursor", "items[].object"} == NOT_STORED


def test_a_missing_optional_field_is_null_not_lost() -> None:
    frames = build(full_message(subject=ABSENT))
    assert frames.messages["subject"].to_list() == [None]
