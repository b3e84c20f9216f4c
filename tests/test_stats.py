"""Per-sender statistics on small hand-built chats, with answers worked out by hand."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from postpress_frames._exceptions import (
    ArgumentTypeError,
    ConfigurationError,
    PostpressError,
    SchemaValidationError,
)
from postpress_frames.analysis.stats import (
    METRIC_DEFINITIONS,
    SENDER_ACTIVITY_SCHEMA,
    activity_over_time,
    export_ready,
    response_matrix,
    response_times,
    sender_activity,
)
from postpress_frames.storage.dataset import scan_dataset, write_dataset
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import (
    AttachmentSchema,
    MessageSchema,
    ReactionSchema,
    SeenBySchema,
    polars_schema,
)
from postpress_frames.testing.demo_chat import demo_chat, demo_chats
from tests.stats_reference import (
    reference_daily_messages,
    reference_response_matrix,
    reference_sender_activity,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 09:00 UTC
MINUTE = timedelta(minutes=1)
MS = timedelta(milliseconds=1)


def at(minutes: float = 0, **delta: float) -> datetime:
    return T0 + timedelta(minutes=minutes, **delta)


def msg(sender: str, when: datetime, text: str | None = "hi", **fields: Any) -> dict[str, Any]:
    """One row of ``messages`` (the id is given by :func:`chat` unless set)."""
    return {"sender_id": sender, "timestamp": when, "text": text, **fields}


def chat(
    *messages: Mapping[str, Any],
    attachments: Iterable[Mapping[str, Any]] = (),
    reactions: Iterable[Mapping[str, Any]] = (),
    chat_id: str = "chat_1",
    me: str = "A",
) -> ChatFrames:
    """A ChatFrames (valid: see the test below); message ids are m1, m2, ... in order."""
    rows = []
    for number, given in enumerate(messages, start=1):
        row = {
            "id": f"m{number}",
            "provider_id": f"p{number}",
            "account_id": "acc",
            "chat_id": chat_id,
            "chat_provider_id": "cp",
            "sender_attendee_id": f"att_{given['sender_id']}",
            "is_sender": given["sender_id"] == me,
            "seen": True,
            "hidden": False,
            "deleted": False,
            "edited": False,
            "is_event": False,
            "delivered": True,
            "original": "{}",
            **given,
        }
        rows.append(row)
    frame = pl.DataFrame(rows, schema=polars_schema(MessageSchema)).sort("timestamp", "id")
    attachment_rows = [
        {"position": i, "quoted": False, "id": f"a{i}", "unavailable": False, **a}
        for i, a in enumerate(attachments)
    ]
    for row in attachment_rows:  # satisfy the variant's required fields
        if row["type"] == "img":
            row.update(width=1, height=1, sticker=False)
        if row["type"] == "file":
            row.update(file_name="f.pdf")
    reaction_rows = [
        {"position": i, "value": "👍", "is_sender": r["sender_id"] == me, **r}
        for i, r in enumerate(reactions)
    ]
    return ChatFrames(
        messages=frame,
        attachments=pl.DataFrame(attachment_rows, schema=polars_schema(AttachmentSchema)),
        reactions=pl.DataFrame(reaction_rows, schema=polars_schema(ReactionSchema)),
        seen_by=pl.DataFrame(schema=polars_schema(SeenBySchema)),
    )


def rows(frames: Mapping[str, Any], **options: Any) -> dict[str, dict[str, Any]]:
    """sender_id -> metric -> value, for a one-chat result."""
    result = sender_activity(frames, **options)
    assert result.get_column("chat_id").unique().len() <= 1
    return {row["sender_id"]: row for row in result.to_dicts()}


# --------------------------------------------------------------------------- shape


def test_empty_chat_gives_an_empty_table_with_every_column_typed() -> None:
    result = sender_activity(ChatFrames.empty(), tz="Europe/Paris")
    assert result.height == 0
    assert list(result.schema) == list(SENDER_ACTIVITY_SCHEMA)
    assert result.schema["first_at"] == pl.Datetime("ms", "Europe/Paris")
    assert result.schema["response_time_p90"] == pl.Duration("ms")
    assert response_matrix(ChatFrames.empty()).height == 0
    assert response_times(ChatFrames.empty()).height == 0
    assert activity_over_time(ChatFrames.empty()).height == 0


def test_hand_built_chats_are_valid_frames() -> None:
    for frames in (conversation(), dst_chat(), deleted_chat()):
        frames.validate()


def test_every_column_has_a_written_definition() -> None:
    from postpress_frames.analysis.metrics import CONTENT_SCHEMA, READ_RECEIPTS_SCHEMA

    every = {*SENDER_ACTIVITY_SCHEMA, *READ_RECEIPTS_SCHEMA, *CONTENT_SCHEMA}
    assert set(METRIC_DEFINITIONS) == every


# --------------------------------------------------------------------------- volume, tenure


def test_single_sender_has_the_whole_chat_and_no_responses() -> None:
    frames = chat(msg("A", at(0)), msg("A", at(10)), msg("A", at(0, days=2)))
    a = rows(frames)["A"]
    assert a["is_sender"] is True
    assert (a["messages"], a["share_of_messages"], a["turns"], a["messages_per_turn"]) == (
        3,
        1.0,
        1,
        3.0,
    )
    # Two conversations (the 2-day silence), both started by A; nothing to respond to.
    assert (a["conversations_started"], a["share_of_starts"], a["conversations_joined"]) == (
        2,
        1.0,
        0,
    )
    assert (a["responses"], a["unanswered"]) == (0, 0)
    assert a["response_time_median"] is None
    assert a["response_time_p90"] is None
    assert a["responses_within_5min_share"] is None
    # Mar 2 and Mar 4: two active days of a three-day tenure, no two in a row.
    assert (a["active_days"], a["active_day_ratio"], a["longest_streak_days"]) == (2, 2 / 3, 1)
    assert a["first_at"] == at(0)
    assert a["last_at"] == at(0, days=2)


def test_sender_with_one_message() -> None:
    frames = chat(msg("A", at(0)), msg("A", at(1)), msg("B", at(2), "just one"))
    b = rows(frames)["B"]
    assert b["is_sender"] is False
    assert (b["messages"], b["share_of_messages"], b["turns"], b["messages_per_turn"]) == (
        1,
        1 / 3,
        1,
        1.0,
    )
    assert (b["words"], b["chars"], b["chars_per_message_median"]) == (2, 8, 8.0)
    assert (b["active_days"], b["active_day_ratio"], b["longest_streak_days"]) == (1, 1.0, 1)
    assert b["first_at"] == b["last_at"] == at(2)
    assert (b["responses"], b["response_time_median"], b["response_time_p90"]) == (
        1,
        MINUTE,
        MINUTE,
    )
    assert (b["conversations_started"], b["conversations_joined"]) == (0, 1)


def test_words_and_characters_count_unicode_text() -> None:
    frames = chat(
        msg("A", at(0), "hello world"),  # 2 words, 11 chars
        msg("A", at(1), "  spaced\tout\nwords "),  # 3 words, 19 chars
        msg("A", at(2), None),  # attachment only: 0 and 0
        msg("A", at(3), "naïve café ☕"),  # 3 words, 12 code points
    )
    a = rows(frames)["A"]
    assert (a["words"], a["chars"]) == (8, 42)
    assert a["chars_per_message_median"] == 11.5  # median of 0, 11, 12, 19


def test_streak_counts_consecutive_calendar_days() -> None:
    days = [0, 1, 2, 5, 6, 9]  # runs of 3, 2 and 1 days over a 10-day tenure
    frames = chat(*(msg("A", at(0, days=d)) for d in days), msg("A", at(30, days=1)))
    a = rows(frames)["A"]
    assert (a["active_days"], a["longest_streak_days"], a["active_day_ratio"]) == (6, 3, 0.6)


# --------------------------------------------------------------------------- turns, responses


def conversation() -> ChatFrames:
    return chat(
        msg("A", at(0)),  # m1: starts conversation 1
        msg("A", at(1)),  # m2
        msg("B", at(3)),  # m3: B answers A after 2 min
        msg("B", at(4)),  # m4
        msg("A", at(14)),  # m5: A answers B after 10 min
        msg("B", at(74)),  # m6: after 60 min: answers A, starts conversation 2
        msg("A", at(74, hours=24)),  # m7: exactly the 24 h cap: answers B, conversation 3
        msg("B", at(74, hours=48) + MS),  # m8: 24 h + 1 ms: A unanswered, conversation 4
        msg("B", at(75, hours=48)),  # m9: same turn; the last turn counts as nothing
    )


def test_turns_responses_and_unanswered_worked_by_hand() -> None:
    stats = rows(conversation())
    a, b = stats["A"], stats["B"]
    assert (a["turns"], b["turns"]) == (3, 3)
    assert (a["messages_per_turn"], b["messages_per_turn"]) == (4 / 3, 5 / 3)
    assert (a["responses"], b["responses"]) == (2, 2)
    assert b["response_time_median"] == 31 * MINUTE  # (2 min + 60 min) / 2
    assert b["response_time_p90"] == 60 * MINUTE  # nearest rank: ceil(0.9 * 2) = 2nd
    assert b["responses_within_5min_share"] == 0.5
    assert a["response_time_median"] == timedelta(hours=12, minutes=5)  # (10 min + 24 h) / 2
    assert a["response_time_p90"] == timedelta(hours=24)
    assert a["responses_within_5min_share"] == 0.0
    assert (a["unanswered"], b["unanswered"]) == (1, 0)
    # Every change of sender is either a response or an unanswered turn.
    total_turns = a["turns"] + b["turns"]
    assert a["responses"] + b["responses"] + a["unanswered"] + b["unanswered"] == total_turns - 1


def test_conversations_started_and_joined_worked_by_hand() -> None:
    stats = rows(conversation())
    a, b = stats["A"], stats["B"]
    # Conversations: {m1..m5}, {m6}, {m7}, {m8, m9}.
    assert (a["conversations_started"], b["conversations_started"]) == (2, 2)
    assert (a["share_of_starts"], b["share_of_starts"]) == (0.5, 0.5)
    assert (a["conversations_joined"], b["conversations_joined"]) == (0, 1)


def test_response_matrix_and_response_times_worked_by_hand() -> None:
    matrix = response_matrix(conversation())
    assert matrix.columns == [
        "chat_id",
        "responder",
        "responder_name",
        "responded_to",
        "responded_to_name",
        "responses",
        "share",
        "response_time_median",
    ]
    got = {(r["responder"], r["responded_to"]): r for r in matrix.to_dicts()}
    assert set(got) == {("A", "B"), ("B", "A")}
    assert (got[("B", "A")]["responses"], got[("B", "A")]["share"]) == (2, 0.5)
    assert got[("B", "A")]["response_time_median"] == 31 * MINUTE
    times = response_times(conversation())
    assert times.get_column("message_id").to_list() == ["m3", "m5", "m6", "m7"]
    assert times.get_column("responded_to").to_list() == ["A", "B", "A", "B"]
    assert times.get_column("response_time").to_list() == [
        2 * MINUTE,
        10 * MINUTE,
        60 * MINUTE,
        timedelta(hours=24),
    ]


@pytest.mark.parametrize(
    ("gap", "responses", "unanswered"),
    [(timedelta(hours=1), 1, 0), (timedelta(hours=1) + MS, 0, 1)],
    ids=["exactly-at-cap-is-a-response", "one-ms-over-cap-is-unanswered"],
)
def test_response_exactly_at_the_cap_counts(
    gap: timedelta, responses: int, unanswered: int
) -> None:
    frames = chat(msg("A", at(0)), msg("B", at(0) + gap))
    stats = rows(frames, response_cap=timedelta(hours=1))
    assert stats["B"]["responses"] == responses
    assert stats["A"]["unanswered"] == unanswered
    assert response_matrix(frames, response_cap=timedelta(hours=1)).height == responses


@pytest.mark.parametrize(
    ("gap", "share"),
    [(5 * MINUTE, 1.0), (5 * MINUTE + MS, 0.0)],
    ids=["exactly-5min-is-quick", "over-5min-is-not"],
)
def test_quick_response_share_includes_exactly_five_minutes(gap: timedelta, share: float) -> None:
    stats = rows(chat(msg("A", at(0)), msg("B", at(0) + gap)))
    assert stats["B"]["responses_within_5min_share"] == share


@pytest.mark.parametrize(
    ("gap", "conversations"),
    [(30 * MINUTE, 1), (30 * MINUTE + MS, 2)],
    ids=["exactly-at-gap-continues", "one-ms-over-gap-starts-anew"],
)
def test_session_gap_exactly_at_the_threshold_continues_the_conversation(
    gap: timedelta, conversations: int
) -> None:
    stats = rows(chat(msg("A", at(0)), msg("B", at(0) + gap)))
    a, b = stats["A"], stats["B"]
    assert a["conversations_started"] + b["conversations_started"] == conversations
    assert b["conversations_joined"] == (1 if conversations == 1 else 0)
    assert b["share_of_starts"] == (0.0 if conversations == 1 else 0.5)


def test_custom_session_gap() -> None:
    frames = chat(msg("A", at(0)), msg("B", at(5)), msg("A", at(20)))
    stats = rows(frames, session_gap=timedelta(minutes=10))
    assert (stats["A"]["conversations_started"], stats["B"]["conversations_started"]) == (2, 0)


# --------------------------------------------------------------------------- rhythm, ties


def test_peak_hour_and_weekday_ties_go_to_the_earliest() -> None:
    frames = chat(
        msg("A", datetime(2026, 3, 3, 15, 0, tzinfo=UTC)),  # Tuesday 15 h
        msg("A", datetime(2026, 3, 6, 9, 0, tzinfo=UTC)),  # Friday 09 h
    )
    a = rows(frames)["A"]
    assert (a["peak_hour"], a["peak_weekday"]) == (9, 2)


def test_peak_is_the_most_frequent_hour_and_weekday() -> None:
    frames = chat(
        msg("A", datetime(2026, 3, 3, 8, 0, tzinfo=UTC)),  # Tuesday 08 h
        msg("A", datetime(2026, 3, 7, 20, 0, tzinfo=UTC)),  # Saturday 20 h
        msg("A", datetime(2026, 3, 14, 20, 30, tzinfo=UTC)),  # Saturday 20 h
        msg("A", datetime(2026, 3, 15, 4, 0, tzinfo=UTC)),  # Sunday 04 h (night)
    )
    a = rows(frames)["A"]
    assert (a["peak_hour"], a["peak_weekday"]) == (20, 6)
    assert (a["night_share"], a["weekend_share"]) == (0.25, 0.75)


def test_night_is_midnight_to_before_six() -> None:
    frames = chat(
        msg("A", datetime(2026, 3, 2, 0, 0, tzinfo=UTC)),
        msg("A", datetime(2026, 3, 2, 5, 59, 59, 999000, tzinfo=UTC)),
        msg("A", datetime(2026, 3, 2, 6, 0, tzinfo=UTC)),
        msg("A", datetime(2026, 3, 2, 23, 59, tzinfo=UTC)),
    )
    assert rows(frames)["A"]["night_share"] == 0.5


def dst_chat() -> ChatFrames:
    # Europe/Paris moves from CET (+1) to CEST (+2) at 2026-03-29 01:00 UTC.
    return chat(
        msg("A", datetime(2026, 3, 28, 23, 30, tzinfo=UTC)),  # Paris Sun 00:30, UTC Sat
        msg("A", datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),  # Paris Sun 01:59 CET
        msg("A", datetime(2026, 3, 29, 1, 1, tzinfo=UTC)),  # Paris Sun 03:01 CEST
        msg("A", datetime(2026, 3, 29, 22, 30, tzinfo=UTC)),  # Paris Mon 00:30, UTC Sun
    )


def test_dst_change_in_the_time_zone() -> None:
    paris = rows(dst_chat(), tz="Europe/Paris")["A"]
    assert (paris["peak_hour"], paris["peak_weekday"]) == (0, 7)  # 00 h twice; 3 Sundays
    assert (paris["night_share"], paris["weekend_share"]) == (1.0, 0.75)
    assert (paris["active_days"], paris["longest_streak_days"], paris["active_day_ratio"]) == (
        2,
        2,
        1.0,
    )
    # 01:59 -> 03:01 on the wall clock is 2 real minutes: one conversation, not two.
    assert paris["conversations_started"] == 3
    assert paris["first_at"] == datetime(2026, 3, 29, 0, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert str(paris["last_at"].utcoffset()) == "2:00:00"

    utc = rows(dst_chat(), tz="UTC")["A"]
    assert (utc["peak_hour"], utc["peak_weekday"]) == (0, 7)  # 23, 0, 1, 22: a tie
    assert (utc["night_share"], utc["weekend_share"]) == (0.5, 1.0)
    assert utc["conversations_started"] == 3


def test_activity_over_time_uses_local_days_across_dst() -> None:
    daily = activity_over_time(dst_chat(), "1d", tz="Europe/Paris")
    assert daily.get_column("period").to_list() == [
        datetime(2026, 3, 29),
        datetime(2026, 3, 30),
    ]
    assert daily.get_column("messages").to_list() == [3, 1]
    hourly = activity_over_time(dst_chat(), "1h", tz="Europe/Paris")
    assert [p.hour for p in hourly.get_column("period").to_list()] == [0, 1, 3, 0]


def test_activity_over_time_counts_messages_words_and_chars() -> None:
    frames = chat(
        msg("A", at(0), "one two"),
        msg("B", at(1), "three"),
        msg("A", at(2, days=7), "four five six"),
        msg("A", at(3, days=7), "deleted text", deleted=True),
    )
    weekly = activity_over_time(frames, "1w")
    assert weekly.select("sender_id", "period", "messages", "words", "chars").rows() == [
        ("A", datetime(2026, 3, 2), 1, 2, 7),
        ("B", datetime(2026, 3, 2), 1, 1, 5),
        ("A", datetime(2026, 3, 9), 2, 3, 13),
    ]


# --------------------------------------------------------------------------- events, deleted


def test_events_are_left_out_but_their_sender_keeps_a_row() -> None:
    frames = chat(
        msg("A", at(0)),
        msg("B", at(1), "B joined the conversation", is_event=True, event_type=1),
        msg("A", at(2)),
        msg("A", at(20), "after an event", is_event=False),
        msg("A", at(40)),
        msg("C", at(41), "C left", is_event=True),
        msg("A", at(50)),
    )
    stats = rows(frames)
    a, b = stats["A"], stats["B"]
    # The event neither breaks A's turn nor bridges silences: 0-2-20-40-50 has gaps of at
    # most 20 min, so one conversation and one turn.
    assert (a["messages"], a["turns"], a["conversations_started"], a["events"]) == (5, 1, 1, 0)
    assert a["share_of_messages"] == 1.0
    assert (b["messages"], b["events"], b["turns"], b["responses"]) == (0, 1, 0, 0)
    assert b["share_of_messages"] == 0.0
    for column in ("first_at", "peak_hour", "night_share", "messages_per_turn", "share_of_starts"):
        assert b[column] is None if column != "share_of_starts" else b[column] == 0.0
    assert b["words"] == b["chars"] == b["active_days"] == 0
    assert set(stats) == {"A", "B", "C"}


def test_an_event_does_not_bridge_a_silence() -> None:
    frames = chat(
        msg("A", at(0)), msg("B", at(20), "call started", is_event=True), msg("A", at(40))
    )
    assert rows(frames)["A"]["conversations_started"] == 2


def deleted_chat() -> ChatFrames:
    return chat(
        msg("A", at(0), "four words right here"),
        msg("B", at(1), "This message was deleted", deleted=True),
        msg("A", at(2)),
        attachments=[{"message_id": "m2", "type": "img"}, {"message_id": "m1", "type": "file"}],
        reactions=[{"message_id": "m2", "sender_id": "A"}],
    )


def test_deleted_messages_count_as_sent_but_not_as_content() -> None:
    frames = deleted_chat()
    b = rows(frames)["B"]
    assert (b["messages"], b["deleted"], b["turns"], b["responses"]) == (1, 1, 1, 1)
    assert (b["words"], b["chars"], b["chars_per_message_median"]) == (0, 0, None)
    assert (b["attachments"], b["attachments_img"]) == (0, 0)
    assert b["reactions_received"] == 1  # the reaction happened before the deletion
    assert rows(frames)["A"]["attachments_file"] == 1


# --------------------------------------------------------------------------- content


def test_attachments_reactions_edits_and_replies() -> None:
    frames = chat(
        msg("A", at(0)),
        msg(
            "B",
            at(1),
            edited=True,
            reply_to_id="m1",
            reply_to_provider_id="p1",
            reply_to_timestamp=at(0),
            reply_to_sender_attendee_id="att_A",
            reply_to_sender_id="A",
        ),
        msg("B", at(2), "ping", is_event=True),
        attachments=[
            {"message_id": "m1", "type": "img"},
            {"message_id": "m1", "type": "img"},
            {"message_id": "m1", "type": "file"},
            {"message_id": "m1", "type": "poll"},  # undocumented: in the total only
            {
                "message_id": "m1",
                "type": "video",
                "quoted": True,
                "width": 1,
                "height": 1,
                "gif": False,
            },
        ],
        reactions=[
            {"message_id": "m1", "sender_id": "B"},
            {"message_id": "m1", "sender_id": "C"},  # a reader who never wrote
            {"message_id": "m2", "sender_id": "A"},
            {"message_id": "m3", "sender_id": "A"},  # on an event: not counted
        ],
    )
    stats = rows(frames)
    a, b, c = stats["A"], stats["B"], stats["C"]
    assert (a["attachments"], a["attachments_img"], a["attachments_file"]) == (4, 2, 1)
    assert (a["attachments_video"], a["attachments_audio"]) == (0, 0)
    assert (a["reactions_given"], a["reactions_received"]) == (1, 2)
    assert (b["reactions_given"], b["reactions_received"]) == (1, 1)
    assert (c["messages"], c["reactions_given"], c["is_sender"]) == (0, 1, False)
    assert (b["edited"], b["replies"], a["edited"], a["replies"]) == (1, 1, 0, 0)


def test_is_sender_marks_the_connected_account() -> None:
    frames = chat(msg("A", at(0)), msg("B", at(1)), me="B")
    stats = rows(frames)
    assert (stats["A"]["is_sender"], stats["B"]["is_sender"]) == (False, True)


def test_rows_are_sorted_by_chat_then_most_messages() -> None:
    frames = chat(msg("A", at(0)), msg("C", at(1)), msg("B", at(2)), msg("B", at(3)))
    assert sender_activity(frames).get_column("sender_id").to_list() == ["B", "A", "C"]


# --------------------------------------------------------------------------- many chats, lazy


def with_chat_id(frames: ChatFrames, chat_id: str) -> dict[str, pl.DataFrame]:
    """A dataset's shape: every table carries chat_id."""
    return {
        name: frame if name == "messages" else frame.with_columns(chat_id=pl.lit(chat_id))
        for name, frame in frames.items()
    }


