"""``ChatFrames.filter`` (issue 14): the messages of a half-open time window, of some senders
and chats, with exactly their children; rejects kept unless they readably fall outside;
the result validates. Checked against a plain-Python reference on demo chats."""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import polars as pl
import pytest

from postpress_frames._exceptions import (
    ArgumentTypeError,
    ConfigurationError,
    PostpressError,
    SchemaValidationError,
)
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import TABLE_NAMES, ChatFrames
from postpress_frames.tables.schemas import REJECTS, UnknownValueWarning
from postpress_frames.testing import demo_chat
from tests.conftest import demo_frames

CHATS = ("chat_a", "chat_b", "chat_c")
ALL_TABLES = (*TABLE_NAMES, REJECTS)


def combined(*frames: ChatFrames) -> ChatFrames:
    return ChatFrames(
        **{name: pl.concat([getattr(f, name) for f in frames]) for name in ALL_TABLES}
    )


def quarantined(chat_id: str, seed: int) -> ChatFrames:
    """A demo chat with six messages set aside: two whose timestamp and sender are readable
    (a bad ``hidden``), one with a bad timestamp, one without and one with a null sender, one
    whose chat_id is a number (so its reject has no chat_id)."""
    items = copy.deepcopy(demo_chat(60, seed=seed, chat_id=chat_id))
    items[0]["hidden"] = "yes"  # the newest message
    items[-1]["hidden"] = "yes"  # the oldest
    items[20]["timestamp"] = "yesterday"
    del items[30]["sender_id"]
    items[40]["chat_id"] = 123
    items[50]["sender_id"] = None
    return frames_from_pages([{"items": items, "cursor": None}], on_invalid="quarantine")


@pytest.fixture(scope="module")
def frames() -> ChatFrames:
    return combined(*(demo_frames(150, chat_id=c, seed=i) for i, c in enumerate(CHATS)))


@pytest.fixture(scope="module")
def single() -> ChatFrames:
    return quarantined("chat_a", 0)


def rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


def reference(
    frames: ChatFrames,
    keep: Callable[[dict[str, Any]], bool],
) -> dict[str, list[dict[str, Any]]]:
    """The four tables filtered in plain Python: the messages ``keep`` accepts, and the
    children of exactly those messages, in their order."""
    messages = [row for row in rows(frames.messages) if keep(row)]
    ids = {row["id"] for row in messages}
    out = {"messages": messages}
    for name in TABLE_NAMES[1:]:
        out[name] = [row for row in rows(frames[name]) if row["message_id"] in ids]
    return out


def assert_consistent(result: ChatFrames, frames: ChatFrames, expected: dict[str, Any]) -> None:
    for name in TABLE_NAMES:
        assert result[name].schema == frames[name].schema, name
        assert rows(result[name]) == expected[name], name
    assert result.rejects.schema == frames.rejects.schema
    result.validate()


def moment(frames: ChatFrames, index: int) -> datetime:
    value: datetime = frames.messages.sort("timestamp")["timestamp"][index]
    return value


# -- messages and their children ---------------------------------------------------------------


def test_a_time_window_keeps_the_messages_inside_and_exactly_their_children(
    frames: ChatFrames,
) -> None:
    after, before = moment(frames, 100), moment(frames, 300)
    result = frames.filter(after=after, before=before)
    expected = reference(frames, lambda m: after <= m["timestamp"] < before)
    assert len(expected["messages"]) == 200
    assert_consistent(result, frames, expected)
    assert result.attachments.height and result.reactions.height and result.seen_by.height


@pytest.mark.parametrize("side", ["after", "before"])
def test_one_bound_is_enough(frames: ChatFrames, side: str) -> None:
    bound = moment(frames, 250)
    kwargs: dict[str, Any] = {side: bound}
    result = frames.filter(**kwargs)
    if side == "after":
        expected = reference(frames, lambda m: m["timestamp"] >= bound)
    else:
        expected = reference(frames, lambda m: m["timestamp"] < bound)
    assert_consistent(result, frames, expected)


def test_sender_ids_keep_the_messages_of_those_senders(frames: ChatFrames) -> None:
    senders = frames.messages["sender_id"].unique(maintain_order=True).to_list()[:2]
    result = frames.filter(sender_ids=iter(senders))  # any iterable
    expected = reference(frames, lambda m: m["sender_id"] in senders)
    assert 0 < len(expected["messages"]) < frames.messages.height
    assert_consistent(result, frames, expected)


