"""frames_from_pages and ChatFrames on hand-written pages: rules, errors, warnings."""

from __future__ import annotations

import copy
import dataclasses
import json
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import postpress_frames.tables.reader as reader_module
import postpress_frames.tables.screen as screen_module
from postpress_frames._exceptions import ArgumentTypeError, InvalidResponseError
from postpress_frames.api.seen import SeenIds
from postpress_frames.tables.build import frames_from_pages, wire_schema
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import (
    TABLE_MODELS,
    UnknownFieldWarning,
    UnknownValueWarning,
    polars_schema,
)
from tests.strategies import ABSENT, FLAGS, full_message, page_of

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def build(*pages: Any, **kwargs: Any) -> ChatFrames:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return frames_from_pages(list(pages), **kwargs)


def error_of(*pages: Any) -> InvalidResponseError:
    with pytest.raises(InvalidResponseError) as caught:
        frames_from_pages(list(pages))
    return caught.value


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# -- shapes and schema -------------------------------------------------------------------


@pytest.mark.parametrize("pages", [[], [page_of()], [page_of(), page_of()]])
def test_an_empty_chat_gives_empty_tables_with_the_full_schema(pages: list[Any]) -> None:
    frames = build(*pages)
    assert frames == ChatFrames.empty()
    for name, model in TABLE_MODELS.items():
        assert frames[name].schema == polars_schema(model)


def test_a_field_absent_from_every_item_still_has_its_dtype() -> None:
    page_1 = page_of(full_message(id="m1", subject=ABSENT, reply_to=ABSENT, quoted=ABSENT))
    page_2 = page_of(full_message(id="m2"))
    frames = build(page_1, page_2)
    assert frames.messages.schema == polars_schema(TABLE_MODELS["messages"])
    assert frames.messages["subject"].to_list() == [None, "Hello"]


def test_bytes_dicts_and_pages_give_the_same_frames() -> None:
    @dataclass(frozen=True)
    class Page:  # the shape of client.Page
        number: int
        items: list[dict[str, Any]]
        cursor: str | None
        raw: bytes

    body = page_of(full_message(id="m1"), full_message(id="m2"))
    raw = json.dumps(body).encode()
    page = Page(number=1, items=body["items"], cursor=None, raw=raw)
    assert build(raw) == build(body) == build(page) == build(raw.decode())


def test_message_id_fills_id_when_id_is_absent() -> None:
    frames = build(page_of(full_message(id=ABSENT, message_id="alias-1")))
    assert frames.messages["id"].to_list() == ["alias-1"]
    assert set(frames.attachments["message_id"]) == {"alias-1"}


def test_id_wins_over_the_alias() -> None:
    frames = build(page_of(full_message(id="m1", message_id="other")))
    assert frames.messages["id"].to_list() == ["m1"]


def test_duplicates_keep_the_first_fetched_with_its_own_children() -> None:
    first = full_message(id="m1", text="first", reactions=[])
    again = full_message(id="m1", text="second", attachments=[], quoted=ABSENT)
    frames = build(page_of(first), page_of(again, full_message(id="m2")))
    assert frames.messages.select("id", "text").rows() == [
        ("m1", "first"),
        ("m2", "Sounds good 👍"),
    ]
    assert frames.reactions["message_id"].to_list() == ["m2"]
    assert frames.attachments.filter(pl.col("message_id") == "m1").height == 12


@dataclass(frozen=True)
class FetchedPage:  # the shape of client.Page: its raw body and the positions it keeps
    raw: bytes
    new_positions: tuple[int, ...] | None = None


def test_a_page_keeps_only_its_new_positions() -> None:
    body = json.dumps(page_of(*(full_message(id=f"m{n}") for n in range(3)))).encode()
    frames = build(FetchedPage(body, (0, 2)))
    assert sorted(frames.messages["id"]) == ["m0", "m2"]
    assert set(frames.reactions["message_id"]) == {"m0", "m2"}
    assert build(FetchedPage(body, None)).messages.height == 3


def test_seen_carries_first_fetched_wins_across_calls() -> None:
    seen = SeenIds()
    first = build(page_of(full_message(id="m1", text="first")), seen=seen)
    again = page_of(full_message(id="m1", text="again"), full_message(id="m2"))
    later = build(again, seen=seen)
    assert first.messages.select("id", "text").rows() == [("m1", "first")]
    assert later.messages["id"].to_list() == ["m2"]
    assert set(later.attachments["message_id"]) == {"m2"}
    assert len(seen) == 2
    assert build(again).messages.height == 2  # without ``seen``, each call on its own


