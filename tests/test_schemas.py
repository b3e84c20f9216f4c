"""The pandera models: one source of truth, strict columns, value checks, cross-table keys."""

from __future__ import annotations

import warnings
from typing import Any

import polars as pl
import pytest

from postpress_frames._exceptions import (
    ArgumentTypeError,
    ConfigurationError,
    SchemaValidationError,
)
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import (
    RELAXED,
    SCHEMA_VERSION,
    TABLE_MODELS,
    AttachmentSchema,
    MessageSchema,
    MissingFieldWarning,
    ReactionSchema,
    SeenBySchema,
    UnknownValueWarning,
    key_column,
    polars_schema,
    unknown_values,
    validate_frames,
    without_chat_id,
)
from tests.strategies import full_message, page_of

UTC_MS = pl.Datetime("ms", "UTC")


@pytest.fixture(scope="module")
def frames() -> ChatFrames:
    second = full_message(id="m2", timestamp="2026-05-17T10:00:00.000Z")
    return frames_from_pages([page_of(full_message(), second)])


def failures_of(frames: ChatFrames) -> list[tuple[str, str | None, str, tuple[str, ...]]]:
    with pytest.raises(SchemaValidationError) as caught:
        frames.validate()
    return [(f.table, f.column, f.check, tuple(f.message_ids)) for f in caught.value.failures]


def test_table_models_in_chat_frames_order() -> None:
    assert list(TABLE_MODELS) == ["messages", "attachments", "reactions", "seen_by"]
    assert list(TABLE_MODELS.values()) == [
        MessageSchema,
        AttachmentSchema,
        ReactionSchema,
        SeenBySchema,
    ]


def test_schema_version_is_semver() -> None:
    assert [int(part) for part in str(SCHEMA_VERSION).split(".")] >= [1, 0, 0]


def test_the_builder_takes_its_dtypes_from_the_models(frames: ChatFrames) -> None:
    for name, model in TABLE_MODELS.items():
        expected = polars_schema(model)
        assert frames[name].schema == expected
        assert list(expected) == list(model.to_schema().columns)


def test_polars_schema_has_exact_time_unit_and_zone() -> None:
    assert polars_schema(MessageSchema)["timestamp"] == UTC_MS
    assert polars_schema(MessageSchema)["reply_to_timestamp"] == UTC_MS
    assert polars_schema(MessageSchema)["reply_by"] == pl.List(pl.String)
    for column in ("url_expires_at", "starts_at", "expires_at"):
        assert polars_schema(AttachmentSchema)[column] == UTC_MS
    assert polars_schema(SeenBySchema)["seen_at"] == UTC_MS


def test_nullable_where_the_spec_says_nullable_or_optional_or_real_payloads_omit() -> None:
    columns = MessageSchema.to_schema().columns
    non_null = {name for name, column in columns.items() if not column.nullable}
    # sender_attendee_id is required on the spec page but absent from real payloads and from
    # the official Node SDK's message schema: RELAXED (see the README's table of decisions).
    assert ("messages", "sender_attendee_id") in RELAXED
    assert non_null == {
        "id",
        "provider_id",
        "account_id",
        "chat_id",
        "chat_provider_id",
        "sender_id",
        "timestamp",
        "is_sender",
        "seen",
        "hidden",
        "deleted",
        "edited",
        "is_event",
        "delivered",
        "original",
    }
    assert not columns["original"].required  # absent with include_original=False
    attachments = AttachmentSchema.to_schema().columns
    assert {n for n, c in attachments.items() if not c.nullable} == {
        "message_id",
        "position",
        "quoted",
        "id",
        "type",
        "unavailable",
    }


def test_valid_frames_pass(frames: ChatFrames) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert frames.validate() is frames


def test_empty_frames_pass() -> None:
    ChatFrames.empty().validate()
    ChatFrames.empty(include_original=False).validate()


