"""What each pandera model checks, without pandera: GENERATED, do not edit.

Written by ``python -m postpress_frames.tables.models`` from the models in
:mod:`postpress_frames.tables.models`, the one source of truth; tests/test_validation_query.py
fails when this file and the models disagree. The frame builder, storage and analysis read
their dtypes here (``schemas.table_schema``), and validation runs these checks as one polars
query (``tables/checks.py``), so none of them imports pandera.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import polars as pl

from postpress_frames.tables.checks import Column, Model, check

__all__ = ["MODELS"]

#: Table name -> its model's description: the four tables of a chat's messages, then rejects.
MODELS: Final[Mapping[str, Model]] = MappingProxyType(
    {
        "messages": Model(
            "MessageSchema",
            (
                Column("id", pl.String(), unique=True, checks=(check("str_length", min_value=1),)),
                Column("provider_id", pl.String()),
                Column("account_id", pl.String(), checks=(check("str_length", min_value=1),)),
                Column("chat_id", pl.String(), checks=(check("str_length", min_value=1),)),
                Column("chat_provider_id", pl.String()),
                Column("sender_id", pl.String()),
                Column(
                    "sender_attendee_id",
                    pl.String(),
                    nullable=True,
                    checks=(check("str_length", min_value=1),),
                ),
                Column("timestamp", pl.Datetime("ms", "UTC")),
                Column("text", pl.String(), nullable=True),
                Column("is_sender", pl.Boolean()),
                Column("seen", pl.Boolean()),
                Column("hidden", pl.Boolean()),
                Column("deleted", pl.Boolean()),
                Column("edited", pl.Boolean()),
                Column("is_event", pl.Boolean()),
                Column("delivered", pl.Boolean()),
                Column("behavior", pl.Int64(), nullable=True),
                Column("event_type", pl.Int64(), nullable=True),
                Column("original", pl.String(), required=False),
                Column(
                    "replies",
                    pl.Int64(),
                    nullable=True,
                    checks=(check("greater_than_or_equal_to", min_value=0),),
                ),
                Column("reply_by", pl.List(pl.String()), nullable=True),
                Column(
                    "parent", pl.String(), nullable=True, checks=(check("str_length", min_value=1),)
                ),
                Column("subject", pl.String(), nullable=True),
                Column("message_type", pl.String(), nullable=True),
                Column("attendee_type", pl.String(), nullable=True),
                Column("attendee_distance", pl.Int64(), nullable=True),
                Column("sender_urn", pl.String(), nullable=True),
                Column("is_forwarded", pl.Boolean(), nullable=True),
                Column(
                    "reply_to_id",
                    pl.String(),
                    nullable=True,
                    checks=(
                        check("str_length", min_value=1),
                        check("reply_to_complete"),
                    ),
                ),
                Column(
                    "reply_to_provider_id",
                    pl.String(),
                    nullable=True,
                    checks=(check("reply_to_complete"),),
                ),
                Column(
                    "reply_to_timestamp",
                    pl.Datetime("ms", "UTC"),
                    nullable=True,
                    checks=(check("reply_to_complete"),),
                ),
                Column(
                    "reply_to_sender_attendee_id",
                    pl.String(),
                    nullable=True,
                    checks=(check("str_length", min_value=1),),
                ),
                Column(
                    "reply_to_sender_id",
                    pl.String(),
                    nullable=True,
                    checks=(check("reply_to_complete"),),
                ),
                Column("reply_to_text", pl.String(), nullable=True),
                Column(
                    "quoted_message_id",
                    pl.String(),
                    nullable=True,
                    checks=(check("str_length", min_value=1),),
                ),
                Column(
                    "quoted_provider_id",
                    pl.String(),
                    nullable=True,
                    checks=(check("quoted_complete"),),
                ),
                Column(
                    "quoted_sender_id",
                    pl.String(),
                    nullable=True,
                    checks=(check("quoted_complete"),),
                ),
                Column("quoted_text", pl.String(), nullable=True),
                Column("extra", pl.String(), nullable=True),
            ),
        ),
        "attachments": Model(
            "AttachmentSchema",
            (
                Column("message_id", pl.String(), checks=(check("str_length", min_value=1),)),
                Column(
                    "position", pl.Int32(), checks=(check("greater_than_or_equal_to", min_value=0),)
                ),
                Column("quoted", pl.Boolean()),
                Column("id", pl.String()),
                Column("type", pl.String()),
                Column(
                    "file_size",
                    pl.Int64(),
                    nullable=True,
                    checks=(check("greater_than_or_equal_to", min_value=0),),
                ),
                Column("unavailable", pl.Boolean()),
                Column("mimetype", pl.String(), nullable=True),
                Column("url", pl.String(), nullable=True),
                Column("url_expires_at", pl.Datetime("ms", "UTC"), nullable=True),
                Column(
                    "width",
                    pl.Int64(),
                    nullable=True,
                    checks=(check("greater_than_or_equal_to", min_value=0),),
                ),
                Column(
                    "height",
                    pl.Int64(),
                    nullable=True,
                    checks=(check("greater_than_or_equal_to", min_value=0),),
                ),
                Column(
                    "sticker",
                    pl.Boolean(),
                    nullable=True,
                    checks=(check("variant_fields_present"),),
                ),
                Column(
                    "gif", pl.Boolean(), nullable=True, checks=(check("variant_fields_present"),)
                ),
                Column(
                    "duration",
                    pl.Float64(),
                    nullable=True,
                    checks=(check("greater_than_or_equal_to", min_value=0),),
                ),
                Column(
                    "voice_note",
                    pl.Boolean(),
                    nullable=True,
                    checks=(check("variant_fields_present"),),
                ),
                Column(
                    "file_name",
                    pl.String(),
                    nullable=True,
                    checks=(check("variant_fields_present"),),
                ),
                Column("starts_at", pl.Datetime("ms", "UTC"), nullable=True),
                Column("expires_at", pl.Datetime("ms", "UTC"), nullable=True),
                Column(
                    "time_range",
                    pl.Float64(),
                    nullable=True,
                    checks=(check("greater_than_or_equal_to", min_value=0),),
                ),
                Column("extra", pl.String(), nullable=True),
            ),
            unique=("message_id", "quoted", "position"),
        ),
        "reactions": Model(
            "ReactionSchema",
            (
                Column("message_id", pl.String(), checks=(check("str_length", min_value=1),)),
                Column(
                    "position", pl.Int32(), checks=(check("greater_than_or_equal_to", min_value=0),)
                ),
                Column("value", pl.String()),
                Column("sender_id", pl.String()),
                Column("is_sender", pl.Boolean()),
                Column("extra", pl.String(), nullable=True),
            ),
            unique=("message_id", "position"),
        ),
        "seen_by": Model(
            "SeenBySchema",
            (
                Column("message_id", pl.String(), checks=(check("str_length", min_value=1),)),
                Column("attendee_id", pl.String(), checks=(check("str_length", min_value=1),)),
                Column("seen", pl.Boolean()),
                Column(
                    "seen_at",
                    pl.Datetime("ms", "UTC"),
                    nullable=True,
                    checks=(check("seen_at_only_where_seen"),),
                ),
            ),
            unique=("message_id", "attendee_id"),
        ),
        "rejects": Model(
            "RejectSchema",
            (
                Column("chat_id", pl.String(), nullable=True),
                Column(
                    "page", pl.Int32(), checks=(check("greater_than_or_equal_to", min_value=1),)
                ),
                Column(
                    "message_id",
                    pl.String(),
                    nullable=True,
                    checks=(
                        check("str_length", min_value=1),
                        check("unique_where_set"),
                    ),
                ),
                Column("field", pl.String()),
                Column("reason", pl.String()),
                Column("item", pl.String()),
            ),
        ),
    }
)
