"""The tables' schemas and validation: column dtypes without pandera, pandera to explain.

``MessageSchema``, ``AttachmentSchema``, ``ReactionSchema`` and ``SeenBySchema`` (pandera
models, defined in :mod:`~postpress_frames.tables.models` and imported from here on first use)
are the one source of truth: each table's column set (strict), exact dtypes (timestamps are
``Datetime("ms", "UTC")``), nullability (nullable where the spec page says *nullable* or
*optional*, and for the few required fields real payloads omit: :data:`RELAXED`) and checks.
``RejectSchema`` is the table of messages set aside by
``frames_from_pages(on_invalid="quarantine")``. :func:`table_schema` gives the ``pl.Schema``
the frame builder casts to, read from :mod:`~postpress_frames.tables.columns` (generated from
the models), so building, storing and analysing tables never imports pandera.

:func:`validate_frames` checks the tables plus the cross-table keys at once: every check of
the models runs in one polars query, and only when one fails does pandera run to name what
failed. Every failure names its table, column and check (checks that involve several
columns are column checks that read the others). :func:`key_column` names each table's
message key.

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

>>> list(table_schema("reactions"))
['message_id', 'position', 'value', 'sender_id', 'is_sender', 'extra']
"""

from __future__ import annotations

import functools
import importlib
import sys
import warnings
from collections.abc import Iterator, Mapping
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any, Final, overload

import polars as pl

from postpress_frames._args import as_int
from postpress_frames._exceptions import (
    ArgumentTypeError,
    ConfigurationError,
    SchemaFailure,
    SchemaValidationError,
    body_excerpt,
)
from postpress_frames.tables.checks import VARIANT_REQUIRED as VARIANT_REQUIRED  # kept here
from postpress_frames.tables.checks import passes
from postpress_frames.tables.columns import MODELS
from postpress_frames.tables.values import (
    ATTACHMENT_TYPES,
    ATTENDEE_DISTANCES,
    ATTENDEE_TYPES,
    DOCUMENTED_VALUES,
    EVENT_TYPES,
    MESSAGE_TYPES,
    UnknownValueWarning,
    emit_unknown_values,
    read_unknown_values,
    tables_argument,
    unknown_value_queries,
    unknown_values,
    warn_unknown_values,
)

if TYPE_CHECKING:
    from postpress_frames._pandera import pa
    from postpress_frames.tables.models import (
        AttachmentSchema,
        MessageSchema,
        ReactionSchema,
        RejectSchema,
        SeenBySchema,
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

_MODELS_MODULE: Final = "postpress_frames.tables.models"
# Names of the models module served from here, importing it (and pandera) on first use.
_FROM_MODELS: Final = frozenset(
    {
        "MessageSchema",
        "AttachmentSchema",
        "ReactionSchema",
        "SeenBySchema",
        "RejectSchema",
        "UtcDatetime",
        "StringList",
    }
)


def _models() -> ModuleType:
    return importlib.import_module(_MODELS_MODULE)


def __getattr__(name: str) -> Any:
    if name in _FROM_MODELS:
        value = getattr(_models(), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_FROM_MODELS})


class UnknownFieldWarning(UserWarning):
    """The API sent fields the spec page does not list; their values are kept in ``extra``."""


class MissingFieldWarning(UserWarning):
    """Fields the spec page marks required were missing or null where real payloads omit
    them (:data:`RELAXED`); the rows are kept with nulls."""


#: The name of the table of messages set aside (``ChatFrames.rejects``).
REJECTS: Final = "rejects"
_TABLES: Final = tuple(name for name in MODELS if name != REJECTS)
_CHILDREN: Final = ("attachments", "reactions", "seen_by")


class _Models(Mapping[str, "type[pa.DataFrameModel]"]):
    """Table name -> pandera model; the models (and pandera) load on the first lookup of a
    model, not for the table names."""

    def __getitem__(self, table: str) -> type[pa.DataFrameModel]:
        if table not in _TABLES:
            raise KeyError(table)
        model: type[pa.DataFrameModel] = _models().MODELS[table]
        return model

    def __iter__(self) -> Iterator[str]:
        return iter(_TABLES)

    def __len__(self) -> int:
        return len(_TABLES)

    def __repr__(self) -> str:
        return f"TABLE_MODELS({', '.join(f'{t}={MODELS[t].name}' for t in _TABLES)})"


#: Table name -> model, in the order of :class:`~postpress_frames.tables.chat_frames.ChatFrames`:
#: the four tables of a chat's messages (``rejects`` is not one of them: :data:`REJECTS`).
TABLE_MODELS: Final[Mapping[str, type[pa.DataFrameModel]]] = _Models()

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

#: Every table storage writes for a chat: the four tables of :data:`TABLE_MODELS`, then
#: :data:`REJECTS`.
STORED_TABLES: Final = (*_TABLES, REJECTS)


def _table_argument(table: object) -> str:
    if not isinstance(table, str):
        raise ArgumentTypeError("table", "a table name (str)", table)
    if table not in MODELS:
        raise ConfigurationError(f"no table {table!r}; the tables are {', '.join(_TABLES)}")
    return table


