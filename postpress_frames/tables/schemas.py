"""The pandera models of the tables: the one source of truth for columns and dtypes.

``MessageSchema``, ``AttachmentSchema``, ``ReactionSchema`` and ``SeenBySchema`` fix each
table's column set (strict), exact dtypes (timestamps are ``Datetime("ms", "UTC")``) and
nullability (nullable where the spec page says *nullable* or *optional*, and for the few
required fields real payloads omit: :data:`RELAXED`). ``RejectSchema`` is the table of
messages set aside by ``frames_from_pages(on_invalid="quarantine")``.
:func:`polars_schema` turns a model into the ``pl.Schema`` the frame builder casts to, and
:func:`validate_frames` checks the tables plus the cross-table keys at once. Every failure
names its table, column and check (checks that involve several columns are column checks
that read the others). :func:`key_column` names each table's message key.

Fields the spec page does not list are kept, per row, in the ``extra`` column of
``messages``, ``attachments`` and ``reactions``: the JSON object text of the row's unlisted
keys (a message's also holds those of its ``quoted`` and ``reply_to`` objects, as
``quoted.<key>`` and ``reply_to.<key>``), null when there are none.

Growth of the API: enum-like columns (``message_type``, ``attendee_type``, attachment
``type``, ``event_type``, ``attendee_distance``) keep their open dtype (String / Int64).
A value outside :data:`DOCUMENTED_VALUES` is kept, never a failure, and named with its count
in one :class:`UnknownValueWarning`, counted once (:func:`unknown_values`): by
``frames_from_pages`` for the frames it builds (``validate`` does not warn again about
them), by :func:`validate_frames` for any other tables (read back, or ``replace``-d).

>>> list(polars_schema(ReactionSchema))
['message_id', 'position', 'value', 'sender_id', 'is_sender', 'extra']
"""

from __future__ import annotations

import functools
import warnings
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
    "REJECTS",
    "RELAXED",
    "SCHEMA_VERSION",
    "STORED_TABLES",
    "TABLE_MODELS",
    "AttachmentSchema",
    "MessageSchema",
    "MissingFieldWarning",
    "ReactionSchema",
    "RejectSchema",
    "SeenBySchema",
    "UnknownFieldWarning",
    "UnknownValueWarning",
    "key_column",
    "missing_fields",
    "polars_schema",
    "unknown_values",
    "validate_frames",
    "warn_missing_fields",
    "warn_unknown_values",
    "without_chat_id",
]

#: Bumped on any change of a table's columns or dtypes (major: removed/retyped column).
#: 1.1.0: ``extra`` on messages, attachments and reactions; the ``rejects`` table;
#: ``sender_attendee_id``, ``reply_to_sender_attendee_id`` and an img's or video's
#: ``width``/``height`` nullable.
SCHEMA_VERSION: Final = "1.1.0"


class UnknownFieldWarning(UserWarning):
    """The API sent fields the spec page does not list; their values are kept in ``extra``."""


class MissingFieldWarning(UserWarning):
    """Fields the spec page marks required were missing or null where real payloads omit
    them (:data:`RELAXED`); the rows are kept with nulls."""


UtcDatetime = Annotated[pl.Datetime, "ms", "UTC"]
StringList = Annotated[pl.List, pl.String]

_NON_EMPTY: Final = {"min_value": 1}


# The flattened ``reply_to`` and ``quoted`` objects: their columns, and the required ones.
_REPLY_TO: Final = (
    "reply_to_id",
    "reply_to_provider_id",
    "reply_to_timestamp",
    "reply_to_sender_attendee_id",
    "reply_to_sender_id",
    "reply_to_text",
)
_REPLY_TO_REQUIRED: Final = (
    "reply_to_id",
    "reply_to_provider_id",
    "reply_to_timestamp",
    "reply_to_sender_id",
)
_QUOTED: Final = ("quoted_message_id", "quoted_provider_id", "quoted_sender_id", "quoted_text")
_QUOTED_REQUIRED: Final = ("quoted_provider_id", "quoted_sender_id")