def test_strict_column_sets(frames: ChatFrames) -> None:
    wider = frames.replace(reactions=frames.reactions.with_columns(pl.lit(1).alias("pinned")))
    assert ("reactions", "pinned", "column_in_schema", ()) in failures_of(wider)
    narrower = frames.replace(seen_by=frames.seen_by.drop("seen_at"))
    assert ("seen_by", "seen_at", "column_in_dataframe", ()) in failures_of(narrower)


def test_exact_dtypes(frames: ChatFrames) -> None:
    naive = frames.messages.with_columns(pl.col("timestamp").dt.replace_time_zone(None))
    [failure] = failures_of(frames.replace(messages=naive))
    assert (failure[0], failure[1]) == ("messages", "timestamp")
    assert "dtype" in failure[2]


def test_ids_unique_and_non_empty(frames: ChatFrames) -> None:
    messages = frames.messages.with_columns(pl.lit("m1").alias("id"))
    assert ("messages", "id", "field_uniqueness", ("m1",)) in failures_of(
        frames.replace(messages=messages)
    )
    blank = frames.messages.with_columns(
        pl.when(pl.col("id") == "m2").then(pl.lit("x")).otherwise(pl.col("id")).alias("id"),
        pl.when(pl.col("id") == "m2").then(pl.lit("")).otherwise("chat_id").alias("chat_id"),
    )
    found = failures_of(frames.replace(messages=blank))
    assert ("messages", "chat_id", "str_length(1, None)", ("x",)) in found


def test_seen_at_only_where_seen(frames: ChatFrames) -> None:
    wrong = frames.seen_by.with_columns(pl.lit(value=False).alias("seen"))
    found = failures_of(frames.replace(seen_by=wrong))
    assert ("seen_by", "seen_at", "seen_at_only_where_seen", ("m1", "m2")) in found


def test_variant_fields_present(frames: ChatFrames) -> None:
    no_sticker = frames.attachments.with_columns(
        pl.when(pl.col("type") == "img").then(None).otherwise(pl.col("sticker")).alias("sticker")
    )
    found = failures_of(frames.replace(attachments=no_sticker))
    assert ("attachments", "sticker", "variant_fields_present", ("m1", "m2")) in found


def test_an_image_without_size_is_kept_and_counted_in_one_warning(frames: ChatFrames) -> None:
    no_size = frames.attachments.with_columns(
        pl.when(pl.col("type") == "img").then(None).otherwise(pl.col(c)).alias(c)
        for c in ("width", "height")
    )
    with pytest.warns(MissingFieldWarning) as record:
        frames.replace(attachments=no_size).validate()
    assert len(record) == 1
    assert "attachments.width (4 rows), attachments.height (4 rows)" in str(record[0].message)


def test_every_failure_names_its_column(frames: ChatFrames) -> None:
    broken = frames.replace(
        messages=frames.messages.with_columns(
            pl.lit(None, pl.String).alias("reply_to_sender_id"),
            pl.lit(None, pl.String).alias("quoted_sender_id"),
        ),
        attachments=frames.attachments.with_columns(pl.lit(None, pl.Boolean).alias("gif")),
        seen_by=frames.seen_by.with_columns(pl.lit(value=False).alias("seen")),
    )
    found = failures_of(broken)
    assert all(column is not None for _, column, _, _ in found), found
    assert {(table, column, check) for table, column, check, _ in found} >= {
        ("messages", "reply_to_sender_id", "reply_to_complete"),
        ("messages", "quoted_sender_id", "quoted_complete"),
        ("attachments", "gif", "variant_fields_present"),
        ("seen_by", "seen_at", "seen_at_only_where_seen"),
    }


def test_child_keys_unique(frames: ChatFrames) -> None:
    doubled = pl.concat([frames.reactions, frames.reactions])
    found = failures_of(frames.replace(reactions=doubled))
    assert (
        "reactions",
        "message_id, position",
        "multiple_fields_uniqueness",
        ("m1", "m2"),
    ) in found


