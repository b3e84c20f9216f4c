"""What the report shows where: its sections, the metrics of each table, their headers, and
how a value reads in a cell (package-internal API).

>>> [section.anchor for section in ACTIVITY_SECTIONS][:3]
['volume', 'tenure', 'attachments']
>>> format_value("share_of_messages", 0.3054), format_value("peak_weekday", 4)
('30.5%', 'Thu')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from postpress_frames.analysis.display import format_duration, weekday_name

__all__ = [
    "ACTIVITY_SECTIONS",
    "CONTENT_TABLES",
    "LABELS",
    "RECEIPT_COLUMNS",
    "TEXT_COLUMNS",
    "Layout",
    "format_value",
]


@dataclass(frozen=True)
class Layout:
    """A section of ``sender_activity`` metrics: anchor, title, explanation (``{tz}``,
    ``{session_gap}`` and ``{response_cap}`` are filled in) and its metric columns."""

    anchor: str
    title: str
    explanation: str
    columns: tuple[str, ...]


#: The sections of :func:`~postpress_frames.analysis.stats.sender_activity`'s metrics, in
#: page order; a metric in none of them goes to a last table ("Other metrics").
ACTIVITY_SECTIONS: Final = (
    Layout(
        "volume",
        "Volume",
        "How much each person writes. Events (joins, calls, renames) are left out of every "
        "metric but events; deleted messages count as sent, but their words and characters "
        "are gone.",
        (
            "messages",
            "share_of_messages",
            "words",
            "chars",
            "chars_per_message_median",
            "replies",
            "edited",
            "deleted",
            "events",
        ),
    ),
    Layout(
        "tenure",
        "Tenure",
        "When each person wrote first and last (in {tz}), and on how many days.",
        ("first_at", "last_at", "active_days", "active_day_ratio", "longest_streak_days"),
    ),
    Layout(
        "attachments",
        "Attachments and reactions",
        "Files, images and posts attached to each person's own messages, and the reactions "
        "they left and received.",
        (
            "attachments",
            "attachments_img",
            "attachments_video",
            "attachments_audio",
            "attachments_file",
            "attachments_linkedin_post",
            "attachments_video_meeting",
            "reactions_given",
            "reactions_received",
        ),
    ),
    Layout(
        "conversations",
        "Conversations",
        "A turn is a run of one person's consecutive messages; a conversation starts after "
        "more than {session_gap} of silence.",
        (
            "turns",
            "messages_per_turn",
            "conversations_started",
            "share_of_starts",
            "conversations_joined",
        ),
    ),
    Layout(
        "responsiveness",
        "Responsiveness",
        "A response is the first message of a turn that comes at most {response_cap} after "
        "another person's message; a longer silence leaves that message unanswered.",
        (
            "responses",
            "response_time_median",
            "response_time_p90",
            "responses_within_5min_share",
            "unanswered",
        ),
    ),
    Layout(
        "rhythm",
        "Rhythm",
        "When each person writes, in {tz}.",
        ("peak_hour", "peak_weekday", "night_share", "weekend_share"),
    ),
)

#: The columns of the read-receipts table.
RECEIPT_COLUMNS: Final = (
    "messages_received",
    "seen",
    "seen_share",
    "time_to_read_median",
    "time_to_read_p90",
    "read_within_5min_share",
    "left_on_read",
)

#: The content tables: heading and columns.
CONTENT_TABLES: Final = (
    ("Emoji and questions", ("emoji", "emoji_distinct", "top_emoji", "questions")),
    (
        "Links and reactions",
        ("links", "link_domains", "top_domains", "top_reactions_given", "top_reactions_received"),
    ),
)

#: Columns whose cells are text (left-aligned, wrapping).
TEXT_COLUMNS: Final = frozenset(
    {"top_emoji", "top_domains", "top_reactions_given", "top_reactions_received"}
)

#: A metric's column header; a metric without one shows its column name.
LABELS: Final[Mapping[str, str]] = {
    "messages": "messages",
    "share_of_messages": "share of messages",
    "words": "words",
    "chars": "characters",
    "chars_per_message_median": "median characters per message",
    "replies": "replies",
    "edited": "edited",
    "deleted": "deleted",
    "events": "events",
    "first_at": "first message",
    "last_at": "last message",
    "active_days": "active days",
    "active_day_ratio": "active-day ratio",
    "longest_streak_days": "longest streak (days)",
    "attachments": "attachments",
    "attachments_img": "images",
    "attachments_video": "videos",
    "attachments_audio": "audio",
    "attachments_file": "files",
    "attachments_linkedin_post": "LinkedIn posts",
    "attachments_video_meeting": "video meetings",
    "reactions_given": "reactions given",
    "reactions_received": "reactions received",
    "turns": "turns",
    "messages_per_turn": "messages per turn",
    "conversations_started": "conversations started",
    "share_of_starts": "share of starts",
    "conversations_joined": "conversations joined",
    "responses": "responses",
    "response_time_median": "median response time",
    "response_time_p90": "90th percentile",
    "responses_within_5min_share": "within 5 min",
    "unanswered": "unanswered",
    "peak_hour": "peak hour",
    "peak_weekday": "peak day",
    "night_share": "night (00-06)",
    "weekend_share": "weekend",
    "messages_received": "messages received",
    "seen": "seen",
    "seen_share": "share seen",
    "time_to_read_median": "median time to read",
    "time_to_read_p90": "90th percentile",
    "read_within_5min_share": "read within 5 min",
    "left_on_read": "left on read",
    "emoji": "emoji",
    "emoji_distinct": "distinct emoji",
    "top_emoji": "top emoji",
    "questions": "questions",
    "links": "links",
    "link_domains": "domains",
    "top_domains": "top domains",
    "top_reactions_given": "top reactions given",
    "top_reactions_received": "top reactions received",
}


def _top(items: Sequence[Mapping[str, Any]]) -> str:
    """A top list (``[{value, count}, ...]``) as ``"👍 (12), ❤️ (3)"``."""
    return ", ".join(f"{item['value']}\u00a0({item['count']:,})" for item in items) or "\u2013"


def format_value(column: str, value: Any) -> str:
    """How a metric's value reads in a cell: shares as percentages, durations in their two
    largest units, weekdays and hours by name, counts with thousands separators."""
    if value is None:
        return "\u2013"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z")
    if isinstance(value, list):
        return _top(value)
    if column == "peak_weekday":
        return weekday_name(value)
    if column == "peak_hour":
        return f"{int(value):02d}:00"
    if isinstance(value, float):
        if "share" in column or "ratio" in column:
            return f"{value:.1%}"
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