def test_chat_ids_keep_the_messages_of_those_chats(frames: ChatFrames) -> None:
    result = frames.filter(chat_ids=["chat_c", "chat_a", "chat_a"])
    expected = reference(frames, lambda m: m["chat_id"] in {"chat_a", "chat_c"})
    assert len(expected["messages"]) == 300
    assert_consistent(result, frames, expected)


def test_every_filter_at_once_keeps_what_matches_all_of_them(frames: ChatFrames) -> None:
    after, before = moment(frames, 50), moment(frames, 400)
    senders = set(frames.messages["sender_id"].unique().to_list()[::2])
    result = frames.filter(after=after, before=before, sender_ids=senders, chat_ids=["chat_b"])
    expected = reference(
        frames,
        lambda m: (
            after <= m["timestamp"] < before
            and m["sender_id"] in senders
            and m["chat_id"] == "chat_b"
        ),
    )
    assert expected["messages"]
    assert_consistent(result, frames, expected)


def test_no_filter_gives_equal_frames(frames: ChatFrames) -> None:
    assert frames.filter() == frames


def test_the_frames_filtered_are_left_as_they_were(frames: ChatFrames) -> None:
    before = {name: getattr(frames, name).clone() for name in ALL_TABLES}
    frames.filter(after=moment(frames, 10), sender_ids=["nobody"])
    assert all(getattr(frames, name).equals(before[name]) for name in ALL_TABLES)


# -- the window's bounds -----------------------------------------------------------------------


def test_after_is_included_and_before_excluded(frames: ChatFrames) -> None:
    stamp = moment(frames, 123)
    message = frames.messages.filter(pl.col("timestamp") == stamp)["id"].to_list()
    assert len(message) == 1
    assert message[0] in frames.filter(after=stamp)["messages"]["id"].to_list()
    assert message[0] not in frames.filter(before=stamp)["messages"]["id"].to_list()
    assert (
        frames.filter(after=stamp, before=stamp + timedelta(milliseconds=1))
        .messages["id"]
        .to_list()
        == message
    )


def test_bounds_are_compared_to_the_microsecond(frames: ChatFrames) -> None:
    """A timestamp is a whole millisecond; a bound a microsecond later still excludes it
    from ``after`` and includes it in ``before`` (no truncation of the bound)."""
    stamp = moment(frames, 123)
    (message,) = frames.messages.filter(pl.col("timestamp") == stamp)["id"].to_list()
    later = stamp + timedelta(microseconds=1)
    assert message not in frames.filter(after=later).messages["id"].to_list()
    assert message in frames.filter(before=later).messages["id"].to_list()


def test_after_equal_to_before_keeps_nothing(frames: ChatFrames) -> None:
    stamp = moment(frames, 5)
    assert frames.filter(after=stamp, before=stamp).messages.height == 0


def test_a_date_is_midnight_utc_and_a_string_is_read_like_fetch_chat_reads_it(
    frames: ChatFrames,
) -> None:
    by_datetime = frames.filter(
        after=datetime(2026, 10, 20, tzinfo=UTC), before=datetime(2026, 10, 27, tzinfo=UTC)
    )
    assert by_datetime.messages.height
    assert frames.filter(after=date(2026, 10, 20), before=date(2026, 10, 27)) == by_datetime
    assert frames.filter(after="2026-10-20T00:00:00Z", before="2026-10-27") == by_datetime
    paris = timezone(timedelta(hours=2))
    assert frames.filter(after=datetime(2026, 10, 20, 2, tzinfo=paris)) == frames.filter(
        after=date(2026, 10, 20)
    )


def test_a_timestamp_column_in_another_zone_is_compared_as_instants(frames: ChatFrames) -> None:
    shifted = frames.replace(
        messages=frames.messages.with_columns(
            pl.col("timestamp").dt.convert_time_zone("Asia/Tokyo").dt.cast_time_unit("ns")
        )
    )
    bound = moment(frames, 200)
    kept = shifted.filter(after=bound).messages["id"].to_list()
    assert kept == frames.filter(after=bound).messages["id"].to_list()