def test_every_failure_of_every_table_is_reported_at_once(frames: ChatFrames) -> None:
    broken = frames.replace(
        messages=frames.messages.filter(pl.col("id") == "m2").with_columns(
            pl.lit(None, pl.Boolean).alias("seen")
        ),
        seen_by=frames.seen_by.with_columns(pl.lit("").alias("attendee_id")),
    )
    with pytest.raises(SchemaValidationError) as caught:
        broken.validate()
    error = caught.value
    found = {(f.table, f.column, f.check, tuple(f.message_ids)) for f in error.failures}
    assert found >= {
        ("messages", "seen", "not_nullable", ("m2",)),
        ("seen_by", "attendee_id", "str_length(1, None)", ("m1", "m2")),
        ("attachments", "message_id", "message_id_in_messages", ("m1",)),
        ("reactions", "message_id", "message_id_in_messages", ("m1",)),
        ("seen_by", "message_id", "message_id_in_messages", ("m1",)),
    }
    assert error.table == "messages, seen_by, attachments, reactions"
    assert "'m1'" in str(error)
    assert "message_id_in_messages" in str(error)


def test_undocumented_values_warn_and_do_not_fail(frames: ChatFrames) -> None:
    grown = frames.replace(
        messages=frames.messages.with_columns(
            pl.lit(14, pl.Int64).alias("event_type"), pl.lit("REACTION").alias("message_type")
        ),
        attachments=frames.attachments.with_columns(pl.lit("poll").alias("type")),
    )
    with pytest.warns(UnknownValueWarning) as record:
        grown.validate()
    assert len(record) == 1
    assert "attachments.type='poll' (24 rows)" in str(record[0].message)
    assert unknown_values(grown) == {
        ("messages", "event_type", 14): 2,
        ("messages", "message_type", "REACTION"): 2,
        ("attachments", "type", "poll"): 24,
    }


def test_lazy_frames_have_their_data_checked(frames: ChatFrames) -> None:
    lazy: dict[str, Any] = {name: frame.lazy() for name, frame in frames.items()}
    lazy["messages"] = lazy["messages"].with_columns(pl.lit(None, pl.String).alias("chat_id"))
    with pytest.raises(SchemaValidationError, match="not_nullable"):
        validate_frames(lazy)


def test_a_missing_table_is_a_failure(frames: ChatFrames) -> None:
    tables = dict(frames.items())
    del tables["reactions"]
    with pytest.raises(SchemaValidationError) as caught:
        validate_frames(tables)
    assert caught.value.failures[0].check == "table_present"


def test_key_column_names_each_tables_message_key() -> None:
    assert {table: key_column(table) for table in TABLE_MODELS} == {
        "messages": "id",
        "attachments": "message_id",
        "reactions": "message_id",
        "seen_by": "message_id",
    }
    with pytest.raises(ConfigurationError, match="no table 'users'"):
        key_column("users")


def test_without_chat_id_drops_the_column_when_present(frames: ChatFrames) -> None:
    assert "chat_id" not in without_chat_id(frames.messages).columns
    assert without_chat_id(frames.reactions).columns == frames.reactions.columns
    lazy = without_chat_id(frames.messages.lazy())
    assert isinstance(lazy, pl.LazyFrame)
    assert "chat_id" not in lazy.collect_schema().names()


@pytest.mark.parametrize("wrong", [123, pl.DataFrame(), {"messages": 1}])
def test_validate_frames_refuses_what_is_not_tables(wrong: Any) -> None:
    with pytest.raises(ArgumentTypeError, match="frames"):
        validate_frames(wrong)


def test_tables_polars_cannot_evaluate_are_failures_not_polars_errors(frames: ChatFrames) -> None:
    tables: dict[str, Any] = dict(frames.items())
    tables["messages"] = frames.messages.lazy().select(pl.col("no_such_column"))
    tables["reactions"] = frames.reactions.with_columns(
        pl.col("message_id").cast(pl.Int64, strict=False)
    )
    with pytest.raises(SchemaValidationError) as caught:
        validate_frames(tables)
    found = {(f.table, f.column, f.check.split(" ")[0]) for f in caught.value.failures}
    assert ("messages", None, "readable") in found
    assert ("reactions", "message_id", "dtype('String')") in found