def test_the_flattened_objects_give_one_column_per_wire_field() -> None:
    item = wire_schema()["items"].inner
    columns = set(polars_schema(TABLE_MODELS["messages"]))
    for name in ("reply_to", "quoted"):
        for field in item.to_schema()[name].fields:
            if not isinstance(field.dtype, pl.List):  # lists are the attachments table
                assert f"{name}_{field.name}" in columns, (name, field.name)


def test_messages_sorted_by_timestamp_then_id_children_follow() -> None:
    late = full_message(id="a", timestamp="2026-05-17T10:00:00.000Z")
    early_b = full_message(id="b", timestamp="2026-05-17T09:00:00.000Z")
    early_a = full_message(id="a0", timestamp="2026-05-17T09:00:00.000Z")
    frames = build(page_of(late, early_b, early_a))
    assert frames.messages["id"].to_list() == ["a0", "b", "a"]
    assert frames.reactions["message_id"].to_list() == ["a0", "b", "a"]


def test_include_original_false_drops_the_column() -> None:
    frames = build(page_of(full_message()), include_original=False)
    assert "original" not in frames.messages.columns
    frames.validate()


def test_flags_become_booleans() -> None:
    frames = build(page_of(full_message(is_sender=1, hidden=0)))
    assert frames.messages.select("is_sender", "hidden").row(0) == (True, False)


def test_timestamps_are_utc_milliseconds() -> None:
    message = full_message(timestamp="2026-05-17T09:42:11.123Z")
    messages = build(page_of(message)).messages
    assert messages["timestamp"].dtype == pl.Datetime("ms", "UTC")
    assert messages["timestamp"][0] == utc(2026, 5, 17, 9, 42, 11, 123000)
    assert messages["reply_to_timestamp"][0] == utc(2026, 5, 17, 9, 40)


@pytest.mark.parametrize(
    ("epoch", "expected"),
    [
        (1_779_000_000, utc(2026, 5, 17, 6, 40)),  # seconds, as the page says
        (1_779_000_000_000, utc(2026, 5, 17, 6, 40)),  # milliseconds, as the service sends
        (1_779_000_000_123, utc(2026, 5, 17, 6, 40, 0, 123000)),
        (99_999_999_999, utc(5138, 11, 16, 9, 46, 39)),  # just under 1e11: still seconds
        (100_000_000_000, utc(1973, 3, 3, 9, 46, 40)),  # 1e11: milliseconds
    ],
)
def test_epoch_seconds_or_milliseconds(epoch: int, expected: datetime) -> None:
    attachment = {"id": "a", "type": "file", "unavailable": False, "file_name": "f"}
    message = full_message(attachments=[attachment | {"url_expires_at": epoch}], quoted=ABSENT)
    frames = build(page_of(message))
    assert frames.attachments["url_expires_at"].to_list() == [expected]


def test_seen_by_both_kinds_of_value() -> None:
    receipts = {"att_2": True, "att_3": "2026-05-17T09:43:00.000Z", "att_4": False}
    frames = build(page_of(full_message(seen_by=receipts)))
    assert frames.seen_by.select("attendee_id", "seen", "seen_at").rows() == [
        ("att_2", True, None),
        ("att_3", True, utc(2026, 5, 17, 9, 43)),
        ("att_4", False, None),
    ]


def test_attachment_variants_and_quoted_flag() -> None:
    attachments = build(page_of(full_message())).attachments
    assert attachments.height == 12
    assert attachments.filter(pl.col("quoted"))["id"].str.starts_with("q-").all()
    img = attachments.row(0, named=True)
    assert (img["type"], img["width"], img["height"], img["sticker"]) == ("img", 640, 480, False)
    assert attachments["position"].to_list() == [0, 1, 2, 3, 4, 5] * 2


