"""Assembling demo messages field by field, oldest first, from a timeline of senders.

>>> import random
>>> from postpress_frames.testing._timeline import cast, timeline
>>> rng, members = random.Random(0), cast("chat_x", "acc_x")
>>> times, senders = timeline(rng, members, 3, 0)
>>> [m["chat_id"] for m in build(rng, members, times, senders, chat_id="chat_x",
...                               account_id="acc_x", cap_ms=None, dress=random.Random(1))]
['chat_x', 'chat_x', 'chat_x']
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from typing import Any

from postpress_frames.testing._content import (
    attachments,
    dress_text,
    message_text,
    original_payload,
    pick_earlier,
)
from postpress_frames.testing._timeline import (
    HOUR,
    MINUTE,
    Member,
    b64,
    digest,
    format_timestamp_ms,
    ulid,
)
from postpress_frames.testing._vocabulary import (
    ATTACHMENT_TAGS,
    EVENT_TEXT,
    RANDOM_KINDS,
    REACTIONS,
    SHOWCASE,
    SUBJECTS,
)

__all__ = ["build"]


def build(
    rng: random.Random,
    members: Sequence[Member],
    times: Sequence[int],
    senders: Sequence[int],
    *,
    chat_id: str,
    account_id: str,
    cap_ms: int | None,
    dress: random.Random,
    earlier: Sequence[dict[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Oldest-first messages for the timeline; ``earlier`` ones may be replied to or quoted.

    ``dress`` draws the links, extra emoji and question marks of the texts (see
    :func:`~postpress_frames.testing._content.dress_text`), apart from ``rng``.
    """
    n = len(times)
    chat_provider_id = "2-" + b64(bytes.fromhex(digest(account_id, chat_id))[:18])
    forced: dict[int, str] = {}
    if n >= 3 * len(SHOWCASE):
        forced = dict(zip(rng.sample(range(1, n), len(SHOWCASE)), SHOWCASE, strict=True))
        for unit_ms in (True, False):  # a meeting with epoch times in each unit
            free = [k for k in range(1, n) if members[senders[k]].epoch_ms is unit_ms]
            free = [k for k in free if k not in forced]
            if free:
                forced[rng.choice(free)] = "meeting"
    built: list[dict[str, Any]] = list(earlier)
    first_new = len(built)
    by_id: dict[str, dict[str, Any]] = {}
    others_of = {id(m): [o for o in members if o is not m] for m in members}
    rand = rng.random  # hot loop: about thirty draws per message
    for k in range(n):
        i = first_new + k
        ms = times[k]
        member = members[senders[k]]
        persona = member.persona
        tag = forced.get(k, "")
        roll = rand()
        msg_id = "msg_" + ulid(ms, rng)
        is_event = tag == "event" or (not tag and roll < 0.02)
        deleted = tag == "deleted" or (not tag and 0.02 <= roll < 0.04)
        msg: dict[str, Any] = {"object": "Message", "id": msg_id}
        if tag == "alias" or rand() < 0.1:
            msg["message_id"] = msg_id
        msg["provider_id"] = f"urn:li:msg:2-{rng.getrandbits(96):024x}"
        msg["account_id"] = account_id
        msg["chat_id"] = chat_id
        msg["chat_provider_id"] = chat_provider_id
        msg["sender_id"] = member.sender_id
        msg["sender_attendee_id"] = member.attendee_id
        msg["timestamp"] = format_timestamp_ms(ms)

        kinds: list[str] = []
        if tag in ATTACHMENT_TAGS:
            kinds = [tag]
        elif not is_event and not deleted and rand() < 0.09:
            kinds = rng.choices(RANDOM_KINDS, k=1 + int(rand() < 0.3) + int(rand() < 0.1))
        if is_event:
            text: str | None = None if tag == "event" else rng.choice(EVENT_TEXT)
            if text:
                text = text.format(name=persona.name)
        elif deleted or (kinds and rand() < 0.4):
            text = None
        else:
            text = dress_text(dress, persona, message_text(rng, persona))
        msg["text"] = text
        msg["is_sender"] = 1 if member.is_account else 0
        msg["attachments"] = (
            attachments(rng, member, ms, msg_id, kinds, showcase=bool(tag)) if kinds else []
        )

        quoting = tag in ("quoted", "quoted_bare") or (not tag and rand() < 0.04)
        if not is_event and i and quoting:
            target = pick_earlier(rng, built, i)
            if target is not None:
                quoted: dict[str, Any] = {}
                if tag == "quoted" or (tag != "quoted_bare" and rand() < 0.7):
                    quoted["message_id"] = target["id"]
                quoted["provider_id"] = target["provider_id"]
                quoted["sender_id"] = target["sender_id"]
                quoted["text"] = target.get("text")
                own = copy.deepcopy(target.get("attachments") or [])
                if not own and (tag == "quoted" or rand() < 0.4):
                    sender = next(
                        (m for m in members if m.sender_id == target["sender_id"]), member
                    )
                    own = attachments(rng, sender, ms, target["id"], [rng.choice(RANDOM_KINDS)])
                quoted["attachments"] = own
                msg["quoted"] = quoted
        if tag == "forwarded" or rand() < 0.3:
            msg["is_forwarded"] = tag == "forwarded" or rand() < 0.1

        reactions: list[dict[str, Any]] = []
        if not is_event and not deleted and rand() < 0.15:
            for reactor in rng.sample(list(members), rng.randint(1, min(3, len(members)))):
                reactions.append(
                    {
                        "value": rng.choice(REACTIONS),
                        "sender_id": reactor.sender_id,
                        "is_sender": reactor.is_account,
                    }
                )
        msg["reactions"] = reactions

        undelivered = tag == "undelivered" or rand() < 0.01
        recent = cap_ms is not None and cap_ms - ms < 2 * HOUR
        seen = 0 if undelivered or (recent and rand() < 0.5) else 1
        seen_by: dict[str, str | bool] = {}
        receipts = rand()
        if receipts >= 0.1:  # otherwise the provider sends no receipts at all
            for other in others_of[id(member)]:
                if not seen:
                    if rand() < 0.5:
                        seen_by[other.attendee_id] = False
                elif receipts < 0.55:
                    at = ms + int(rng.expovariate(1 / (20 * MINUTE)))
                    if cap_ms is not None:
                        at = max(ms, min(at, cap_ms - 1))
                    seen_by[other.attendee_id] = format_timestamp_ms(at)
                else:
                    seen_by[other.attendee_id] = rand() < 0.9
        msg["seen"] = seen
        msg["seen_by"] = seen_by
        msg["hidden"] = 1 if tag == "hidden" or (not tag and rand() < 0.01) else 0
        msg["deleted"] = 1 if deleted else 0
        edited = not is_event and not deleted and (tag == "edited" or (not tag and rand() < 0.04))
        msg["edited"] = 1 if edited else 0
        msg["is_event"] = 1 if is_event else 0
        msg["delivered"] = 0 if undelivered else 1
        behavior = rand()
        msg["behavior"] = (
            None
            if tag == "nulls" or behavior < 0.08
            else (0 if behavior < 0.9 else rng.randint(1, 3))
        )
        if is_event:
            if rand() < 0.9:
                msg["event_type"] = rng.randrange(14)
        elif rand() < 0.05:
            msg["event_type"] = 0

        if i and not is_event and (tag == "thread" or (not tag and rand() < 0.03)):
            # Thread roots are new messages only: earlier ones are not ours to modify.
            root = pick_earlier(rng, built, i, lowest=first_new)
            if root is not None:
                root = by_id.get(root.get("parent", ""), root)
                msg["parent"] = root["id"]
                root["replies"] = root.get("replies", 0) + 1
                reply_by = root.setdefault("reply_by", [])
                if member.attendee_id not in reply_by:
                    reply_by.append(member.attendee_id)
        elif rand() < 0.02:
            msg["replies"] = 0
            msg["reply_by"] = []

        if tag in ("inmail", "inmail_null") or (
            not tag and persona.attendee_type == "ORGANIZATION" and rand() < 0.5
        ):
            msg["subject"] = (
                None
                if tag == "inmail_null" or (tag != "inmail" and rand() < 0.15)
                else rng.choice(SUBJECTS)
            )
            msg["message_type"] = rng.choice(
                ("INMAIL", "INMAIL_REPLY", "INMAIL_ACCEPT", "INMAIL_DECLINE")
            )
        elif i == 0:
            msg["message_type"] = "INVITATION"
        elif tag == "nulls" or rand() < 0.85:
            msg["message_type"] = "MESSAGE" if rand() < 0.97 else "INVITATION"
        if tag == "nulls" or rand() < 0.7:
            msg["attendee_type"] = "OTHER" if rand() < 0.03 else persona.attendee_type
        if tag == "nulls" or rand() < 0.7:
            msg["attendee_distance"] = persona.distance
        if tag == "nulls" or rand() < 0.6:
            msg["sender_urn"] = member.urn

        if i and not is_event and (tag in ("reply", "reply_null") or (not tag and rand() < 0.12)):
            target = pick_earlier(rng, built, i)
            if target is not None:
                msg["reply_to"] = {
                    "id": target["id"],
                    "provider_id": target["provider_id"],
                    "timestamp": target["timestamp"],
                    "sender_attendee_id": target["sender_attendee_id"],
                    "sender_id": target["sender_id"],
                    "text": None if tag == "reply_null" else target.get("text"),
                }
        built.append(msg)
        by_id[msg_id] = msg

    for k in range(n):  # `original` last: it mirrors the final text, reactions and flags
        msg = built[first_new + k]
        msg["original"] = original_payload(msg, chat_provider_id, members[senders[k]], times[k])
    return built[first_new:]