def test_lazy_dataset_of_many_chats_matches_each_chat_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Both chats reuse the message ids m1, m2, ...: child rows must join on chat_id too.
    one = chat(
        msg("A", at(0)),
        msg("B", at(3)),
        attachments=[{"message_id": "m1", "type": "img"}],
        reactions=[{"message_id": "m2", "sender_id": "A"}],
        chat_id="c1",
    )
    two = chat(msg("A", at(0)), msg("C", at(100)), msg("C", at(101)), chat_id="c2")
    parts = [with_chat_id(one, "c1"), with_chat_id(two, "c2")]
    lazy = {
        name: pl.concat([part[name] for part in parts]).lazy()
        for name in ("messages", "attachments", "reactions")
    }
    engines = []
    collect = pl.LazyFrame.collect

    def spy(self: pl.LazyFrame, *args: Any, **kwargs: Any) -> Any:
        engines.append(kwargs.get("engine"))
        return collect(self, *args, **kwargs)

    monkeypatch.setattr(pl.LazyFrame, "collect", spy)
    combined = sender_activity(lazy, tz="Europe/Paris")
    assert engines[-1] == "streaming"
    expected = pl.concat(
        [sender_activity(one, tz="Europe/Paris"), sender_activity(two, tz="Europe/Paris")]
    )
    assert combined.equals(expected)
    assert combined.filter(sender_id="A", chat_id="c1").row(0, named=True)["attachments"] == 1
    matrix = response_matrix(lazy)
    assert matrix.select("chat_id", "responder", "responses").rows() == [
        ("c1", "B", 1),
        ("c2", "C", 1),
    ]
    assert activity_over_time(lazy).height == 4