# -- wrong arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["after", "before"])
def test_a_naive_datetime_is_refused_with_how_to_pass_a_zone(frames: ChatFrames, side: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        frames.filter(**dict[str, Any]({side: datetime(2026, 10, 20)}))
    message = str(caught.value)
    assert message.startswith(f"{side}=")
    assert "has no timezone" in message
    assert "tzinfo=UTC" in message
    assert not isinstance(caught.value, ArgumentTypeError)


def test_after_later_than_before_is_a_configuration_error(frames: ChatFrames) -> None:
    with pytest.raises(ConfigurationError, match="after must not be later than before"):
        frames.filter(after=date(2026, 10, 21), before=date(2026, 10, 20))


@pytest.mark.parametrize(
    ("argument", "value", "said"),
    [
        ("after", 20261020, "after must be a timezone-aware datetime"),
        ("before", 1.5, "before must be a timezone-aware datetime"),
        ("after", True, "after must be"),
        ("sender_ids", "ACoAA_one", "sender_ids must be an iterable of sender ids (not one"),
        ("sender_ids", b"ACoAA_one", "sender_ids must be an iterable of sender ids"),
        ("sender_ids", 7, "sender_ids must be an iterable of sender ids"),
        ("sender_ids", [7], "each of sender_ids must be a string"),
        ("sender_ids", [["nested"]], "each of sender_ids must be a string"),
        ("chat_ids", "chat_a", "chat_ids must be an iterable of chat ids (not one string"),
        ("chat_ids", {"chat_a": 1}.keys(), None),  # an iterable of strings: fine
        ("chat_ids", [None], "each of chat_ids must be a string"),
    ],
)
def test_a_wrong_type_is_an_argument_type_error_naming_the_argument(
    frames: ChatFrames, argument: str, value: Any, said: str | None
) -> None:
    if said is None:
        assert frames.filter(**dict[str, Any]({argument: value})).messages.height == 150
        return
    with pytest.raises(ArgumentTypeError) as caught:
        frames.filter(**dict[str, Any]({argument: value}))
    assert isinstance(caught.value, TypeError)
    assert str(caught.value).startswith(said), str(caught.value)


def test_an_empty_id_is_a_configuration_error(frames: ChatFrames) -> None:
    with pytest.raises(ConfigurationError, match="each of sender_ids must be a non-empty"):
        frames.filter(sender_ids=[""])


def test_the_arguments_are_keywords_only(frames: ChatFrames) -> None:
    with pytest.raises(TypeError):
        frames.filter(date(2026, 10, 20))  # type: ignore[call-arg]


def test_a_table_without_a_column_the_filter_reads_is_named(frames: ChatFrames) -> None:
    broken = frames.replace(
        messages=frames.messages.drop("sender_id"),
        seen_by=frames.seen_by.rename({"message_id": "msg"}),
    )
    with pytest.raises(SchemaValidationError) as caught:
        broken.filter(sender_ids=["x"])
    assert isinstance(caught.value, PostpressError)
    found = {(f.table, f.column, f.check) for f in caught.value.failures}
    assert found == {
        ("messages", "sender_id", "column_in_dataframe"),
        ("seen_by", "message_id", "column_in_dataframe"),
    }


def test_a_naive_timestamp_column_is_named_not_a_polars_error(frames: ChatFrames) -> None:
    naive = frames.replace(
        messages=frames.messages.with_columns(pl.col("timestamp").dt.replace_time_zone(None))
    )
    with pytest.raises(SchemaValidationError) as caught:
        naive.filter(after=date(2026, 10, 20))
    (failure,) = caught.value.failures
    assert (failure.table, failure.column) == ("messages", "timestamp")
    assert "Datetime" in failure.check
    assert naive.filter(chat_ids=["chat_a"]).messages.height == 150  # not read: fine


# -- nothing kept ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"chat_ids": ["no_such_chat"]},
        {"chat_ids": []},
        {"sender_ids": []},
        {"after": date(2030, 1, 1)},
        {"before": date(2000, 1, 1)},
    ],
    ids=lambda kwargs: next(iter(kwargs)),
)
def test_filtering_everything_out_gives_empty_tables_of_the_same_schemas(
    single: ChatFrames, kwargs: dict[str, Any]
) -> None:
    result = single.filter(**kwargs)
    for name in TABLE_NAMES:
        assert result[name].height == 0, name
        assert result[name].schema == single[name].schema, name
    assert result.rejects.schema == single.rejects.schema
    result.validate()


# -- rejects -----------------------------------------------------------------------------------


def reject_ids(frames: ChatFrames) -> list[str]:
    return frames.rejects["message_id"].to_list()


def rejects_by_field(frames: ChatFrames) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for row in frames.rejects.iter_rows(named=True):
        grouped.setdefault(row["field"], []).append(row["message_id"])
    return grouped


def test_the_quarantined_chat_has_the_rejects_the_tests_expect(single: ChatFrames) -> None:
    assert single.rejects.height == 6
    assert rejects_by_field(single).keys() == {"hidden", "timestamp", "sender_id", "chat_id"}
    assert single.rejects["chat_id"].null_count() == 1


