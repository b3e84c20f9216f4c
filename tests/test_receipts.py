"""Participants and read receipts: hand-built chats worked out by hand, and the demo chats
against the plain-Python reference of ``tests/receipts_reference.py``."""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from postpress_frames._exceptions import (
    ArgumentTypeError,
    ConfigurationError,
    PostpressError,
    SchemaValidationError,
)
from postpress_frames.analysis.metrics import (
    PARTICIPANTS_SCHEMA,
    READ_MATRIX_SCHEMA,
    READ_RECEIPTS_SCHEMA,
    READ_TIMES_SCHEMA,
    RECEIPT_METRICS,
)
from postpress_frames.analysis.receipts import (
    participants,
    read_matrix,
    read_receipts,
    read_times,
)
from postpress_frames.storage.dataset import scan_dataset, write_dataset
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import MissingFieldWarning
from postpress_frames.testing.demo_chat import demo_chat
from tests.receipts_reference import (
    reference_participants,
    reference_read_matrix,
    reference_read_receipts,
    reference_read_times,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
MS = timedelta(milliseconds=1)
HOUR = timedelta(hours=1)


def at(minutes: float, ms: int = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, milliseconds=ms)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def item(
    message_id: str,
    sender: str,
    when: datetime,
    seen_by: Mapping[str, bool | datetime] | None = None,
    *,
    attendee: str | None = "",
    chat_id: str = "chat_1",
    me: str = "A",
    **fields: Any,
) -> dict[str, Any]:
    """One raw page item; ``attendee`` defaults to ``att_<sender>`` (None: no such field)."""
    raw: dict[str, Any] = {
        "object": "Message",
        "id": message_id,
        "provider_id": f"p_{message_id}",
        "account_id": "acc",
        "chat_id": chat_id,
        "chat_provider_id": "cp",
        "sender_id": sender,
        "timestamp": stamp(when),
        "text": "hi",
        "is_sender": 1 if sender == me else 0,
        "seen": 1,
        "hidden": 0,
        "deleted": 0,
        "edited": 0,
        "is_event": 0,
        "delivered": 1,
        "attachments": [],
        "reactions": [],
        "seen_by": {
            key: stamp(value) if isinstance(value, datetime) else value
            for key, value in (seen_by or {}).items()
        },
        "original": "",
        **fields,
    }
    if attendee is not None:
        raw["sender_attendee_id"] = attendee or f"att_{sender}"
    return raw


def frames_of(*items: dict[str, Any]) -> ChatFrames:
    return frames_from_pages([{"object": "MessageList", "items": list(items), "cursor": None}])


def hand_items() -> list[dict[str, Any]]:
    """A (me, att_A), B (att_B), C (att_C: reads, never writes), D (writes, no attendee id).

    Times in minutes after T0; the response cap of these tests is one hour.
    """
    return [
        # m1: B reads after exactly 5 min; C sees without a time; A's own receipt is ignored.
        item("m1", "A", at(0), {"att_B": at(5), "att_C": True, "att_A": at(1)}),
        # m2: A reads after 5 min + 1 ms and answers with m5 exactly one hour later; C: false.
        item("m2", "B", at(10), {"att_A": at(15, 1), "att_C": False}),
        # m3: an event: neither received nor read.
        item("m3", "B", at(20), {"att_A": at(21)}, is_event=1, text="B joined"),
        # m4: by D, who has no attendee id; A's receipt is a minute early (clock skew).
        item("m4", "D", at(30), {"att_A": at(29), "att_B": True}, attendee=None),
        item("m5", "A", at(70), {"att_B": at(71), "att_C": at(80)}),
        # m6: deleted, still received and read; A answers only 125 min later: left on read.
        item("m6", "B", at(75), {"att_A": True}, deleted=1, text=None),
        # m7: B answers 60 min + 1 ms later (m8): left on read.
        item("m7", "A", at(200), {"att_B": True, "att_C": True}),
        # m8: the chat's last message: A's read is still open.
        item("m8", "B", at(260, 1), {"att_A": at(261)}),
    ]


@pytest.fixture
def hand() -> ChatFrames:
    with pytest.warns(MissingFieldWarning, match="sender_attendee_id"):
        return frames_of(*hand_items())


def by_attendee(frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {row["attendee_id"]: row for row in frame.iter_rows(named=True)}


# --------------------------------------------------------------------------- shape


def test_empty_frames_give_empty_typed_tables() -> None:
    empty = ChatFrames.empty()
    for func, schema in (
        (participants, PARTICIPANTS_SCHEMA),
        (read_times, READ_TIMES_SCHEMA),
        (read_receipts, READ_RECEIPTS_SCHEMA),
        (read_matrix, READ_MATRIX_SCHEMA),
    ):
        result = func(empty)
        assert result.height == 0
        assert result.schema == pl.Schema(schema)


def test_every_read_receipts_column_has_a_definition() -> None:
    assert list(RECEIPT_METRICS) == list(READ_RECEIPTS_SCHEMA)
    assert all(metric.definition.endswith(".") for metric in RECEIPT_METRICS.values())


def test_results_have_the_schemas(hand: ChatFrames) -> None:
    assert read_times(hand).schema == pl.Schema(READ_TIMES_SCHEMA)
    assert read_receipts(hand).schema == pl.Schema(READ_RECEIPTS_SCHEMA)
    assert read_matrix(hand).schema == pl.Schema(READ_MATRIX_SCHEMA)
    assert participants(hand).schema == pl.Schema(PARTICIPANTS_SCHEMA)


# --------------------------------------------------------------------------- worked by hand


def test_participants_worked_by_hand(hand: ChatFrames) -> None:
    rows = participants(hand).rows()
    assert rows == [
        ("chat_1", "A", "A", "att_A", True, at(0), at(200)),
        ("chat_1", "B", "B", "att_B", False, at(10), at(260, 1)),  # the event is no message
        ("chat_1", "D", "D", None, False, at(30), at(30)),  # a sender without attendee id
        ("chat_1", None, "att_C", "att_C", False, None, None),  # a reader who never wrote
    ]


def test_read_receipts_worked_by_hand(hand: ChatFrames) -> None:
    result = read_receipts(hand, response_cap=HOUR)
    assert result.get_column("attendee_id").to_list() == ["att_A", "att_B", "att_C"]
    rows = by_attendee(result)
    a, b, c = rows["att_A"], rows["att_B"], rows["att_C"]
    # A (the connected account as a reader) received m2, m4, m6 (deleted) and m8: not the
    # event m3 nor its own messages (its receipt on m1 is ignored).
    assert (a["is_sender"], a["messages_received"], a["seen"], a["seen_share"]) == (
        True,
        4,
        4,
        1.0,
    )
    # Timed: m4 at 0 (read a minute "before" it was sent), m8 at 59.999 s, m2 at 5 min 1 ms.
    assert a["time_to_read_median"] == timedelta(milliseconds=59_999)
    assert a["time_to_read_p90"] == 5 * MINUTE + MS  # nearest rank: ceil(0.9 * 3) = 3rd
    assert a["read_within_5min_share"] == pytest.approx(2 / 3, rel=1e-12)
    # m2 answered exactly at the cap (m5), m4 within it; m6 not (left); m8 still open.
    assert a["left_on_read"] == 1
    # B: m1 after exactly 5 min (quick), m5 after 1 min; m4 and m7 seen without a time.
    assert (b["messages_received"], b["seen"], b["seen_share"]) == (4, 4, 1.0)
    assert b["time_to_read_median"] == 3 * MINUTE
    assert b["time_to_read_p90"] == 5 * MINUTE
    assert b["read_within_5min_share"] == 1.0
    # m7 answered 60 min + 1 ms later: left on read; m4 answered by the deleted m6.
    assert b["left_on_read"] == 1
    # C never wrote: keeps its attendee id, receives everything, leaves all it saw on read.
    assert (c["sender_id"], c["sender_name"], c["is_sender"]) == (None, "att_C", False)
    assert (c["messages_received"], c["seen"], c["seen_share"]) == (7, 3, 3 / 7)
    assert c["time_to_read_median"] == c["time_to_read_p90"] == 10 * MINUTE
    assert c["read_within_5min_share"] == 0.0
    assert c["left_on_read"] == 3


def test_read_times_worked_by_hand(hand: ChatFrames) -> None:
    times = read_times(hand)
    assert times.columns == list(READ_TIMES_SCHEMA)
    rows = times.select(
        "message_id", "writer", "reader_attendee_id", "reader", "seen_at", "time_to_read"
    ).rows()
    assert rows == [
        ("m1", "A", "att_B", "B", at(5), 5 * MINUTE),
        ("m1", "A", "att_C", None, None, None),
        ("m2", "B", "att_A", "A", at(15, 1), 5 * MINUTE + MS),
        ("m4", "D", "att_A", "A", at(29), timedelta(0)),  # clock skew: 0, seen_at as sent
        ("m4", "D", "att_B", "B", None, None),
        ("m5", "A", "att_B", "B", at(71), MINUTE),
        ("m5", "A", "att_C", None, at(80), 10 * MINUTE),
        ("m6", "B", "att_A", "A", None, None),
        ("m7", "A", "att_B", "B", None, None),
        ("m7", "A", "att_C", None, None, None),
        ("m8", "B", "att_A", "A", at(261), timedelta(milliseconds=59_999)),
    ]
    assert times.get_column("sent_at").is_sorted()
    assert times.filter(pl.col("reader").is_null()).get_column(
        "reader_name"
    ).unique().to_list() == ["att_C"]


def test_read_matrix_worked_by_hand(hand: ChatFrames) -> None:
    matrix = read_matrix(hand)
    assert matrix.columns == list(READ_MATRIX_SCHEMA)
    rows = matrix.select(
        "writer", "reader_attendee_id", "reader", "messages", "seen", "time_to_read_median"
    ).rows()
    assert rows == [
        ("A", "att_B", "B", 3, 3, 3 * MINUTE),
        ("A", "att_C", None, 3, 3, 10 * MINUTE),
        ("B", "att_A", "A", 3, 3, 3 * MINUTE),  # median of 5 min 1 ms and 59.999 s
        ("B", "att_C", None, 3, 0, None),  # C's only receipt on B's messages is false
        ("D", "att_A", "A", 1, 1, timedelta(0)),
        ("D", "att_B", "B", 1, 1, None),
        ("D", "att_C", None, 1, 0, None),
    ]
    # Per reader, the matrix adds up to read_receipts.
    totals = matrix.group_by("reader_attendee_id").agg(pl.col("messages", "seen").sum())
    receipts = read_receipts(hand).select(
        pl.col("attendee_id").alias("reader_attendee_id"),
        pl.col("messages_received").alias("messages"),
        "seen",
    )
    assert totals.sort("reader_attendee_id").equals(receipts.sort("reader_attendee_id"))


@pytest.mark.parametrize(
    ("seen_after", "quick"),
    [(5 * MINUTE, 1.0), (5 * MINUTE + MS, 0.0)],
    ids=["exactly-5min-is-quick", "over-5min-is-not"],
)
def test_read_within_five_minutes_includes_exactly_five(
    seen_after: timedelta, quick: float
) -> None:
    frames = frames_of(
        item("m1", "A", at(0), {"att_B": at(0) + seen_after}), item("m2", "B", at(1))
    )
    assert by_attendee(read_receipts(frames))["att_B"]["read_within_5min_share"] == quick


@pytest.mark.parametrize(
    ("answer_after", "left"),
    [(HOUR, 0), (HOUR + MS, 1)],
    ids=["answer-exactly-at-cap", "answer-one-ms-late"],
)
def test_left_on_read_is_exclusive_of_an_answer_at_the_cap(
    answer_after: timedelta, left: int
) -> None:
    frames = frames_of(
        item("m1", "A", at(0), {"att_B": at(1)}), item("m2", "B", at(0) + answer_after)
    )
    assert by_attendee(read_receipts(frames, response_cap=HOUR))["att_B"]["left_on_read"] == left


@pytest.mark.parametrize(
    ("last_after", "left"),
    [(HOUR - MS, 0), (HOUR, 1)],
    ids=["window-still-open", "window-closed-at-cap"],
)
def test_left_on_read_waits_until_the_window_closes(last_after: timedelta, left: int) -> None:
    # C never answers; whether that is "left on read" is known once the chat is a cap further.
    frames = frames_of(item("m1", "A", at(0), {"att_C": True}), item("m2", "B", at(0) + last_after))
    assert by_attendee(read_receipts(frames, response_cap=HOUR))["att_C"]["left_on_read"] == left


def test_an_answer_at_the_same_millisecond_does_not_count() -> None:
    frames = frames_of(
        item("m1", "A", at(0), {"att_B": True}),
        item("m2", "B", at(0)),
        item("m3", "A", at(120)),
    )
    assert by_attendee(read_receipts(frames, response_cap=HOUR))["att_B"]["left_on_read"] == 1


def test_receipts_without_times_count_as_seen_but_not_timed() -> None:
    frames = frames_of(
        item("m1", "A", at(0), {"att_B": True, "att_C": False}),
        item("m2", "B", at(1), {"att_A": True}),
    )
    assert frames.seen_by.get_column("seen_at").null_count() == 3
    rows = by_attendee(read_receipts(frames))
    for key in ("att_A", "att_B"):
        assert (rows[key]["seen"], rows[key]["seen_share"]) == (1, 1.0)
        assert rows[key]["time_to_read_median"] is None
        assert rows[key]["time_to_read_p90"] is None
        assert rows[key]["read_within_5min_share"] is None
    assert (rows["att_C"]["messages_received"], rows["att_C"]["seen"]) == (2, 0)
    assert rows["att_C"]["seen_share"] == 0.0
    assert read_times(frames).get_column("time_to_read").null_count() == 2
    assert read_matrix(frames).get_column("time_to_read_median").null_count() == 4


def test_a_sender_without_attendee_id_is_a_participant_but_no_reader() -> None:
    with pytest.warns(MissingFieldWarning):
        frames = frames_of(
            item("m1", "A", at(0), {"att_X": at(2)}),
            item("m2", "D", at(1), {"att_A": at(3)}, attendee=None),
        )
    people = {row[1]: row for row in participants(frames).rows()}
    assert people["D"][3] is None
    # D's receipts can't be told from a stranger's: att_X is a reader who never wrote.
    assert people[None][3] == "att_X"
    assert read_receipts(frames).get_column("attendee_id").to_list() == ["att_A", "att_X"]
    assert read_matrix(frames).select("writer", "reader_attendee_id").rows() == [
        ("A", "att_X"),
        ("D", "att_A"),
        ("D", "att_X"),
    ]


def mapping_items() -> list[dict[str, Any]]:
    return [
        # E carries att_E1 twice and att_E2 once: att_E1 is E's; att_E2 reads as E.
        item("e1", "E", at(0), attendee="att_E1"),
        item("e2", "E", at(1), {"att_E2": at(2)}, attendee="att_E1"),  # E's own: ignored
        item("e3", "E", at(2), attendee="att_E2"),
        # att_X on F twice and on G once: F's; G has none left.
        item("f1", "F", at(3), {"att_E1": at(6), "att_E2": True}, attendee="att_X"),
        item("f2", "F", at(4), attendee="att_X"),
        item("g1", "G", at(5), {"att_X": at(7), "att_T": True}, attendee="att_X"),
        # att_T once on H and once on I: the tie goes to the smaller sender id, H.
        item("h1", "H", at(6), attendee="att_T"),
        item("i1", "I", at(7), attendee="att_T"),
        # J carries two ids once each: the smaller is J's own; both are J's.
        item("j1", "J", at(8), attendee="att_J2"),
        item("j2", "J", at(9), {"att_J2": True}, attendee="att_J1"),
    ]


def test_the_attendee_id_mapping_rules() -> None:
    frames = frames_of(*mapping_items())
    people = {row["sender_id"]: row["attendee_id"] for row in participants(frames).to_dicts()}
    assert people == {
        "E": "att_E1",
        "F": "att_X",
        "G": None,
        "H": "att_T",
        "I": None,
        "J": "att_J1",
    }
    times = read_times(frames)
    assert times.select("message_id", "reader_attendee_id", "reader").rows() == [
        ("f1", "att_E1", "E"),
        ("f1", "att_E2", "E"),
        ("g1", "att_T", "H"),
        ("g1", "att_X", "F"),
    ]
    receipts = by_attendee(read_receipts(frames))
    assert set(receipts) == {"att_E1", "att_X", "att_T", "att_J1"}
    # E's two receipts on f1 are one read, timed by the one with a time.
    assert (receipts["att_E1"]["seen"], receipts["att_E1"]["time_to_read_median"]) == (
        1,
        3 * MINUTE,
    )
    assert receipts["att_J1"]["seen"] == 0  # its receipt (as att_J2) is on its own message


def test_names_label_every_person_once(hand: ChatFrames) -> None:
    names = {"A": "Ada", "att_C": "Cleo", "B": "Ada"}
    people = participants(hand, names=names)
    assert people.get_column("sender_name").to_list() == ["Ada (A)", "Ada (B)", "D", "Cleo"]
    times = read_times(hand, names=names)
    assert set(times.select("writer", "writer_name").unique().rows()) == {
        ("A", "Ada (A)"),
        ("B", "Ada (B)"),
        ("D", "D"),
    }
    readers = set(times.select("reader_attendee_id", "reader_name").unique().rows())
    assert readers == {("att_A", "Ada (A)"), ("att_B", "Ada (B)"), ("att_C", "Cleo")}
    matrix = read_matrix(hand, names=pl.DataFrame({"sender_id": ["D"], "name": ["Dee"]}))
    assert matrix.filter(writer="D").get_column("writer_name").unique().to_list() == ["Dee"]
    receipts = read_receipts(hand, names=names)
    assert receipts.get_column("sender_name").to_list() == ["Ada (A)", "Ada (B)", "Cleo"]


def test_short_labels_are_unique_within_the_chat() -> None:
    frames = frames_of(
        item("m1", "ACoAAb7ncmMAg", at(0), {"att_0123456789A": True}),
        item("m2", "ACoAAb7nZZ", at(1)),
    )
    assert participants(frames).get_column("sender_name").to_list() == [
        "ACoAAb7nZ…",
        "ACoAAb7nc…",
        "att_0123…",
    ]


# --------------------------------------------------------------------------- many chats, lazy


def test_lazy_dataset_equals_eager(tmp_path: Path) -> None:
    items = demo_chat(300, seed=3, chat_id="c_one") + demo_chat(200, seed=4, chat_id="c_two")
    frames = frames_of(*items)
    write_dataset(frames, tmp_path / "lake")
    lazy = scan_dataset(tmp_path / "lake")
    assert isinstance(lazy["seen_by"], pl.LazyFrame)
    for func in (participants, read_times, read_receipts, read_matrix):
        got = func(lazy)
        assert got.get_column("chat_id").n_unique() == 2
        assert got.equals(func(frames)), func.__name__
    assert read_receipts(lazy, response_cap=HOUR).equals(read_receipts(frames, response_cap=HOUR))


def test_chats_that_reuse_message_ids_stay_apart() -> None:
    # A dataset's shape: every table carries chat_id, and both chats have m1, m2, ...
    one = frames_of(*hand_items()[:3])
    two = frames_of(
        item("m1", "B", at(0), {"att_A": at(2)}, chat_id="c2"),
        item("m2", "A", at(1), {"att_B": True}, chat_id="c2"),
    )

    def tables(frames: ChatFrames, chat_id: str) -> dict[str, pl.DataFrame]:
        return {
            name: frame if name == "messages" else frame.with_columns(chat_id=pl.lit(chat_id))
            for name, frame in frames.items()
        }

    parts = [tables(one, "chat_1"), tables(two, "c2")]
    lazy = {name: pl.concat([p[name] for p in parts]).lazy() for name in parts[0]}
    for func in (participants, read_times, read_receipts, read_matrix):
        expected = pl.concat([func(two), func(one)]).sort("chat_id", maintain_order=True)
        assert func(lazy).equals(expected), func.__name__


# --------------------------------------------------------------------------- bad input


def test_missing_seen_by_table_is_named(hand: ChatFrames) -> None:
    tables = {name: frame for name, frame in hand.items() if name != "seen_by"}
    for func in (participants, read_times, read_receipts, read_matrix):
        with pytest.raises(SchemaValidationError, match="seen_by") as caught:
            func(tables)
        assert isinstance(caught.value, PostpressError)


def test_missing_seen_by_column_is_named(hand: ChatFrames) -> None:
    broken = {**hand, "seen_by": hand.seen_by.drop("seen")}
    with pytest.raises(SchemaValidationError, match="seen") as caught:
        read_receipts(broken)
    assert caught.value.failures[0].table == "seen_by"


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda f: participants(f, names=["Ada"]), "names"),
        (lambda f: read_times(f, names=3), "names"),
        (lambda f: read_matrix(f, names="Ada"), "names"),
        (lambda f: read_receipts(f, names=["Ada"]), "names"),
        (lambda f: read_receipts(f, tz=1), "tz"),
        (lambda f: read_receipts(f, response_cap="1h"), "response_cap"),
        (lambda f: read_receipts(f, response_cap=3600), "response_cap"),
        (lambda f: participants([f]), "frames"),
        (lambda f: read_times(f.messages), "frames"),
        (lambda f: read_matrix({**f, "seen_by": f.seen_by.to_dicts()}), "frames['seen_by']"),
    ],
)
def test_arguments_of_the_wrong_type_are_named(hand: ChatFrames, call: Any, argument: str) -> None:
    with pytest.raises(ArgumentTypeError) as caught:
        call(hand)
    assert caught.value.argument == argument