def test_scanned_parquet_dataset_gives_the_same_statistics(tmp_path: Path) -> None:
    items = [m for chat in demo_chats(3, 120).values() for m in chat]
    frames = frames_from_pages([{"object": "MessageList", "items": items, "cursor": None}])
    write_dataset(frames, tmp_path / "lake")
    lazy = scan_dataset(tmp_path / "lake")
    result = sender_activity(lazy, tz="Europe/Paris")
    assert result.get_column("chat_id").n_unique() == 3
    assert result.equals(sender_activity(frames, tz="Europe/Paris"))
    assert response_matrix(lazy).equals(response_matrix(frames))
    assert activity_over_time(lazy, "1w").equals(activity_over_time(frames, "1w"))


def test_lazy_single_chat_equals_eager() -> None:
    frames = conversation()
    lazy = {name: frame.lazy() for name, frame in frames.items()}
    assert sender_activity(lazy).equals(sender_activity(frames))


# --------------------------------------------------------------------------- bad input


def test_missing_table_is_named() -> None:
    with pytest.raises(SchemaValidationError, match="reactions"):
        sender_activity(
            {"messages": conversation().messages, "attachments": conversation().attachments}
        )


def test_missing_column_is_named() -> None:
    frames = conversation()
    broken = {**frames, "messages": frames.messages.drop("is_event")}
    with pytest.raises(SchemaValidationError, match="is_event") as caught:
        sender_activity(broken)
    assert caught.value.failures[0].table == "messages"


