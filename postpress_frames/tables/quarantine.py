"""``on_invalid="quarantine"``: the messages set aside, and the ``rejects`` table.

A message that cannot be typed or fails a row-level check is set aside whole (with its
attachments, reactions and receipts): :class:`Aside` records, for each one, the first problem
found, in the order the build finds them (what ``read_json`` cannot read, values of the wrong
JSON type, ids, flags, timestamps and receipts, then the checks of the pandera models, which
:func:`model_rejections` maps back to messages). :func:`rejects_table` writes them out in
fetch order with each item's JSON text exactly as its page had it.

>>> aside = Aside()
>>> aside.add(2, 0, "m1", "hidden", 'expected 0, 1, true or false, got "yes" (a string)')
>>> body = b'{"items": [{"id": "m1", "chat_id": "c1", "hidden": "yes"}]}'
>>> rejects_table(aside, [(2, 0)], {2: body}).select("page", "message_id", "item").row(0)
(2, 'm1', '{"id": "m1", "chat_id": "c1", "hidden": "yes"}')
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

from postpress_frames._exceptions import SchemaFailure, SchemaValidationError
from postpress_frames.tables.locate import Problem, item_spans
from postpress_frames.tables.schemas import REJECTS, key_column, row_failures, table_schema
from postpress_frames.tables.wire import ITEM, PAGE

__all__ = ["CODE", "Aside", "code", "model_rejections", "rejects_table"]

#: One number per (page, position): ``page << 32 | position``, for fast membership tests.
CODE: Final = pl.col(PAGE).cast(pl.Int64) * (1 << 32) + pl.col(ITEM).cast(pl.Int64)


def code(page: int, position: int) -> int:
    """The :data:`CODE` of one row.

    >>> code(1, 5)
    4294967301
    """
    return (page << 32) + position


@dataclass
class Aside:
    """The first problem of each message set aside: (page, position) -> (id, field, reason)."""

    found: dict[tuple[int, int], tuple[str | None, str, str]] = field(default_factory=dict)

    def add(self, page: int, position: int, message_id: str | None, path: str, reason: str) -> None:
        self.found.setdefault((page, position), (message_id, path, reason))

    def without_id(self, page: int, position: int, path: str, reason: str) -> None:
        """Set aside a message whose id is ambiguous: with no id, keeping a problem found
        first (the id read there may be another message's, stored in ``messages``)."""
        _, path, reason = self.found.get((page, position), (None, path, reason))
        self.found[(page, position)] = (None, path, reason)

    def add_problems(self, page: int, problems: Iterable[Problem]) -> None:
        for position, message_id, path, reason in problems:
            self.add(page, position, message_id, path, reason)

    def codes(self) -> list[int]:
        return [code(page, position) for page, position in self.found]

    def __bool__(self) -> bool:
        return bool(self.found)


# What each pandera check means for a message set aside.
_REASONS: Final = {
    "not_nullable": "the field is required and was missing or null",
    "str_length(1, None)": "expected a non-empty string",
    "greater_than_or_equal_to(0)": "expected a value of 0 or more",
    "reply_to_complete": "a reply_to needs its id, provider_id, timestamp and sender_id",
    "quoted_complete": "a quoted message needs its provider_id and sender_id",
    "variant_fields_present": "this attachment type requires the field",
    "field_uniqueness": "the value is repeated",
    "multiple_fields_uniqueness": "the key is repeated",
}


def _reason(check: str) -> str:
    return f"{_REASONS.get(check, 'the value fails the check')} ({check})"


def _wire_field(table: str, column: str, row: Mapping[str, Any]) -> str:
    """The path, on the wire, of a table's column in one row."""
    if table == "messages":
        for name in ("reply_to", "quoted"):
            if column.startswith(f"{name}_"):
                return f"{name}.{column.removeprefix(name + '_')}"
        return column
    if table == "attachments":
        leaf = f"size.{column}" if column in ("width", "height") else column
        where = "quoted.attachments" if row.get("quoted") else "attachments"
        return f"{where}[{row.get('position')}].{leaf}"
    if table == "reactions":
        return f"reactions[{row.get('position')}].{column}"
    if table == "seen_by":
        return f"seen_by.{row.get('attendee_id')}"
    return column


def model_rejections(tables: Mapping[str, pl.DataFrame]) -> list[tuple[str, str, str]]:
    """Check each table against its model; ``(message id, field, reason)`` for each message
    whose rows fail (its first failure, ``messages`` first), in row order.

    Raises :class:`SchemaValidationError` for failures that are not about rows (a dtype, a
    column): those are the builder's, not the data's.
    """
    found: dict[str, tuple[str, str]] = {}
    systemic: list[SchemaFailure] = []
    for table, frame in tables.items():
        rows, other = row_failures(table, frame)
        systemic += other
        if rows.height == 0:
            continue
        key = key_column(table)
        wanted = [c for c in (key, "position", "quoted", "attendee_id") if c in frame.columns]
        picked = (
            frame.select(wanted)
            .with_row_index("__index")
            .join(
                rows.sort("index", maintain_order=True),
                left_on=pl.col("__index").cast(pl.Int64),
                right_on="index",
            )
        )
        for row in picked.iter_rows(named=True):
            message_id = row[key]
            if message_id is not None and message_id not in found:
                path = _wire_field(table, row["column"], row)
                found[message_id] = (path, _reason(row["check"]))
    if systemic:
        raise SchemaValidationError(", ".join(dict.fromkeys(f.table for f in systemic)), systemic)
    return [(message_id, path, reason) for message_id, (path, reason) in found.items()]


def _chat_id(text: str) -> str | None:
    try:
        item = json.loads(text)
    except (ValueError, RecursionError):
        return None
    chat_id = item.get("chat_id") if isinstance(item, dict) else None
    return chat_id if isinstance(chat_id, str) else None


def rejects_table(
    aside: Aside, rows: Iterable[tuple[int, int]], bodies: Mapping[int, bytes]
) -> pl.DataFrame:
    """The ``rejects`` table of the ``rows`` (page, position) set aside, in fetch order."""
    records: list[dict[str, Any]] = []
    spans: dict[int, list[tuple[int, int]] | None] = {}
    texts: dict[int, str] = {}
    for page, position in sorted(rows):
        message_id, path, reason = aside.found[(page, position)]
        if page not in spans:
            spans[page] = item_spans(bodies[page])
            texts[page] = bodies[page].decode(errors="replace")
        located = spans[page]
        text = ""
        if located is not None and position < len(located):
            start, end = located[position]
            text = texts[page][start:end]
        records.append(
            {
                "chat_id": _chat_id(text),
                "page": page,
                "message_id": message_id,
                "field": path,
                "reason": reason,
                "item": text,
            }
        )
    return pl.DataFrame(records, schema=table_schema(REJECTS))
