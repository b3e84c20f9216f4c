"""The real service drifts: every message and every field is kept, what cannot be typed is
set aside (issue 13). Runs the corpus of ``tests/data/drift/`` (see its README for the
sources of each shape) through build and validate under both ``on_invalid`` policies."""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from postpress_frames._exceptions import InvalidResponseError
from postpress_frames.api.client import Client
from postpress_frames.pipeline.fetch import fetch_chat
from postpress_frames.storage.parquet import read_parquet, write_parquet
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import (
    MissingFieldWarning,
    RejectSchema,
    UnknownFieldWarning,
    UnknownValueWarning,
    polars_schema,
)
from postpress_frames.testing import FakePostpress, Fault
from tests.conftest import FAST_RETRY
from tests.strategies import full_message, page_of

DRIFT = Path(__file__).resolve().parent / "data" / "drift"
SHAPES = ("boolean-flags", "unlisted", "missing-required", "untypable")
POLICIES = ("raise", "quarantine")


def corpus(shape: str) -> list[bytes]:
    files = sorted((DRIFT / shape).glob("page-*.json"), key=lambda p: int(p.stem.split("-")[1]))
    assert files, f"no pages under {DRIFT / shape}"
    return [file.read_bytes() for file in files]


def items_of(pages: list[bytes]) -> list[dict[str, Any]]:
    return [item for body in pages for item in json.loads(body)["items"]]


def build(pages: list[Any], **kwargs: Any) -> tuple[ChatFrames, list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frames = frames_from_pages(pages, **kwargs)
    return frames, caught


def of(caught: list[warnings.WarningMessage], category: type[Warning]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, category)]


# -- every message ends in exactly one table, and the result validates ------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_quarantine_keeps_every_message_in_messages_or_rejects(shape: str) -> None:
    pages = corpus(shape)
    frames, _ = build(pages, on_invalid="quarantine")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert frames.validate() is frames
    items = items_of(pages)
    kept = frames.messages["id"].to_list()
    aside = frames.rejects["message_id"].to_list()
    assert frames.messages.height + frames.rejects.height == len(items)
    assert set(kept).isdisjoint(aside)
    assert sorted(kept + [a for a in aside if a is not None]) == sorted(
        item["id"] for item in items if "id" in item
    )
    assert frames.rejects.schema == polars_schema(RejectSchema)