def test_naive_timestamps_are_refused() -> None:
    frames = conversation()
    naive = frames.messages.with_columns(pl.col("timestamp").dt.replace_time_zone(None))
    with pytest.raises(SchemaValidationError, match="timestamp"):
        sender_activity({**frames, "messages": naive})


def test_not_a_mapping_is_refused() -> None:
    with pytest.raises(TypeError, match="mapping") as caught:
        sender_activity([conversation().messages])  # type: ignore[arg-type]
    assert isinstance(caught.value, ArgumentTypeError)
    assert caught.value.argument == "frames"


def test_a_table_that_is_not_a_polars_frame_is_named() -> None:
    frames = conversation()
    with pytest.raises(ArgumentTypeError, match="DataFrame or LazyFrame") as caught:
        sender_activity({**frames, "reactions": frames.reactions.to_dicts()})
    assert caught.value.argument == "frames['reactions']"


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda f: sender_activity(f, tz=1), "tz"),
        (lambda f: sender_activity(f, session_gap=30), "session_gap"),
        (lambda f: sender_activity(f, response_cap="1h"), "response_cap"),
        (lambda f: response_times(f, response_cap=None), "response_cap"),
        (lambda f: response_matrix(f, response_cap=3600.0), "response_cap"),
        (lambda f: activity_over_time(f, 7), "every"),
        (lambda f: activity_over_time(f, tz=ZoneInfo("UTC")), "tz"),
        (lambda f: export_ready(f), "frame"),
    ],
)
def test_arguments_of_the_wrong_type_are_named(call: Any, argument: str) -> None:
    with pytest.raises(ArgumentTypeError) as caught:
        call(conversation())
    assert caught.value.argument == argument
    assert str(caught.value).startswith(f"{argument} must be ")


