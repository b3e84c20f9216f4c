"""A deterministic demo chat: realistic postpress messages of any size, without any I/O.

The same ``(n_messages, seed, chat_id)`` always gives the same messages, newest first (the
API's order), ready to be served as JSON. The chat has 4-5 senders (the connected account is
one of them, ``is_sender=1``) living in different time zones, each with their own rhythm:
conversations are bursts of messages inside the sender's waking hours, separated by silences
of hours or days. Every field of the spec page appears somewhere: replies, quotes with their
own attachments, threads, reactions, read receipts of both kinds, edits, deletions, hidden
messages, events, all six attachment variants, InMail subjects, and unicode text (accents,
CJK, right-to-left scripts, emoji with ZWJ sequences and skin tones).

Epoch fields (``url_expires_at``, ``starts_at``, ``expires_at``) are Unix seconds, except for
one sender per chat whose provider sends milliseconds, as the real service has been seen to.

>>> chat = demo_chat(200, seed=7)
>>> len(chat), chat[0]["timestamp"] > chat[-1]["timestamp"]
(200, True)
>>> chat == demo_chat(200, seed=7)
True
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring as _json_str
from statistics import NormalDist
from typing import Any, Final
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_END",
    "DEMO_ACCOUNT_ID",
    "DEMO_CHAT_ID",
    "demo_chat",
    "demo_chats",
    "format_timestamp_ms",
    "messages_after",
]

#: Default upper bound of the demo timeline: output never depends on today's date.
DEFAULT_END: Final = datetime(2026, 11, 1, tzinfo=UTC)
DEMO_CHAT_ID: Final = "chat_demo"
DEMO_ACCOUNT_ID: Final = "acc_demo"

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND: Final = 1000
_MINUTE: Final = 60 * _SECOND
_HOUR: Final = 60 * _MINUTE
_DAY: Final = 24 * _HOUR

# -- the cast -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Persona:
    name: str
    tz: str
    active: tuple[int, int]  # local hours [start, end); end may pass midnight (e.g. 25)
    weight: float  # how often they start or join a conversation
    streak: float  # chance to send several messages in a row
    reply_mu: float  # log-seconds between the previous message and theirs
    words_mu: float  # log of their usual message length in words
    lang: str
    attendee_type: str
    distance: int


# Data tables: kept compact and aligned by hand.
# fmt: off
_ACCOUNT: Final = _Persona(
    "Léa Martin", "Europe/Paris", (8, 23), 1.0, 0.25, 4.0, 2.0, "fr", "MEMBER", -1
)
_OTHERS: Final = (
    _Persona("Marcus Johnson", "America/New_York", (7, 23), 1.3, 0.55, 3.0, 1.3, "en", "MEMBER", 1),
    _Persona("佐藤 春樹", "Asia/Tokyo", (9, 25), 0.8, 0.15, 3.6, 2.6, "ja", "MEMBER", 2),
    _Persona("ياسمين حداد", "Asia/Dubai", (10, 24), 0.7, 0.35, 4.4, 1.9, "ar", "MEMBER", 3),
    _Persona("Priya Raman", "Asia/Kolkata", (6, 22), 0.9, 0.3, 3.8, 2.2, "hi", "MEMBER", 4),
    _Persona("Nordlicht GmbH", "Europe/Berlin", (9, 18), 0.3, 0.05, 5.5, 3.0, "de",
             "ORGANIZATION", -1),
)

_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "fr": (
        "bonjour", "oui", "ça", "marche", "réunion", "demain", "déjà", "très", "bien", "à",
        "plus", "tard", "on", "se", "voit", "où", "café", "présentation", "évidemment",
        "problème", "naïve", "Noël", "forêt", "crème", "brûlée", "être", "prêt", "là",
        "je", "te", "envoie", "le", "dossier", "merci", "beaucoup", "désolée", "retard",
        "coût", "élève", "garçon", "hôtel", "extraordinairement", "c'est", "noté",
    ),
    "en": (
        "hey", "sure", "sounds", "good", "let's", "chat", "tomorrow", "the", "deck", "is",
        "ready", "can", "you", "review", "it", "by", "Friday", "thanks", "a", "lot", "ok",
        "meeting", "moved", "to", "3pm", "approximately", "internationalization", "lol",
        "quick", "question", "about", "pricing", "I'll", "ping", "them", "ETA", "ship",
        "it", "on", "my", "way", "just", "landed", "résumé", "naïve", "café",
    ),
    "ja": (
        "こんにちは", "会議", "明日", "東京", "よろしくお願いします", "資料", "確認します",
        "了解です", "ありがとうございます", "遅れます", "新幹線", "ラーメン", "はい",
        "今日", "午後", "送りました", "大丈夫", "です", "ね", "メール", "見ました", "🙇",
    ),
    "ar": (
        "مرحبا", "شكرا", "غدا", "اجتماع", "الملف", "جاهز", "إن شاء الله", "صباح الخير",
        "تمام", "أرسلت", "العرض", "اليوم", "ممتاز", "مع السلامة", "the", "deck", "OK",
    ),
    "hi": (
        "नमस्ते", "धन्यवाद", "ठीक", "है", "कल", "मीटिंग", "sure", "will", "send", "the",
        "report", "by", "EOD", "haan", "ji", "thanks", "done", "call", "me", "later", "₹500",
    ),
    "de": (
        "Sehr", "geehrte", "Frau", "Martin", "vielen", "Dank", "für", "Ihre", "Nachricht",
        "Angebot", "Straße", "über", "Qualität", "Grüße", "Zusammenarbeit", "Termin",
        "nächste", "Woche", "Geschäftsführung", "Rückfrage", "freundlichen", "mit",
    ),
}
_EMOJI: Final = (
    "😀", "😂", "👍", "👍🏽", "🙏🏾", "🎉", "❤️", "🔥", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷",
    "🇯🇵", "🤷‍♀️", "☕", "🚀", "🙌", "😅", "🧑🏿‍🚀", "✅",
)
_REACTIONS: Final = ("👍", "❤️", "😂", "😮", "😢", "🙏", "👍🏻", "🎉", "👩‍💻", "🔥")
_PUNCT: Final = ("", "", "", ".", "!", "?", "…", " ?", "!!")
_EVENT_TEXT: Final = (
    None, "", "{name} joined the conversation", "{name} a quitté la conversation",
    "{name} renamed the group", "{name} started a video call",
)
_SUBJECTS: Final = (
    "Re: Q3 partnership", "Opportunité de collaboration", "Fwd: contrat signé ✅",
    "Invitation: Produktdemo nächste Woche", "Your InMail about the role", "お打ち合わせの件",
)
_MIME: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "img": (("image/jpeg", "jpg"), ("image/png", "png"), ("image/webp", "webp")),
    "video": (("video/mp4", "mp4"), ("video/quicktime", "mov")),
    "audio": (("audio/ogg", "ogg"), ("audio/mpeg", "mp3"), ("audio/mp4", "m4a")),
    "file": (
        ("application/pdf", "pdf"), ("text/csv", "csv"), ("application/zip", "zip"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ),
}
_FILE_STEMS: Final = (
    "Rapport annuel 2026", "invoice-0042", "見積書", "deck_final_FINAL(2)", "عقد العمل",
    "Q3 numbers", "photo d'équipe", "README",
)
# Features forced once each at random positions in chats large enough, so that every field
# and variant appears even in a small chat; elsewhere they occur at random.
_SHOWCASE: Final = (
    "img", "sticker", "video", "gif", "audio", "voice_note", "file", "linkedin_post",
    "meeting", "meeting_null", "quoted", "quoted_bare", "reply", "reply_null", "event",
    "deleted", "edited",
    "hidden", "forwarded", "thread", "inmail", "inmail_null", "alias", "nulls", "undelivered",
)
_ATTACHMENT_TAGS: Final = frozenset(_SHOWCASE[:10])
_RANDOM_KINDS: Final = (
    "img", "img", "img", "img", "sticker", "video", "gif", "audio", "voice_note", "voice_note",
    "file", "file", "linkedin_post", "meeting",
)
_ATTACHMENT_VARIANT: Final = {
    "sticker": "img", "gif": "video", "voice_note": "audio",
    "meeting": "video_meeting", "meeting_null": "video_meeting",
}
# fmt: on


@dataclass(frozen=True, slots=True)
class _Member:
    persona: _Persona
    zone: ZoneInfo
    sender_id: str
    attendee_id: str
    urn: str
    is_account: bool
    epoch_ms: bool  # this sender's provider sends epoch fields in milliseconds


# -- small helpers ----------------------------------------------------------------------------


def format_timestamp_ms(ms: int) -> str:
    """Unix milliseconds -> the API's ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC).

    >>> format_timestamp_ms(1_779_010_931_000)
    '2026-05-17T09:42:11.000Z'
    """
    day, rest = divmod(ms, _DAY)
    date = _day_prefix(day)
    seconds, millis = divmod(rest, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{date}T{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


@functools.lru_cache(maxsize=4096)
def _day_prefix(day: int) -> str:
    return f"{datetime.fromtimestamp(day * 86_400, UTC):%Y-%m-%d}"


# Crockford base32 digits, two per 10 bits: ids are built from 13 table lookups.
_B32: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_B32_PAIRS: Final = tuple(a + b for a in _B32 for b in _B32)
_PAIR_SHIFTS: Final = tuple(range(120, -1, -10))


def _ulid(ms: int, rng: random.Random) -> str:
    """A ULID-like id: 48-bit time then 80 random bits, Crockford base32, so ids sort by time."""
    return _crockford((ms << 82) | (rng.getrandbits(80) << 2))


def _crockford(value: int) -> str:
    """The low 130 bits of ``value`` as 26 Crockford base32 digits."""
    return "".join([_B32_PAIRS[(value >> shift) & 1023] for shift in _PAIR_SHIFTS])


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _member(persona: _Persona, account_id: str, *, is_account: bool, epoch_ms: bool) -> _Member:
    # Ids depend on the account and the person only: the same person has the same ids in
    # every chat of the account, as on the real service.
    seed = bytes.fromhex(_digest(account_id, persona.name))
    sender_id = "ACoAA" + _b64(seed[:24])[:30]
    attendee_id = "att_" + _crockford(int.from_bytes(seed[14:]))
    return _Member(
        persona=persona,
        zone=ZoneInfo(persona.tz),
        sender_id=sender_id,
        attendee_id=attendee_id,
        urn=f"urn:li:fsd_profile:{sender_id}",
        is_account=is_account,
        epoch_ms=epoch_ms,
    )


def _cast(chat_id: str, account_id: str) -> list[_Member]:
    """The account plus 3 or 4 others; exactly one of them sends epoch milliseconds.

    The cast depends on the chat and the account only, so messages added to a chat later
    (:func:`messages_after`) come from the same people whatever the seed.
    """
    rng = random.Random(f"postpress-cast\x00{account_id}\x00{chat_id}")
    others = rng.sample(_OTHERS, rng.choice((3, 4)))
    # The second chattiest sends epoch milliseconds: about a fifth of the messages, and
    # still present in small chats.
    in_ms = sorted(others, key=lambda p: p.weight, reverse=True)[1]
    members = [_member(_ACCOUNT, account_id, is_account=True, epoch_ms=False)]
    members += [_member(p, account_id, is_account=False, epoch_ms=p is in_ms) for p in others]
    return members


# -- the timeline: when, and who --------------------------------------------------------------


def _is_active(member: _Member, ms: int) -> bool:
    hour = datetime.fromtimestamp(ms / 1000, member.zone).hour
    start, end = member.persona.active
    return start <= hour < end or start <= hour + 24 < end


def _wake_up(member: _Member, ms: int, rng: random.Random) -> int:
    """The first moment at or after ``ms`` inside the member's waking hours."""
    for _ in range(24):
        if _is_active(member, ms):
            return ms
        ms = (ms // _HOUR + 1) * _HOUR + rng.randrange(40 * _MINUTE)
    return ms


def _silence(rng: random.Random, scale: float) -> int:
    """The quiet time between two conversations: mostly hours, sometimes days."""
    roll = rng.random()
    if roll < 0.6:
        gap = rng.expovariate(1 / (4 * _HOUR)) + 10 * _MINUTE
    elif roll < 0.92:
        gap = rng.expovariate(1 / (1.5 * _DAY)) + _HOUR
    else:
        gap = rng.uniform(3 * _DAY, 10 * _DAY)
    return int(gap * scale)


# About 9 messages per conversation and 26 hours between two: a big chat is a busier one,
# its silences shrink so that it spans at most about two years.
_TYPICAL_SPAN_PER_MESSAGE: Final = 26 * _HOUR / 9
_MAX_SPAN: Final = 730 * _DAY


def _timeline(
    rng: random.Random, members: Sequence[_Member], n: int, start_ms: int
) -> tuple[list[int], list[int]]:
    """Oldest-first timestamps (ms) and sender indexes of ``n`` messages after ``start_ms``."""
    times: list[int] = []
    senders: list[int] = []
    weights = [m.persona.weight for m in members]
    indexes = range(len(members))
    scale = min(1.0, _MAX_SPAN / (max(n, 1) * _TYPICAL_SPAN_PER_MESSAGE))
    t = start_ms
    while len(times) < n:
        t += _silence(rng, scale)
        first = rng.choices(indexes, weights)[0]
        t = _wake_up(members[first], t, rng)
        joined = {first, *rng.choices(indexes, weights, k=rng.randint(1, 3))}
        if len(joined) == 1:
            joined.add((first + 1) % len(members))
        people = sorted(joined)
        length = min(n - len(times), 1 + int(rng.expovariate(1 / 8)))
        sender = first
        for k in range(length):
            if k:
                persona = members[sender].persona
                if rng.random() >= persona.streak:  # someone else answers
                    others = [i for i in people if i != sender]
                    sender = rng.choices(others, [weights[i] for i in others])[0]
                persona = members[sender].persona
                if rng.random() < 0.004:
                    gap = 0  # two messages in the same millisecond (ids still differ)
                else:
                    gap = int(rng.lognormvariate(persona.reply_mu, 1.1) * 1000) + rng.randrange(
                        1000
                    )
                t += gap
            times.append(t)
            senders.append(sender)
    return times, senders


# -- message content --------------------------------------------------------------------------


@functools.cache
def _word_counts(words_mu: float) -> tuple[int, ...]:
    """256 quantiles of a lognormal message length: one table lookup per message."""
    dist = NormalDist(words_mu, 0.7)
    return tuple(max(1, int(math.exp(dist.inv_cdf((i + 0.5) / 256)))) for i in range(256))


def _text(rng: random.Random, persona: _Persona) -> str:
    words = _WORDS[persona.lang]
    if rng.random() < 0.005:
        count = rng.randint(150, 400)  # the occasional wall of text
    else:
        count = _word_counts(persona.words_mu)[rng.getrandbits(8)]
    chosen = rng.choices(words, k=count)
    if rng.random() < 0.25:
        chosen.insert(rng.randrange(len(chosen) + 1), rng.choice(_EMOJI))
    if persona.lang == "ja":
        return "".join(chosen) + rng.choice(_PUNCT)
    text = " ".join(chosen)
    return text[0].upper() + text[1:] + rng.choice(_PUNCT)


def _epoch(ms: int, member: _Member) -> int:
    return ms if member.epoch_ms else ms // 1000


def _attachment(
    rng: random.Random, kind: str, member: _Member, ms: int, ident: str, *, showcase: bool
) -> dict[str, Any]:
    """One attachment of variant ``kind`` (``sticker``/``gif``/... pick the flag too).

    A ``showcase`` file is unavailable (no url) and a showcase meeting has all its times, so
    that a small chat still shows both sides of these optional and nullable fields.
    """
    variant = _ATTACHMENT_VARIANT.get(kind, kind)
    unavailable = kind == "file" if showcase else rng.random() < 0.05
    item: dict[str, Any] = {"id": ident, "type": variant}
    if rng.random() < 0.8 and variant != "video_meeting":
        item["file_size"] = int(rng.lognormvariate(12, 1.5))
    item["unavailable"] = unavailable
    mimes = _MIME.get(variant)
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
            item["url_expires_at"] = _epoch(ms + 30 * _DAY + rng.randrange(_HOUR), member)
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
        item["file_name"] = f"{rng.choice(_FILE_STEMS)}.{ext}"
    elif variant == "video_meeting":
        start = (ms // (15 * _MINUTE) + rng.randint(4, 300)) * 15 * _MINUTE
        length = rng.choice((15, 30, 45, 60, 90)) * 60
        null = kind == "meeting_null"
        odds = 0.0 if showcase else 0.1  # of each time being null
        item["starts_at"] = None if null or rng.random() < odds else _epoch(start, member)
        item["expires_at"] = (
            None if null or rng.random() < odds else _epoch(start + length * 1000, member)
        )
        item["time_range"] = None if null or rng.random() < odds else length
    return item


def _attachments(
    rng: random.Random,
    member: _Member,
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


def _original(msg: dict[str, Any], chat_provider_id: str, member: _Member, ms: int) -> str:
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


def _pick_earlier(
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


def _build(
    rng: random.Random,
    members: Sequence[_Member],
    times: Sequence[int],
    senders: Sequence[int],
    *,
    chat_id: str,
    account_id: str,
    cap_ms: int | None,
    earlier: Sequence[dict[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Oldest-first messages for the timeline; ``earlier`` ones may be replied to or quoted."""
    n = len(times)
    chat_provider_id = "2-" + _b64(bytes.fromhex(_digest(account_id, chat_id))[:18])
    forced: dict[int, str] = {}
    if n >= 3 * len(_SHOWCASE):
        forced = dict(zip(rng.sample(range(1, n), len(_SHOWCASE)), _SHOWCASE, strict=True))
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
        msg_id = "msg_" + _ulid(ms, rng)
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
        if tag in _ATTACHMENT_TAGS:
            kinds = [tag]
        elif not is_event and not deleted and rand() < 0.09:
            kinds = rng.choices(_RANDOM_KINDS, k=1 + int(rand() < 0.3) + int(rand() < 0.1))
        if is_event:
            text: str | None = None if tag == "event" else rng.choice(_EVENT_TEXT)
            if text:
                text = text.format(name=persona.name)
        elif deleted or (kinds and rand() < 0.4):
            text = None
        else:
            text = _text(rng, persona)
        msg["text"] = text
        msg["is_sender"] = 1 if member.is_account else 0
        msg["attachments"] = (
            _attachments(rng, member, ms, msg_id, kinds, showcase=bool(tag)) if kinds else []
        )

        quoting = tag in ("quoted", "quoted_bare") or (not tag and rand() < 0.04)
        if not is_event and i and quoting:
            target = _pick_earlier(rng, built, i)
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
                    own = _attachments(rng, sender, ms, target["id"], [rng.choice(_RANDOM_KINDS)])
                quoted["attachments"] = own
                msg["quoted"] = quoted
        if tag == "forwarded" or rand() < 0.3:
            msg["is_forwarded"] = tag == "forwarded" or rand() < 0.1

        reactions: list[dict[str, Any]] = []
        if not is_event and not deleted and rand() < 0.15:
            for reactor in rng.sample(list(members), rng.randint(1, min(3, len(members)))):
                reactions.append(
                    {
                        "value": rng.choice(_REACTIONS),
                        "sender_id": reactor.sender_id,
                        "is_sender": reactor.is_account,
                    }
                )
        msg["reactions"] = reactions

        undelivered = tag == "undelivered" or rand() < 0.01
        recent = cap_ms is not None and cap_ms - ms < 2 * _HOUR
        seen = 0 if undelivered or (recent and rand() < 0.5) else 1
        seen_by: dict[str, str | bool] = {}
        receipts = rand()
        if receipts >= 0.1:  # otherwise the provider sends no receipts at all
            for other in others_of[id(member)]:
                if not seen:
                    if rand() < 0.5:
                        seen_by[other.attendee_id] = False
                elif receipts < 0.55:
                    at = ms + int(rng.expovariate(1 / (20 * _MINUTE)))
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
            root = _pick_earlier(rng, built, i, lowest=first_new)
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
                else rng.choice(_SUBJECTS)
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
            target = _pick_earlier(rng, built, i)
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
        msg["original"] = _original(msg, chat_provider_id, members[senders[k]], times[k])
    return built[first_new:]


def _rng(seed: int, chat_id: str) -> random.Random:
    return random.Random(f"postpress-demo\x00{seed}\x00{chat_id}")


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"end must be timezone-aware, got the naive datetime {moment!r}")
    return (moment - _EPOCH) // timedelta(milliseconds=1)


# -- public API ------------------------------------------------------------------------------


def demo_chat(
    n_messages: int = 5000,
    *,
    seed: int = 0,
    chat_id: str = DEMO_CHAT_ID,
    account_id: str = DEMO_ACCOUNT_ID,
    end: datetime | None = None,
) -> list[dict[str, Any]]:
    """``n_messages`` demo messages of one chat, newest first, all strictly before ``end``.

    ``end`` (timezone-aware) defaults to :data:`DEFAULT_END`; the newest message falls within
    the day before it. The result is JSON-ready dicts shaped like the spec page's items.

    >>> newest = demo_chat(50, seed=1)[0]
    >>> newest["chat_id"], newest["timestamp"] < "2026-11-01T00:00:00.000Z"
    ('chat_demo', True)
    """
    if isinstance(n_messages, bool) or not isinstance(n_messages, int) or n_messages < 0:
        raise ValueError(f"n_messages must be an integer >= 0, got {n_messages!r}")
    if not isinstance(chat_id, str) or not chat_id:
        raise ValueError(f"chat_id must be a non-empty string, got {chat_id!r}")
    end_ms = _ms(DEFAULT_END if end is None else end)
    rng = _rng(seed, chat_id)
    members = _cast(chat_id, account_id)
    times, senders = _timeline(rng, members, n_messages, end_ms - 30 * _DAY)
    if times:
        # Shift by whole days (local hours stay put) so the newest message is just before end.
        days = -(-(times[-1] - end_ms + 1) // _DAY)
        times = [t - days * _DAY for t in times]
    built = _build(
        rng, members, times, senders, chat_id=chat_id, account_id=account_id, cap_ms=end_ms
    )
    built.reverse()
    return built


def messages_after(
    existing: Sequence[dict[str, Any]],
    n_messages: int,
    *,
    seed: int = 0,
    chat_id: str = DEMO_CHAT_ID,
    account_id: str = DEMO_ACCOUNT_ID,
) -> list[dict[str, Any]]:
    """``n_messages`` new demo messages, newest first, all newer than every ``existing`` one.

    The new messages may reply to or quote recent ``existing`` messages (newest first, as
    the API serves them); ``existing`` itself is never modified.

    >>> chat = demo_chat(20)
    >>> new = messages_after(chat, 5, seed=1)
    >>> len(new), new[-1]["timestamp"] > chat[0]["timestamp"]
    (5, True)
    """
    if isinstance(n_messages, bool) or not isinstance(n_messages, int) or n_messages < 0:
        raise ValueError(f"n_messages must be an integer >= 0, got {n_messages!r}")
    times = [_parse_ms(m.get("timestamp")) for m in existing if isinstance(m, dict)]
    latest = max((t for t in times if t is not None), default=None)
    start = _ms(DEFAULT_END) if latest is None else latest
    rng = _rng(seed, f"{chat_id}\x00after\x00{start}")
    members = _cast(chat_id, account_id)
    new_times, senders = _timeline(rng, members, n_messages, start)
    recent = [m for m in reversed(existing[:50]) if isinstance(m, dict)]
    built = _build(
        rng,
        members,
        new_times,
        senders,
        chat_id=chat_id,
        account_id=account_id,
        cap_ms=None,
        earlier=recent,
    )
    built.reverse()
    return built


def _parse_ms(value: object) -> int | None:
    if not isinstance(value, str) or not value.endswith("Z"):
        return None
    try:
        return _ms(datetime.fromisoformat(value))
    except ValueError:
        return None


def demo_chats(
    k: int = 3, n_messages: int = 500, seed: int = 0, *, account_id: str = DEMO_ACCOUNT_ID
) -> dict[str, list[dict[str, Any]]]:
    """``k`` demo chats of the same account: ``chat_demo``, ``chat_demo_2``, ... -> messages.

    >>> chats = demo_chats(2, 10)
    >>> list(chats), [len(m) for m in chats.values()]
    (['chat_demo', 'chat_demo_2'], [10, 10])
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    ids = [DEMO_CHAT_ID if i == 1 else f"{DEMO_CHAT_ID}_{i}" for i in range(1, k + 1)]
    return {
        chat_id: demo_chat(n_messages, seed=seed, chat_id=chat_id, account_id=account_id)
        for chat_id in ids
    }