@pytest.mark.parametrize("shape", ["boolean-flags", "unlisted", "missing-required"])
@pytest.mark.parametrize("policy", POLICIES)
def test_shapes_that_can_be_typed_build_the_same_under_both_policies(
    shape: str, policy: str
) -> None:
    frames, _ = build(corpus(shape), on_invalid=policy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frames.validate()
    assert frames.rejects.height == 0
    assert frames == build(corpus(shape))[0]


# -- flags ----------------------------------------------------------------------------------


def test_boolean_flags_mean_what_0_and_1_mean() -> None:
    frames, caught = build(corpus("boolean-flags"))
    assert caught == []
    rows = frames.messages.select(
        "id", "is_sender", "seen", "hidden", "deleted", "edited", "is_event", "delivered"
    ).rows()
    assert rows == [
        ("m-bool-all", True, False, False, False, True, False, True),
        ("m-bool-mixed", True, True, False, False, False, False, False),
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [("true", 'got "true" (a string)'), ("TRUE", 'got "TRUE" (a string)'), (2, "got 2")],
)
def test_a_flag_that_is_not_0_1_true_or_false_is_an_error_quoted_as_json(
    value: Any, shown: str
) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        frames_from_pages([page_of(full_message(id="m9", seen=value))])
    assert (caught.value.field, caught.value.message_id) == ("seen", "m9")
    assert f"expected 0, 1, true or false, {shown}" in str(caught.value)


# -- unlisted fields --------------------------------------------------------------------------


def test_every_unlisted_value_is_recoverable_from_extra() -> None:
    pages = corpus("unlisted")
    frames, caught = build(pages)
    (warning,) = of(caught, UnknownFieldWarning)
    source = items_of(pages)[0]
    message = frames.messages.row(by_predicate=pl.col("id") == "m-unlisted", named=True)
    extra = json.loads(message["extra"])
    for key in ("sender_public_identifier", "sender", "provider", "is_pinned"):
        assert extra[key] == source[key]
        assert f"items[].{key} (1 value)" in warning
    assert extra["quoted.id"] == "m-quoted"
    assert extra["quoted.sender"] == source["quoted"]["sender"]
    attachment = json.loads(frames.attachments["extra"].item())
    assert attachment == {"media_type": "photo", "description": "a drift photo"}
    reaction = json.loads(frames.reactions["extra"].item())
    assert reaction == {"object": "MessageReaction", "sender": source["reactions"][0]["sender"]}
    assert frames.messages.filter(pl.col("id") != "m-unlisted")["extra"].null_count() == 2
    assert "total_count (1 value)" in warning  # page level: named, not stored
    assert "original" not in warning  # LinkedIn sends original: "": it keeps nothing


def test_extra_answers_json_path_queries_in_polars_and_duckdb() -> None:
    messages = build(corpus("unlisted"))[0].messages.filter(pl.col("extra").is_not_null())
    polars_side = messages.select(
        pl.col("extra").str.json_path_match("$.sender_public_identifier").alias("public_id"),
        pl.col("extra").str.json_path_match("$['quoted.id']").alias("quoted_id"),
    ).row(0)
    assert polars_side == ("jane-drift", "m-quoted")
    duck = duckdb.sql(
        "SELECT json_extract_string(extra, '$.sender_public_identifier'), "
        "json_extract_string(extra, '$.\"quoted.id\"') FROM messages"
    ).fetchall()
    assert duck == [("jane-drift", "m-quoted")]


def long_chat(pages: int, extra_on: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """``pages`` pages of three messages; page n's first message gets ``extra_on[n]``."""
    out = []
    for number in range(1, pages + 1):
        items = [
            full_message(id=f"p{number}m{i}", timestamp=f"2026-05-17T09:{number:02d}:{i:02d}.000Z")
            for i in range(3)
        ]
        items[0].update(extra_on.get(number, {}))
        out.append(page_of(*items, cursor=None if number == pages else f"c{number}"))
    return out


@pytest.mark.parametrize("where", [9, 12, 13, 31])
def test_a_field_on_one_page_only_is_warned_about_and_kept(where: int) -> None:
    # Sampling used to look at pages 1-8 and powers of two only: 9, 12, 13, 31 were never seen.
    frames, caught = build(long_chat(32, {where: {"pinned_by": {"id": "att_7"}}}))
    (warning,) = of(caught, UnknownFieldWarning)
    assert "items[].pinned_by (1 value)" in warning
    extra = frames.messages.filter(pl.col("extra").is_not_null())
    assert extra.select("id", "extra").rows() == [(f"p{where}m0", '{"pinned_by":{"id":"att_7"}}')]


def test_unlisted_keys_of_nested_objects_and_reply_to_are_kept_under_their_prefix() -> None:
    message = copy.deepcopy(full_message(id="m1"))
    message["reply_to"]["sender_name"] = "Joe"
    message["quoted"]["timestamp"] = "2026-05-17T09:00:00.000Z"  # listed elsewhere, not here
    message["attachments"][0]["size"] = {"width": 640, "height": 480, "depth": 3}
    message["quoted"]["attachments"][1]["thumbnail"] = None  # a null is a value too
    frames, caught = build([page_of(message)])
    assert json.loads(frames.messages["extra"].item()) == {
        "quoted.timestamp": "2026-05-17T09:00:00.000Z",
        "reply_to.sender_name": "Joe",
    }
    extras = frames.attachments.filter(pl.col("extra").is_not_null())
    assert extras.select("quoted", "position", "extra").rows() == [
        (False, 0, '{"size.depth":3}'),
        (True, 1, '{"thumbnail":null}'),
    ]
    (warning,) = of(caught, UnknownFieldWarning)
    for path in (
        "items[].quoted.timestamp",
        "items[].reply_to.sender_name",
        "items[].attachments[].size.depth",
        "items[].quoted.attachments[].thumbnail",
    ):
        assert f"{path} (1 value)" in warning


def test_unlisted_values_keep_their_json_types_and_values() -> None:
    values = {"n": 1.10, "i": 2**70, "s": "12", "b": False, "z": None, "a": [1, "x"], "o": {}}
    body = json.dumps(page_of(full_message(id="m1"))).replace(
        '"text": "Sounds', f'"u": {json.dumps(values)}, "text": "Sounds'
    )
    frames, _ = build([body.encode()])
    assert json.loads(frames.messages["extra"].item()) == {"u": values}


def test_a_page_without_unlisted_fields_has_null_extra_and_no_warning() -> None:
    frames, caught = build([page_of(full_message(id="m1"))])
    assert of(caught, UnknownFieldWarning) == []
    for table in ("messages", "attachments", "reactions"):
        assert frames[table]["extra"].null_count() == frames[table].height


# -- required fields real payloads omit -------------------------------------------------------


def test_omitted_required_fields_are_kept_as_nulls_and_counted_once() -> None:
    frames, caught = build(corpus("missing-required"))
    (warning,) = of(caught, MissingFieldWarning)
    for part in (
        "messages.sender_attendee_id (1 row)",
        "messages.reply_to_sender_attendee_id (1 row)",
        "attachments.width (1 row)",
        "attachments.height (1 row)",
    ):
        assert part in warning
    assert frames.messages["original"].to_list() == ["", ""]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frames.validate()  # counted and warned about once, by the build


# -- what cannot be typed ---------------------------------------------------------------------

EXPECTED_REJECTS = [
    (1, "m-float-width", "attachments[0].size.width", "expected an integer, got 800.5"),
    (1, "m-float-file-size", "attachments[0].file_size", "expected an integer, got 4096.5"),
    (1, "m-string-flag", "seen", 'expected 0, 1, true or false, got "true" (a string)'),
    (2, "m-offset-timestamp", "timestamp", "expected a timestamp like"),
    (2, "m-no-chat-provider-id", "chat_provider_id", "(not_nullable)"),
    (2, "m-number-receipt", "seen_by.att_drift_reader", "got 1 (a number)"),
    (2, None, "items[3].id", "neither 'id' nor 'message_id'"),
    (2, "m-audio-no-voice-note", "attachments[0].voice_note", "(variant_fields_present)"),
    (2, "m-v2-attachment", "attachments[0].unavailable", "(not_nullable)"),
]


def test_quarantine_sets_aside_what_cannot_be_typed_with_page_field_and_reason() -> None:
    pages = corpus("untypable")
    frames, _ = build(pages, on_invalid="quarantine")
    assert frames.messages["id"].to_list() == ["m-good-1", "m-good-2"]
    rows = frames.rejects.select("page", "message_id", "field", "reason").rows()
    assert len(rows) == len(EXPECTED_REJECTS)
    for (page, message_id, field, reason), expected in zip(rows, EXPECTED_REJECTS, strict=True):
        assert (page, message_id, field) == expected[:3]
        assert expected[3] in reason, reason
    texts = [body.decode() for body in pages]
    for row in frames.rejects.iter_rows(named=True):
        assert row["item"] in texts[row["page"] - 1]  # the item's JSON text, unchanged
        assert json.loads(row["item"]).get("id") == row["message_id"]
        assert row["chat_id"] == "chat_drift"
    # their children are set aside with them
    assert frames.attachments.height == frames.reactions.height == 0
    assert set(frames.seen_by["message_id"]) == {"m-good-1", "m-good-2"}


def test_raise_names_page_message_and_field_and_says_quarantine_would_keep_the_rest() -> None:
    with pytest.raises(InvalidResponseError) as caught:
        frames_from_pages(corpus("untypable"))
    error = caught.value
    assert (error.page, error.message_id, error.field) == (
        1,
        "m-float-width",
        "attachments[0].size.width",
    )
    assert 'on_invalid="quarantine" would set this message aside and keep the rest' in str(error)


def test_a_repeat_of_a_message_set_aside_stays_aside() -> None:
    bad = page_of(full_message(id="m1", hidden="yes"))
    good_again = page_of(full_message(id="m1"), full_message(id="m2"))
    frames, _ = build([bad, good_again], on_invalid="quarantine")
    assert frames.messages["id"].to_list() == ["m2"]
    assert frames.rejects["message_id"].to_list() == ["m1"]


def test_quarantine_of_a_page_polars_cannot_read_keeps_its_other_messages() -> None:
    unreadable = page_of(full_message(id="m1", text={"rich": "text"}), full_message(id="m2"))
    frames, _ = build([unreadable], on_invalid="quarantine")
    assert frames.messages["id"].to_list() == ["m2"]
    assert frames.rejects.select("message_id", "field").row(0) == ("m1", "text")
    assert frames.attachments["message_id"].unique().to_list() == ["m2"]


@pytest.mark.parametrize(
    "body",
    [b"<html>502</html>", b'{"items": {"id": "m1"}}', b'{"items": [], "cursor": 5}'],
)
def test_what_is_wrong_with_a_page_itself_raises_under_quarantine_too(body: bytes) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        frames_from_pages([page_of(full_message()), body], on_invalid="quarantine")
    assert caught.value.page == 2
    assert "quarantine" not in str(caught.value)


def test_on_invalid_takes_raise_or_quarantine() -> None:
    with pytest.raises(ValueError, match='"raise" or "quarantine"'):
        frames_from_pages([page_of()], on_invalid="skip")  # type: ignore[arg-type]


def test_chat_frames_with_four_tables_still_build_and_iterate_over_four() -> None:
    empty = ChatFrames.empty()
    four = ChatFrames(empty.messages, empty.attachments, empty.reactions, empty.seen_by)
    assert four.rejects.height == 0
    assert list(four) == ["messages", "attachments", "reactions", "seen_by"]
    frames, _ = build(corpus("untypable"), on_invalid="quarantine")
    assert "rejects=9" in repr(frames)
    assert frames.replace(messages=frames.messages).rejects.equals(frames.rejects)
    assert frames != frames.replace(rejects=empty.rejects)
    with pytest.raises(KeyError, match=r"ChatFrames\.rejects"):
        frames["rejects"]


def test_validate_refuses_a_message_in_both_messages_and_rejects() -> None:
    frames, _ = build(corpus("untypable"), on_invalid="quarantine")
    both = frames.replace(
        rejects=frames.rejects.with_columns(pl.lit("m-good-1").alias("message_id")).head(1)
    )
    with pytest.raises(Exception, match="message_id_not_in_messages"):
        both.validate()


# -- another version of the API ----------------------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES)
def test_a_v2_page_is_one_clear_error_naming_the_v1_base_url(policy: str) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        frames_from_pages(corpus("v2"), on_invalid=policy)
    assert "looks like the v2 API" in str(caught.value)
    assert "https://api.postpress.ai/api/v1" in str(caught.value)


@pytest.fixture
def server() -> Iterator[FakePostpress]:
    with FakePostpress(messages=10) as fake:
        yield fake


def test_the_client_says_the_same_about_a_v2_page(server: FakePostpress) -> None:
    server.fail_page(1, Fault.raw(200, corpus("v2")[0], content_type="application/json"))
    with (
        Client(api_key=server.api_key, base_url=server.base_url, retry=FAST_RETRY) as client,
        pytest.raises(InvalidResponseError) as caught,
    ):
        fetch_chat(server.chat_id, client=client)
    assert "looks like the v2 API" in str(caught.value)
    assert caught.value.page == 1


def test_fetch_chat_passes_on_invalid_through(server: FakePostpress) -> None:
    body = json.loads(corpus("untypable")[1])
    server.fail_page(1, Fault.raw(200, json.dumps(body).encode(), content_type="application/json"))
    with Client(api_key=server.api_key, base_url=server.base_url, retry=FAST_RETRY) as client:
        with pytest.raises(InvalidResponseError):  # the client needs every item's id
            fetch_chat(server.chat_id, client=client, on_invalid="quarantine")
        del body["items"][3]  # the item without an id
        server.fail_page(
            1, Fault.raw(200, json.dumps(body).encode(), content_type="application/json")
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frames = fetch_chat(server.chat_id, client=client, on_invalid="quarantine")
    assert frames.messages["id"].to_list() == ["m-good-2"]
    assert frames.rejects.height == 5


# -- storage: UnknownValueWarning once across one write and read --------------------------------


def test_unknown_values_warn_once_at_build_never_at_write_once_at_read(tmp_path: Path) -> None:
    message = full_message(id="m1", message_type="REACTION", pinned=True)
    frames, caught = build([page_of(message)])
    assert len(of(caught, UnknownValueWarning)) == 1
    with warnings.catch_warnings(record=True) as written:
        warnings.simplefilter("always")
        write_parquet(frames, tmp_path / "chat")  # validates the frames it was given: counted
    assert of(written, UnknownValueWarning) == []
    with warnings.catch_warnings(record=True) as read:
        warnings.simplefilter("always")
        back = read_parquet(tmp_path / "chat")  # new frames, read from files: counted again
    assert len(of(read, UnknownValueWarning)) == 1
    assert back == frames  # extra included
    assert json.loads(back.messages["extra"].item()) == {"pinned": True}


def test_a_folder_written_before_extra_existed_still_reads(tmp_path: Path) -> None:
    frames, _ = build([page_of(full_message(id="m1"))])
    write_parquet(frames, tmp_path / "chat")
    for table in ("messages", "attachments", "reactions"):
        file = tmp_path / "chat" / f"{table}.parquet"
        pl.read_parquet(file).drop("extra").write_parquet(file)  # as schema 1.0.0 wrote it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert read_parquet(tmp_path / "chat") == frames
