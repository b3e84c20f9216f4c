"""Senders as people: the names a caller gives, else a short id unique within the chat.

Every per-sender result takes ``names=``: a mapping ``sender_id -> name`` or a DataFrame
with columns ``sender_id`` and ``name``. :func:`names_frame` checks it once;
:func:`with_names` adds a name column beside each id column of a result. A sender without a
name shows as its id cut to the shortest prefix (at least :data:`SHORT_ID_WIDTH` characters)
that no other sender of the same chat shares; two senders given the same name in one chat
get their short id after it, so no two people ever look alike.

>>> result = pl.DataFrame({"chat_id": ["c", "c"], "sender_id": ["ACoAAb7ncmM", "ACoAAkwU4m"]})
>>> with_names(result, names_frame({"ACoAAb7ncmM": "Ada"}))
shape: (2, 3)
┌─────────┬─────────────┬─────────────┐
│ chat_id ┆ sender_id   ┆ sender_name │
│ ---     ┆ ---         ┆ ---         │
│ str     ┆ str         ┆ str         │
╞═════════╪═════════════╪═════════════╡
│ c       ┆ ACoAAb7ncmM ┆ Ada         │
│ c       ┆ ACoAAkwU4m  ┆ ACoAAkwU…   │
└─────────┴─────────────┴─────────────┘
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, TypeAlias

import polars as pl

from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError

__all__ = [
    "NAMES_SCHEMA",
    "SHORT_ID_WIDTH",
    "Names",
    "names_frame",
    "short_ids",
    "with_names",
]

#: What ``names=`` accepts: ``{"ACoAA…": "Ada"}`` or a DataFrame with ``sender_id``, ``name``.
Names: TypeAlias = Mapping[str, str] | pl.DataFrame

#: The checked form of ``names=``: one row per sender id.
NAMES_SCHEMA: Final = pl.Schema({"sender_id": pl.String(), "name": pl.String()})

#: A sender without a name shows at least this many characters of its id.
SHORT_ID_WIDTH: Final = 8

_EXPECTED: Final = "a mapping of sender_id -> name, or a DataFrame with sender_id and name"


def names_frame(names: object) -> pl.DataFrame:
    """``names=`` (a mapping, a DataFrame with ``sender_id`` and ``name``, or None) as a
    frame of :data:`NAMES_SCHEMA`; blank names are dropped (the short id shows instead).

    >>> names_frame(None).height, names_frame({"a": "Ada", "b": " "}).rows()
    (0, [('a', 'Ada')])
    >>> try:
    ...     names_frame(pl.DataFrame({"sender_id": ["a", "a"], "name": ["Ada", "Bob"]}))
    ... except ConfigurationError as error:
    ...     print(error)
    names: sender_id 'a' has two names ('Ada', 'Bob')
    """
    if names is None:
        return pl.DataFrame(schema=NAMES_SCHEMA)
    if isinstance(names, pl.DataFrame):
        missing = [column for column in NAMES_SCHEMA if column not in names.columns]
        if missing:
            raise ConfigurationError(
                f"names: the DataFrame has no column {', '.join(map(repr, missing))} "
                f"(it needs sender_id and name; it has {', '.join(names.columns) or 'none'})"
            )
        for column in NAMES_SCHEMA:
            dtype = names.schema[column]
            if dtype not in (pl.String, pl.Null) and not isinstance(dtype, pl.Categorical):
                raise ConfigurationError(f"names: column {column!r} is {dtype}, not strings")
        frame = names.select(pl.col(column).cast(pl.String) for column in NAMES_SCHEMA)
    elif isinstance(names, Mapping):
        for key, value in names.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ArgumentTypeError(f"names[{key!r}]", "a name (a string)", value)
        frame = pl.DataFrame(
            {"sender_id": list(names), "name": list(names.values())}, schema=NAMES_SCHEMA
        )
    else:
        raise ArgumentTypeError("names", _EXPECTED, names)
    frame = frame.with_columns(pl.col("name").str.strip_chars()).filter(
        pl.col("sender_id").is_not_null() & (pl.col("name").str.len_chars() > 0)
    )
    conflicts = frame.unique().filter(pl.col("sender_id").is_duplicated())
    if conflicts.height:
        first = conflicts.sort("sender_id", "name").row(0)[0]
        given = tuple(conflicts.filter(pl.col("sender_id") == first).get_column("name").sort())
        raise ConfigurationError(f"names: sender_id {first!r} has two names {given}")
    return frame.unique("sender_id", maintain_order=True)


def short_ids(ids: Iterable[str]) -> dict[str, str]:
    """Each id cut to the shortest prefix of at least :data:`SHORT_ID_WIDTH` characters
    that no other id shares (with "…" where it was cut).

    >>> short_ids(["ACoAAb7ncmMAg", "ACoAAb7nZZ", "att_1"])
    {'ACoAAb7ncmMAg': 'ACoAAb7nc…', 'ACoAAb7nZZ': 'ACoAAb7nZ…', 'att_1': 'att_1'}
    """
    unique = list(dict.fromkeys(ids))
    shown: dict[str, str] = {}
    for width_id in unique:
        width = SHORT_ID_WIDTH
        while width < len(width_id) and any(
            other != width_id and other[:width] == width_id[:width] for other in unique
        ):
            width += 1
        shown[width_id] = width_id if width >= len(width_id) else width_id[:width] + "…"
    return shown


def _labels(ids: Sequence[str], names: Mapping[str, str]) -> dict[str, str]:
    short = short_ids(ids)
    labels = {sender: names.get(sender, short[sender]) for sender in short}
    twice = Counter(labels.values())
    return {
        sender: f"{label} ({short[sender]})" if twice[label] > 1 else label
        for sender, label in labels.items()
    }


def with_names(
    frame: pl.DataFrame,
    names: pl.DataFrame,
    columns: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """``frame`` with a name column after each id column (``columns``: id column -> name
    column, default ``{"sender_id": "sender_name"}``), labelled per ``chat_id`` (when the
    frame has one) over the ids of all those columns, so one person has one label.

    ``names`` is a :func:`names_frame`. A null id gets a null name.
    """
    columns = dict(columns or {"sender_id": "sender_name"})
    has_chat = "chat_id" in frame.columns
    keyed = frame.with_columns(_chat=pl.col("chat_id") if has_chat else pl.lit(""))
    pairs = (
        pl.concat([keyed.select("_chat", pl.col(column).alias("_id")) for column in columns])
        .drop_nulls("_id")
        .unique(maintain_order=True)
    )
    given = dict(names.iter_rows())
    rows = [
        (chat, sender, label)
        for (chat,), group in pairs.group_by("_chat", maintain_order=True)
        for sender, label in _labels(group.get_column("_id").to_list(), given).items()
    ]
    labels = pl.DataFrame(rows, schema=["_chat", "_id", "_label"], orient="row").cast(pl.String)
    for id_column, name_column in columns.items():
        shown = keyed.select("_chat", pl.col(id_column).alias("_id"))
        label = shown.join(labels, on=["_chat", "_id"], how="left", maintain_order="left")
        position = keyed.columns.index(id_column) + 1
        keyed = keyed.insert_column(position, label.get_column("_label").alias(name_column))
    return keyed.drop("_chat")