def item_time(item: str) -> datetime | None:
    """The reference reading of a reject's time: its item's API-format ``timestamp``."""
    value = json.loads(item).get("timestamp")
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def test_a_window_drops_the_rejects_readably_outside_and_keeps_the_unreadable(
    single: ChatFrames,
) -> None:
    times = {row["message_id"]: item_time(row["item"]) for row in single.rejects.to_dicts()}
    middle = moment(single, single.messages.height // 2)
    newest, oldest = rejects_by_field(single)["hidden"]
    (bad_time,) = rejects_by_field(single)["timestamp"]
    after = single.filter(after=middle)
    expected = {key for key, t in times.items() if t is None or t >= middle}
    assert set(reject_ids(after)) == expected
    assert {newest, bad_time} <= expected and oldest not in expected
    before = single.filter(before=middle)
    expected = {key for key, t in times.items() if t is None or t < middle}
    assert set(reject_ids(before)) == expected
    assert {oldest, bad_time} <= expected and newest not in expected
    after.validate()
    before.validate()


def test_a_reject_whose_time_cannot_be_read_is_kept_by_any_window(single: ChatFrames) -> None:
    (bad_time,) = rejects_by_field(single)["timestamp"]
    windows: list[dict[str, Any]] = [{"after": date(2030, 1, 1)}, {"before": date(2000, 1, 1)}]
    for window in windows:
        assert bad_time in reject_ids(single.filter(**window))


def test_sender_ids_drop_the_rejects_of_other_senders_and_keep_those_without_one(
    single: ChatFrames,
) -> None:
    newest, oldest = rejects_by_field(single)["hidden"]
    senders = {row["message_id"]: row["item"] for row in single.rejects.iter_rows(named=True)}
    assert senders  # the items are the JSON text the page had
    sender_of = {key: json.loads(item).get("sender_id") for key, item in senders.items()}
    chosen = sender_of[newest]
    result = single.filter(sender_ids=[chosen])
    expected = {key for key, sender in sender_of.items() if sender is None or sender == chosen}
    assert set(reject_ids(result)) == expected
    assert newest in expected and set(rejects_by_field(single)["sender_id"]) <= expected
    if sender_of[oldest] != chosen:
        assert oldest not in reject_ids(result)
    result.validate()


def test_chat_ids_keep_the_rejects_of_those_chats(single: ChatFrames) -> None:
    other = quarantined("chat_b", 1)
    both = combined(single, other)
    both.validate()
    only_b = both.filter(chat_ids=["chat_b"])
    assert set(only_b.rejects["chat_id"].to_list()) == {"chat_b"}
    assert only_b.rejects.height == 5  # its reject without a chat_id cannot be placed
    assert both.filter(chat_ids=["chat_b", "chat_a"]).rejects.equals(both.rejects)
    only_b.validate()


def test_a_reject_without_a_chat_id_stays_when_no_chat_is_dropped(single: ChatFrames) -> None:
    (unplaced,) = rejects_by_field(single)["chat_id"]
    assert unplaced in reject_ids(single.filter(chat_ids=["chat_a"]))
    assert unplaced not in reject_ids(single.filter(chat_ids=["chat_b"]))
    assert single.filter(chat_ids=[]).rejects.height == 0


def test_every_message_stays_in_exactly_one_of_messages_or_rejects(single: ChatFrames) -> None:
    result = single.filter(after=moment(single, 10), before=moment(single, 40))
    kept = set(result.messages["id"].to_list())
    assert not kept & set(reject_ids(result))
    assert kept | set(reject_ids(result)) <= set(single.messages["id"].to_list()) | set(
        reject_ids(single)
    )
    result.validate()


# -- warnings already given --------------------------------------------------------------------


def test_values_warned_about_at_build_are_not_warned_about_again() -> None:
    items = demo_chat(40, chat_id="chat_a")
    items[3]["message_type"] = "HOLOGRAM"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        built = frames_from_pages([{"items": items, "cursor": None}])
    assert any(issubclass(w.category, UnknownValueWarning) for w in caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        built.filter(chat_ids=["chat_a"]).validate()
        built.filter(after=date(2000, 1, 1)).validate()
    assert [str(w.message) for w in caught] == []
    with pytest.warns(UnknownValueWarning):  # tables of unknown origin are counted again
        built.replace().filter(chat_ids=["chat_a"]).validate()