# -- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (b"<html>Bad gateway</html>", None, "not valid JSON"),
        (b'{"items": [{"id": "m1"', None, "not valid JSON"),
        (b"[]", None, "expected a JSON object with 'items', got an array"),
        (b'{"cursor": null}', "items", "the required field is missing"),
        (b'{"items": null}', "items", "expected an array, got null"),
        (b'{"items": {"id": "m1"}}', "items", "expected an array, got an object"),
        (b'{"items": [1]}', "items[0]", "expected a message object, got 1 (a number)"),
        (b'{"items": [{"id": 7}]}', "items[0].id", "expected a non-empty string, got 7 (a number)"),
        (
            b'{"items": [{"id": ""}]}',
            "items[0].id",
            'expected a non-empty string, got "" (a string)',
        ),
        (b'{"items": [], "cursor": 5}', "cursor", "expected a string or null, got 5 (a number)"),
        (b'{"items": [], "cursor": {}}', "cursor", "expected a string or null, got an object"),
    ],
)
def test_bad_page_shapes_name_the_page(body: bytes, field: str | None, words: str) -> None:
    good = json.dumps(page_of(full_message())).encode()
    error = error_of(good, body)
    assert error.page == 2
    assert error.field == field
    assert words in str(error)


def test_a_missing_id_names_page_and_item() -> None:
    error = error_of(page_of(full_message(), full_message(id=ABSENT, message_id=ABSENT)))
    assert (error.page, error.field) == (1, "items[1].id")
    assert "items[1]" in str(error)
    assert "neither 'id' nor 'message_id'" in str(error)


@pytest.mark.parametrize("value", [2, -1, 1.5, "yes", "true", "", 10, [1], {}])
def test_a_flag_other_than_0_1_true_or_false_is_an_error(value: Any) -> None:
    error = error_of(page_of(full_message()), page_of(full_message(id="m7", hidden=value)))
    assert (error.page, error.field, error.message_id) == (2, "hidden", "m7")
    assert "expected 0, 1, true or false" in str(error)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, False), (1, True), ("0", False), ("1", True), (False, False), (True, True)],
)
def test_json_booleans_are_flags_with_the_same_meaning_as_0_and_1(
    value: Any, expected: bool
) -> None:
    # "0"/"1" as JSON strings: the documented leniency; true/false: what real payloads send
    flags = dict.fromkeys(FLAGS, value)
    frames = build(page_of(full_message(**flags)))
    assert frames.messages.select(FLAGS).row(0) == (expected,) * len(FLAGS)


def test_flags_mixing_numbers_and_booleans_on_one_page() -> None:
    page = page_of(full_message(id="a", seen=True, hidden=0), full_message(id="b", seen=0))
    frames = build(page)
    assert frames.messages.select("id", "seen", "hidden").rows() == [
        ("a", True, False),
        ("b", False, False),
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("yes", 'got "yes" (a string)'),
        ("true", 'got "true" (a string)'),  # a JSON string, not the JSON boolean true
        (2, "got 2 (a number)"),
        (1.5, "got 1.5 (a number)"),
    ],
)
def test_a_bad_flag_is_quoted_as_json(value: Any, shown: str) -> None:
    error = error_of(page_of(full_message(id="m7", hidden=value)))
    assert error.problem.startswith(f"expected 0, 1, true or false, {shown}"), str(error)
    assert "'true'" not in str(error)  # a JSON value is never quoted the Python way


def test_a_message_level_error_says_quarantine_would_keep_the_rest() -> None:
    error = error_of(page_of(full_message(id="m7", hidden="yes")))
    assert str(error).endswith(
        '(on_invalid="quarantine" would set this message aside and keep the rest)'
    )
    page_level = error_of(b'{"items": [], "cursor": 5}')
    assert "quarantine" not in str(page_level)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(5, "got 5 (a number)"), ("soon", 'got "soon" (a string)'), (None, "got null")],
)
def test_a_bad_receipt_is_quoted_as_json(value: Any, shown: str) -> None:
    error = error_of(page_of(full_message(id="m7", seen_by={"att.2": True, "att.8": value})))
    assert error.field == "seen_by.att.8"
    assert error.problem.startswith(f"expected a timestamp string or a boolean, {shown}")


@pytest.mark.parametrize(
    "value",
    ["2026-05-17 09:42:11", "2026-05-17T09:42:11+01:00", "yesterday", "2026-13-01T00:00:00Z"],
)
def test_a_bad_timestamp_names_page_message_and_field(value: str) -> None:
    error = error_of(page_of(full_message(id="m3", timestamp=value)))
    assert (error.page, error.field, error.message_id) == (1, "timestamp", "m3")
    assert value in str(error)