def table_schema(table: str) -> pl.Schema:
    """The polars schema (column -> dtype, in order) of one of :data:`STORED_TABLES`, as its
    model defines it; reading it imports no pandera (the package's, not exported).

    >>> table_schema("seen_by")["seen_at"]
    Datetime(time_unit='ms', time_zone='UTC')
    """
    return pl.Schema(MODELS[_table_argument(table)].schema)


def _described(model: object) -> str | None:
    """The table whose model ``model`` is (None: not one of ours, or not a model)."""
    models = sys.modules.get(_MODELS_MODULE)
    if models is None or not isinstance(model, type):
        return None
    return next((t for t, m in models.MODELS.items() if m is model), None)


def polars_schema(model: type[pa.DataFrameModel]) -> pl.Schema:
    """The polars schema (column -> dtype, in order) of a pandera model.

    >>> from postpress_frames.tables.schemas import SeenBySchema
    >>> polars_schema(SeenBySchema)["seen_at"]
    Datetime(time_unit='ms', time_zone='UTC')
    """
    table = _described(model)
    if table is not None:
        return table_schema(table)
    if isinstance(model, type):
        from postpress_frames._pandera import pa

        if issubclass(model, pa.DataFrameModel):
            return pl.Schema(_polars_schema(model))
    raise ArgumentTypeError("model", "a pandera model (e.g. MessageSchema)", model)


@functools.cache
def _polars_schema(model: type[pa.DataFrameModel]) -> pl.Schema:
    columns = model.to_schema().columns
    return pl.Schema({name: column.dtype.type for name, column in columns.items()})


def key_column(table: str) -> str:
    """The column naming each row's message: ``id`` in ``messages``, else ``message_id``.

    >>> key_column("messages"), key_column("seen_by")
    ('id', 'message_id')
    """
    return "id" if _table_argument(table) == "messages" else "message_id"


def table_model(table: str) -> type[pa.DataFrameModel]:
    """The model of one of :data:`STORED_TABLES` (``rejects`` included); storage's, not
    exported. Imports pandera: :func:`table_schema` is enough for the dtypes.

    >>> table_model("rejects").__name__
    'RejectSchema'
    """
    model: type[pa.DataFrameModel] = _models().MODELS[table]
    return model


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


def _orphans(tables: Mapping[str, pl.DataFrame]) -> list[SchemaFailure]:
    messages = tables.get("messages")
    if messages is None or messages.schema.get("id") != pl.String():
        return []  # no usable ids: the messages table's own failures say why
    known = messages.select(pl.col("id").alias("message_id"))
    failures = []
    for table in _CHILDREN:
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


MissingQueries = list[tuple[tuple[str, str], pl.LazyFrame]]


def _missing_field_queries(tables: Mapping[str, pl.DataFrame | pl.LazyFrame]) -> MissingQueries:
    queries: MissingQueries = []
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
    return queries


def _read_missing_fields(
    queries: MissingQueries, results: list[pl.DataFrame]
) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for (key, _), result in zip(queries, results, strict=True):
        count = int(result.item() or 0)
        if count:
            found[key] = count
    return found


def missing_fields(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
) -> dict[tuple[str, str], int]:
    """Count the nulls in the :data:`RELAXED` fields where they are expected: ``-> rows``.

    >>> missing_fields({"messages": pl.DataFrame({"sender_attendee_id": [None, "att_1"]},
    ...                                          schema={"sender_attendee_id": pl.String})})
    {('messages', 'sender_attendee_id'): 1}
    """
    queries = _missing_field_queries(tables_argument(tables, "tables"))
    return _read_missing_fields(queries, pl.collect_all(q for _, q in queries))


def _emit_missing_fields(found: Mapping[tuple[str, str], int], stacklevel: int) -> None:
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


def warn_missing_fields(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame], *, stacklevel: int = 2
) -> dict[tuple[str, str], int]:
    """Emit one :class:`MissingFieldWarning` naming each :data:`RELAXED` field's null count.

    Returns the counts (:func:`missing_fields`); no warning when there are none.
    """
    stacklevel = as_int(stacklevel, "stacklevel", minimum=1)
    found = missing_fields(tables)
    _emit_missing_fields(found, stacklevel + 1)
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


def unreadable(table: str, exc: Exception) -> SchemaFailure:
    """A table polars could not evaluate (a LazyFrame's plan, a check): one failure."""
    return SchemaFailure(table, None, f"readable ({body_excerpt(str(exc), 160)})")


def _check_queries(tables: Mapping[str, pl.DataFrame]) -> list[pl.LazyFrame] | None:
    """One-row queries whose every cell is True when the tables pass every check of their
    models and the cross-table keys hold; None when a table fails before its data is read.
    """
    queries: list[pl.LazyFrame] = []
    for name in STORED_TABLES:
        if name in tables:
            found = passes(MODELS[name], tables[name].schema)
            if found is None:
                return None
            if found:
                queries.append(tables[name].lazy().select(found))
    ids = tables["messages"].get_column("id").implode()
    key = pl.col("message_id")
    # The children's keys in one column: the set of message ids is built once.
    children = pl.concat([tables[name].lazy().select(key) for name in _CHILDREN])
    queries.append(children.select(key.is_in(ids).all().alias("message_id_in_messages")))
    rejects = tables.get(REJECTS)
    if rejects is not None and rejects.height:
        queries.append(rejects.lazy().select(~key.is_in(ids).any()))
    return queries


