"""The pandera models of the four tables: the one source of truth for columns and dtypes.

``MessageSchema``, ``AttachmentSchema``, ``ReactionSchema`` and ``SeenBySchema`` fix each
table's column set (strict), exact dtypes (timestamps are ``Datetime("ms", "UTC")``) and
nullability (nullable exactly where the spec page says *nullable* or *optional*).
:func:`polars_schema` turns a model into the ``pl.Schema`` the frame builder casts to, and
:func:`validate_frames` checks the four tables plus the cross-table keys at once.
:func:`key_column` names each table's message key.

Growth of the API: enum-like columns (``message_type``, ``attendee_type``, attachment
``type``, ``event_type``, ``attendee_distance``) keep their open dtype (String / Int64).
A value outside :data:`DOCUMENTED_VALUES` is kept, never a failure, and named with its count
in one :class:`UnknownValueWarning`, counted once (:func:`unknown_values`): by
``frames_from_pages`` for the frames it builds (``validate`` does not warn again about
them), by :func:`validate_frames` for any other tables (read back, or ``replace``-d).

>>> list(polars_schema(ReactionSchema))
['message_id', 'position', 'value', 'sender_id', 'is_sender']
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Final, Optional, overload

import polars as pl

from postpress_frames._args import as_int
from postpress_frames._exceptions import (
    ArgumentTypeError,
    ConfigurationError,
    SchemaFailure,
    SchemaValidationError,
    body_excerpt,
)
from postpress_frames._pandera import pa
from postpress_frames.tables.values import (
    ATTACHMENT_TYPES,
    ATTENDEE_DISTANCES,
    ATTENDEE_TYPES,
    DOCUMENTED_VALUES,
    EVENT_TYPES,
    MESSAGE_TYPES,
    UnknownValueWarning,
    tables_argument,
    unknown_values,
    warn_unknown_values,
)

__all__ = [
    "ATTACHMENT_TYPES",
    "ATTENDEE_DISTANCES",
    "ATTENDEE_TYPES",
    "DOCUMENTED_VALUES",
    "EVENT_TYPES",
    "MESSAGE_TYPES",
    "SCHEMA_VERSION",
    "TABLE_MODELS",
    "AttachmentSchema",
    "MessageSchema",
    "ReactionSchema",
    "SeenBySchema",
    "UnknownFieldWarning",
    "UnknownValueWarning",
    "key_column",
    "polars_schema",
    "unknown_values",
    "validate_frames",
    "warn_unknown_values",
    "without_chat_id",
]

#: Bumped on any change of a table's columns or dtypes (major: removed/retyped column).
SCHEMA_VERSION: Final = "1.0.0"


class UnknownFieldWarning(UserWarning):
    """The API sent fields the spec page does not list; they are not stored as columns."""


UtcDatetime = Annotated[pl.Datetime, "ms", "UTC"]
StringList = Annotated[pl.List, pl.String]

_NON_EMPTY: Final = {"min_value": 1}


def _all_or_none_present(required: list[str], optional: list[str]) -> pl.Expr:
    """True where a flattened object is absent (all null) or has all its required fields."""
    any_present = pl.any_horizontal(pl.col(c).is_not_null() for c in required + optional)
    all_required = pl.all_horizontal(pl.col(c).is_not_null() for c in required)
    return ~any_present | all_required


class MessageSchema(pa.DataFrameModel):
    """``messages``: one row per message id, sorted by ``timestamp`` then ``id``.

    ``original`` is optional as a column: it is absent when built with
    ``include_original=False``. ``reply_to_*`` and ``quoted_*`` flatten the optional
    ``reply_to`` and ``quoted`` objects; when present, their required fields are non-null.
    """

    id: str = pa.Field(str_length=_NON_EMPTY, unique=True)
    provider_id: str
    account_id: str = pa.Field(str_length=_NON_EMPTY)
    chat_id: str = pa.Field(str_length=_NON_EMPTY)
    chat_provider_id: str
    sender_id: str
    sender_attendee_id: str = pa.Field(str_length=_NON_EMPTY)
    timestamp: UtcDatetime
    text: str = pa.Field(nullable=True)
    is_sender: bool
    seen: bool
    hidden: bool
    deleted: bool
    edited: bool
    is_event: bool
    delivered: bool
    behavior: pl.Int64 = pa.Field(nullable=True)
    event_type: pl.Int64 = pa.Field(nullable=True)
    original: Optional[str]  # noqa: UP045 (pandera reads Optional as "column not required")
    replies: pl.Int64 = pa.Field(nullable=True, ge=0)
    reply_by: StringList = pa.Field(nullable=True)
    parent: str = pa.Field(nullable=True, str_length=_NON_EMPTY)
    subject: str = pa.Field(nullable=True)
    message_type: str = pa.Field(nullable=True)
    attendee_type: str = pa.Field(nullable=True)
    attendee_distance: pl.Int64 = pa.Field(nullable=True)
    sender_urn: str = pa.Field(nullable=True)
    is_forwarded: bool = pa.Field(nullable=True)
    reply_to_id: str = pa.Field(nullable=True, str_length=_NON_EMPTY)
    reply_to_provider_id: str = pa.Field(nullable=True)
    reply_to_timestamp: UtcDatetime = pa.Field(nullable=True)
    reply_to_sender_attendee_id: str = pa.Field(nullable=True, str_length=_NON_EMPTY)
    reply_to_sender_id: str = pa.Field(nullable=True)
    reply_to_text: str = pa.Field(nullable=True)
    quoted_message_id: str = pa.Field(nullable=True, str_length=_NON_EMPTY)
    quoted_provider_id: str = pa.Field(nullable=True)
    quoted_sender_id: str = pa.Field(nullable=True)
    quoted_text: str = pa.Field(nullable=True)

    @pa.dataframe_check(name="reply_to_complete")
    @classmethod
    def reply_to_complete(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A present ``reply_to`` has id, provider_id, timestamp and both sender ids."""
        required = [
            "reply_to_id",
            "reply_to_provider_id",
            "reply_to_timestamp",
            "reply_to_sender_attendee_id",
            "reply_to_sender_id",
        ]
        return data.lazyframe.select(_all_or_none_present(required, ["reply_to_text"]))

    @pa.dataframe_check(name="quoted_complete")
    @classmethod
    def quoted_complete(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A present ``quoted`` message has its provider id and sender id."""
        required = ["quoted_provider_id", "quoted_sender_id"]
        optional = ["quoted_message_id", "quoted_text"]
        return data.lazyframe.select(_all_or_none_present(required, optional))

    class Config:
        strict = True
        coerce = False


# Fields each attachment variant requires (the spec page's "required" per variant).
VARIANT_REQUIRED: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "img": ("width", "height", "sticker"),
        "video": ("width", "height", "gif"),
        "audio": ("voice_note",),
        "file": ("file_name",),
    }
)


class AttachmentSchema(pa.DataFrameModel):
    """``attachments``: one row per attachment of a message and of its quoted message.

    ``quoted`` is True for the quoted message's attachments; ``position`` is the index in
    its list. Variant fields are null where the variant lacks them; ``width``/``height``
    come from ``size``. ``duration`` and ``time_range`` are seconds (Float64: the spec says
    *number*). Epoch fields are UTC datetimes (see ``frames.epoch_to_datetime``).
    """

    message_id: str = pa.Field(str_length=_NON_EMPTY)
    position: pl.Int32 = pa.Field(ge=0)
    quoted: bool
    id: str
    type: str
    file_size: pl.Int64 = pa.Field(nullable=True, ge=0)
    unavailable: bool
    mimetype: str = pa.Field(nullable=True)
    url: str = pa.Field(nullable=True)
    url_expires_at: UtcDatetime = pa.Field(nullable=True)
    width: pl.Int64 = pa.Field(nullable=True, ge=0)
    height: pl.Int64 = pa.Field(nullable=True, ge=0)
    sticker: bool = pa.Field(nullable=True)
    gif: bool = pa.Field(nullable=True)
    duration: pl.Float64 = pa.Field(nullable=True, ge=0)
    voice_note: bool = pa.Field(nullable=True)
    file_name: str = pa.Field(nullable=True)
    starts_at: UtcDatetime = pa.Field(nullable=True)
    expires_at: UtcDatetime = pa.Field(nullable=True)
    time_range: pl.Float64 = pa.Field(nullable=True, ge=0)

    @pa.dataframe_check(name="variant_fields_present")
    @classmethod
    def variant_fields_present(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Each known variant has its required fields (e.g. an img has width and height)."""
        ok = pl.lit(value=True)
        for variant, fields in VARIANT_REQUIRED.items():
            present = pl.all_horizontal(pl.col(f).is_not_null() for f in fields)
            ok = ok & ((pl.col("type") != variant) | pl.col("type").is_null() | present)
        return data.lazyframe.select(ok)

    class Config:
        strict = True
        coerce = False
        unique = ["message_id", "quoted", "position"]  # noqa: RUF012 (pandera reads it)


class ReactionSchema(pa.DataFrameModel):
    """``reactions``: one row per reaction, ``position`` its index on the message."""

    message_id: str = pa.Field(str_length=_NON_EMPTY)
    position: pl.Int32 = pa.Field(ge=0)
    value: str
    sender_id: str
    is_sender: bool

    class Config:
        strict = True
        coerce = False
        unique = ["message_id", "position"]  # noqa: RUF012 (pandera reads it)


class SeenBySchema(pa.DataFrameModel):
    """``seen_by``: one row per read receipt; ``seen_at`` only where the value was a time."""

    message_id: str = pa.Field(str_length=_NON_EMPTY)
    attendee_id: str = pa.Field(str_length=_NON_EMPTY)
    seen: bool
    seen_at: UtcDatetime = pa.Field(nullable=True)

    @pa.dataframe_check(name="seen_at_only_where_seen")
    @classmethod
    def seen_at_only_where_seen(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A receipt with a time is a seen receipt."""
        return data.lazyframe.select(pl.col("seen_at").is_null() | pl.col("seen"))

    class Config:
        strict = True
        coerce = False
        unique = ["message_id", "attendee_id"]  # noqa: RUF012 (pandera reads it)


#: Table name -> model, in the order of :class:`~postpress_frames.tables.chat_frames.ChatFrames`.
TABLE_MODELS: Final[Mapping[str, type[pa.DataFrameModel]]] = MappingProxyType(
    {
        "messages": MessageSchema,
        "attachments": AttachmentSchema,
        "reactions": ReactionSchema,
        "seen_by": SeenBySchema,
    }
)


def polars_schema(model: type[pa.DataFrameModel]) -> pl.Schema:
    """The polars schema (column -> dtype, in order) of a pandera model.

    >>> polars_schema(SeenBySchema)["seen_at"]
    Datetime(time_unit='ms', time_zone='UTC')
    """
    if not (isinstance(model, type) and issubclass(model, pa.DataFrameModel)):
        raise ArgumentTypeError("model", "a pandera model (e.g. MessageSchema)", model)
    return _polars_schema(model)


@functools.cache
def _polars_schema(model: type[pa.DataFrameModel]) -> pl.Schema:
    columns = model.to_schema().columns
    return pl.Schema({name: column.dtype.type for name, column in columns.items()})


def key_column(table: str) -> str:
    """The column naming each row's message: ``id`` in ``messages``, else ``message_id``.

    >>> key_column("messages"), key_column("seen_by")
    ('id', 'message_id')
    """
    if not isinstance(table, str):
        raise ArgumentTypeError("table", "a table name (str)", table)
    if table not in TABLE_MODELS:
        raise ConfigurationError(f"no table {table!r}; the tables are {', '.join(TABLE_MODELS)}")
    return "id" if table == "messages" else "message_id"


@overload
def without_chat_id(frame: pl.DataFrame) -> pl.DataFrame: ...
@overload
def without_chat_id(frame: pl.LazyFrame) -> pl.LazyFrame: ...
@overload
def without_chat_id(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame: ...
def without_chat_id(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    """``frame`` without its ``chat_id`` column, if it has one (DataFrame or LazyFrame).

    >>> without_chat_id(pl.DataFrame({"chat_id": ["c"], "id": ["m1"]})).columns
    ['id']
    """
    if not isinstance(frame, pl.DataFrame | pl.LazyFrame):
        raise ArgumentTypeError("frame", "a polars DataFrame or LazyFrame", frame)
    return frame.drop("chat_id", strict=False)


def _failures_from_pandera(
    table: str, frame: pl.DataFrame, errors: pa.errors.SchemaErrors
) -> list[SchemaFailure]:
    unique = getattr(TABLE_MODELS[table].Config, "unique", None) or []
    cases: pl.DataFrame = errors.failure_cases
    key = key_column(table)
    keys = frame.get_column(key) if key in frame.columns else None
    failures: list[SchemaFailure] = []
    groups = cases.group_by(["schema_context", "column", "check"], maintain_order=True)
    for (context, column, check), group in groups:
        name: str | None = str(column)
        if check in ("column_in_schema", "column_in_dataframe"):
            name = ", ".join(str(c) for c in group.get_column("failure_case").to_list())
        elif check == "multiple_fields_uniqueness":
            name = ", ".join(unique)
        elif context == "DataFrameSchema":
            name = None
        ids: list[str] = []
        indices = group.get_column("index").drop_nulls().unique(maintain_order=True)
        if keys is not None and indices.len() > 0:
            picked = keys.gather(indices.cast(pl.Int64)).drop_nulls().unique(maintain_order=True)
            ids = [str(v) for v in picked.to_list()]
        failures.append(SchemaFailure(table, name, str(check), tuple(ids)))
    return failures


def _orphans(tables: Mapping[str, pl.DataFrame]) -> list[SchemaFailure]:
    messages = tables.get("messages")
    if messages is None or messages.schema.get("id") != pl.String():
        return []  # no usable ids: the messages table's own failures say why
    known = messages.select(pl.col("id").alias("message_id"))
    failures = []
    for table in ("attachments", "reactions", "seen_by"):
        frame = tables.get(table)
        if frame is None or frame.schema.get("message_id") != pl.String():
            continue
        orphans = (
            frame.select("message_id")
            .join(known, on="message_id", how="anti", nulls_equal=False)
            .get_column("message_id")
            .drop_nulls()
            .unique(maintain_order=True)
        )
        if orphans.len():
            ids = tuple(str(v) for v in orphans.to_list())
            failures.append(SchemaFailure(table, "message_id", "message_id_in_messages", ids))
    return failures


def _unreadable(table: str, exc: Exception) -> SchemaFailure:
    """A table polars could not evaluate (a LazyFrame's plan, a check): one failure."""
    return SchemaFailure(table, None, f"readable ({body_excerpt(str(exc), 160)})")


def validate_frames(
    frames: Mapping[str, pl.DataFrame | pl.LazyFrame], *, stacklevel: int = 1
) -> None:
    """Validate the four tables and their cross-table keys; report every failure at once.

    Each table is checked against its model with ``lazy=True`` (all checks run), and every
    child ``message_id`` must exist in ``messages``. Undocumented enum values do not fail:
    they give one :class:`UnknownValueWarning` (not again for frames ``frames_from_pages``
    built and warned about). LazyFrames are collected first, since pandera checks only the
    schema of a LazyFrame. ``stacklevel`` is for wrappers, so the warning points at their
    caller.

    Raises :class:`~postpress_frames._exceptions.SchemaValidationError` whose ``failures``
    name table, column, check and offending message ids.

    >>> validate_frames({name: pl.DataFrame(schema=polars_schema(model))
    ...                  for name, model in TABLE_MODELS.items()})
    """
    stacklevel = as_int(stacklevel, "stacklevel", minimum=1)
    failures: list[SchemaFailure] = []
    tables: dict[str, pl.DataFrame] = {}
    for name, frame in tables_argument(frames, "frames").items():
        try:
            tables[name] = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
        except pl.exceptions.PolarsError as exc:
            failures.append(_unreadable(name, exc))
    missing = [name for name in TABLE_MODELS if name not in frames]
    if missing:
        failures.append(SchemaFailure(", ".join(missing), None, "table_present"))
    for name, model in TABLE_MODELS.items():
        if name not in tables:
            continue
        try:
            model.validate(tables[name], lazy=True)
        except pa.errors.SchemaErrors as errors:
            failures.extend(_failures_from_pandera(name, tables[name], errors))
        except pl.exceptions.PolarsError as exc:
            failures.append(_unreadable(name, exc))
    failures.extend(_orphans(tables))
    # ChatFrames built by frames_from_pages carry the counts it warned about.
    if getattr(frames, "_unknown_values", None) is None:
        warn_unknown_values(tables, stacklevel=stacklevel + 1)
    if failures:
        names = list(dict.fromkeys(f.table for f in failures))
        raise SchemaValidationError(", ".join(names), failures)
