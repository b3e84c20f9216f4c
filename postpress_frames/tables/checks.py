"""The checks of the pandera models as polars expressions, and one table's checks as one query.

:class:`Model` describes a pandera model without pandera: its columns (dtype, nullable,
required, unique, value checks), its ``Config.unique`` key and its strictness.
:mod:`~postpress_frames.tables.columns` holds the descriptions generated from the models;
:func:`passes` turns one into a single ``select`` whose every cell is True when that check
passes, which :func:`~postpress_frames.tables.schemas.validate_frames` collects with the
cross-table keys in one ``collect_all`` (pandera then runs only to explain a failure).

A value check is a pandera builtin (``str_length``, ``greater_than_or_equal_to``, ...),
evaluated as pandera's polars backend evaluates it, or one of the models' own checks, whose
expression lives here (:data:`ROW_CHECKS`) and which the model's ``@pa.check`` method calls,
so both paths run the same expression.

>>> model = Model("Pairs", (Column("id", pl.String(), unique=True),
...                         Column("n", pl.Int64(), checks=(check("greater_than_or_equal_to",
...                                                                min_value=0),))))
>>> frame = pl.DataFrame({"id": ["a", "b"], "n": [1, -1]})
>>> result = frame.lazy().select(passes(model, frame.schema)).collect()
>>> [name for name, passed in result.row(0, named=True).items() if not passed]
['n/greater_than_or_equal_to']
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

import polars as pl

__all__ = [
    "BUILTIN_CHECKS",
    "QUOTED",
    "QUOTED_REQUIRED",
    "REPLY_TO",
    "REPLY_TO_REQUIRED",
    "ROW_CHECKS",
    "VARIANT_OF",
    "VARIANT_REQUIRED",
    "Check",
    "Column",
    "Model",
    "check",
    "passes",
    "quoted_complete",
    "reply_to_complete",
    "seen_at_only_where_seen",
    "unique_where_set",
    "variant_fields_present",
]


@dataclass(frozen=True)
class Check:
    """One value check of a column: pandera's check name, its arguments, and whether a null
    result passes (pandera's ``ignore_na``)."""

    name: str
    statistics: tuple[tuple[str, Any], ...] = ()
    ignore_na: bool = True


def check(name: str, *, ignore_na: bool = True, **statistics: Any) -> Check:
    """A :class:`Check` (the generated module's shorthand).

    >>> check("str_length", min_value=1)
    Check(name='str_length', statistics=(('min_value', 1),), ignore_na=True)
    """
    return Check(name, tuple(statistics.items()), ignore_na)


@dataclass(frozen=True)
class Column:
    """One column of a model: its exact dtype, whether nulls and absence are allowed, whether
    its values are unique, and its value checks in the model's order."""

    name: str
    dtype: pl.DataType
    nullable: bool = False
    required: bool = True
    unique: bool = False
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True)
class Model:
    """A pandera model without pandera: ``name`` is the model class's name, ``unique`` its
    ``Config.unique`` (columns whose combination is unique), ``strict`` whether other columns
    fail."""

    name: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()
    strict: bool = True
    schema: pl.Schema = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "schema", pl.Schema({c.name: c.dtype for c in self.columns}))


# The flattened ``reply_to`` and ``quoted`` objects: their columns, and the required ones.
REPLY_TO: Final = (
    "reply_to_id",
    "reply_to_provider_id",
    "reply_to_timestamp",
    "reply_to_sender_attendee_id",
    "reply_to_sender_id",
    "reply_to_text",
)
REPLY_TO_REQUIRED: Final = (
    "reply_to_id",
    "reply_to_provider_id",
    "reply_to_timestamp",
    "reply_to_sender_id",
)
QUOTED: Final = ("quoted_message_id", "quoted_provider_id", "quoted_sender_id", "quoted_text")
QUOTED_REQUIRED: Final = ("quoted_provider_id", "quoted_sender_id")

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
VARIANT_OF: Final = {field: variant for variant, fs in VARIANT_REQUIRED.items() for field in fs}


def _present_with(column: str, group: tuple[str, ...]) -> pl.Expr:
    """True where ``column`` is set, or where its object (every column of ``group``) is absent."""
    return pl.col(column).is_not_null() | ~pl.any_horizontal(pl.col(c).is_not_null() for c in group)


def reply_to_complete(column: str) -> pl.Expr:
    """A present ``reply_to`` has its id, provider_id, timestamp and sender_id."""
    return _present_with(column, REPLY_TO)


def quoted_complete(column: str) -> pl.Expr:
    """A present ``quoted`` message has its provider id and sender id."""
    return _present_with(column, QUOTED)


def variant_fields_present(column: str) -> pl.Expr:
    """Each known variant has its required fields (an img its ``sticker``, ...)."""
    other = pl.col("type").is_null() | (pl.col("type") != VARIANT_OF[column])
    return other | pl.col(column).is_not_null()