def test_a_bad_reply_to_timestamp_names_the_nested_field() -> None:
    reply_to = full_message()["reply_to"] | {"timestamp": "later"}
    error = error_of(page_of(full_message(reply_to=reply_to)))
    assert (error.field, error.message_id) == ("reply_to.timestamp", "m1")


@pytest.mark.parametrize("value", [None, 5, "soon", {"at": 1}, [True]])
def test_a_bad_receipt_names_the_attendee(value: Any) -> None:
    error = error_of(page_of(full_message(id="m4", seen_by={"att_2": True, "att_8": value})))
    assert (error.page, error.field, error.message_id) == (1, "seen_by.att_8", "m4")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"text": {"a": 1}}, "text"),
        ({"seen_by": ["att_1"]}, "seen_by"),
        ({"is_forwarded": "no"}, "is_forwarded"),
        (
            {"attachments": [{"id": "a", "type": "img", "unavailable": "no"}]},
            "attachments[0].unavailable",
        ),
        (
            {"attachments": [{"id": "a", "type": "img", "unavailable": False, "size": 5}]},
            "attachments[0].size",
        ),
        (
            {"reactions": [{"value": "x", "sender_id": "s", "is_sender": 1}]},
            "reactions[0].is_sender",
        ),
        ({"replies": "many"}, "replies"),
    ],
)
def test_a_value_of_the_wrong_json_type_names_its_path(
    overrides: dict[str, Any], field: str
) -> None:
    error = error_of(page_of(full_message()), page_of(full_message(id="m5", **overrides)))
    assert (error.page, error.field, error.message_id) == (2, field, "m5")


# -- values read_json alone would coerce: rejected, never kept -----------------------------


def with_value(path: tuple[str | int, ...], value: Any, **overrides: Any) -> dict[str, Any]:
    """A full message (its own copy) with ``value`` at ``path``."""
    message = copy.deepcopy(full_message(**overrides))
    *parents, last = path
    target: Any = message
    for step in parents:
        target = target[step]
    target[last] = value
    return message


def assert_located(error: InvalidResponseError, page: int, message_id: str, field: str) -> None:
    """The error, and its message, name the page, the message id and the field."""
    assert isinstance(error, InvalidResponseError)
    assert (error.page, error.message_id, error.field) == (page, message_id, field)
    for words in (f"page {page}", f"message id {message_id!r}", f"field {field!r}"):
        assert words in str(error), str(error)


COERCED = [
    # 1. a fraction in an integer field (read_json truncates it: -1.5 -> -1)
    pytest.param(("behavior",), -1.5, "behavior", "expected an integer", id="fraction"),
    pytest.param(("replies",), 2.5, "replies", "got 2.5 (a number)", id="fraction-replies"),
    pytest.param(
        ("attachments", 0, "size", "width"),
        640.5,
        "attachments[0].size.width",
        "expected an integer",
        id="fraction-nested",
    ),
    # 2. an integer beyond 64 bits (read_json makes it null)
    pytest.param(("behavior",), 2**63, "behavior", "fits in 64 bits", id="int64-max+1"),
    pytest.param(
        ("attendee_distance",), -(10**30), "attendee_distance", "fits in 64 bits", id="huge"
    ),
    pytest.param(("replies",), 1e20, "replies", "fits in 64 bits", id="huge-exponent"),
    pytest.param(
        ("quoted", "attachments", 5, "starts_at"),
        10**20,
        "quoted.attachments[5].starts_at",
        "fits in 64 bits",
        id="huge-nested",
    ),
    # 3. a boolean in a number field (read_json makes it 1 or 0)
    pytest.param(("event_type",), True, "event_type", "expected a number, got true", id="true"),
    pytest.param(("replies",), False, "replies", "expected a number, got false", id="false"),
    pytest.param(
        ("attachments", 2, "duration"),
        True,
        "attachments[2].duration",
        "expected a number, got true",
        id="true-in-float",
    ),
    # 4. a scalar in an array field (read_json wraps it: 12345 -> ["12345"])
    pytest.param(("reply_by",), 12345, "reply_by", "expected an array", id="number-for-array"),
    pytest.param(("reply_by",), "att_2", "reply_by", 'got "att_2" (a string)', id="string"),
    pytest.param(("reply_by",), True, "reply_by", "expected an array, got true", id="bool"),
    pytest.param(("reply_by",), ["att_2", 7], "reply_by[1]", "expected a string", id="element"),
    # 5. a number or boolean in a string field (read_json keeps its JSON text: "12345")
    pytest.param(("provider_id",), 12345, "provider_id", "expected a string", id="provider_id"),
    pytest.param(("text",), True, "text", "expected a string, got true", id="text-true"),
    pytest.param(("original",), -1.5, "original", "got -1.5 (a number)", id="original"),
    pytest.param(("sender_id",), 10**30, "sender_id", "expected a string", id="huge-id"),
    pytest.param(("reply_to", "provider_id"), 7, "reply_to.provider_id", "a string", id="rt"),
    pytest.param(("quoted", "text"), 0, "quoted.text", "got 0 (a number)", id="quoted"),
    pytest.param(("reactions", 0, "value"), 1, "reactions[0].value", "a string", id="reaction"),
    pytest.param(
        ("quoted", "attachments", 3, "file_name"),
        False,
        "quoted.attachments[3].file_name",
        "expected a string, got false",
        id="quoted-attachment",
    ),
]


