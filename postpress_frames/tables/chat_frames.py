"""``ChatFrames``: the immutable bundle of a chat's four tables, and of the messages set aside.

It is a read-only mapping of table name -> polars DataFrame, in the order ``messages``,
``attachments``, ``reactions``, ``seen_by``, with the tables also as attributes.

``rejects`` (the messages ``frames_from_pages(on_invalid="quarantine")`` set aside, empty
otherwise) is an attribute only, not one of the mapping's keys: iterating a ``ChatFrames``
(``for name, frame in frames.items()``, ``dict(frames)``) gives the four tables of messages,
as code written for four tables expects; ``validate``, ``replace`` and ``==`` include it.

>>> frames = ChatFrames.empty()
>>> frames
ChatFrames(messages=0, attachments=0, reactions=0, seen_by=0)
>>> list(frames), frames.rejects.height
(['messages', 'attachments', 'reactions', 'seen_by'], 0)
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
from postpress_frames.tables.schemas import (
    REJECTS,
    TABLE_MODELS,
    RejectSchema,
    polars_schema,
    validate_frames,
)

__all__ = ["TABLE_NAMES", "ChatFrames", "empty_rejects"]

TABLE_NAMES: Final = ("messages", "attachments", "reactions", "seen_by")


def empty_rejects() -> pl.DataFrame:
    """An empty ``rejects`` table with :class:`RejectSchema`'s columns."""
    return pl.DataFrame(schema=polars_schema(RejectSchema))


@dataclass(frozen=True, eq=False, repr=False)
class ChatFrames(Mapping[str, pl.DataFrame]):
    """A chat's ``messages``, ``attachments``, ``reactions`` and ``seen_by`` tables, and the
    ``rejects`` set aside (empty by default, so four tables are enough to build one).

    Immutable: use :meth:`replace` to derive a bundle with other tables. Two bundles are
    equal when every table, ``rejects`` included, is equal (same columns, dtypes and rows in
    the same order).
    """

    messages: pl.DataFrame
    attachments: pl.DataFrame
    reactions: pl.DataFrame
    seen_by: pl.DataFrame
    rejects: pl.DataFrame = field(default_factory=empty_rejects)
    #: The undocumented values and missing required fields ``frames_from_pages`` counted
    #: and warned about (None: not counted); ``validate`` does not count them again.
    #: ``replace`` resets them.
    _unknown_values: Mapping[tuple[str, str, Any], int] | None = field(
        default=None, init=False, repr=False
    )
    _missing_fields: Mapping[tuple[str, str], int] | None = field(
        default=None, init=False, repr=False
    )

    def __post_init__(self) -> None:
        for name in (*TABLE_NAMES, REJECTS):
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
        return cls(**tables)._counted({}, {})

    def _counted(
        self,
        unknown: Mapping[tuple[str, str, Any], int],
        missing: Mapping[tuple[str, str], int],
    ) -> ChatFrames:
        """``self``, marked as counted for undocumented values and missing required fields
        (``frames_from_pages`` warned about them)."""
        object.__setattr__(self, "_unknown_values", dict(unknown))  # dicts: picklable
        object.__setattr__(self, "_missing_fields", dict(missing))
        return self

    def validate(self) -> ChatFrames:
        """Check every table and the cross-table keys; return ``self`` or raise.

        Raises :class:`~postpress_frames._exceptions.SchemaValidationError` listing every
        failure (table, column, check, message ids); ``rejects`` is checked too.
        """
        validate_frames(self, stacklevel=2)
        return self

    def replace(self, **tables: pl.DataFrame) -> ChatFrames:
        """A copy with some tables replaced: ``frames.replace(messages=filtered)``."""
        names = (*TABLE_NAMES, REJECTS)
        for name in tables:
            if name not in names:
                raise ArgumentTypeError(
                    "each keyword of replace()", f"a table name ({', '.join(names)})", name
                )
        return type(self)(**{name: tables.get(name, getattr(self, name)) for name in names})

    def __getitem__(self, name: str) -> pl.DataFrame:
        if name not in TABLE_NAMES:
            hint = " (the messages set aside are ChatFrames.rejects)" if name == REJECTS else ""
            raise KeyError(f"no table {name!r}; the tables are {', '.join(TABLE_NAMES)}{hint}")
        frame: pl.DataFrame = getattr(self, name)
        return frame

    def __iter__(self) -> Iterator[str]:
        return iter(TABLE_NAMES)

    def __len__(self) -> int:
        return len(TABLE_NAMES)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChatFrames):
            return NotImplemented
        return all(
            getattr(self, name).equals(getattr(other, name)) for name in (*TABLE_NAMES, REJECTS)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable-looking contents: not hashable

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={self[name].height}" for name in TABLE_NAMES)
        if self.rejects.height:
            counts += f", rejects={self.rejects.height}"
        return f"{type(self).__name__}({counts})"