@pytest.mark.parametrize(
    ("table", "column", "change"),
    [
        ("messages", "is_event", pl.col("is_event").cast(pl.String)),
        ("messages", "deleted", pl.col("deleted").cast(pl.Int8)),
        ("messages", "text", pl.col("text").str.len_chars()),
        ("reactions", "message_id", pl.col("message_id").str.len_chars()),
    ],
)
def test_a_column_of_the_wrong_dtype_is_named(table: str, column: str, change: pl.Expr) -> None:
    frames = conversation()
    broken = {**frames, table: frames[table].with_columns(change)}
    with pytest.raises(SchemaValidationError, match=column) as caught:
        sender_activity(broken)
    assert (caught.value.failures[0].table, caught.value.failures[0].column) == (table, column)


def test_categorical_and_all_null_columns_read_as_their_stored_dtype() -> None:
    frames = conversation()
    recast = {
        **frames,
        "messages": frames.messages.with_columns(
            pl.col("sender_id", "chat_id").cast(pl.Categorical),
            reply_to_id=pl.lit(None),
        ),
    }
    expected = sender_activity(
        {**frames, "messages": frames.messages.with_columns(reply_to_id=pl.lit(None, pl.String))}
    )
    assert sender_activity(recast).equals(expected)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"session_gap": timedelta(0)}, "session_gap"),
        ({"response_cap": timedelta(minutes=-1)}, "response_cap"),
    ],
)
def test_bad_options_are_configuration_errors(options: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named) as caught:
        sender_activity(conversation(), **options)
    assert not isinstance(caught.value, TypeError)
    assert isinstance(caught.value, PostpressError)