@pytest.mark.parametrize(("path", "value", "field", "words"), COERCED)
def test_a_value_read_json_would_coerce_names_page_message_and_field(
    path: tuple[str | int, ...], value: Any, field: str, words: str
) -> None:
    good = page_of(full_message(id="m1"), full_message(id="m2"))
    bad = page_of(full_message(id="m3"), with_value(path, value, id="m4"))
    error = error_of(good, good, bad, good)
    assert_located(error, 3, "m4", field)
    assert words in str(error)


@pytest.mark.parametrize(("path", "value", "field", "words"), COERCED[::4])
def test_a_coerced_value_is_found_on_any_page_of_a_long_chat(
    monkeypatch: pytest.MonkeyPatch, path: tuple[str | int, ...], value: Any, field: str, words: str
) -> None:
    monkeypatch.setattr(screen_module, "SEARCH_BYTES", 5_000)  # many small searches
    monkeypatch.setattr(reader_module, "READ_BYTES", 20_000)  # and many small reads
    pages = [page_of(full_message(id=f"m{n}")) for n in range(1, 30)]
    pages[20] = page_of(full_message(id="x"), with_value(path, value, id="bad"))
    error = error_of(*pages)
    assert_located(error, 21, "bad", field)


def test_of_two_coerced_values_the_first_page_is_named() -> None:
    number_for_string = page_of(with_value(("provider_id",), 5, id="s"))
    fraction = page_of(with_value(("behavior",), 0.5, id="f"))
    assert_located(error_of(page_of(), fraction, number_for_string), 2, "f", "behavior")
    assert_located(error_of(page_of(), number_for_string, fraction), 2, "s", "provider_id")


def test_a_key_spelled_with_escapes_does_not_hide_a_coerced_value() -> None:
    body = json.dumps(page_of(full_message(id="m5", behavior=-1.5)))
    body = body.replace('"behavior"', '"beh\\u0061vior"')
    assert_located(error_of(body.encode()), 1, "m5", "behavior")


def test_of_a_duplicated_key_the_value_read_json_keeps_is_checked() -> None:
    body = json.dumps(page_of(full_message(id="m5", behavior=0)))
    first_bad = body.replace('"behavior": 0', '"behavior": 2.5, "behavior": 0').encode()
    assert_located(error_of(first_bad), 1, "m5", "behavior")
    last_bad = body.replace('"behavior": 0', '"behavior": 0, "behavior": 2.5').encode()
    assert build(last_bad).messages["behavior"].to_list() == [0]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("provider_id",), "12345"),  # numeric ids as strings, as the spec says
        (("text",), "1"),
        (("text",), "true"),
        (("quoted", "text"), "-1.5"),
        (("reactions", 0, "value"), "0"),
        (("reply_by",), ["12345", "67"]),
        (("behavior",), 1.0),  # a whole-number fraction is that integer
        (("behavior",), -(2**63)),
        (("replies",), 2**63 - 1),
        (("attachments", 2, "duration"), 7),  # an integer in a float field
    ],
)
def test_values_of_the_right_json_type_are_kept_as_they_are(
    path: tuple[str | int, ...], value: Any
) -> None:
    frames = build(page_of(full_message(id="m0")), page_of(with_value(path, value, id="m1")))
    row = frames.messages.row(by_predicate=pl.col("id") == "m1", named=True)
    if path in {("provider_id",), ("text",), ("behavior",), ("replies",), ("reply_by",)}:
        assert row[path[0]] == value
    elif path == ("quoted", "text"):
        assert row["quoted_text"] == value
    elif path[0] == "reactions":
        assert frames.reactions.filter(message_id="m1")["value"].to_list() == [value]
    else:
        own = frames.attachments.filter(message_id="m1", type="audio", quoted=False)
        assert own["duration"].to_list() == [value]