def seen_at_only_where_seen(column: str) -> pl.Expr:
    """A receipt with a time is a seen receipt."""
    return pl.col(column).is_null() | pl.col("seen")


def unique_where_set(column: str) -> pl.Expr:
    """A message is set aside once."""
    return pl.col(column).is_null() | ~pl.col(column).is_duplicated()


#: The models' own checks by name: column -> one boolean per row (True: passes).
ROW_CHECKS: Final[Mapping[str, Callable[[str], pl.Expr]]] = MappingProxyType(
    {
        f.__name__: f
        for f in (
            reply_to_complete,
            quoted_complete,
            variant_fields_present,
            seen_at_only_where_seen,
            unique_where_set,
        )
    }
)


def _str_length(
    c: pl.Expr,
    min_value: int | None = None,
    max_value: int | None = None,
    exact_value: int | None = None,
) -> pl.Expr:
    if exact_value is None and max_value is None and min_value is not None and min_value <= 1:
        return c.str.len_bytes() >= min_value  # as many bytes as characters, up to 1
    chars = c.str.len_chars()
    if exact_value is not None:
        return chars == exact_value
    if min_value is None and max_value is None:
        raise ValueError("str_length needs min_value or max_value")
    if min_value is None:
        return chars <= max_value
    if max_value is None:
        return chars >= min_value
    return chars.is_between(min_value, max_value)


def _in_range(
    c: pl.Expr, min_value: Any, max_value: Any, include_min: bool = True, include_max: bool = True
) -> pl.Expr:
    low: pl.Expr = c >= min_value if include_min else c > min_value
    high: pl.Expr = c <= max_value if include_max else c < max_value
    return low & high


#: pandera's builtin checks as its polars backend evaluates them: column, arguments -> rows.
BUILTIN_CHECKS: Final[Mapping[str, Callable[..., pl.Expr]]] = MappingProxyType(
    {
        "equal_to": lambda c, value: c == value,
        "not_equal_to": lambda c, value: c != value,
        "greater_than": lambda c, min_value: c > min_value,
        "greater_than_or_equal_to": lambda c, min_value: c >= min_value,
        "less_than": lambda c, max_value: c < max_value,
        "less_than_or_equal_to": lambda c, max_value: c <= max_value,
        "in_range": _in_range,
        "isin": lambda c, allowed_values: c.is_in(list(allowed_values)),
        "notin": lambda c, forbidden_values: ~c.is_in(list(forbidden_values)),
        "str_length": _str_length,
    }
)


def _rows(column: str, spec: Check) -> pl.Expr | None:
    """The check's result per row (True: passes), or None for a check not known here."""
    if spec.name in ROW_CHECKS:
        return ROW_CHECKS[spec.name](column)
    builtin = BUILTIN_CHECKS.get(spec.name)
    return None if builtin is None else builtin(pl.col(column), **dict(spec.statistics))


def _unique(columns: list[str]) -> pl.Expr:
    """True when no two rows have the same values in ``columns`` (nulls equal, as pandera's
    ``is_duplicated``). Compares a hash of each row's values: distinct hashes are distinct
    values, and a repeated hash (a repeated key, or a collision) fails, so pandera decides."""
    hashed = functools.reduce(
        operator.xor, (pl.col(name).hash(seed=seed) for seed, name in enumerate(columns))
    )
    return hashed.n_unique() == pl.len()


def passes(model: Model, schema: Mapping[str, pl.DataType]) -> list[pl.Expr] | None:
    """One aggregate per data check of ``model`` on a frame of ``schema``: True when it passes.

    None when the frame fails before its data is read (a missing or extra column, a wrong
    dtype) or when a check is not one this module evaluates: pandera has to tell then.
    """
    names = {c.name for c in model.columns}
    if model.strict and any(name not in names for name in schema):
        return None
    found: list[pl.Expr] = []
    for column in model.columns:
        dtype = schema.get(column.name)
        if dtype is None:
            if column.required:
                return None
            continue
        if dtype != column.dtype:
            return None
        c = pl.col(column.name)
        if not column.nullable:
            present = c.is_not_null()
            if dtype in (pl.Float32(), pl.Float64()):
                present &= c.is_not_nan()
            found.append(present.all().alias(f"{column.name}/not_nullable"))
        if column.unique:
            found.append(_unique([column.name]).alias(f"{column.name}/field_uniqueness"))
        for index, spec in enumerate(column.checks):
            rows = _rows(column.name, spec)
            if rows is None:
                return None
            name = f"{column.name}/{spec.name}"
            if any(spec.name == other.name for other in column.checks[:index]):
                name += f"/{index}"
            found.append(rows.fill_null(spec.ignore_na).all().alias(name))
    key = [name for name in model.unique if name in schema]
    if key:
        found.append(_unique(key).alias("multiple_fields_uniqueness"))
    return found
