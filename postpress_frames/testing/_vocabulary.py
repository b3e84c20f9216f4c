"""The demo chat's data: its people, and the words, emoji, subjects and files they send.

Kept apart from the generator (:mod:`postpress_frames.testing.demo_chat`), which draws from
these tables in a fixed order: changing, adding or reordering an entry changes every demo
chat, and with it the committed sample pages in ``data/sample/``.

>>> ACCOUNT.name, len(OTHERS), sorted(WORDS) == sorted({p.lang for p in (ACCOUNT, *OTHERS)})
('Léa Martin', 5, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "ACCOUNT",
    "ATTACHMENT_TAGS",
    "ATTACHMENT_VARIANT",
    "EMOJI",
    "EVENT_TEXT",
    "EXTRA_EMOJI",
    "FILE_STEMS",
    "LINKS",
    "MIME",
    "OTHERS",
    "PUNCT",
    "QUESTION_MARK",
    "RANDOM_KINDS",
    "REACTIONS",
    "SHOWCASE",
    "SUBJECTS",
    "WORDS",
    "Persona",
]


@dataclass(frozen=True, slots=True)
class Persona:
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
ACCOUNT: Final = Persona(
    "Léa Martin", "Europe/Paris", (8, 23), 1.0, 0.25, 4.0, 2.0, "fr", "MEMBER", -1
)
OTHERS: Final = (
    Persona("Marcus Johnson", "America/New_York", (7, 23), 1.3, 0.55, 3.0, 1.3, "en", "MEMBER", 1),
    Persona("佐藤 春樹", "Asia/Tokyo", (9, 25), 0.8, 0.15, 3.6, 2.6, "ja", "MEMBER", 2),
    Persona("ياسمين حداد", "Asia/Dubai", (10, 24), 0.7, 0.35, 4.4, 1.9, "ar", "MEMBER", 3),
    Persona("Priya Raman", "Asia/Kolkata", (6, 22), 0.9, 0.3, 3.8, 2.2, "hi", "MEMBER", 4),
    Persona("Nordlicht GmbH", "Europe/Berlin", (9, 18), 0.3, 0.05, 5.5, 3.0, "de",
             "ORGANIZATION", -1),
)

WORDS: Final[dict[str, tuple[str, ...]]] = {
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
EMOJI: Final = (
    "😀", "😂", "👍", "👍🏽", "🙏🏾", "🎉", "❤️", "🔥", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷",
    "🇯🇵", "🤷‍♀️", "☕", "🚀", "🙌", "😅", "🧑🏿‍🚀", "✅",
)
# Drawn by the text's own generator (``_content.dress_text``), not the message one: adding
# or reordering these changes texts only, never ids, times or other fields.
EXTRA_EMOJI: Final = (
    "🙏🏽", "👋🏻", "🫶🏾", "👨🏽‍💻", "❤️‍🔥", "🧑‍🤝‍🧑", "🇩🇪", "🇮🇳", "🇦🇪", "🇺🇸", "💯", "🤝",
    "👀", "✨", "😊", "🤔", "📎", "📅", "☀️", "1️⃣", "🙇‍♂️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
)
# Links people paste, with their weight: {id} a document id, {vid} a video id, {n} a
# number, {big} a long numeric id, {hex} hex digits, {short} a short code.
LINKS: Final[tuple[tuple[str, float], ...]] = (
    ("https://github.com/nordlicht-gmbh/postpress-sync/pull/{n}", 3.0),
    ("https://github.com/leamartin/deck-tools/issues/{n}#issuecomment-{big}", 1.5),
    ("https://github.com/nordlicht-gmbh/postpress-sync", 0.5),
    ("https://docs.google.com/document/d/{id}/edit?usp=sharing", 3.0),
    ("https://docs.google.com/spreadsheets/d/{id}/edit#gid=0", 1.5),
    ("https://docs.google.com/presentation/d/{id}/edit", 1.5),
    ("https://www.linkedin.com/in/marcus-johnson-{hex6}/", 1.0),
    ("https://www.linkedin.com/in/priya-raman/", 0.7),
    ("https://www.linkedin.com/posts/nordlicht-gmbh_qualitat-activity-{big}-{short}", 1.5),
    ("https://youtu.be/{vid}", 2.0),
    ("https://youtu.be/{vid}?t={n}", 1.0),
    ("https://www.youtube.com/watch?v={vid}&t={n}s", 1.0),
    ("https://www.nordlicht-gmbh.de/produkte/qualitaet", 1.0),
    ("www.nordlicht-gmbh.de/kontakt", 0.7),
    ("http://staging.nordlicht-gmbh.de:8443/login?next=%2Fdashboard", 0.4),
    ("https://calendly.com/lea-martin/30min", 1.0),
    ("https://us02web.zoom.us/j/{big}?pwd={short}", 0.8),
    ("https://meet.google.com/{meet}", 1.0),
    ("https://www.notion.so/nordlicht/Q3-roadmap-{hex}", 0.8),
    ("https://www.figma.com/file/{short}/Deck-Q3?node-id=12%3A{n}", 0.6),
    ("https://ja.wikipedia.org/wiki/新幹線", 0.3),
    ("https://en.wikipedia.org/wiki/Internationalization_and_localization", 0.3),
    ("https://maps.app.goo.gl/{short}", 0.6),
    ("https://bit.ly/{short}", 0.4),
    ("HTTPS://WWW.LinkedIn.com/company/nordlicht-gmbh", 0.2),
)
# How each language writes a question mark, when not with the ASCII one.
QUESTION_MARK: Final = {"ja": "\uff1f", "ar": "؟"}  # full-width (U+FF1F) and Arabic
REACTIONS: Final = ("👍", "❤️", "😂", "😮", "😢", "🙏", "👍🏻", "🎉", "👩‍💻", "🔥")
PUNCT: Final = ("", "", "", ".", "!", "?", "…", " ?", "!!")
EVENT_TEXT: Final = (
    None, "", "{name} joined the conversation", "{name} a quitté la conversation",
    "{name} renamed the group", "{name} started a video call",
)
SUBJECTS: Final = (
    "Re: Q3 partnership", "Opportunité de collaboration", "Fwd: contrat signé ✅",
    "Invitation: Produktdemo nächste Woche", "Your InMail about the role", "お打ち合わせの件",
)
MIME: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "img": (("image/jpeg", "jpg"), ("image/png", "png"), ("image/webp", "webp")),
    "video": (("video/mp4", "mp4"), ("video/quicktime", "mov")),
    "audio": (("audio/ogg", "ogg"), ("audio/mpeg", "mp3"), ("audio/mp4", "m4a")),
    "file": (
        ("application/pdf", "pdf"), ("text/csv", "csv"), ("application/zip", "zip"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ),
}
FILE_STEMS: Final = (
    "Rapport annuel 2026", "invoice-0042", "見積書", "deck_final_FINAL(2)", "عقد العمل",
    "Q3 numbers", "photo d'équipe", "README",
)
# Features forced once each at random positions in chats large enough, so that every field
# and variant appears even in a small chat; elsewhere they occur at random.
SHOWCASE: Final = (
    "img", "sticker", "video", "gif", "audio", "voice_note", "file", "linkedin_post",
    "meeting", "meeting_null", "quoted", "quoted_bare", "reply", "reply_null", "event",
    "deleted", "edited",
    "hidden", "forwarded", "thread", "inmail", "inmail_null", "alias", "nulls", "undelivered",
)
ATTACHMENT_TAGS: Final = frozenset(SHOWCASE[:10])
RANDOM_KINDS: Final = (
    "img", "img", "img", "img", "sticker", "video", "gif", "audio", "voice_note", "voice_note",
    "file", "file", "linkedin_post", "meeting",
)
ATTACHMENT_VARIANT: Final = {
    "sticker": "img", "gif": "video", "voice_note": "audio",
    "meeting": "video_meeting", "meeting_null": "video_meeting",
}
# fmt: on