def test_an_unlisted_field_reusing_a_key_name_is_not_taken_for_a_coerced_value() -> None:
    message = full_message(id="m1", extra={"behavior": 1.5, "provider_id": 7, "reply_by": "x"})
    with pytest.warns(UnknownFieldWarning, match="extra"):
        frames = frames_from_pages([page_of(message)])
    assert frames.messages["behavior"].to_list() == [0]
    kept = json.loads(frames.messages["extra"].item())
    assert kept == {"extra": {"behavior": 1.5, "provider_id": 7, "reply_by": "x"}}


def test_the_first_bad_value_is_reported_with_a_count_of_the_others() -> None:
    error = error_of(page_of(full_message(id="a", seen=7)), page_of(full_message(id="b", hidden=9)))
    assert (error.page, error.message_id, error.field) == (1, "a", "seen")
    assert "1 more invalid value" in str(error)


def test_something_that_is_not_a_page() -> None:
    error = error_of(page_of(), 42)
    assert error.page == 2
    assert "got int" in str(error)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"pages": 123}, "pages"),
        ({"pages": b"{}"}, "pages"),  # one page, not a list of pages
        ({"pages": page_of()}, "pages"),
        ({"pages": [b"{}"], "include_original": "yes"}, "include_original"),
        ({"pages": [b"{}"], "seen": {"m1"}}, "seen"),
    ],
)
def test_an_argument_of_the_wrong_type_is_named(kwargs: dict[str, Any], argument: str) -> None:
    with pytest.raises(ArgumentTypeError) as caught:
        frames_from_pages(**kwargs)
    assert caught.value.argument == argument
    assert isinstance(caught.value, TypeError)


# -- growth of the API -------------------------------------------------------------------


def test_undocumented_values_are_kept_and_named_in_one_warning() -> None:
    poll = {"id": "p", "type": "poll", "unavailable": False}
    page = page_of(
        full_message(id="m1", message_type="REACTION", event_type=14, attachments=[poll]),
        full_message(id="m2", message_type="REACTION", attendee_distance=5),
    )
    with pytest.warns(UnknownValueWarning) as record:
        frames = frames_from_pages([page])
    assert len(record) == 1
    text = str(record[0].message)
    for part in (
        "messages.message_type='REACTION' (2 rows)",
        "messages.event_type=14 (1 row)",
        "messages.attendee_distance=5 (1 row)",
        "attachments.type='poll' (1 row)",
    ):
        assert part in text
    assert frames.messages["event_type"].to_list() == [14, 1]
    assert "poll" in frames.attachments["type"].to_list()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frames.validate()  # counted and warned about once, by the build
    with pytest.warns(UnknownValueWarning):
        frames.replace(reactions=frames.reactions).validate()  # new tables: counted again


def test_unlisted_fields_are_named_in_one_warning_with_counts() -> None:
    blur = {"id": "b", "type": "img", "unavailable": False, "blurhash": "x"} | {
        "size": {"width": 1, "height": 1, "depth": 3},
        "sticker": False,
    }
    page = page_of(
        full_message(id="m1", pinned=True, attachments=[blur]), full_message(id="m2", pinned=False)
    ) | {"total": 2}
    with pytest.warns(UnknownFieldWarning) as record:
        frames = frames_from_pages([page])
    assert len(record) == 1
    text = str(record[0].message)
    for part in (
        "items[].pinned (2 values)",
        "items[].attachments[].blurhash (1 value)",
        "items[].attachments[].size.depth (1 value)",
        "total (1 value)",
    ):
        assert part in text
    assert "`original`" not in text  # LinkedIn sends original: "" (it keeps nothing)
    assert "pinned" not in frames.messages.columns
    assert frames.messages.select("id", "extra").rows() == [
        ("m1", '{"pinned":true}'),
        ("m2", '{"pinned":false}'),
    ]
    blurred = frames.attachments.filter(pl.col("extra").is_not_null())
    assert blurred.select("id", "extra").rows() == [("b", '{"blurhash":"x","size.depth":3}')]
    assert frames.reactions["extra"].null_count() == frames.reactions.height