def test_names_are_checked_before_the_frames() -> None:
    with pytest.raises(ArgumentTypeError) as caught:
        read_receipts("not frames", names=["Ada"])  # type: ignore[arg-type]
    assert caught.value.argument == "names"


@pytest.mark.parametrize(
    ("options", "named"),
    [({"tz": "Mars/Olympus"}, "tz"), ({"response_cap": timedelta(0)}, "response_cap")],
)
def test_bad_values_are_configuration_errors(
    hand: ChatFrames, options: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        read_receipts(hand, **options)


def test_tz_changes_no_column(hand: ChatFrames) -> None:
    assert read_receipts(hand, tz="Pacific/Kiritimati").equals(read_receipts(hand))


# --------------------------------------------------------------------------- the reference


def perturbed(items: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """The demo chat with what it lacks: a sender with a second attendee id and one with
    none, receipts on one's own message, early (clock-skewed) receipts and a stranger."""
    rng = random.Random(seed)
    out = copy.deepcopy(items)
    senders = sorted({m["sender_id"] for m in out})
    twice, never = senders[0], senders[1]
    for m in out:
        if m["sender_id"] == twice and rng.random() < 0.2:
            m["sender_attendee_id"] = "att_second"
        if m["sender_id"] == never:
            m.pop("sender_attendee_id", None)
        roll = rng.random()
        if roll < 0.05:
            m["seen_by"][m.get("sender_attendee_id") or "att_none"] = True
        elif roll < 0.1:
            early = datetime.fromisoformat(m["timestamp"]) - timedelta(seconds=rng.randint(1, 90))
            m["seen_by"]["att_ghost"] = stamp(early)
        elif roll < 0.15:
            m["seen_by"]["att_second"] = rng.choice([True, False, m["timestamp"]])
    return out


def demo_items(seed: int) -> list[dict[str, Any]]:
    return (
        demo_chat(700, seed=seed, chat_id="chat_a")
        + perturbed(demo_chat(500, seed=seed + 1, chat_id="chat_b"), seed)
        + demo_chat(250, seed=seed + 2, chat_id="chat_c")
    )


def same(got: Any, expected: Any) -> bool:
    if isinstance(expected, float):
        return bool(got == pytest.approx(expected, rel=1e-12, abs=1e-12))
    return bool(got == expected)


@pytest.fixture(scope="module", params=[0, 11], ids=lambda seed: f"seed={seed}")
def demo(request: pytest.FixtureRequest) -> tuple[list[dict[str, Any]], ChatFrames]:
    items = demo_items(request.param)
    with pytest.warns(MissingFieldWarning):
        frames = frames_from_pages(
            [
                {"object": "MessageList", "items": items[i : i + 250], "cursor": None}
                for i in range(0, len(items), 250)
            ]
        )
    return items, frames


def test_demo_participants_and_read_times_match_the_reference(
    demo: tuple[list[dict[str, Any]], ChatFrames],
) -> None:
    items, frames = demo
    assert participants(frames).to_dicts() == reference_participants(items)
    got = read_times(frames)
    expected = reference_read_times(items)
    assert got.height == len(expected) > 1000
    assert got.to_dicts() == expected


@pytest.mark.parametrize("response_cap", [timedelta(hours=24), timedelta(minutes=10), HOUR])
def test_demo_read_receipts_match_the_reference(
    demo: tuple[list[dict[str, Any]], ChatFrames], response_cap: timedelta
) -> None:
    items, frames = demo
    result = read_receipts(frames, response_cap=response_cap)
    got = {(row.pop("chat_id"), row.pop("attendee_id")): row for row in result.to_dicts()}
    expected = reference_read_receipts(items, response_cap=response_cap)
    assert got.keys() == expected.keys()
    mismatches = [
        (key, name, got[key][name], value)
        for key, row in expected.items()
        for name, value in row.items()
        if not same(got[key][name], value)
    ]
    assert mismatches == []
    assert sum(row["left_on_read"] for row in got.values()) > 0
    assert {name for row in expected.values() for name in row} | {"chat_id", "attendee_id"} == set(
        READ_RECEIPTS_SCHEMA
    )


def test_demo_read_matrix_matches_the_reference(
    demo: tuple[list[dict[str, Any]], ChatFrames],
) -> None:
    items, frames = demo
    matrix = read_matrix(frames)
    got = {
        (row.pop("chat_id"), row.pop("writer"), row.pop("reader_attendee_id")): row
        for row in matrix.to_dicts()
    }
    assert got == reference_read_matrix(items)
