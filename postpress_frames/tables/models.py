"""The pandera models of the tables: the one source of truth for columns, dtypes and checks.

``MessageSchema``, ``AttachmentSchema``, ``ReactionSchema`` and ``SeenBySchema`` fix each
table's column set (strict), exact dtypes (timestamps are ``Datetime("ms", "UTC")``) and
nullability (nullable where the spec page says *nullable* or *optional*, and for the few
required fields real payloads omit: ``schemas.RELAXED``). ``RejectSchema`` is the table of
messages set aside by ``frames_from_pages(on_invalid="quarantine")``. Their public home is
:mod:`postpress_frames.tables.schemas` (``postpress_frames.schemas``), which imports this
module, and so pandera, only when a model is asked for or a failure is explained.

:mod:`~postpress_frames.tables.columns` is generated from these models (:func:`describe`,
:func:`source`; run ``python -m postpress_frames.tables.models`` after changing a model): the
builder, storage and analysis read their dtypes there, and validation runs their checks as one
polars query. :func:`failures` is pandera's account of one table, which names what failed.

>>> describe(ReactionSchema).unique
('message_id', 'position')
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Final, Optional

import polars as pl

from postpress_frames._exceptions import SchemaFailure
from postpress_frames._pandera import pa
from postpress_frames.tables import checks
from postpress_frames.tables.checks import Check, Column, Model

__all__ = [
    "MODELS",
    "AttachmentSchema",
    "MessageSchema",
    "ReactionSchema",
    "RejectSchema",
    "SeenBySchema",
    "describe",
    "failures",
    "row_failures",
    "source",
]

UtcDatetime = Annotated[pl.Datetime, "ms", "UTC"]
StringList = Annotated[pl.List, pl.String]

_NON_EMPTY: Final = {"min_value": 1}


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

    @pa.check(*checks.REPLY_TO_REQUIRED, name="reply_to_complete")
    @classmethod
    def reply_to_complete(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A present ``reply_to`` has its id, provider_id, timestamp and sender_id."""
        return data.lazyframe.select(checks.reply_to_complete(data.key))

    @pa.check(*checks.QUOTED_REQUIRED, name="quoted_complete")
    @classmethod
    def quoted_complete(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A present ``quoted`` message has its provider id and sender id."""
        return data.lazyframe.select(checks.quoted_complete(data.key))

    class Config:
        strict = True
        coerce = False


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

    @pa.check(*checks.VARIANT_OF, name="variant_fields_present")
    @classmethod
    def variant_fields_present(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Each known variant has its required fields (an img its ``sticker``, ...)."""
        return data.lazyframe.select(checks.variant_fields_present(data.key))

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
        return data.lazyframe.select(checks.seen_at_only_where_seen(data.key))

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
        return data.lazyframe.select(checks.unique_where_set(data.key))

    class Config:
        strict = True
        coerce = False


#: Table name -> model: the four tables of a chat's messages, then ``rejects``.
MODELS: Final[Mapping[str, type[pa.DataFrameModel]]] = MappingProxyType(
    {
        "messages": MessageSchema,
        "attachments": AttachmentSchema,
        "reactions": ReactionSchema,
        "seen_by": SeenBySchema,
        "rejects": RejectSchema,
    }
)


def describe(model: type[pa.DataFrameModel]) -> Model:
    """The model as :class:`~postpress_frames.tables.checks.Model`: what validation checks
    without pandera. Raises ``NotImplementedError`` for a pandera feature the fast check does
    not evaluate (a dataframe-level check, coercion, defaults, regex columns, ...), so a model
    never gains a check the fast path would skip.

    >>> describe(SeenBySchema).columns[3]
    Column(name='seen_at', dtype=Datetime(time_unit='ms', time_zone='UTC'), nullable=True, \
required=True, unique=False, checks=(Check(name='seen_at_only_where_seen', statistics=(), \
ignore_na=True),))
    """
    schema = model.to_schema()
    where = f"{model.__name__}: the fast validation query (tables/checks.py) does not evaluate"
    if schema.checks or schema.ordered or schema.add_missing_columns or schema.coerce:
        raise NotImplementedError(f"{where} dataframe checks, ordered, add_missing or coerce")
    if schema.dtype is not None or schema.strict not in (True, False):
        raise NotImplementedError(f"{where} a dataframe dtype or strict={schema.strict!r}")
    unique = schema.unique or []
    if isinstance(unique, str) or not all(isinstance(name, str) for name in unique):
        raise NotImplementedError(f"{where} Config.unique other than one list of columns")
    columns: list[Column] = []
    for name, column in schema.columns.items():
        odd = column.regex or column.coerce or column.default is not None or column.parsers
        if odd or getattr(column, "drop_invalid_rows", False):
            raise NotImplementedError(f"{where} column {name!r}'s options")
        found: list[Check] = []
        for spec in column.checks:
            if spec.element_wise or spec.groupby is not None or spec.raise_warning:
                raise NotImplementedError(f"{where} column {name!r}'s check {spec.name!r}")
            statistics = tuple((k, v) for k, v in spec.statistics.items() if v is not None)
            found.append(Check(spec.name, statistics, spec.ignore_na))
        dtype = pl.Schema({name: column.dtype.type})[name]
        columns.append(
            Column(name, dtype, column.nullable, column.required, column.unique, tuple(found))
        )
    return Model(model.__name__, tuple(columns), tuple(unique), schema.strict is True)


def _dtype_source(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Datetime):
        zone = "None" if dtype.time_zone is None else json.dumps(dtype.time_zone)
        return f'pl.Datetime("{dtype.time_unit}", {zone})'
    if isinstance(dtype, pl.List):
        return f"pl.List({_dtype_source(pl.Schema({'inner': dtype.inner})['inner'])})"
    return f"pl.{dtype!r}()"


def _value_source(value: object) -> str:
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _column_source(column: Column) -> str:
    parts = [json.dumps(column.name), _dtype_source(column.dtype)]
    defaults = Column(column.name, column.dtype)
    for flag in ("nullable", "required", "unique"):
        if getattr(column, flag) != getattr(defaults, flag):
            parts.append(f"{flag}={getattr(column, flag)!r}")
    if column.checks:
        calls = []
        for spec in column.checks:
            args = [json.dumps(spec.name)]
            args += [f"{k}={_value_source(v)}" for k, v in spec.statistics]
            if not spec.ignore_na:
                args.append("ignore_na=False")
            calls.append(f"check({', '.join(args)})")
        parts.append(f"checks=({', '.join(calls)},)")
    return f"Column({', '.join(parts)})"


_HEADER: Final = '''"""What each pandera model checks, without pandera: GENERATED, do not edit.

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
'''


def source() -> str:
    """The text of :mod:`postpress_frames.tables.columns` for the current models (before
    ``ruff format``)."""
    lines = [_HEADER.rstrip("\n")]
    for table, model in MODELS.items():
        spec = describe(model)
        lines += [f"        {json.dumps(table)}: Model(", f"            {json.dumps(spec.name)},"]
        lines += ["            (", *(f"                {_column_source(c)}," for c in spec.columns)]
        lines.append("            ),")
        if spec.unique:
            names = ", ".join(json.dumps(name) for name in spec.unique)
            lines.append(f"            unique=({names}{',' if len(spec.unique) == 1 else ''}),")
        if not spec.strict:
            lines.append("            strict=False,")
        lines.append("        ),")
    lines += ["    }", ")", ""]
    return "\n".join(lines)


def failures_from_pandera(
    table: str, frame: pl.DataFrame, errors: pa.errors.SchemaErrors
) -> list[SchemaFailure]:
    """pandera's failure cases of one table as :class:`SchemaFailure`s: one per column and
    check, with the message ids of the rows that fail it."""
    from postpress_frames.tables.schemas import key_column

    unique = getattr(MODELS[table].Config, "unique", None) or []
    cases: pl.DataFrame = errors.failure_cases
    key = key_column(table)
    keys = frame.get_column(key) if key in frame.columns else None
    found: list[SchemaFailure] = []
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
        found.append(SchemaFailure(table, name, str(check), tuple(ids)))
    return found


def failures(table: str, frame: pl.DataFrame) -> list[SchemaFailure]:
    """Every failure of one table (``rejects`` included) against its model, as pandera finds
    them (``lazy=True``: all checks run); a table polars cannot evaluate is one failure.

    >>> failures("reactions", pl.DataFrame({"message_id": [""]}))[0]
    SchemaFailure(table='reactions', column='position, value, sender_id, is_sender, extra', \
check='column_in_dataframe', message_ids=())
    """
    from postpress_frames.tables.schemas import unreadable

    try:
        MODELS[table].validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return failures_from_pandera(table, frame, errors)
    except pl.exceptions.PolarsError as exc:
        return [unreadable(table, exc)]
    return []


def row_failures(table: str, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[SchemaFailure]]:
    """pandera's side of :func:`postpress_frames.tables.schemas.row_failures`."""
    empty = pl.DataFrame(schema={"index": pl.Int64, "column": pl.String, "check": pl.String})
    try:
        MODELS[table].validate(frame, lazy=True)
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
            other = failures_from_pandera(table, frame, nowhere)
        return rows.unique(maintain_order=True), other
    return empty, []


def _write_columns_module() -> Path:
    """Rewrite ``tables/columns.py`` from the models, formatted by ruff when it is there."""
    target = Path(__file__).with_name("columns.py")
    target.write_text(source(), encoding="utf-8")
    ruff = Path(sys.executable).with_name("ruff")
    if ruff.exists():
        subprocess.run([str(ruff), "format", "--quiet", str(target)], check=True)  # noqa: S603
    return target


if __name__ == "__main__":
    print(_write_columns_module())
