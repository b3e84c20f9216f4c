"""The wire schema: the JSON shape of the spec page, as ``read_json`` parses a page.

The 0/1 flags are read as strings (so ``2``, ``1.5`` or ``"yes"`` reach their check intact;
a JSON ``true``/``false`` is accepted as 1/0, :data:`FLAG_TEXTS`), ``seen_by`` as a
``Map(String, String)``; everything else has its own type. :data:`LISTED` names the keys the
spec page lists for each kind of object, the rest being unlisted (kept in ``extra``).
Timestamps are strings like ``2026-05-17T09:42:11.000Z`` (:func:`parse_timestamp`); epoch
fields are Unix seconds or milliseconds (:func:`epoch_to_datetime`).

>>> FLAGS[:3], sorted(LISTED["size"])
(('is_sender', 'seen', 'hidden'), ['height', 'width'])
>>> [field.name for field in item_dtype(wire_schema()).fields][:3]
['id', 'message_id', 'provider_id']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import polars as pl

from postpress_frames._args import as_bool
from postpress_frames._exceptions import ArgumentTypeError

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

__all__ = [
    "EPOCH_MS_THRESHOLD",
    "FLAGS",
    "FLAG_TEXTS",
    "ITEM",
    "ITEM_FIELDS",
    "LISTED",
    "PAGE",
    "PAGE_KEYS",
    "TIMESTAMP_FORMAT",
    "epoch_to_datetime",
    "instance",
    "item_dtype",
    "parse_timestamp",
    "spec_page_dtype",
    "wire_schema",
]

TIMESTAMP_FORMAT: Final = "%Y-%m-%dT%H:%M:%S%.fZ"
#: ``|v| >= 1e11`` is milliseconds, below is seconds (1e11 s is the year 5138; 1e11 ms, 1973).
EPOCH_MS_THRESHOLD: Final = 100_000_000_000
FLAGS: Final = ("is_sender", "seen", "hidden", "deleted", "edited", "is_event", "delivered")
#: A flag as ``read_json`` reads it -> its value: 0/1 (numbers, or the strings "0"/"1") and
#: JSON booleans (``true`` reads as "true"; a JSON *string* "true" is rejected by the screen).
FLAG_TEXTS: Final = {"0": False, "1": True, "false": False, "true": True}
#: Bookkeeping columns the reader adds to the items: page number (1..) and index on the page.
PAGE: Final = "__page"
ITEM: Final = "__item"

_ATTACHMENT: Final = pl.Struct(
    {
        "id": pl.String,
        "type": pl.String,
        "file_size": pl.Int64,
        "unavailable": pl.Boolean,
        "mimetype": pl.String,
        "url": pl.String,
        "url_expires_at": pl.Int64,
        "size": pl.Struct({"width": pl.Int64, "height": pl.Int64}),
        "sticker": pl.Boolean,
        "gif": pl.Boolean,
        "duration": pl.Float64,
        "voice_note": pl.Boolean,
        "file_name": pl.String,
        "starts_at": pl.Int64,
        "expires_at": pl.Int64,
        "time_range": pl.Float64,
    }
)
#: One message of ``items``, as the spec page lists it.
ITEM_FIELDS: Final[dict[str, pl.DataType]] = {
    "id": pl.String(),
    "message_id": pl.String(),
    "provider_id": pl.String(),
    "account_id": pl.String(),
    "chat_id": pl.String(),
    "chat_provider_id": pl.String(),
    "sender_id": pl.String(),
    "sender_attendee_id": pl.String(),
    "timestamp": pl.String(),
    "text": pl.String(),
    **{flag: pl.String() for flag in FLAGS},
    "attachments": pl.List(_ATTACHMENT),
    "quoted": pl.Struct(
        {
            "message_id": pl.String,
            "provider_id": pl.String,
            "sender_id": pl.String,
            "text": pl.String,
            "attachments": pl.List(_ATTACHMENT),
        }
    ),
    "is_forwarded": pl.Boolean(),
    "reactions": pl.List(
        pl.Struct({"value": pl.String, "sender_id": pl.String, "is_sender": pl.Boolean})
    ),
    "seen_by": pl.Map(pl.String, pl.String),
    "behavior": pl.Int64(),
    "event_type": pl.Int64(),
    "original": pl.String(),
    "replies": pl.Int64(),
    "reply_by": pl.List(pl.String),
    "parent": pl.String(),
    "subject": pl.String(),
    "message_type": pl.String(),
    "attendee_type": pl.String(),
    "attendee_distance": pl.Int64(),
    "sender_urn": pl.String(),
    "reply_to": pl.Struct(
        {
            "id": pl.String,
            "provider_id": pl.String,
            "timestamp": pl.String,
            "sender_attendee_id": pl.String,
            "sender_id": pl.String,
            "text": pl.String,
        }
    ),
}
# Listed on the spec page but constant type tags, or page-level: known, not read, not stored.
_TAGS: Final = {"object": pl.String()}
#: The page's own keys besides ``items`` (read by ``check_body``, not stored).
PAGE_KEYS: Final[dict[str, pl.DataType]] = {"object": pl.String(), "cursor": pl.String()}


def wire_schema(*, include_original: bool = True) -> pl.Schema:
    """The schema ``read_json`` parses a page with (only ``items`` is read).

    >>> wire_schema()["items"].inner.to_schema()["seen_by"]
    Map(String, String)
    """
    fields = dict(ITEM_FIELDS)
    if not as_bool(include_original, "include_original"):
        del fields["original"]
    return pl.Schema({"items": pl.List(pl.Struct(fields))})


def instance(dtype: PolarsDataType) -> pl.DataType:
    """Nested dtypes hold their leaves as classes (``pl.String``); make them instances.

    >>> instance(pl.String) == pl.String()
    True
    """
    return dtype() if isinstance(dtype, type) else dtype


def _keys(dtype: pl.DataType) -> frozenset[str]:
    assert isinstance(dtype, pl.Struct)
    return frozenset(field.name for field in dtype.fields)


def _listed() -> dict[str, frozenset[str]]:
    attachments = ITEM_FIELDS["attachments"]
    assert isinstance(attachments, pl.List)
    attachment = instance(attachments.inner)
    assert isinstance(attachment, pl.Struct)
    reactions = ITEM_FIELDS["reactions"]
    assert isinstance(reactions, pl.List)
    return {
        "page": frozenset({*PAGE_KEYS, "items"}),
        "item": frozenset({*_TAGS, *ITEM_FIELDS}),
        "quoted": _keys(ITEM_FIELDS["quoted"]),
        "reply_to": _keys(ITEM_FIELDS["reply_to"]),
        "attachment": _keys(attachment),
        "size": _keys(instance(attachment.to_schema()["size"])),
        "reaction": _keys(instance(reactions.inner)),
    }


#: The keys the spec page lists for each kind of object (``seen_by`` keys are attendee ids).
LISTED: Final = _listed()


def item_dtype(schema: pl.Schema) -> pl.Struct:
    """The struct of one item in a wire schema."""
    items = schema["items"]
    assert isinstance(items, pl.List)
    inner = instance(items.inner)
    assert isinstance(inner, pl.Struct)
    return inner


def spec_page_dtype() -> pl.Struct:
    """Every key the spec page lists, page level included (for unlisted-field detection)."""
    item = pl.Struct({**_TAGS, **ITEM_FIELDS})
    return pl.Struct({**PAGE_KEYS, "items": pl.List(item)})


def _expr(expr: object) -> pl.Expr:
    if not isinstance(expr, pl.Expr):
        raise ArgumentTypeError("expr", "a polars expression (pl.col(...))", expr)
    return expr


def parse_timestamp(expr: pl.Expr) -> pl.Expr:
    """Parse the API's ``YYYY-MM-DDTHH:MM:SS[.fff]Z`` strings to UTC ms; null where not.

    >>> pl.select(parse_timestamp(pl.lit("2026-05-17T09:42:11.000Z"))).item()
    datetime.datetime(2026, 5, 17, 9, 42, 11, tzinfo=zoneinfo.ZoneInfo(key='UTC'))
    """
    return _expr(expr).str.to_datetime(
        TIMESTAMP_FORMAT, time_unit="ms", time_zone="UTC", strict=False, cache=False
    )


def epoch_to_datetime(expr: pl.Expr) -> pl.Expr:
    """Unix epoch in seconds or milliseconds -> UTC datetime (``|v| >= 1e11`` means ms).

    >>> seconds, millis = 1_779_000_000, 1_779_000_000_000
    >>> pl.select(epoch_to_datetime(pl.lit(seconds))).item() == pl.select(
    ...     epoch_to_datetime(pl.lit(millis))
    ... ).item()
    True
    """
    expr = _expr(expr)
    millis = pl.when(expr.abs() >= EPOCH_MS_THRESHOLD).then(expr).otherwise(expr * 1000)
    return millis.cast(pl.Datetime("ms")).dt.replace_time_zone("UTC")
