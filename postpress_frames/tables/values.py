"""The documented value sets of the spec page, and counting the values outside them.

Enum-like columns keep their open dtype; a value outside :data:`DOCUMENTED_VALUES` is kept,
never a failure, and named with its count in one :class:`UnknownValueWarning`.

>>> unknown_values({"attachments": pl.DataFrame({"type": ["img", "poll", "poll"]})})
{('attachments', 'type', 'poll'): 2}
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

import polars as pl

from postpress_frames._args import as_int
from postpress_frames._exceptions import ArgumentTypeError

__all__ = [
    "ATTACHMENT_TYPES",
    "ATTENDEE_DISTANCES",
    "ATTENDEE_TYPES",
    "DOCUMENTED_VALUES",
    "EVENT_TYPES",
    "MESSAGE_TYPES",
    "UnknownValueWarning",
    "emit_unknown_values",
    "read_unknown_values",
    "tables_argument",
    "unknown_value_queries",
    "unknown_values",
    "warn_unknown_values",
]

# The documented value sets of the spec page.
MESSAGE_TYPES: Final = (
    "MESSAGE",
    "INVITATION",
    "INMAIL",
    "INMAIL_DECLINE",
    "INMAIL_REPLY",
    "INMAIL_ACCEPT",
)
ATTENDEE_TYPES: Final = ("MEMBER", "ORGANIZATION", "OTHER")
ATTACHMENT_TYPES: Final = ("img", "video", "audio", "file", "linkedin_post", "video_meeting")
EVENT_TYPES: Final = tuple(range(14))
ATTENDEE_DISTANCES: Final = (1, 2, 3, 4, -1)

#: (table, column) -> documented values; anything else is kept and warned about.
DOCUMENTED_VALUES: Final[Mapping[tuple[str, str], tuple[str, ...] | tuple[int, ...]]] = (
    MappingProxyType(
        {
            ("messages", "event_type"): EVENT_TYPES,
            ("messages", "message_type"): MESSAGE_TYPES,
            ("messages", "attendee_type"): ATTENDEE_TYPES,
            ("messages", "attendee_distance"): ATTENDEE_DISTANCES,
            ("attachments", "type"): ATTACHMENT_TYPES,
        }
    )
)


class UnknownValueWarning(UserWarning):
    """A value outside a documented set (e.g. a new attachment type) was kept as it is."""


def tables_argument(value: object, argument: str) -> Mapping[str, pl.DataFrame | pl.LazyFrame]:
    """``value`` when it maps table names to polars frames."""
    if not isinstance(value, Mapping):
        raise ArgumentTypeError(argument, "a mapping of table name -> polars DataFrame", value)
    for name, frame in value.items():
        if not isinstance(frame, pl.DataFrame | pl.LazyFrame):
            raise ArgumentTypeError(
                f"{argument}[{name!r}]", "a polars DataFrame or LazyFrame", frame
            )
    return value


def _holds(dtype: pl.DataType, allowed: tuple[str, ...] | tuple[int, ...]) -> bool:
    """Whether a column of ``dtype`` can hold the documented values (else its dtype fails)."""
    return dtype == pl.String() if isinstance(allowed[0], str) else dtype.is_integer()


UnknownQueries = list[tuple[str, str, pl.LazyFrame]]


def unknown_value_queries(tables: Mapping[str, pl.DataFrame | pl.LazyFrame]) -> UnknownQueries:
    """The queries :func:`unknown_values` collects, for a caller that collects them with others
    (``(table, column, query)``; read the results with :func:`read_unknown_values`)."""
    queries: UnknownQueries = []
    for (table, column), allowed in DOCUMENTED_VALUES.items():
        frame = tables.get(table)
        if frame is None:
            continue
        lazy = frame.lazy()
        dtype = lazy.collect_schema().get(column)
        if dtype is None or not _holds(dtype, allowed):
            continue
        unknown = pl.col(column).is_not_null() & ~pl.col(column).is_in(list(allowed))
        counts = lazy.select(column).filter(unknown).group_by(column).len().sort(column)
        queries.append((table, column, counts))
    return queries


def read_unknown_values(
    queries: UnknownQueries, results: Sequence[pl.DataFrame]
) -> dict[tuple[str, str, Any], int]:
    """The counts of :func:`unknown_values` from the collected ``queries``."""
    found: dict[tuple[str, str, Any], int] = {}
    for (table, column, _), result in zip(queries, results, strict=True):
        for value, count in result.iter_rows():
            found[(table, column, value)] = count
    return found


def unknown_values(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
) -> dict[tuple[str, str, Any], int]:
    """Count the values outside :data:`DOCUMENTED_VALUES`: ``(table, column, value) -> rows``.

    A column whose dtype cannot hold the documented values is skipped (validation names it).

    >>> unknown_values({"attachments": pl.DataFrame({"type": ["img", "poll", "poll"]})})
    {('attachments', 'type', 'poll'): 2}
    """
    queries = unknown_value_queries(tables_argument(tables, "tables"))
    return read_unknown_values(queries, pl.collect_all(query for *_, query in queries))


def emit_unknown_values(found: Mapping[tuple[str, str, Any], int], stacklevel: int) -> None:
    """The :class:`UnknownValueWarning` of :func:`warn_unknown_values` for counts already
    made; ``stacklevel`` counts from the caller of this function."""
    if found:
        listed = ", ".join(
            f"{table}.{column}={value!r} ({count} row{'s' if count != 1 else ''})"
            for (table, column, value), count in found.items()
        )
        warnings.warn(
            f"values outside the documented sets were kept: {listed}",
            UnknownValueWarning,
            stacklevel=stacklevel + 1,
        )


def warn_unknown_values(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame], *, stacklevel: int = 2
) -> dict[tuple[str, str, Any], int]:
    """Emit one :class:`UnknownValueWarning` naming every undocumented value and its count.

    Returns the counts (:func:`unknown_values`); no warning when there are none.
    """
    stacklevel = as_int(stacklevel, "stacklevel", minimum=1)
    found = unknown_values(tables)
    emit_unknown_values(found, stacklevel + 1)
    return found