def test_bad_period_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="every"):
        activity_over_time(conversation(), "fortnightly")


# --------------------------------------------------------------------------- export


def test_export_ready_writes_csv_with_seconds_and_iso_times() -> None:
    exported = export_ready(sender_activity(conversation(), tz="Europe/Paris"))
    assert "response_time_median_s" in exported.columns
    assert "response_time_median" not in exported.columns
    b = exported.filter(sender_id="B").row(0, named=True)
    assert b["response_time_median_s"] == 31 * 60.0
    assert b["first_at"] == "2026-03-02T10:03:00.000+01:00"
    assert exported.write_csv().startswith("chat_id,sender_id,sender_name,is_sender,messages")


# --------------------------------------------------------------------------- the demo chat


@pytest.fixture(scope="module")
def demo() -> tuple[list[dict[str, Any]], ChatFrames]:
    items = demo_chat(5000)
    pages = [
        {"object": "MessageList", "items": items[i : i + 250], "cursor": None}
        for i in range(0, len(items), 250)
    ]
    return items, frames_from_pages(pages)


def same(got: Any, expected: Any) -> bool:
    if isinstance(expected, float):
        return got == pytest.approx(expected, rel=1e-12)
    return bool(got == expected)


@pytest.mark.parametrize(
    ("tz", "session_gap", "response_cap"),
    [
        ("Europe/Paris", timedelta(minutes=30), timedelta(hours=24)),
        ("America/New_York", timedelta(minutes=5), timedelta(minutes=10)),
    ],
)
def test_demo_chat_matches_the_plain_python_reference(
    demo: tuple[list[dict[str, Any]], ChatFrames],
    tz: str,
    session_gap: timedelta,
    response_cap: timedelta,
) -> None:
    items, frames = demo
    options = {"tz": tz, "session_gap": session_gap, "response_cap": response_cap}
    result = sender_activity(frames, **options)
    expected = reference_sender_activity(items, **options)
    got = {(row.pop("chat_id"), row.pop("sender_id")): row for row in result.to_dicts()}
    assert got.keys() == expected.keys()
    mismatches = [
        (key[1], name, got[key][name], value)
        for key, row in expected.items()
        for name, value in row.items()
        if not same(got[key][name], value)
    ]
    assert mismatches == []
    assert set(next(iter(expected.values()))) == set(next(iter(got.values())))


def test_demo_chat_matrix_and_daily_activity_match_the_reference(
    demo: tuple[list[dict[str, Any]], ChatFrames],
) -> None:
    items, frames = demo
    matrix = response_matrix(frames)
    assert {
        (r["chat_id"], r["responder"], r["responded_to"]): r["responses"]
        for r in matrix.iter_rows(named=True)
    } == reference_response_matrix(items)
    assert matrix.get_column("share").sum() == pytest.approx(1.0)
    daily = activity_over_time(frames, "1d", tz="Europe/Paris")
    assert {
        (r["chat_id"], r["sender_id"], r["period"].date()): r["messages"]
        for r in daily.iter_rows(named=True)
    } == reference_daily_messages(items, tz="Europe/Paris")
