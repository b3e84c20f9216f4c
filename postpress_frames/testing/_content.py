"""What a demo message holds: its text, its attachments, the provider's raw payload, and
the earlier message it replies to or quotes.

>>> from postpress_frames.testing._vocabulary import OTHERS
>>> OTHERS[0].name, message_text(random.Random(3), OTHERS[0])
('Marcus Johnson', 'Chat landed meeting')
>>> [dress_text(random.Random(seed), OTHERS[0], "Can you review it?") for seed in (0, 15, 49)]
['Can you review it?', 'Can you review it? 👋🏻', 'Can you review it https://github.com/nordlicht-gmbh/postpress-sync/pull/198?']
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import string
from collections.abc import Sequence
from json.encoder import encode_basestring as _json_str
from statistics import NormalDist
from typing import Any, Final

from postpress_frames.testing._timeline import DAY, HOUR, MINUTE, Member
from postpress_frames.testing._vocabulary import (
    ATTACHMENT_VARIANT,
    EMOJI,
    EXTRA_EMOJI,
    FILE_STEMS,
    LINKS,
    MIME,
    PUNCT,
    QUESTION_MARK,
    WORDS,
    Persona,
)

__all__ = ["attachments", "dress_text", "message_text", "original_payload", "pick_earlier"]


@functools.cache
def _word_counts(words_mu: float) -> tuple[int, ...]:
    """256 quantiles of a lognormal message length: one table lookup per message."""
    dist = NormalDist(words_mu, 0.7)
    return tuple(max(1, int(math.exp(dist.inv_cdf((i + 0.5) / 256)))) for i in range(256))


def message_text(rng: random.Random, persona: Persona) -> str:
    words = WORDS[persona.lang]
    if rng.random() < 0.005:
        count = rng.randint(150, 400)  # the occasional wall of text
    else:
        count = _word_counts(persona.words_mu)[rng.getrandbits(8)]
    chosen = rng.choices(words, k=count)
    if rng.random() < 0.25:
        chosen.insert(rng.randrange(len(chosen) + 1), rng.choice(EMOJI))
    if persona.lang == "ja":
        return "".join(chosen) + rng.choice(PUNCT)
    text = " ".join(chosen)
    return text[0].upper() + text[1:] + rng.choice(PUNCT)


_LINK_TEMPLATES: Final = tuple(template for template, _ in LINKS)
_LINK_WEIGHTS: Final = tuple(itertools.accumulate(weight for _, weight in LINKS))
_ID_CHARS: Final = string.ascii_letters + string.digits
_ENDING: Final = " .!?…\uff1f؟"  # what a text's final punctuation is made of


def _code(rng: random.Random, k: int, chars: str = _ID_CHARS + "-_") -> str:
    return "".join(rng.choices(chars, k=k))


def _link(rng: random.Random) -> str:
    template = rng.choices(_LINK_TEMPLATES, cum_weights=_LINK_WEIGHTS)[0]
    if "{" not in template:
        return template
    return template.format(
        id=_code(rng, 44),
        vid=_code(rng, 11),
        n=rng.randint(1, 999),
        big=rng.randrange(10**18, 10**19),
        hex=f"{rng.getrandbits(128):032x}",
        hex6=f"{rng.getrandbits(24):06x}",
        short=_code(rng, 7, _ID_CHARS),
        meet="-".join(_code(rng, k, string.ascii_lowercase) for k in (3, 4, 3)),
    )


def dress_text(rng: random.Random, persona: Persona, text: str) -> str:
    """``text`` as people send it: sometimes with links (one to three: alone, after the text
    or before its final punctuation), more emoji (one, or one repeated, or emoji only), and
    the question mark of the sender's script.

    ``rng`` is the text's own generator, apart from the message one: the texts can change
    without changing ids, times or any other field of the demo chats.
    """
    mark = QUESTION_MARK.get(persona.lang)
    if mark and text.endswith("?") and rng.random() < 0.6:
        text = text[:-1] + mark
    if rng.random() < 0.07:
        roll = rng.random()
        links = " ".join(_link(rng) for _ in range(1 + int(roll < 0.15) + int(roll < 0.04)))
        style = rng.random()
        if style < 0.2:
            text = links
        elif style < 0.55:
            text = f"{text}\n{links}" if style < 0.3 else f"{text} {links}"
        else:
            body = text.rstrip(_ENDING)
            text = f"{body} {links}{text[len(body) :].strip()}"
    roll = rng.random()
    if roll < 0.12:
        emoji = rng.choice(EXTRA_EMOJI)
        text = f"{text} {emoji * rng.choice((1, 1, 1, 2, 3))}"
    elif roll < 0.14:
        text = rng.choice(EXTRA_EMOJI + EMOJI) * rng.choice((1, 1, 2, 3))
    return text


def _epoch(ms: int, member: Member) -> int:
    return ms if member.epoch_ms else ms // 1000


def _attachment(
    rng: random.Random, kind: str, member: Member, ms: int, ident: str, *, showcase: bool
) -> dict[str, Any]:
    """One attachment of variant ``kind`` (``sticker``/``gif``/... pick the flag too).

    A ``showcase`` file is unavailable (no url) and a showcase meeting has all its times, so
    that a small chat still shows both sides of these optional and nullable fields.
    """
    variant = ATTACHMENT_VARIANT.get(kind, kind)
    unavailable = kind == "file" if showcase else rng.random() < 0.05
    item: dict[str, Any] = {"id": ident, "type": variant}
    if rng.random() < 0.8 and variant != "video_meeting":
        item["file_size"] = int(rng.lognormvariate(12, 1.5))
    item["unavailable"] = unavailable
    mimes = MIME.get(variant)
    mime, ext = rng.choice(mimes) if mimes else ("", "")
    if kind == "sticker":
        mime, ext = "image/webp", "webp"
    elif kind == "gif":
        mime, ext = "image/gif", "gif"
    if mime and rng.random() < 0.9:
        item["mimetype"] = mime
    if not unavailable:
        host = "https://media.postpress.example/att"
        item["url"] = (
            f"https://www.linkedin.com/feed/update/urn:li:activity:{ms * 7 % 10**19}"
            if variant == "linkedin_post"
            else f"{host}/{ident}.{ext or 'bin'}?sig={rng.getrandbits(48):012x}"
        )
        if rng.random() < 0.85:
            item["url_expires_at"] = _epoch(ms + 30 * DAY + rng.randrange(HOUR), member)
    if variant == "img":
        side = rng.choice((512, 1080, 1920, 4032))
        item["size"] = {"width": side, "height": int(side * rng.choice((0.5625, 0.75, 1.0, 1.333)))}
        item["sticker"] = kind == "sticker"
    elif variant == "video":
        item["size"] = {
            "width": rng.choice((480, 720, 1280, 1920)),
            "height": rng.choice((360, 720, 1080)),
        }
        item["gif"] = kind == "gif"
    elif variant == "audio":
        if rng.random() < 0.85:
            item["duration"] = round(rng.uniform(1.0, 300.0), 1)
        item["voice_note"] = kind == "voice_note" or (not showcase and rng.random() < 0.3)
    elif variant == "file":
        item["file_name"] = f"{rng.choice(FILE_STEMS)}.{ext}"
    elif variant == "video_meeting":
        start = (ms // (15 * MINUTE) + rng.randint(4, 300)) * 15 * MINUTE
        length = rng.choice((15, 30, 45, 60, 90)) * 60
        null = kind == "meeting_null"
        odds = 0.0 if showcase else 0.1  # of each time being null
        item["starts_at"] = None if null or rng.random() < odds else _epoch(start, member)
        item["expires_at"] = (
            None if null or rng.random() < odds else _epoch(start + length * 1000, member)
        )
        item["time_range"] = None if null or rng.random() < odds else length
    return item


def attachments(
    rng: random.Random,
    member: Member,
    ms: int,
    msg_id: str,
    kinds: Sequence[str],
    *,
    showcase: bool = False,
) -> list[dict[str, Any]]:
    return [
        _attachment(rng, kind, member, ms, f"{msg_id[4:]}-{i}", showcase=showcase)
        for i, kind in enumerate(kinds)
    ]


def original_payload(msg: dict[str, Any], chat_provider_id: str, member: Member, ms: int) -> str:
    """A plausible raw provider payload (LinkedIn-like), a few hundred bytes of JSON.

    Written from a template (with JSON string escaping) rather than ``json.dumps``: this runs
    once per message and dominates large chats otherwise.
    """
    files = ",".join(f'{{"file":"{a["id"]}"}}' for a in msg["attachments"])
    reactions = ",".join(f'{{"emoji":{_json_str(r["value"])},"count":1}}' for r in msg["reactions"])
    subject = f',"subject":{_json_str(msg["subject"])}' if msg.get("subject") else ""
    return (
        f'{{"entityUrn":"urn:li:msg_message:({member.sender_id},{msg["provider_id"][13:]})",'
        f'"conversationUrn":"urn:li:msg_conversation:{chat_provider_id}",'
        f'"deliveredAt":{ms},"sender":{{"hostIdentityUrn":"{member.urn}",'
        f'"distance":{member.persona.distance}}},'
        f'"body":{{"text":{_json_str(msg["text"] or "")},"attributes":[]}},'
        f'"renderContent":[{files}],"reactionSummaries":[{reactions}],'
        f'"messageBodyRenderFormat":"{"EDITED" if msg["edited"] else "DEFAULT"}"{subject}}}'
    )


_REF_FIELDS: Final = ("id", "provider_id", "timestamp", "sender_id", "sender_attendee_id")


def pick_earlier(
    rng: random.Random, built: list[dict[str, Any]], i: int, *, lowest: int = 0
) -> dict[str, Any] | None:
    """A recent earlier non-event message at index >= ``lowest`` (replies, quotes, threads)."""
    for _ in range(4):
        j = i - 1 - int(rng.expovariate(1 / 6))
        if j < lowest:
            continue
        target = built[j]
        if _referable(target):
            return target
    return next((m for m in reversed(built[lowest:i]) if _referable(m)), None)


def _referable(message: dict[str, Any]) -> bool:
    return not message.get("is_event") and all(isinstance(message.get(f), str) for f in _REF_FIELDS)