def _present_with(column: str, group: tuple[str, ...]) -> pl.Expr:
    """True where ``column`` is set, or where its object (every column of ``group``) is absent."""
    return pl.col(column).is_not_null() | ~pl.any_horizontal(pl.col(c).is_not_null() for c in group)


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
    sender_attendee_id: str = pa.Field(nullable=True, str_length=_NON_EMPTY)  # RELAXED
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
    extra: str = pa.Field(nullable=True)

    @pa.check(*_REPLY_TO_REQUIRED, name="reply_to_complete")
    @classmethod
    def reply_to_complete(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A present ``reply_to`` has its id, provider_id, timestamp and sender_id."""
        return data.lazyframe.select(_present_with(data.key, _REPLY_TO))

    @pa.check(*_QUOTED_REQUIRED, name="quoted_complete")
    @classmethod
    def quoted_complete(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A present ``quoted`` message has its provider id and sender id."""
        return data.lazyframe.select(_present_with(data.key, _QUOTED))

    class Config:
        strict = True
        coerce = False


# Fields each attachment variant requires (the spec page's "required" per variant). An img's
# or video's ``size`` (width, height) is required there too, but real payloads omit it: it is
# RELAXED (nullable, counted in a MissingFieldWarning), not a variant requirement.
VARIANT_REQUIRED: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "img": ("sticker",),
        "video": ("gif",),
        "audio": ("voice_note",),
        "file": ("file_name",),
    }
)
_VARIANT_OF: Final = {field: variant for variant, fs in VARIANT_REQUIRED.items() for field in fs}


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
    extra: str = pa.Field(nullable=True)

    @pa.check(*_VARIANT_OF, name="variant_fields_present")
    @classmethod
    def variant_fields_present(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Each known variant has its required fields (an img its ``sticker``, ...)."""
        other = pl.col("type").is_null() | (pl.col("type") != _VARIANT_OF[data.key])
        return data.lazyframe.select(other | pl.col(data.key).is_not_null())

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
    extra: str = pa.Field(nullable=True)

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

    @pa.check("seen_at", name="seen_at_only_where_seen")
    @classmethod
    def seen_at_only_where_seen(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A receipt with a time is a seen receipt."""
        return data.lazyframe.select(pl.col("seen_at").is_null() | pl.col("seen"))

    class Config:
        strict = True
        coerce = False
        unique = ["message_id", "attendee_id"]  # noqa: RUF012 (pandera reads it)


class RejectSchema(pa.DataFrameModel):
    """``rejects``: one row per message set aside by ``on_invalid="quarantine"``, in fetch order.

    ``page`` is the page's number in the build (1..), ``message_id`` the item's id (null when
    it has no usable one), ``field`` the path of the first problem found (``hidden``,
    ``attachments[2].size.width``, ``seen_by.att_7``), ``reason`` what is wrong with it, and
    ``item`` the item's JSON text exactly as the page had it. ``chat_id`` is the item's own
    ``chat_id`` when it is a string (null otherwise). A message id appears once here and
    never in ``messages``.
    """

    chat_id: str = pa.Field(nullable=True)
    page: pl.Int32 = pa.Field(ge=1)
    message_id: str = pa.Field(nullable=True, str_length=_NON_EMPTY)
    field: str
    reason: str
    item: str

    @pa.check("message_id", name="unique_where_set")
    @classmethod
    def unique_where_set(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A message is set aside once."""
        column = pl.col("message_id")
        return data.lazyframe.select(column.is_null() | ~column.is_duplicated())

    class Config:
        strict = True
        coerce = False


#: Table name -> model, in the order of :class:`~postpress_frames.tables.chat_frames.ChatFrames`:
#: the four tables of a chat's messages (``rejects`` is not one of them: :data:`REJECTS`).
TABLE_MODELS: Final[Mapping[str, type[pa.DataFrameModel]]] = MappingProxyType(
    {
        "messages": MessageSchema,
        "attachments": AttachmentSchema,
        "reactions": ReactionSchema,
        "seen_by": SeenBySchema,
    }
)
#: The name of the table of messages set aside (``ChatFrames.rejects``).
REJECTS: Final = "rejects"

#: Fields the spec page marks required that real payloads omit: (table, column) -> the rows
#: where the field is expected (None: every row). A null there is kept, not a failure, and
#: counted in one :class:`MissingFieldWarning` (see the README's table of decisions).
RELAXED: Final[Mapping[tuple[str, str], pl.Expr | None]] = MappingProxyType(
    {
        ("messages", "sender_attendee_id"): None,
        ("messages", "reply_to_sender_attendee_id"): pl.col("reply_to_id").is_not_null(),
        ("attachments", "width"): pl.col("type").is_in(["img", "video"]),
        ("attachments", "height"): pl.col("type").is_in(["img", "video"]),
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
    if table not in TABLE_MODELS and table != REJECTS:
        raise ConfigurationError(f"no table {table!r}; the tables are {', '.join(TABLE_MODELS)}")
    return "id" if table == "messages" else "message_id"


def _model(table: str) -> type[pa.DataFrameModel]:
    return RejectSchema if table == REJECTS else TABLE_MODELS[table]


#: Every table storage writes for a chat: the four tables of :data:`TABLE_MODELS`, then
#: :data:`REJECTS`.
STORED_TABLES: Final = (*TABLE_MODELS, REJECTS)


def table_model(table: str) -> type[pa.DataFrameModel]:
    """The model of one of :data:`STORED_TABLES` (``rejects`` included); storage's, not
    exported.

    >>> table_model("rejects").__name__
    'RejectSchema'
    """
    return _model(table)


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
    unique = getattr(_model(table).Config, "unique", None) or []
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


def missing_fields(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
) -> dict[tuple[str, str], int]:
    """Count the nulls in the :data:`RELAXED` fields where they are expected: ``-> rows``.

    >>> missing_fields({"messages": pl.DataFrame({"sender_attendee_id": [None, "att_1"]},
    ...                                          schema={"sender_attendee_id": pl.String})})
    {('messages', 'sender_attendee_id'): 1}
    """
    tables = tables_argument(tables, "tables")
    queries: list[tuple[tuple[str, str], pl.LazyFrame]] = []
    for (table, column), where in RELAXED.items():
        frame = tables.get(table)
        if frame is None:
            continue
        lazy = frame.lazy()
        schema = lazy.collect_schema()
        conditions = where.meta.root_names() if where is not None else []
        if column not in schema or any(schema.get(c) != pl.String() for c in conditions):
            continue  # a column of the wrong dtype: validation names it
        null = pl.col(column).is_null() if where is None else pl.col(column).is_null() & where
        queries.append(((table, column), lazy.select(null.sum().alias("n"))))
    found: dict[tuple[str, str], int] = {}
    for key, result in zip(
        (key for key, _ in queries), pl.collect_all(q for _, q in queries), strict=True
    ):
        count = int(result.item() or 0)
        if count:
            found[key] = count
    return found


def warn_missing_fields(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame], *, stacklevel: int = 2
) -> dict[tuple[str, str], int]:
    """Emit one :class:`MissingFieldWarning` naming each :data:`RELAXED` field's null count.

    Returns the counts (:func:`missing_fields`); no warning when there are none.
    """
    stacklevel = as_int(stacklevel, "stacklevel", minimum=1)
    found = missing_fields(tables)
    if found:
        listed = ", ".join(
            f"{table}.{column} ({count} row{'s' if count != 1 else ''})"
            for (table, column), count in found.items()
        )
        warnings.warn(
            "fields the spec page marks required were missing or null and kept as nulls "
            f"(real payloads omit them): {listed}",
            MissingFieldWarning,
            stacklevel=stacklevel + 1,
        )
    return found


def _set_aside_and_kept(tables: Mapping[str, pl.DataFrame]) -> list[SchemaFailure]:
    """A message is in ``messages`` or in ``rejects``, never in both."""
    messages, rejects = tables.get("messages"), tables.get(REJECTS)
    if messages is None or rejects is None:
        return []
    if messages.schema.get("id") != pl.String() or rejects.schema.get("message_id") != pl.String():
        return []
    both = (
        rejects.select("message_id")
        .join(messages.select(pl.col("id").alias("message_id")), on="message_id", how="semi")
        .get_column("message_id")
        .unique(maintain_order=True)
    )
    if both.len() == 0:
        return []
    ids = tuple(str(v) for v in both.to_list())
    return [SchemaFailure(REJECTS, "message_id", "message_id_not_in_messages", ids)]


def _unreadable(table: str, exc: Exception) -> SchemaFailure:
    """A table polars could not evaluate (a LazyFrame's plan, a check): one failure."""
    return SchemaFailure(table, None, f"readable ({body_excerpt(str(exc), 160)})")


def row_failures(table: str, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[SchemaFailure]]:
    """The rows of one table that fail its model: ``(index, column, check)``, one per failed
    check and row, and the failures that are not about rows (a wrong dtype, a missing column).

    >>> rows, other = row_failures("reactions", pl.DataFrame(
    ...     {"message_id": ["m1"], "position": pl.Series([0], dtype=pl.Int32), "value": [None],
    ...      "sender_id": ["s"], "is_sender": [True], "extra": pl.Series([None], dtype=pl.String)},
    ...     schema_overrides={"value": pl.String}))
    >>> rows.rows(), other
    ([(0, 'value', 'not_nullable')], [])
    """
    model = _model(table)
    empty = pl.DataFrame(schema={"index": pl.Int64, "column": pl.String, "check": pl.String})
    try:
        model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases: pl.DataFrame = errors.failure_cases
        rows = cases.filter(pl.col("index").is_not_null()).select(
            pl.col("index").cast(pl.Int64), pl.col("column").cast(pl.String), pl.col("check")
        )
        systemic = cases.filter(pl.col("index").is_null())
        other: list[SchemaFailure] = []
        if systemic.height:
            # Rebuilt from the systemic cases only, so ids never appear in them.
            nowhere = pa.errors.SchemaErrors.__new__(pa.errors.SchemaErrors)
            nowhere.failure_cases = systemic
            other = _failures_from_pandera(table, frame, nowhere)
        return rows.unique(maintain_order=True), other
    return empty, []


def validate_frames(
    frames: Mapping[str, pl.DataFrame | pl.LazyFrame], *, stacklevel: int = 1
) -> None:
    """Validate the four tables and their cross-table keys; report every failure at once.

    Each table is checked against its model with ``lazy=True`` (all checks run), and every
    child ``message_id`` must exist in ``messages``. ``rejects`` (``ChatFrames.rejects``, or
    a ``"rejects"`` key of a plain mapping) is checked against :class:`RejectSchema`, and no
    message may be in both. Undocumented enum values do not fail: they give one
    :class:`UnknownValueWarning`, and nulls in the :data:`RELAXED` fields one
    :class:`MissingFieldWarning` (neither again for frames ``frames_from_pages`` built and
    warned about). LazyFrames are collected first, since pandera checks only the
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
    given = dict(tables_argument(frames, "frames").items())
    rejects = getattr(frames, REJECTS, None)  # ChatFrames.rejects is not one of its keys
    if isinstance(rejects, pl.DataFrame | pl.LazyFrame):
        given[REJECTS] = rejects
    for name, frame in given.items():
        try:
            tables[name] = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
        except pl.exceptions.PolarsError as exc:
            failures.append(_unreadable(name, exc))
    missing = [name for name in TABLE_MODELS if name not in given]
    if missing:
        failures.append(SchemaFailure(", ".join(missing), None, "table_present"))
    for name in [*TABLE_MODELS, REJECTS]:
        if name not in tables:
            continue
        try:
            _model(name).validate(tables[name], lazy=True)
        except pa.errors.SchemaErrors as errors:
            failures.extend(_failures_from_pandera(name, tables[name], errors))
        except pl.exceptions.PolarsError as exc:
            failures.append(_unreadable(name, exc))
    failures.extend(_orphans(tables))
    failures.extend(_set_aside_and_kept(tables))
    # ChatFrames built by frames_from_pages carry the counts it warned about.
    if getattr(frames, "_unknown_values", None) is None:
        warn_unknown_values(tables, stacklevel=stacklevel + 1)
    if getattr(frames, "_missing_fields", None) is None:
        warn_missing_fields(tables, stacklevel=stacklevel + 1)
    if failures:
        names = list(dict.fromkeys(f.table for f in failures))
        raise SchemaValidationError(", ".join(names), failures)
