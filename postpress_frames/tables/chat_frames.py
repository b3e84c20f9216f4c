"""``ChatFrames``: the immutable bundle of a chat's four tables.

It is a read-only mapping of table name -> polars DataFrame, in the order ``messages``,
``attachments``, ``reactions``, ``seen_by``, with the tables also as attributes.

>>> frames = ChatFrames.empty()
>>> frames
ChatFrames(messages=0, attachments=0, reactions=0, seen_by=0)
>>> list(frames)
['messages', 'attachments', 'reactions', 'seen_by']
>>> frames["seen_by"].columns
['message_id', 'attendee_id', 'seen', 'seen_at']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

from postpress_frames._args import as_bool
from postpress_frames._exceptions import ArgumentTypeError
from postpress_frames.tables.schemas import TABLE_MODELS, polars_schema, validate_frames

__all__ = ["TABLE_NAMES", "ChatFrames"]

TABLE_NAMES: Final = ("messages", "attachments", "reactions", "seen_by")


@dataclass(frozen=True, eq=False, repr=False)
class ChatFrames(Mapping[str, pl.DataFrame]):
    """A chat's ``messages``, ``attachments``, ``reactions`` and ``seen_by`` tables.

    Immutable: use :meth:`replace` to derive a bundle with other tables. Two bundles are
    equal when every table is equal (same columns, dtypes and rows in the same order).
    """

    messages: pl.DataFrame
    attachments: pl.DataFrame
    reactions: pl.DataFrame
    seen_by: pl.DataFrame
    #: The undocumented values ``frames_from_pages`` counted and warned about (None: not
    #: counted); ``validate`` does not count them again. ``replace`` resets it.
    _unknown_values: Mapping[tuple[str, str, Any], int] | None = field(
        default=None, init=False, repr=False
    )

    def __post_init__(self) -> None:
        for name in TABLE_NAMES:
            value = getattr(self, name)
            if not isinstance(value, pl.DataFrame):
                raise ArgumentTypeError(f"ChatFrames.{name}", "a polars DataFrame", value)

    @classmethod
    def empty(cls, *, include_original: bool = True) -> ChatFrames:
        """Empty tables with the full schema of each model."""
        tables = {
            name: pl.DataFrame(schema=polars_schema(TABLE_MODELS[name])) for name in TABLE_NAMES
        }
        if not as_bool(include_original, "include_original"):
            tables["messages"] = tables["messages"].drop("original")
        return cls(**tables)._counted({})

    def _counted(self, unknown: Mapping[tuple[str, str, Any], int]) -> ChatFrames:
        """``self``, marked as counted for undocumented values (``frames_from_pages``)."""
        object.__setattr__(self, "_unknown_values", dict(unknown))  # a dict: picklable
        return self

    def validate(self) -> ChatFrames:
        """Check every table and the cross-table keys; return ``self`` or raise.

        Raises :class:`~postpress_frames._exceptions.SchemaValidationError` listing every
        failure (table, column, check, message ids).
        """
        validate_frames(self, stacklevel=2)
        return self

    def replace(self, **tables: pl.DataFrame) -> ChatFrames:
        """A copy with some tables replaced: ``frames.replace(messages=filtered)``."""
        for name in tables:
            if name not in TABLE_NAMES:
                raise ArgumentTypeError(
                    "each keyword of replace()", f"a table name ({', '.join(TABLE_NAMES)})", name
                )
        return type(self)(**{name: tables.get(name, self[name]) for name in TABLE_NAMES})

    def __getitem__(self, name: str) -> pl.DataFrame:
        if name not in TABLE_NAMES:
            raise KeyError(f"no table {name!r}; the tables are {', '.join(TABLE_NAMES)}")
        frame: pl.DataFrame = getattr(self, name)
        return frame

    def __iter__(self) -> Iterator[str]:
        return iter(TABLE_NAMES)

    def __len__(self) -> int:
        return len(TABLE_NAMES)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChatFrames):
            return NotImplemented
        return all(self[name].equals(other[name]) for name in TABLE_NAMES)

    __hash__ = None  # type: ignore[assignment]  # mutable-looking contents: not hashable

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={self[name].height}" for name in TABLE_NAMES)
        return f"{type(self).__name__}({counts})"