def _collect(parts: list[list[pl.LazyFrame]]) -> list[list[pl.DataFrame]] | None:
    """Every query of every part in one ``collect_all``, split back into the parts; None when
    polars cannot evaluate one of them."""
    try:
        results = pl.collect_all([query for part in parts for query in part])
    except pl.exceptions.PolarsError:
        return None
    split: list[list[pl.DataFrame]] = []
    for part in parts:
        split.append(results[: len(part)])
        results = results[len(part) :]
    return split


def _failures(tables: Mapping[str, pl.DataFrame]) -> list[SchemaFailure]:
    """pandera's account of every table, then the cross-table keys: what failed, where."""
    from postpress_frames.tables.models import failures

    found: list[SchemaFailure] = []
    for name in STORED_TABLES:
        if name in tables:
            found += failures(name, tables[name])
    return found + _orphans(tables) + _set_aside_and_kept(tables)


def row_failures(table: str, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[SchemaFailure]]:
    """The rows of one table that fail its model: ``(index, column, check)``, one per failed
    check and row, and the failures that are not about rows (a wrong dtype, a missing column).
    A table that passes the one-query check is not shown to pandera.

    >>> rows, other = row_failures("reactions", pl.DataFrame(
    ...     {"message_id": ["m1"], "position": pl.Series([0], dtype=pl.Int32), "value": [None],
    ...      "sender_id": ["s"], "is_sender": [True], "extra": pl.Series([None], dtype=pl.String)},
    ...     schema_overrides={"value": pl.String}))
    >>> rows.rows(), other
    ([(0, 'value', 'not_nullable')], [])
    """
    found = passes(MODELS[_table_argument(table)], frame.schema)
    if found is not None:
        try:
            passed = not found or all(frame.lazy().select(found).collect().row(0))
        except pl.exceptions.PolarsError:
            passed = False
        if passed:
            empty = {"index": pl.Int64, "column": pl.String, "check": pl.String}
            return pl.DataFrame(schema=empty), []
    from postpress_frames.tables.models import row_failures as explained

    return explained(table, frame)


def validate_frames(
    frames: Mapping[str, pl.DataFrame | pl.LazyFrame], *, stacklevel: int = 1
) -> None:
    """Validate the four tables and their cross-table keys; report every failure at once.

    Each table is checked against every check of its model, and every child ``message_id``
    must exist in ``messages``. ``rejects`` (``ChatFrames.rejects``, or a ``"rejects"`` key
    of a plain mapping) is checked against :class:`RejectSchema`, and no message may be in
    both. All of it runs as one polars query; when it fails, pandera (``lazy=True``: all
    checks) names what failed. Undocumented enum values do not fail: they give one
    :class:`UnknownValueWarning`, and nulls in the :data:`RELAXED` fields one
    :class:`MissingFieldWarning` (neither again for frames ``frames_from_pages`` built and
    warned about). LazyFrames are collected first. ``stacklevel`` is for wrappers, so the
    warning points at their caller.

    Raises :class:`~postpress_frames._exceptions.SchemaValidationError` whose ``failures``
    name table, column, check and offending message ids.

    >>> validate_frames({name: pl.DataFrame(schema=table_schema(name))
    ...                  for name in TABLE_MODELS})
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
            failures.append(unreadable(name, exc))
    missing = [name for name in _TABLES if name not in given]
    if missing:
        failures.append(SchemaFailure(", ".join(missing), None, "table_present"))

    checks = None if failures else _check_queries(tables)
    # ChatFrames built by frames_from_pages carry the counts it warned about.
    counted = getattr(frames, "_unknown_values", None) is not None
    unknown = None if counted else unknown_value_queries(tables)
    counted = getattr(frames, "_missing_fields", None) is not None
    relaxed = None if counted else _missing_field_queries(tables)
    results = _collect(
        [checks or [], [q for *_, q in unknown or []], [q for _, q in relaxed or []]]
    )
    if checks is None or results is None or not all(all(r.row(0)) for r in results[0]):
        failures += _failures(tables)  # pandera, and each cross-table check, say what failed
    if unknown is not None:
        values = (
            unknown_values(tables) if results is None else read_unknown_values(unknown, results[1])
        )
        emit_unknown_values(values, stacklevel + 1)
    if relaxed is not None:
        fields = (
            missing_fields(tables) if results is None else _read_missing_fields(relaxed, results[2])
        )
        _emit_missing_fields(fields, stacklevel + 1)
    if failures:
        names = list(dict.fromkeys(f.table for f in failures))
        raise SchemaValidationError(", ".join(names), failures)