def test_seen_by_keys_are_not_taken_for_unlisted_fields() -> None:
    build(page_of(full_message(seen_by={"brand_new_attendee": True})))  # no warning


# -- ChatFrames --------------------------------------------------------------------------


def test_chat_frames_is_a_read_only_mapping_in_table_order() -> None:
    frames = build(page_of(full_message()))
    assert list(frames) == ["messages", "attachments", "reactions", "seen_by"]
    assert len(frames) == 4
    assert frames["reactions"] is frames.reactions
    assert dict(frames.items())["seen_by"] is frames.seen_by
    with pytest.raises(KeyError, match="no table 'users'"):
        frames["users"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        frames.messages = frames.messages  # type: ignore[misc]


def test_chat_frames_repr_shows_row_counts() -> None:
    frames = build(page_of(full_message()))
    assert repr(frames) == "ChatFrames(messages=1, attachments=12, reactions=1, seen_by=3)"


def test_chat_frames_replace_and_equality() -> None:
    frames = build(page_of(full_message()))
    fewer = frames.replace(reactions=frames.reactions.clear())
    assert fewer != frames
    assert fewer.reactions.height == 0
    assert fewer.replace(reactions=frames.reactions) == frames


def test_chat_frames_rejects_non_frames() -> None:
    empty = ChatFrames.empty()
    with pytest.raises(TypeError, match=r"ChatFrames.messages must be a polars DataFrame"):
        ChatFrames(empty.messages.lazy(), empty.attachments, empty.reactions, empty.seen_by)  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match=r"ChatFrames.seen_by must be a polars DataFrame"):
        ChatFrames(empty.messages, empty.attachments, empty.reactions, 123)  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="table name"):
        empty.replace(users=empty.messages)


def test_validate_returns_the_frames() -> None:
    frames = build(page_of(full_message()))
    assert frames.validate() is frames


# -- golden: the committed sample pages --------------------------------------------------


def sample_pages() -> list[bytes]:
    files = sorted(SAMPLE.glob("page-*.json"), key=lambda p: int(p.stem.split("-")[1]))
    assert files, f"no sample pages under {SAMPLE}"
    return [file.read_bytes() for file in files]


def oracle(pages: list[bytes]) -> dict[str, Any]:
    """What the tables must hold, computed in plain Python from the parsed pages."""
    kept: dict[str, dict[str, Any]] = {}
    for body in pages:
        for item in json.loads(body)["items"]:
            kept.setdefault(item.get("id") or item["message_id"], item)
    attachments = sum(
        len(item["attachments"]) + len((item.get("quoted") or {}).get("attachments") or [])
        for item in kept.values()
    )
    return {
        "ids": sorted(kept, key=lambda k: (kept[k]["timestamp"], k)),
        "attachments": attachments,
        "reactions": sum(len(item["reactions"]) for item in kept.values()),
        "seen_by": sum(len(item["seen_by"]) for item in kept.values()),
        "texts": {k: item["text"] for k, item in kept.items()},
        "flags": {k: tuple(item[f] == 1 for f in FLAGS) for k, item in kept.items()},
    }


def test_golden_sample_pages_match_the_oracle() -> None:
    pages = sample_pages()
    frames = build(*pages).validate()
    expected = oracle(pages)
    assert frames.messages["id"].to_list() == expected["ids"]
    assert frames.attachments.height == expected["attachments"]
    assert frames.reactions.height == expected["reactions"]
    assert frames.seen_by.height == expected["seen_by"]
    assert dict(frames.messages.select("id", "text").iter_rows()) == expected["texts"]
    flags = frames.messages.select("id", pl.concat_list(FLAGS).alias("f"))
    assert {k: tuple(v) for k, v in flags.iter_rows()} == expected["flags"]


def test_golden_sample_pages_exercise_every_table_and_variant() -> None:
    frames = build(*sample_pages())
    assert all(frames[name].height > 0 for name in frames)
    assert frames.seen_by["seen_at"].null_count() not in (0, frames.seen_by.height)
